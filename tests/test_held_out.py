"""Held-out twins: a memorising submission loses every twin and, with them, the public items; the reference
passes the twins on another seed; a twin's failure shows no input, and no visible item depends on the
held-out seed. (Each bundle's own seed:
tests/test_distribute.py; the seed unreadable from the worker: tests/hostile/read_held_out_seed.py.)"""
import pytest

from autograder.api import grade
from autograder.api import GRADED
from autograder.hidden import is_twin, public_of
from autograder.rubric import declared_items
from course import registry
from tests import memoriser
from tests.variants import SOLUTIONS

TWINNED = [name for name in registry.names()
           if any(is_twin(i) for p in (GRADED / name).glob("test_*.py") for i, _, _ in declared_items(p))]


def test_every_assignment_has_twins():
    assert TWINNED == list(registry.names())


@pytest.mark.parametrize("assignment", TWINNED)
def test_memoriser_earns_public_items_and_loses_every_twin(assignment, tmp_path, monkeypatch):
    public = memoriser.public_inputs(assignment, tmp_path, monkeypatch)
    folder = memoriser.write(assignment, public, tmp_path / "memoriser")
    report = grade(folder, [assignment], keyword="published or twin")
    twins = [i for i in report.items if is_twin(i.item_id)]
    publics = [i for i in report.items if not is_twin(i.item_id)]
    assert twins and {public_of(t.item_id) for t in twins} == {p.item_id for p in publics}
    assert [t.item_id for t in twins if t.earned > 0] == []
    # right on every printed input, wrong on held-out ones: the public items' points are withdrawn too
    assert [p.item_id for p in publics if p.earned > 0] == []
    assert all("fails on held-out ones" in p.message for p in publics), [p.message for p in publics]
    for twin in twins:  # the twin's message names the item, never the inputs or numbers
        assert "held-out inputs" in twin.message and "Reproduce" not in twin.message, twin.message


@pytest.mark.parametrize("assignment", TWINNED)
def test_reference_passes_the_twins_of_another_seed(assignment, monkeypatch):
    """No false failure on a bundle's seed: the reference earns every twin on a seed other than the
    checkout's (the checkout's own is covered by the catalogue's reference run)."""
    monkeypatch.setenv("AUTOGRADER_HELD_OUT_SEED", "20261126")
    report = grade(SOLUTIONS, [assignment], keyword="twin")
    assert report.items and all(is_twin(i.item_id) for i in report.items)
    assert [(i.item_id, i.message) for i in report.items if not i.passed] == []


def test_twin_ids_select_and_the_seed_is_checked(monkeypatch):
    """-k B.1c.h runs the twin alone; a seed that is not an integer is refused with its source named."""
    report = grade(SOLUTIONS, ["vae"], keyword="B.1c.h")
    assert [i.item_id for i in report.items] == ["B.1c.h"] and report.score == 1
    monkeypatch.setenv("AUTOGRADER_HELD_OUT_SEED", "abc")
    with pytest.raises(ValueError, match="AUTOGRADER_HELD_OUT_SEED"):
        grade(SOLUTIONS, ["vae"], keyword="B.1c")


RECORDER = """
import torch

SEEN = []


def reconstruction_loss(recon_x, x):
    SEEN.append((tuple(x.shape), round(float(x.double().sum()), 6)))  # every input it was ever given
    return torch.tensor(0.0)


def kl_divergence(mu, logvar):
    SEEN.append((tuple(mu.shape), round(float(mu.double().sum()), 6)))
    print("SEEN", SEEN)
    raise ValueError(f"everything seen so far: {SEEN}")
"""


def test_no_visible_item_depends_on_the_held_out_seed(tmp_path, monkeypatch):
    """A file that records every input it is given and shows them in its exceptions and prints: the
    visible items' messages and the report's output are the same whatever the held-out seed is, so no
    held-out input reaches what a student sees (held-out work runs last, its messages are redacted)."""
    (tmp_path / "vae.py").write_text(RECORDER)
    seen = []
    for seed in ("11", "22"):
        monkeypatch.setenv("AUTOGRADER_HELD_OUT_SEED", seed)
        report = grade(tmp_path, ["vae"], keyword="B.1")
        assert any(is_twin(i.item_id) for i in report.items)
        seen.append({i.item_id: i.message for i in report.items if i.visibility == "visible"})
    assert seen[0] == seen[1]
    assert any("everything seen so far" in m for m in seen[0].values())
