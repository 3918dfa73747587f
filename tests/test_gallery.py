"""The figures command: every reference model, its numbers, an offline gallery that says what each figure
shows and on which data; resumable and deterministic.

One build serves this module and tests/test_lessons.py (one xdist worker runs both): the quick schedule
for every run on the embedded digits (about 50 s on two idle cores), one pass for the faces run, whose
quick schedule alone takes a minute.
"""
import functools
import hashlib
import json
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from course.gallery import MODELS, build

pytestmark = pytest.mark.xdist_group("gallery")
LIVE = [key for key, _, _ in MODELS if key != "faces"]  # trained on the quick schedule


def digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.png"))}


@functools.cache
def built(root: str) -> tuple:
    """(index.html, its folder, {key: summary}) of the shared build, made once per process under ``root``."""
    out = Path(root) / "figures"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the suite runs one worker per core: a second thread would only wait for it
    try:
        build(out, quick=True, keys=LIVE)
        page = build(out, epochs=1)  # the LIVE runs are reused
    finally:
        torch.set_num_threads(threads)
    summaries = {s["key"]: s for s in (json.loads(p.read_text()) for p in out.glob("*/summary.json"))}
    return page, out, summaries


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    return built(str(tmp_path_factory.getbasetemp()))


EXPECTED = {  # each run's figures, as course.runs writes them (N: its last epoch)
    "vae-ae": {"loss_curve", "reconstruction_N", "sample_N", "manifold_digits", "manifold"},
    "vae-vae": {"loss_curve", "reconstruction_N", "sample_N", "manifold_digits", "manifold"},
    "cvae": {"loss_curve", "sample_N", "samples_by_class"},
    "conv_vae": {"loss_curve", "reconstruction_N", "sample_N", "latent_hist2d", "traversal_1x7", "traversal_7x7"},
    "pca_ae": {"pca_scatter", "pca_grid", "mse_vs_latent_size"},
    "faces": {"loss_curve", "reconstruction_N", "sample_N"},
}


def test_each_run_writes_its_figures(gallery):
    _, out, summaries = gallery
    for key, summary in summaries.items():
        folder = out / summary["folder"]
        last = summary["settings"]["passes over the training set"] - 1
        assert {p.stem for p in folder.glob("*.png")} == {n.replace("N", str(last)) for n in EXPECTED[key]}, key
        for png in folder.glob("*.png"):
            with Image.open(png) as img:
                assert img.format == "PNG" and min(img.size) >= 100, (png, img.size)  # 1 x 7: a strip


def test_every_model_and_figure_is_in_the_page_once(gallery):
    page, out, summaries = gallery
    html = page.read_text()
    assert sorted(summaries) == sorted(key for key, _, _ in MODELS)
    sources = re.findall(r"<img src='([^']+)'", html)
    assert len(sources) >= 20 and all((out / src).is_file() for src in sources)
    assert len(sources) == len(set(sources))  # no figure twice
    for name in ("manifold.png", "manifold_digits.png", "samples_by_class.png", "latent_hist2d.png",
                 "traversal_7x7.png", "mse_vs_latent_size.png", "pca_scatter.png"):
        assert any(src.endswith(name) for src in sources), name
    cvae = [src for src in sources if src.startswith(summaries["cvae"]["folder"])]
    assert len(cvae) == 3  # loss curve, samples of the last epoch, one z per column: nothing shown twice


def test_captions_banner_and_settings_say_what_and_where(gallery):
    page, _, summaries = gallery
    html = page.read_text()
    assert "class='banner'" in html and "Not reference quality" in html and "embedded digits" in html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert captions and all("Look for:" in c and "images seen (schedule: " in c for c in captions)
    assert not any("file number" in c for c in captions)
    assert "<table class='settings'>" in html and '{"' not in html  # a table, not raw JSON
    assert summaries["faces"]["settings"]["data"] == "generated faces"
    assert all(s["settings"]["data"] == "the embedded digits" for k, s in summaries.items() if k != "faces")
    assert summaries["faces"]["settings"]["training images"] + summaries["faces"]["settings"]["test images"] == 512
    lessons = {x["check"] for s in summaries.values() for x in s["lessons"]}
    assert lessons == {"prior_read", "prior_read_ae", "class_read", "own_input", "recon_spread", "codes_in_range",
                       "ae_over_pca", "ae_fall", "faces_own_input", "faces_spread"}
    assert "<table class='lessons'>" in html

def test_numbers_behind_the_figures(gallery):
    _, _, summaries = gallery
    numbers = {key: s["numbers"] for key, s in summaries.items()}
    for key in ("vae-vae", "cvae", "conv_vae", "faces"):
        iwae = [numbers[key]["iwae"][k] for k in ("1", "10", "100")]
        assert iwae[0] <= iwae[1] <= iwae[2], (key, iwae)  # the bound tightens with k
        assert numbers[key]["kl"] > 0 and numbers[key]["reconstruction"] > 0
    assert set(numbers["cvae"]["recognition"]) == {str(d) for d in range(10)}
    assert [row["k"] for row in numbers["pca_ae"]["mse_table"]] == [2, 4, 8, 16]


def test_resumable_and_deterministic(gallery, tmp_path):
    _, out, _ = gallery
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    build(out, epochs=1)  # everything is reused
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == before
    first, again = tmp_path / "first", tmp_path / "again"
    for folder in (first, again):
        build(folder, epochs=1, keys=["vae-vae"])
    assert digests(again) == digests(first) and digests(first)
