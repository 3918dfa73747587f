"""A whole training run of one assignment: data, model, trainer, every figure.

    out = run("vae", {"type": "vae", "epochs": 100, ...})   # see course.cli for the options

Writes perf_metrics.csv, loss_curve.png, reconstruction_<epoch>.png and
sample_<epoch>.png every ``save_every`` epochs and at the last one, then the
assignment's final figures, into ``<out>/<run folder>/`` (the folder name and the figures: ``course.registry``).

The schedule is ``epochs`` passes over the training set, or ``images`` seen: then the run makes
ceil(images / N) passes over its N training images, so the same schedule trains as much on the
1,497 embedded digits as on MNIST's 60,000 images (the folder name counts the passes made).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from course import figures, registry
from course.data import load_images
from course.device import pick_device
from course.load import load_module
from course.train import fit


def _split(x, y, test_fraction: float = 0.1, seed: int = 0):
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(test_fraction * x.shape[0]))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


DATA_NAMES = {"digits": "the embedded digits", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def passes(images: int, n_train: int) -> int:
    """Passes over ``n_train`` training images that see at least ``images`` images (at least one)."""
    return max(1, math.ceil(images / n_train))


def data_name(name: str, options: dict) -> str:
    """The data a run of assignment ``name`` trains on, in words ("the embedded digits", "generated faces")."""
    spec = registry.get(name)
    if spec.load is not None:
        return spec.data_name(options) if spec.data_name is not None else "data of its own"
    return DATA_NAMES[options.get("dataset", "digits")]


def load_data(name: str, options: dict, module):
    """((x_train, y_train), (x_test, y_test)) shaped for the assignment (its registry entry's
    ``load`` when it has data of its own, else ``options["dataset"]`` through ``prepare``)."""
    spec = registry.get(name)
    if spec.load is not None:
        return _split(*spec.load(options, module))
    dataset = options.get("dataset", "digits")
    return (spec.prepare(*load_images(dataset, train=True)), spec.prepare(*load_images(dataset, train=False)))


@dataclass
class Run:
    """What a training run leaves behind: its folder, and in memory the model, history and data."""

    out: Path
    module: object
    model: object = None
    history: object = None
    test: tuple = None
    train: tuple = None
    options: dict = None  # the options it ran with, the schedule's passes ("epochs") included
    data: str = ""        # what it trained on, in words


def run(name: str, options: dict) -> Run:
    """Train assignment ``name`` and write its results folder; returns the Run.

    options: the CLI's (type, source, dataset, data, epochs, batch_size, lr, seed, out,
    save_every, device) plus images (a schedule in images seen, which sets epochs), progress,
    ks (pca_ae's latent sizes) and subset (faces' n); a missing or None option takes the
    handout's setting (``course.registry``); save_every 0 draws the last epoch's figures only.
    """
    spec = registry.get(name)
    options = {"lr": spec.lr, "epochs": spec.epochs, "batch_size": spec.batch_size, "seed": 0,
               "save_every": 10, "out": "results", **{k: v for k, v in options.items() if v is not None}}
    module = load_module(name, options.get("source"))
    train, test = load_data(name, options, module)
    if options.get("images"):
        options["epochs"] = passes(options["images"], train[0].shape[0])
    options["save_every"] = options["save_every"] or options["epochs"]
    data = data_name(name, options)
    out = Path(options["out"]) / spec.folder_name(options)  # made once the data are there
    out.mkdir(parents=True, exist_ok=True)
    if spec.run is not None:
        spec.run(module, options, train, test, out)
        return Run(out, module, test=test, train=train, options=options, data=data)
    device = pick_device(options.get("device"))
    torch.manual_seed(options["seed"])
    model = spec.build(module, options)
    fixed_test = test[0][:8].to(device)
    fixed_z = torch.randn(64, _code_size(model, fixed_test), generator=torch.Generator().manual_seed(1)).to(device)

    def on_epoch(epoch, history):
        if (epoch + 1) % options["save_every"] == 0 or epoch + 1 == options["epochs"]:
            _figures(spec.epoch_figures, module, model, fixed_test, fixed_z, out, epoch)
            history.to_csv(out / "perf_metrics.csv")

    history = fit(model, spec.loss(module), train, test, epochs=options["epochs"],
                  batch_size=options["batch_size"], lr=options["lr"], seed=options["seed"], device=device,
                  progress=options.get("progress", True), on_epoch=on_epoch)
    history.to_csv(out / "perf_metrics.csv")
    figures.loss_curve(history, out / "loss_curve.png", f"{spec.folder_name(options)}: loss per image")
    _figures(spec.final_figures, module, model, *(t.to(device) for t in test), out)
    torch.save(model.state_dict(), out / "model.pt")
    return Run(out, module, model, history, test, train, options, data)


@torch.no_grad()
def _figures(hook, module, model, *args):
    """Run a figure hook of the registry (if any) on the model in eval mode, then back to training mode."""
    if hook is None:
        return
    model.eval()
    hook(module, model, *args)
    model.train()


@torch.no_grad()
def _code_size(model, x) -> int:
    model.eval()
    if hasattr(model, "encoder") and not hasattr(model, "encode"):  # conv_vae: encoder returns (mu, sigma)
        return model.encoder(x[:1])[0].shape[-1]
    if hasattr(model, "sample"):  # cvae: encode needs a label
        return model.encode(x[:1], torch.zeros(1, 10, device=x.device))[0].shape[-1]
    out = model.encode(x[:1])
    return (out[0] if isinstance(out, tuple) else out).shape[-1]
