"""The grader on every assignment's catalogue (``tests/catalogues/``): the reference earns full
marks, the stub 0, every catalogued bug loses its intended items, every differently written
correct version keeps full marks, every unfinished part loses only its own items."""
import pytest

from tests import catalogues
from tests.variants import (SOLUTIONS, assert_bug_caught, assert_full_marks, assert_stubs_score_zero, grade_one,
                            lost_items, messages)

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
def test_reference_full_marks(name):
    catalogue = CATALOGUES[name]
    report = grade_one(SOLUTIONS, name, "reference")
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
