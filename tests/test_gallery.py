"""The figures command: every reference model, its numbers, an offline gallery; resumable and deterministic."""
import hashlib
import json
import re

import pytest

from course.gallery import MODELS, build

pytestmark = pytest.mark.xdist_group("gallery")  # one worker builds the module's gallery once


def digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.png"))}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return build(out, epochs=1, ks=[2, 3]), out


def test_every_model_and_figure_is_in_the_page(gallery):
    page, out = gallery
    html = page.read_text()
    summaries = [json.loads(p.read_text()) for p in out.glob("*/summary.json")]
    assert sorted(s["key"] for s in summaries) == sorted(key for key, _, _ in MODELS)
    sources = re.findall(r"<img src='([^']+)'", html)
    assert len(sources) >= 20 and all((out / src).is_file() for src in sources)
    for name in ("manifold.png", "manifold_digits.png", "samples_by_class.png", "latent_hist2d.png",
                 "traversal_7x7.png", "mse_vs_latent_size.png", "pca_scatter.png"):
        assert any(src.endswith(name) for src in sources), name


def test_numbers_behind_the_figures(gallery):
    _, out = gallery
    numbers = {s["key"]: s["numbers"] for s in (json.loads(p.read_text()) for p in out.glob("*/summary.json"))}
    for key in ("vae-vae", "cvae", "conv_vae", "faces"):
        iwae = [numbers[key]["iwae"][k] for k in ("1", "10", "100")]
        assert iwae[0] <= iwae[1] <= iwae[2], (key, iwae)  # the bound tightens with k
        assert numbers[key]["kl"] > 0 and numbers[key]["reconstruction"] > 0
    assert set(numbers["cvae"]["recognition"]) == {str(d) for d in range(10)}
    assert [row["k"] for row in numbers["pca_ae"]["mse_table"]] == [2, 3]


def test_resumable_and_deterministic(gallery, tmp_path):
    page, out = gallery
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    build(out, epochs=1, ks=[2, 3])  # everything is reused
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == before
    again = tmp_path / "again"
    build(again, epochs=1, ks=[2, 3])
    assert digests(again) == digests(out)
