"""course.registry: every assignment's entry is complete, and every point total written anywhere
(READMEs, the handout, the contract, graded module docstrings, stub docstrings) equals the sum of
the ``@item`` markers, the only source of points."""
import re

import pytest

from autograder.calibration import SMOKE
from autograder.rubric import declared_items
from course import registry
from tests.variants import ROOT, SOLUTIONS, STUBS

GRADED = ROOT / "autograder" / "graded"
NAMES = registry.names()


def marker_points(name: str, prefix: str = "") -> float:
    """Points of the graded folder's items whose id starts with ``prefix`` (every item when empty)."""
    return sum(points for path in sorted((GRADED / name).glob("test_*.py"))
               for item_id, points, _ in declared_items(path) if item_id.startswith(prefix))


@pytest.mark.parametrize("name", NAMES)
def test_entry_has_every_piece(name):
    spec = registry.get(name)
    missing = [what for what, ok in [
        (f"assignment/{spec.file} (the stub)", (STUBS / spec.file).is_file()),
        (f"solutions/{spec.file} (the reference)", (SOLUTIONS / spec.file).is_file()),
        (f"autograder/graded/{name}/test_*.py (the items)", any((GRADED / name).glob("test_*.py"))),
        (f"autograder/graded/{name}/__init__.py", (GRADED / name / "__init__.py").is_file()),
        (f"a '## {spec.file}' section in docs/contract.md",
         f"## {spec.file} (" in (ROOT / "docs" / "contract.md").read_text()),
        ("a summary line", bool(spec.summary)),
        ("manual parts (or an explicit empty tuple)", isinstance(spec.manual, tuple)),
        ("a results folder name", spec.folder is not None),
        ("a training run: build + loss, or a run of its own",
         spec.run is not None or (spec.build is not None and spec.loss is not None)),
        ("the grader's smoke loss and settings (autograder.calibration.SMOKE), or neither",
         (spec.grader_loss is None) == (name not in SMOKE)),
        ("smoke settings with epochs, batch_size, lr and seed",
         name not in SMOKE or {"epochs", "batch_size", "lr", "seed"} <= set(SMOKE[name])),
        ("a quick schedule for the gallery", "epochs" in spec.quick),
    ] if not ok]
    assert not missing, f"registry entry {name!r} lacks: " + "; ".join(missing)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="choose one of vae, cvae"):
        registry.get("gan")


@pytest.mark.parametrize("name", NAMES)
def test_entry_points_are_the_markers(name):
    assert registry.get(name).points == marker_points(name), (
        f"course.registry says {name}.py is worth {registry.get(name).points}; its @item markers add up to "
        f"{marker_points(name)}: change the entry or the markers")


def totals_in_tables(text: str) -> dict:
    """{name: (points, bonus)} of table rows like ``| `vae.py` | ... | 100 |`` or ``| 20 (bonus) |``."""
    rows = re.findall(r"^\| `(\w+)\.py` \|.*\| (\d+)( \(bonus\))? \|$", text, re.M)
    return {name: (int(points), bool(bonus)) for name, points, bonus in rows}


@pytest.mark.parametrize("doc", ["README.md", "assignment/README.md"])
def test_readme_tables(doc):
    expected = {s.name: (s.points, s.bonus) for s in registry.ASSIGNMENTS}
    assert totals_in_tables((ROOT / doc).read_text()) == expected


def test_handout_and_contract_headings():
    handout = (ROOT / "assignment" / "README.md").read_text()
    parts = {n: (int(p), bool(b)) for b, n, p in
             re.findall(r"^## Part \d+( \(bonus\))?: `(\w+)\.py` \((\d+) points\)", handout, re.M)}
    contract = (ROOT / "docs" / "contract.md").read_text()
    sections = {n: (int(p), bool(b)) for n, b, p in
                re.findall(r"^## (\w+)\.py \((bonus, )?(\d+) points\)", contract, re.M)}
    expected = {s.name: (s.points, s.bonus) for s in registry.ASSIGNMENTS}
    assert parts == expected
    assert sections == expected


def handout_subtotals() -> list[tuple[str, str, int]]:
    """(assignment, item-id prefix, points) of every "### Task A: ... (30 points" and "**A.1 ... (20 points"."""
    found, current = [], None
    for line in (ROOT / "assignment" / "README.md").read_text().splitlines():
        part = re.match(r"^## Part \d+.*`(\w+)\.py`", line)
        current = part.group(1) if part else current
        task = re.match(r"^### Task ([A-Z]+):.*\((\d+) points", line)
        sub = re.match(r"^\*\*([A-Z]+\.\d+) .*?\((\d+) points", line)
        if task:
            found.append((current, task.group(1) + ".", int(task.group(2))))
        elif sub:
            found.append((current, sub.group(1), int(sub.group(2))))
    return found


def test_handout_subtotals():
    found = handout_subtotals()
    assert len(found) >= 7  # Tasks A-C and A.1, A.2, B.1, B.2 of vae.py
    wrong = [(name, prefix, points, marker_points(name, prefix)) for name, prefix, points in found
             if marker_points(name, prefix) != points]
    assert not wrong, "handout sub-totals that differ from the markers (name, prefix, says, markers): " + repr(wrong)


@pytest.mark.parametrize("path", sorted(GRADED.glob("*/test_*.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_graded_docstring_totals(path):
    """A graded module's docstring that opens with "PART (N points)" states the markers' sum for that part
    (its items may live in more than one file: hidden ones have a file of their own)."""
    stated = re.match(r'"""([A-Z]+(?:\.\d+)?) \((\d+) points\)', path.read_text())
    if stated:
        part, points = stated.group(1), int(stated.group(2))
        prefix = part if "." in part else part + "."
        assert points == marker_points(path.parent.name, prefix), (
            f"{path.name}: docstring says {part} is {points} points, markers {marker_points(path.parent.name, prefix)}")


def test_graded_docstrings_state_totals():
    stated = [p for p in GRADED.glob("*/test_*.py") if re.match(r'"""[A-Z.\d]+ \(\d+ points\)', p.read_text())]
    assert len(stated) >= 19  # the check above must not pass by matching nothing


@pytest.mark.parametrize("folder", [STUBS, SOLUTIONS], ids=["stubs", "solutions"])
def test_file_docstring_totals(folder):
    for spec in registry.ASSIGNMENTS:
        stated = re.search(r"\((\d+) points\)", (folder / spec.file).read_text().split('"""')[1])
        if stated:
            assert int(stated.group(1)) == spec.points, f"{spec.file}: docstring says {stated.group(1)} points"


def test_course_imports_nothing_from_the_grader():
    """The layers run one way: the grader imports the course, never the reverse, so the course (training, data,
    figures) ships and runs without the grader."""
    import ast

    offenders = []
    for path in sorted((ROOT / "course").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n == "autograder" or n.startswith("autograder.")]
    assert not offenders, offenders
