"""Held-out twins: a memorising submission earns the public items and loses every twin; the reference
passes the twins whatever the seed; a twin's failure shows no input; each bundle has its own seed."""
import zipfile

import pytest

from autograder.api import grade
from autograder.distribute import gradescope, release
from autograder.hidden import SEED_FILE, is_twin, public_of
from autograder.rubric import declared_items
from autograder.api import GRADED
from course import registry
from tests import memoriser
from tests.variants import SOLUTIONS

TWINNED = [name for name in registry.names()
           if any(is_twin(i) for p in (GRADED / name).glob("test_*.py") for i, _, _ in declared_items(p))]


def test_every_assignment_has_twins():
    assert TWINNED == registry.names()


@pytest.mark.parametrize("assignment", TWINNED)
def test_memoriser_earns_public_items_and_loses_every_twin(assignment, tmp_path, monkeypatch):
    public = memoriser.public_inputs(assignment, tmp_path, monkeypatch)
    folder = memoriser.write(assignment, public, tmp_path / "memoriser")
    report = grade(folder, [assignment], keyword="published or twin")
    twins = [i for i in report.items if is_twin(i.item_id)]
    publics = [i for i in report.items if not is_twin(i.item_id)]
    assert twins and {public_of(t.item_id) for t in twins} == {p.item_id for p in publics}
    assert [(p.item_id, p.message) for p in publics if not p.passed] == []
    assert [t.item_id for t in twins if t.earned > 0] == []
    for twin in twins:  # the twin's message names the item, never the inputs or numbers
        assert "held-out inputs" in twin.message and "Reproduce" not in twin.message, twin.message
