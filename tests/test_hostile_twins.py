"""Trusted helpers that run in the worker can be patched by the submission; a patch must not pay.

Each case is an honest bug from the vae.py catalogue and its hostile twin: the same file with an
attack from tests/hostile_twins/ appended (patched probes, a swapped smoke loss, a replaced trainer).
The twin scores no more than the honest bug, and the trusted tree is unchanged.
"""
from pathlib import Path

import pytest

from autograder.api import grade
from tests.catalogues.vae import BUGS
from tests.variants import grader_files, lost_items

TWINS = Path(__file__).resolve().parent / "hostile_twins"
CASES = {  # attack -> the honest bug it tries to hide
    "patched_probes": "hidden_width_256",
    "patched_smoke_loss": "decode_mu",
    "patched_trainer": "sigmoid_heads",
}


@pytest.mark.parametrize("attack", sorted(CASES))
def test_patched_helper_earns_nothing(attack, tmp_path):
    bug = next(b for b in BUGS if b.name == CASES[attack])
    honest = grade(bug.write(tmp_path / "honest"), ["vae"])
    before = grader_files()
    twin_dir = tmp_path / "twin"
    twin_dir.mkdir()
    (twin_dir / "vae.py").write_text(bug.source() + (TWINS / f"{attack}.py").read_text())
    twin = grade(twin_dir, ["vae"])
    assert grader_files() == before, "the trusted tree changed"
    assert not twin.of("harness"), [i.message for i in twin.of("harness")]
    assert twin.score <= honest.score, (f"{attack}: {twin.score} > honest {honest.score}; items won back: "
                                        f"{sorted(lost_items(honest, 'vae') - lost_items(twin, 'vae'))}")
    assert bug.lose <= lost_items(twin, "vae")
