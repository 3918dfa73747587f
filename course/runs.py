"""A whole training run of one assignment: data, model, trainer, every figure.

    out = run("vae", {"type": "vae", "epochs": 100, ...})   # see course.cli for the options

Writes perf_metrics.csv, loss_curve.png, reconstruction_<epoch>.png and
sample_<epoch>.png every ``save_every`` epochs and at the last one, then the
assignment's final figures, into ``<out>/<task folder>/``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from course import figures, tasks
from course.data import data_root, load_images
from course.device import pick_device
from course.load import load_module
from course.train import fit


def _split(x, y, test_fraction: float = 0.1, seed: int = 0):
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(test_fraction * x.shape[0]))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


def load_data(name: str, options: dict, module):
    """((x_train, y_train), (x_test, y_test)) shaped for the task."""
    task = tasks.get(name)
    if name == "faces":
        from course.faces_data import FaceImages, load_faces

        root = options.get("data") or fake_faces_folder()
        dataset = FaceImages(root)
        n = options.get("subset", 50_000)
        indices = None  # every image; a larger set is cut to n by the student's celeba_subset
        if len(dataset) > n:
            indices = [int(i) for i in module.celeba_subset(dataset, n, seed=options.get("seed", 0)).indices]
        x = load_faces(root, indices=indices)  # (n, 3, 64, 64): only the chosen images are decoded
        return _split(x, torch.zeros(x.shape[0], dtype=torch.long))
    dataset = options.get("dataset", "digits")
    return (task.prepare(*load_images(dataset, train=True)), task.prepare(*load_images(dataset, train=False)))


def fake_faces_folder(n: int = 512, seed: int = 0) -> Path:
    """The generated faces, the offline default of the faces run: written once into the data root."""
    from course.faces_data import make_fake_faces

    folder = data_root() / "fake_faces"
    if len(list(folder.glob("*.png"))) != n:
        make_fake_faces(folder, n=n, seed=seed)
    return folder


@dataclass
class Run:
    """What a training run leaves behind: its folder, and in memory the model, history and data."""

    out: Path
    module: object
    model: object = None
    history: object = None
    test: tuple = None
    train: tuple = None


def run(name: str, options: dict) -> Run:
    """Train assignment ``name`` and write its results folder; returns the Run.

    options: the CLI's (type, source, dataset, data, epochs, batch_size, lr, seed, out,
    save_every, device) plus progress, ks (pca_ae's latent sizes) and subset (faces' n);
    a missing or None option takes the handout's setting.
    """
    task = tasks.get(name)
    options = {"lr": task.lr, "epochs": task.epochs, "batch_size": task.batch_size, "seed": 0,
               "save_every": 10, "out": "results", **{k: v for k, v in options.items() if v is not None}}
    module = load_module(name, options.get("source"))
    train, test = load_data(name, options, module)
    out = Path(options["out"]) / task.folder_name(options)  # made once the data are there
    out.mkdir(parents=True, exist_ok=True)
    if name == "pca_ae":
        _pca_run(module, options, train, test, out)
        return Run(out, module, test=test, train=train)
    device = pick_device(options.get("device"))
    torch.manual_seed(options["seed"])
    model = task.build(module, options)
    fixed_test = test[0][:8].to(device)
    fixed_z = torch.randn(64, _code_size(model, fixed_test), generator=torch.Generator().manual_seed(1)).to(device)

    def on_epoch(epoch, history):
        if (epoch + 1) % options["save_every"] == 0 or epoch + 1 == options["epochs"]:
            _epoch_figures(name, module, model, fixed_test, fixed_z, out, epoch)
            history.to_csv(out / "perf_metrics.csv")

    history = fit(model, task.loss(module), train, test, epochs=options["epochs"],
                  batch_size=options["batch_size"], lr=options["lr"], seed=options["seed"], device=device,
                  progress=options.get("progress", True), on_epoch=on_epoch)
    history.to_csv(out / "perf_metrics.csv")
    figures.loss_curve(history, out / "loss_curve.png", f"{task.folder_name(options)}: loss per image")
    _final_figures(name, module, model, test, out, device)
    torch.save(model.state_dict(), out / "model.pt")
    return Run(out, module, model, history, test, train)


@torch.no_grad()
def _code_size(model, x) -> int:
    model.eval()
    if hasattr(model, "encoder") and not hasattr(model, "encode"):  # conv_vae: encoder returns (mu, sigma)
        return model.encoder(x[:1])[0].shape[-1]
    if hasattr(model, "sample"):  # cvae: encode needs a label
        return model.encode(x[:1], torch.zeros(1, 10, device=x.device))[0].shape[-1]
    out = model.encode(x[:1])
    return (out[0] if isinstance(out, tuple) else out).shape[-1]


@torch.no_grad()
def _epoch_figures(name, module, model, x, z, out: Path, epoch: int):
    model.eval()
    if name == "cvae":
        labels = torch.arange(10, device=x.device).repeat_interleave(10)
        figures.image_grid(model.sample(labels), out / f"sample_{epoch}.png", nrow=10,
                           title=f"Samples from the prior, one row per class, {figures.after(epoch)}",
                           row_labels=[str(d) for d in range(10)], ylabel="class label")
        model.train()
        return
    if name == "conv_vae":
        recon, decoded = model(x), model.decoder(z)
    else:
        recon, decoded = model(x)[0], model.decode(z)
    figures.reconstructions(x, recon, out / f"reconstruction_{epoch}.png", epoch)
    figures.samples(decoded, out / f"sample_{epoch}.png", epoch)
    model.train()


@torch.no_grad()
def _final_figures(name, module, model, test, out: Path, device):
    model.eval()
    x, y = (t.to(device) for t in test)
    if name == "vae":
        is_vae = isinstance(model.encode(x[:1]), tuple)
        codes = model.encode(x)[0] if is_vae else model.encode(x)
        if is_vae:
            values = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, 20))
            vx = vy = values
        else:
            lo, hi = codes.min(0).values.cpu(), codes.max(0).values.cpu()
            vx, vy = torch.linspace(lo[0], hi[0], 20), torch.linspace(lo[1], hi[1], 20)
        grid = torch.stack([torch.stack([a, b]) for b in vy.flip(0) for a in vx]).to(device)
        figures.latent_manifold(model.decode(grid), vx, vy.flip(0), out / "manifold_digits.png",
                                "Decoder over a 2-D latent grid")
        figures.latent_scatter(codes, y, out / "manifold.png",
                               f"Test-set codes ({'mu of q(z|x)' if is_vae else 'z'}) by digit")
    elif name == "cvae":
        labels = torch.arange(10, device=device).repeat_interleave(10)
        figures.image_grid(model.sample(labels), out / "samples_by_class.png", nrow=10,
                           title="Samples from the prior, one row per class", row_labels=[str(d) for d in range(10)],
                           ylabel="class label")
    elif name == "conv_vae":
        mu, sigma = model.encoder(x)
        emb = model.gaussian(mu, sigma)
        dims = [int(d) for d in module.top_variance_dims(emb, 2)]
        figures.histogram_2d(emb[:, dims[0]], emb[:, dims[1]], out / "latent_hist2d.png", dims)
        values = [float(v) for v in module.traversal_values(7)]
        lat = mu.shape[-1]
        figures.image_grid(module.latent_traversal(model.decoder, lat, dims[:1], 7), out / "traversal_1x7.png",
                           nrow=7, title=f"Traversal of z[{dims[0]}], every other dim 0",
                           col_labels=[f"{v:.2f}" for v in values], xlabel=f"z[{dims[0]}]")
        figures.image_grid(module.latent_traversal(model.decoder, lat, dims, 7), out / "traversal_7x7.png",
                           nrow=7, title=f"Traversal of z[{dims[0]}] and z[{dims[1]}], every other dim 0",
                           row_labels=[f"{v:.2f}" for v in values], col_labels=[f"{v:.2f}" for v in values],
                           xlabel=f"z[{dims[1]}]", ylabel=f"z[{dims[0]}]")


def _pca_run(module, options, train, test, out: Path) -> Path:
    """PCA figures and the PCA-against-autoencoder MSE curve for latent sizes ks."""
    import csv

    x_train, _ = train
    x_test, y_test = test
    mean, components, _ = module.pca_fit(x_train, 2)
    codes = module.pca_encode(x_test, mean, components)
    figures.latent_scatter(codes, y_test, out / "pca_scatter.png", "Test images on the first two principal axes",
                           ("PC 1", "PC 2"))
    spread = codes.std(0)
    vx = torch.linspace(-2, 2, 10) * spread[0]
    vy = torch.linspace(2, -2, 10) * spread[1]
    grid = torch.stack([torch.stack([a, b]) for b in vy for a in vx])
    figures.latent_manifold(module.pca_decode(grid, mean, components), vx, vy, out / "pca_grid.png",
                            "Decoded points of the PCA plane", ("PC 1", "PC 2"))
    ks = list(options.get("ks", range(2, 21)))
    pca = [float(v) for v in module.pca_error_curve(x_train, ks)]
    vae = load_module("vae", options.get("source"))
    ae = [_mse_autoencoder(vae, k, train, test, options) for k in ks]
    figures.error_curves(ks, {"PCA": pca, "autoencoder (MSE)": ae}, out / "mse_vs_latent_size.png",
                         "Training-set reconstruction MSE: PCA against the autoencoder")
    with open(out / "mse_vs_latent_size.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["k", "pca_mse", "ae_mse"])
        writer.writerows(zip(ks, pca, ae))
    return out


def _mse_autoencoder(vae_module, k: int, train, test, options) -> float:
    """Train Autoencoder("ae", n_dims_code=k) with summed MSE; return its training-set MSE per pixel."""
    torch.manual_seed(options["seed"])
    model = vae_module.Autoencoder("ae", n_dims_code=k)

    def loss(m, x, y):
        return F.mse_loss(m(x)[0], x, reduction="sum")

    fit(model, loss, train, test, epochs=options["epochs"], batch_size=options["batch_size"], lr=options["lr"],
        seed=options["seed"], device=pick_device(options.get("device")), progress=options.get("progress", True))
    model.eval()
    with torch.no_grad():
        x = train[0].to(next(model.parameters()).device)
        return float(F.mse_loss(model(x)[0], x))
