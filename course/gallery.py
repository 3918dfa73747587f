"""Every reference model and every handout figure, with one command.

    python -m course figures [--out figures] [--dataset digits] [--quick] [--force] [--device cpu] [--check]

Trains each reference model from solutions/ on the handout's schedule (or the registry's short
``--quick`` one), both counted in images seen so that they train as much on the 1,497 embedded
digits as on MNIST; writes its figures into ``OUT/<run>/`` and the numbers behind them, with its
settings and its lesson checks (``course.lessons``), into ``OUT/<run>/summary.json``; then writes
``OUT/index.html``, a gallery that opens offline: a banner when the figures come from the embedded
data or the quick schedule, and per run a settings table, the numbers, the lessons and each figure
once, captioned with what it is, what to look for, its data and its schedule. A run whose summary
exists is reused unless ``--force``. Seeded: the same machine and data give the same figures byte
for byte.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course import likelihood, registry
from course.likelihood import elbo_terms
from course.gallery_page import render
from course.runs import run

MODELS = [(key, spec.name, options) for spec in registry.ASSIGNMENTS for key, options in spec.gallery_runs()]
"""(key, assignment, extra options) of every reference run, from the registry's gallery entries."""
REAL_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "celeba": "a CelebA subset"}


def build(out: Path, dataset: str = "digits", quick: bool = False, force: bool = False, device=None,
          epochs: int | None = None, ks=None, keys=None) -> Path:
    """Train what is missing, then write ``out/index.html``.

    The schedule is the registry's (``quick`` or the handout's), counted in images seen; ``epochs``
    (passes over the training set) and ``ks`` override every schedule; ``keys`` keeps only those runs.
    """
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for key, name, extra in MODELS:
        if keys is not None and key not in keys:
            continue
        spec = registry.get(name)
        schedule = {k: v for k, v in spec.quick.items() if k != "epochs"} if quick else {}
        handout_epochs = spec.quick["epochs"] if quick else spec.epochs
        options = {**extra, "source": "solutions", "dataset": dataset, "out": out, "device": device,
                   "progress": f"{key:>8}", "save_every": 0, **schedule}
        if epochs is not None:
            options["epochs"] = epochs
        else:
            options["images"] = spec.images(handout_epochs)
        if ks is not None and "ks" in spec.quick:  # the runs that take latent sizes
            options["ks"] = list(ks)
        done = _find_summary(out, key)
        if done is not None and not force:
            summaries.append(json.loads(done.read_text()))
            continue
        result = run(name, options)
        summary = {"key": key, "assignment": name, "folder": result.out.name,
                   "settings": settings(spec, result, quick, None if epochs is not None else handout_epochs),
                   "numbers": numbers(spec, extra, result),
                   "lessons": [lesson.as_dict() for lesson in (spec.lessons(result, extra) if spec.lessons else [])]}
        (result.out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
        summaries.append(summary)
    (out / "index.html").write_text(render(summaries, out))
    return out / "index.html"


def settings(spec, result, quick: bool, handout_epochs) -> dict:
    """What a run trained on and for how long, in the words the gallery prints."""
    o, n = result.options, result.train[0].shape[0]
    if handout_epochs is None:
        schedule = "set by hand"
    else:
        what = "quick" if quick else "the handout's"
        schedule = (f"{what}, {handout_epochs:g} epoch{'' if handout_epochs == 1 else 's'} of "
                    f"{REAL_NAMES[spec.real_dataset]} ({spec.real_size:,} images)")
    found = {"data": result.data, "training images": n, "test images": result.test[0].shape[0],
             "schedule": schedule, "quick": quick, "passes over the training set": o["epochs"],
             "images seen": o["epochs"] * n, "batch size": o["batch_size"], "learning rate": o["lr"],
             "seed": o["seed"]}
    if "type" in o:
        found["model type"] = o["type"]
    if "ks" in o:
        found["latent sizes"] = list(o["ks"])  # one autoencoder each, each on the whole schedule
    return found


def _find_summary(out: Path, key: str):
    for path in sorted(out.glob("*/summary.json")):
        if json.loads(path.read_text()).get("key") == key:
            return path
    return None


@torch.no_grad()
def numbers(spec, options: dict, result) -> dict:
    """The figures behind a run of assignment ``spec`` (its registry entry) with the gallery's extra
    ``options``: final losses, ELBO parts, IWAE bounds, and per-assignment tables."""
    model, module = result.model, result.module
    found = {}
    if result.history is not None:
        found["final_train_loss"] = result.history.train_loss[-1]
        found["final_test_loss"] = result.history.test_loss[-1]
    if spec.run is not None:  # pca_ae's run of its own: its MSE table
        import csv

        rows = list(csv.DictReader((result.out / "mse_vs_latent_size.csv").read_text().splitlines()))
        found["mse_table"] = [{k: float(v) for k, v in row.items()} for row in rows]
        return found
    model.eval()
    device = next(model.parameters()).device
    x, y = (t.to(device) for t in result.test)
    if spec.posterior is None or options.get("type") == "ae":  # no posterior: reconstruction only
        recon = model(x)[0]
        found["reconstruction"] = float(torch.nn.functional.binary_cross_entropy(recon, x, reduction="sum")) / len(x)
        return found
    encode, decode = spec.posterior(model, module, y)
    terms = elbo_terms(x, *encode(x), decode, seed=0)  # the ELBO the grader's smoke items use
    found["reconstruction"], found["kl"] = terms["reconstruction"], terms["kl"]
    found["iwae"] = {str(k): v for k, v in likelihood.iwae_bounds(encode, decode, x, (1, 10, 100)).items()}
    if hasattr(model, "sample"):  # a conditional model: are its samples of each label read as that label?
        found["recognition"] = cvae_recognition(model, device)
    return found


def cvae_recognition(model, device, per_class: int = 100) -> dict:
    """Fraction of the CVAE's samples of each label that the grader's digit classifier reads as that label."""
    from course.digit_metrics import digit_classifier, recognition_rates
    from course.data import load_images

    x, y = load_images("digits", train=True)
    torch.manual_seed(0)
    labels = torch.arange(10, device=device).repeat_interleave(per_class)
    rates = recognition_rates(digit_classifier(x.flatten(1), y), model.sample(labels).round(), labels)
    return {str(d): rate for d, rate in enumerate(rates["per_class"])}
