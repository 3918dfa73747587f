"""Every reference model and every handout figure, with one command.

    python -m course figures [--out figures] [--dataset digits] [--quick] [--force] [--device cpu]

Trains each reference model from solutions/ with the handout's settings (or a
short ``--quick`` schedule), writes its figures into ``OUT/<run>/`` and the
numbers behind them into ``OUT/<run>/summary.json``, then writes
``OUT/index.html``, a gallery that opens offline. A run whose summary exists
is reused unless ``--force``. Seeded: the same machine and data give the same
figures byte for byte.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import torch

from autograder.oracles import elbo_terms
from course import likelihood, registry
from course.runs import run

MODELS = [(key, spec.name, options) for spec in registry.ASSIGNMENTS for key, options in spec.gallery_runs()]
"""(key, assignment, extra options) of every reference run, from the registry's gallery entries."""
CAPTIONS = {
    "loss_curve.png": "Train and test loss per image against the epoch.",
    "manifold_digits.png": "The decoder over a 20 x 20 grid of 2-D latent points.",
    "manifold.png": "Test-set codes, coloured by digit.",
    "samples_by_class.png": "Samples from the prior, one row per class label.",
    "latent_hist2d.png": "Test-set embeddings in the two latent dimensions of highest variance.",
    "traversal_1x7.png": "Decoded latent vectors, zero but for the highest-variance dimension.",
    "traversal_7x7.png": "Traversal of the two highest-variance dimensions (row-major).",
    "pca_scatter.png": "Test images on the first two principal axes, coloured by digit.",
    "pca_grid.png": "Decoded points of the plane of the first two principal components.",
    "mse_vs_latent_size.png": "Training-set reconstruction MSE per pixel against the latent size.",
}


def build(out: Path, dataset: str = "digits", quick: bool = False, force: bool = False, device=None,
          epochs: int | None = None, ks=None) -> Path:
    """Train what is missing, then write ``out/index.html``. ``epochs``/``ks`` override every schedule."""
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for key, name, extra in MODELS:
        quick_options = registry.get(name).quick
        options = {**extra, "source": "solutions", "dataset": dataset, "out": out, "device": device,
                   "progress": f"{key:>8}", **(quick_options if quick else {})}
        if epochs is not None:
            options["epochs"] = epochs
        if ks is not None and "ks" in quick_options:  # the runs that take latent sizes
            options["ks"] = list(ks)
        done = _find_summary(out, key)
        if done is not None and not force:
            summaries.append(json.loads(done.read_text()))
            continue
        result = run(name, {**options, "save_every": options.get("epochs") or 10})
        summary = {"key": key, "assignment": name, "folder": result.out.name,
                   "settings": {k: v for k, v in options.items() if k in ("type", "dataset", "epochs", "ks")},
                   "numbers": numbers(registry.get(name), extra, result)}
        (result.out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
        summaries.append(summary)
    (out / "index.html").write_text(render(summaries, out))
    return out / "index.html"


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
    terms = elbo_terms(x, *encode(x), decode, seed=0)  # the grader's ELBO oracle
    found["reconstruction"], found["kl"] = terms["reconstruction"], terms["kl"]
    found["iwae"] = {str(k): v for k, v in likelihood.iwae_bounds(encode, decode, x, (1, 10, 100)).items()}
    if hasattr(model, "sample"):  # a conditional model: are its samples of each label read as that label?
        found["recognition"] = cvae_recognition(model, device)
    return found


def cvae_recognition(model, device, per_class: int = 100) -> dict:
    """Fraction of the CVAE's samples of each label that the grader's digit classifier reads as that label."""
    from autograder.digit_metrics import digit_classifier, recognition_rates
    from course.data import load_images

    x, y = load_images("digits", train=True)
    torch.manual_seed(0)
    labels = torch.arange(10, device=device).repeat_interleave(per_class)
    rates = recognition_rates(digit_classifier(x.flatten(1), y), model.sample(labels).round(), labels)
    return {str(d): rate for d, rate in enumerate(rates["per_class"])}


def render(summaries: list, out: Path) -> str:
    """The offline gallery page: each figure with its caption, the settings and the numbers."""
    parts = ["<!doctype html><meta charset='utf-8'><title>Reference figures</title>",
             ("<style>body{font-family:sans-serif;max-width:1100px;margin:auto}figure{display:inline-block;"
              "margin:8px;vertical-align:top;max-width:520px}img{max-width:100%;border:1px solid #ddd}"
              "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
              "</style><h1>Reference figures</h1>")]
    for s in summaries:
        folder = out / s["folder"]
        parts.append(f"<h2>{html.escape(s['key'])}: <code>{html.escape(s['folder'])}</code></h2>")
        parts.append(f"<p>Settings: {html.escape(json.dumps(s['settings'], sort_keys=True))}</p>")
        parts.append(_numbers_html(s["numbers"]))
        for png in _figures(folder):
            caption = CAPTIONS.get(png.name) or _epoch_caption(png.name)
            parts.append(f"<figure><img src='{html.escape(s['folder'])}/{png.name}' alt='{png.name}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    return "\n".join(parts) + "\n"


def _figures(folder: Path) -> list:
    pngs = sorted(folder.glob("*.png"))
    last = {}
    for p in pngs:  # keep only the last epoch's reconstruction_/sample_ figure
        stem, _, epoch = p.stem.rpartition("_")
        if epoch.isdigit() and (stem not in last or int(epoch) > int(last[stem].stem.rpartition("_")[2])):
            last[stem] = p
    return [p for p in pngs if not p.stem.rpartition("_")[2].isdigit()] + list(last.values())


def _epoch_caption(name: str) -> str:
    stem, _, epoch = name[:-4].rpartition("_")
    what = {"reconstruction": "Test images (top) and their reconstructions (bottom)",
            "sample": "Decoded samples from the prior"}.get(stem, stem)
    return f"{what}, after {int(epoch) + 1} epoch{'' if epoch == '0' else 's'} (file numbers count from 0)."


def _numbers_html(numbers: dict) -> str:
    rows = []
    for key in ("final_train_loss", "final_test_loss", "reconstruction", "kl"):
        if key in numbers:
            rows.append(f"<tr><th>{key.replace('_', ' ')} (nats per image)</th><td>{numbers[key]:.2f}</td></tr>")
    for k, v in numbers.get("iwae", {}).items():
        rows.append(f"<tr><th>IWAE bound on log p(x), k = {k}</th><td>{v:.2f}</td></tr>")
    table = f"<table>{''.join(rows)}</table>" if rows else ""
    if "mse_table" in numbers:
        body = "".join(f"<tr><td>{int(r['k'])}</td><td>{r['pca_mse']:.4f}</td><td>{r['ae_mse']:.4f}</td></tr>"
                       for r in numbers["mse_table"])
        table += f"<table><tr><th>k</th><th>PCA MSE</th><th>autoencoder MSE</th></tr>{body}</table>"
    if "recognition" in numbers:
        cells = "".join(f"<td>{v:.0%}</td>" for v in numbers["recognition"].values())
        heads = "".join(f"<th>{d}</th>" for d in numbers["recognition"])
        table += f"<p>Samples recognised as their label:</p><table><tr>{heads}</tr><tr>{cells}</tr></table>"
    return table
