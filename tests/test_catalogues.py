"""The grader on every assignment's catalogue (``tests/catalogues/``): the reference earns full
marks, the stub 0, every catalogued bug loses its intended items, every differently written
correct version keeps full marks, every unfinished part loses only its own items."""
import re

import pytest

from tests import catalogues
from tests.strict import write_strict
from tests.variants import (assert_bug_caught, assert_full_marks, assert_stubs_score_zero, filled_through, grade_one,
                            handout_parts, lost_items, messages)

CATALOGUES = {name: catalogues.load(name) for name in catalogues.NAMES}


def cases(field: str) -> list:
    """Every catalogue's entries of ``field``, each with the id ``<assignment>-<name>``."""
    out = []
    for catalogue in CATALOGUES.values():
        for entry in getattr(catalogue, field):
            case = entry if isinstance(entry, tuple) else (entry,)
            out.append(pytest.param(*case, id=f"{catalogue.name}-{case[0].name}"))
    return out


@pytest.mark.parametrize("name", CATALOGUES)
def test_reference_full_marks(name, tmp_path):
    """The strict reference (the reference with the contract's entry checks, ``tests/strict.py``) earns every
    point: no item feeds a submission an input the contract does not allow."""
    catalogue = CATALOGUES[name]
    report = grade_one(write_strict(tmp_path, name), name, "reference")
    assert report.score == catalogue.full_marks, messages(report, name)
    items = report.of(name)
    if catalogue.visible_items:
        assert [i.item_id for i in report.items if i.visibility == "visible"]
    if catalogue.item_count is not None:
        assert len(items) == catalogue.item_count
    if catalogue.item_points is not None:
        low, high = catalogue.item_points
        assert sum(i.points for i in items) == catalogue.full_marks
        assert all(low <= i.points <= high for i in items)


@pytest.mark.parametrize("name", CATALOGUES)
def test_stubs_score_zero_without_harness_error(name):
    assert_stubs_score_zero(name)


@pytest.mark.parametrize("variant", cases("bugs"))
def test_bug_loses_intended_item(variant, tmp_path):
    report = assert_bug_caught(variant, tmp_path)
    name = variant.assignment
    for text in CATALOGUES[name].never_in_bug_messages:
        assert not any(text in i.message for i in report.of(name)), messages(report, name)


@pytest.mark.parametrize("variant", cases("correct"))
def test_correct_variant_full_marks(variant, tmp_path):
    assert_full_marks(variant, tmp_path, CATALOGUES[variant.assignment].full_marks)


@pytest.mark.parametrize("variant, missing", cases("partial"))
def test_unfinished_part_loses_only_its_items(variant, missing, tmp_path):
    name = variant.assignment
    report = grade_one(variant.write(tmp_path), name, variant.name)
    assert lost_items(report, name) == missing, messages(report, name)
    assert all("not implemented" in i.message for i in report.of(name) if not i.passed), messages(report, name)


@pytest.mark.parametrize("case", cases("partly_written"))
def test_written_parts_graded_while_the_rest_is_a_stub(case, tmp_path):
    report = grade_one(case.write(tmp_path), case.assignment, case.name, keyword=case.keyword)
    assert {i.item_id for i in report.of(case.assignment)} == case.items
    assert report.score == case.score, messages(report, case.assignment)


@pytest.mark.parametrize("name", CATALOGUES)
def test_catalogue_size(name):
    catalogue = CATALOGUES[name]
    assert len(catalogue.bugs) >= catalogue.min_bugs and len(catalogue.correct) >= catalogue.min_correct


def _part(item_id: str) -> str:
    """The handout part an item belongs to: "A.1e" -> "A.1", "CVAE.2f.h" -> "CVAE.2"."""
    return re.match(r"[A-Z]+\.\d+", item_id).group(0)


@pytest.mark.parametrize("name", CATALOGUES)
def test_filling_in_handout_order_never_fails_a_finished_part(name, tmp_path):
    """A student who fills the stub part by part, in the handout's order, sees every item of each finished part
    pass: no item of a part waits on a later part's TODO. (Only the finished parts' items are graded.)"""
    parts = handout_parts(name)
    for i in range(1, len(parts)):  # with every part filled it is the reference (test_reference_full_marks)
        done = set(parts[:i])
        folder = tmp_path / f"through-{parts[i - 1]}"
        folder.mkdir()
        (folder / f"{name}.py").write_text(filled_through(name, done))
        report = grade_one(folder, name, f"through {parts[i - 1]}", keyword=" ".join(sorted(done)))
        failed = [it for it in report.of(name) if _part(it.item_id) in done and not it.passed]
        assert report.of(name) and not failed, f"filled through {parts[i - 1]}:\n" + messages(report, name)
