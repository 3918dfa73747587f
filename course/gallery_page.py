"""The gallery's page: one offline HTML file from the runs' summaries (``course.gallery`` writes them).

    html = render(summaries, out)     # summaries: the runs' summary.json contents, in gallery order

A banner when any figure comes from the embedded data or the quick schedule; per run its settings as a
table, its numbers, its lesson checks (judged against today's ``course.lessons.BOUNDS``) and each figure
once, captioned with what it is, what to look for, the data it trained on and its schedule.
"""
from __future__ import annotations

import html
from pathlib import Path

from course import registry
from course.lessons import judge

FIGURES = {  # file stem: (what the figure is, what to look for unless a lesson of the run says more)
    "loss_curve": ("Train and test loss per image against the passes over the training set.",
                   "both curves falling and then flattening; a test curve that turns up means overfitting."),
    "reconstruction": ("Test images (top) and their reconstructions (bottom).",
                       "each reconstruction resembles the image above it."),
    "sample": ("Decoded draws from the prior N(0, I).",
               ("images like the training data once the codes match the prior; poor draws mean they do not "
                "yet (compare the codes' figure).")),
    "manifold_digits": ("The decoder over a 20 x 20 grid of 2-D latent points (values on the axes).",
                        ("digits that change smoothly across the grid; the AE's grid spans its codes' range, "
                         "the VAE's the prior's 5%..95% quantiles.")),
    "manifold": ("Test-set codes, one dot per image, coloured by digit.",
                 "the VAE's codes fill a round blob around 0; the AE's spread far and leave holes."),
    "samples_by_class": ("One code z per column, decoded with each label, one per row.",
                         "each row shows its label's digit; each column keeps one style (z) across the digits."),
    "latent_hist2d": ("Test-set embeddings in the two latent dimensions of highest variance.",
                      "a blob around 0 inside the orange square, the range the traversals cover."),
    "traversal_1x7": (("The highest-variance dimension walked over its codes' 5%..95% range (N(0, 1) quantiles "
                       "of their spread around their mean), every other dimension at the codes' mean."),
                      "a smooth change from the left end to the right."),
    "traversal_7x7": ("The two highest-variance dimensions walked the same way, row-major (rows: the first).",
                      "smooth changes along rows and columns, a different change in each direction."),
    "pca_scatter": ("Test images on the first two principal axes, coloured by digit.",
                    "classes overlap more than in the VAE's 2-D code: a linear map separates less."),
    "pca_grid": ("Decoded points of the plane of the first two principal components.",
                 "blurry blends of digits: two linear directions hold little of a digit."),
    "mse_vs_latent_size": ("Training-set reconstruction MSE per pixel against the latent size k.",
                           "the autoencoder below PCA, most at small k; both falling as k grows."),
}
EMBEDDED = {  # data sets that make figures short of reference quality: what they are
    "the embedded digits": "the embedded digits (scikit-learn's 1,797 8 x 8 scans scaled up to 28 x 28, 1,497 "
                           "for training)",
    "generated faces": "generated faces (512 drawn cartoon faces of 64 x 64)",
}


STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 12px}"
         "figure{display:inline-block;margin:8px;vertical-align:top;max-width:520px}"
         "img{max-width:100%;border:1px solid #ddd}figcaption{font-size:14px}"
         "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
         "td.n{text-align:right}.banner{background:#fff3cd;border:2px solid #e0a800;padding:10px 14px;"
         "font-weight:bold}.no{color:#b00020;font-weight:bold}.yes{color:#1b5e20}")


def render(summaries: list, out: Path) -> str:
    """The offline gallery page: a banner when the figures are short of reference quality, then per run
    its settings, numbers, lesson checks and figures, each figure once with its caption."""
    parts = ["<!doctype html><meta charset='utf-8'><title>Reference figures</title>",
             f"<style>{STYLE}</style><h1>Reference figures</h1>", _banner(summaries)]
    for s in summaries:
        folder, key = out / s["folder"], s["key"]
        spec = registry.get(s["assignment"])
        parts.append(f"<h2 id='{html.escape(key)}'>{html.escape(key)}: {html.escape(spec.summary)}</h2>")
        parts.append(_settings_html(s["settings"], s["folder"]))
        parts.append(_numbers_html(s["numbers"]))
        lessons = [judge(x) for x in s.get("lessons", [])]
        parts.append(_lessons_html(lessons))
        for png in _figures(folder):
            caption = html.escape(_caption(png.name, s["settings"], lessons))
            parts.append(f"<figure><img src='{html.escape(s['folder'])}/{png.name}' alt='{png.name}'>"
                         f"<figcaption>{caption}</figcaption></figure>")
    return "\n".join(parts) + "\n"


def _banner(summaries: list) -> str:
    """A visible warning when any figure comes from the embedded data or the quick schedule."""
    data = [EMBEDDED[d] for d in EMBEDDED if any(s["settings"].get("data") == d for s in summaries)]
    quick = any(s["settings"].get("quick") for s in summaries)
    if not data and not quick:
        return ""
    why = [f"trained on {' and on '.join(data)}, not the handouts' data sets"] if data else []
    if quick:
        why.append("with the quick schedule, not the handouts' epochs")
    return (f"<p class='banner'>Not reference quality: these figures were {'; '.join(why)}. Each run's lesson "
            "table says whether its figures still show the handout's lesson; run "
            "<code>python -m course figures --dataset mnist</code> without --quick for reference figures.</p>")


SETTINGS_ORDER = ("data", "training images", "test images", "schedule", "passes over the training set",
                  "images seen", "batch size", "learning rate", "model type", "latent sizes", "seed")


def _settings_html(settings: dict, folder: str) -> str:
    rows = [("results folder", f"<code>{html.escape(folder)}</code>")]
    for name in sorted(set(settings) - {"quick"}, key=lambda n: (SETTINGS_ORDER + (n,)).index(n)):
        value = settings[name]
        text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        rows.append((name, html.escape(text)))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='settings'>{body}</table>"


def _lessons_html(lessons: list) -> str:
    if not lessons:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(x['figure'])}</td><td>{html.escape(x['measure'])}</td>"
        f"<td class='n'>{x['value']:.4g}</td><td>{'&ge;' if x['above'] else '&le;'} {x['bound']:g}</td>"
        f"<td class='{'yes' if x['shown'] else 'no'}'>{'shown' if x['shown'] else 'NOT shown'}</td></tr>"
        for x in lessons)
    return ("<table class='lessons'><tr><th>figure</th><th>lesson, measured</th><th>value</th><th>needs</th>"
            f"<th></th></tr>{rows}</table>")


def _figures(folder: Path) -> list:
    """The folder's figures, the last epoch's reconstruction_/sample_ only, each file once."""
    pngs = sorted(folder.glob("*.png"))
    last = {}
    for p in pngs:
        stem, _, epoch = p.stem.rpartition("_")
        if epoch.isdigit() and (stem not in last or int(epoch) > int(last[stem].stem.rpartition("_")[2])):
            last[stem] = p
    return [p for p in pngs if not p.stem.rpartition("_")[2].isdigit()] + list(last.values())


def _caption(name: str, settings: dict, lessons: list) -> str:
    """What the figure is, what to look for (the run's lesson for it when it has one), the data and schedule."""
    stem, _, epoch = name[:-4].rpartition("_")
    stem = stem if epoch.isdigit() else name[:-4]
    what, look = FIGURES.get(stem, (stem.replace("_", " ").capitalize() + ".", ""))
    look = next((x["look_for"] for x in lessons if x["figure"] == stem), look)
    passes = settings["passes over the training set"]
    return (f"{what} Look for: {look} Trained on {settings['data']}, {passes:,} pass{'es' if passes > 1 else ''} "
            f"= {settings['images seen']:,} images seen (schedule: {settings['schedule']}).")


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
