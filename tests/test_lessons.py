"""The reference figures teach their handouts' lessons on the embedded digits with the quick schedule,
each checked by its number (``course.lessons``; each bound's calibration sits beside it in ``BOUNDS``).

Every run on the embedded digits is trained on the quick schedule, in the build this module shares with
tests/test_gallery.py; the faces run's quick schedule alone takes a minute, so the suite checks only that it
trains on the faces it names, and ``python -m course figures --quick --check`` checks its lesson too.
"""
import pytest
import torch

from course import lessons
from tests.test_gallery import built

pytestmark = pytest.mark.xdist_group("gallery")  # the worker that made the shared build


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    return built(str(tmp_path_factory.getbasetemp()))[2]


def lesson(summaries, key, check):
    found = {x["check"]: lessons.judge(x) for x in summaries[key]["lessons"]}
    return found[check]


def assert_shown(x):
    assert x["shown"], (f"{x['figure']}: {x['measure']} = {x['value']:.4g}, needs "
                        f"{'>=' if x['above'] else '<='} {x['bound']:g}; look for {x['look_for']}")


def test_autoencoder_beats_pca_at_small_sizes_and_falls_with_size(summaries):
    table = {int(r["k"]): (r["pca_mse"], r["ae_mse"]) for r in summaries["pca_ae"]["numbers"]["mse_table"]}
    for k in (2, 4):
        assert table[k][1] < table[k][0], (k, table[k])
    ae = [table[k][1] for k in sorted(table)]
    assert ae == sorted(ae, reverse=True), table  # falling with size
    for check in ("ae_over_pca", "ae_fall"):
        assert_shown(lesson(summaries, "pca_ae", check))


def test_conv_reconstructions_follow_their_own_inputs(summaries):
    for check in ("own_input", "recon_spread"):
        assert_shown(lesson(summaries, "conv_vae", check))


def test_traversals_cover_where_the_codes_lie(summaries):
    assert_shown(lesson(summaries, "conv_vae", "codes_in_range"))


def test_vae_prior_samples_read_as_digits_and_the_plain_aes_worse(summaries):
    vae, ae = lesson(summaries, "vae-vae", "prior_read"), lesson(summaries, "vae-ae", "prior_read_ae")
    assert_shown(vae)
    assert_shown(ae)
    assert ae["value"] < vae["value"]


def test_cvae_draws_read_as_their_label(summaries):
    assert_shown(lesson(summaries, "cvae", "class_read"))


def test_faces_run_trained_on_the_faces_it_names(summaries):
    settings = summaries["faces"]["settings"]
    assert settings["data"] == "generated faces" and settings["training images"] + settings["test images"] == 512
    assert {x["check"] for x in summaries["faces"]["lessons"]} == {"faces_own_input", "faces_spread"}


def test_the_measures_on_known_inputs():
    x = torch.rand(20, 784)
    assert lessons.own_input_rate(x, x) == 1.0 and lessons.spread_ratio(x, x) == pytest.approx(1.0)
    blob = x.mean(0, keepdim=True).expand(20, 784) + 1e-3 * torch.rand(20, 784)
    assert lessons.spread_ratio(x, blob) < 0.01
    from course.data import load_images

    digits, _ = load_images("digits", train=False)
    assert lessons.digits_covered(digits) > 0.9  # real digits: nearly all read, every digit
    assert lessons.digits_covered(digits[:1].expand(100, -1, -1, -1)) <= 0.1  # one digit repeated
