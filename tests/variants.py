"""Build submission variants from the reference files and grade them.

A variant is the reference file with exact text replacements, e.g. a bug:

    Variant("kl_sign", "vae", [("-0.5 * torch.sum", "0.5 * torch.sum")], lose={"B.1c"})

``source`` fails loudly when a replacement's old text is not in the file, so a
catalogue entry (``tests/catalogues/``) can never silently test the unmodified reference.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "assignment"


@dataclass
class Variant:
    name: str
    assignment: str
    edits: list[tuple[str, str]]
    lose: set[str] = field(default_factory=set)   # items that must lose points (empty: full marks)
    keep: set[str] = field(default_factory=set)   # items that must keep their points: other functions' items
    says: str = ""                                 # a text some lost item's message must hold (the observed slip)
    may: set[str] = field(default_factory=set)    # items it may also cost: other items of the same function, or
                                                   # items that say they depend on it; no other item may lose points

    def source(self) -> str:
        text = (SOLUTIONS / f"{self.assignment}.py").read_text()
        for old, new in self.edits:
            count = text.count(old)
            if count != 1:
                raise AssertionError(f"variant {self.name}: {old!r} occurs {count} times in the reference")
            text = text.replace(old, new)
        return text

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.assignment}.py").write_text(self.source())
        return folder


@dataclass
class PartlyWritten:
    """The stub with only some parts written: each of ``fills`` replaces a stub's ``raise`` line (which must
    occur once) by its body; graded with ``keyword``, exactly ``items`` are graded and they earn ``score``."""
    name: str
    assignment: str
    fills: list[tuple[str, str]]
    keyword: str
    items: set[str]
    score: float

    def write(self, folder: Path) -> Path:
        text = (STUBS / f"{self.assignment}.py").read_text()
        for stub, body in self.fills:
            assert text.count(stub) == 1
            text = text.replace(stub, body)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.assignment}.py").write_text(text)
        return folder


def grader_files() -> dict[str, str]:
    """sha256 and modification time (ns) of every file of the trusted tree (bytecode caches: those that exist
    now, compared by name)."""
    out = {}
    for top in ("autograder", "course", "solutions", "assignment"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and not path.name.startswith("canary_") and \
                    (path.parent.name != "__pycache__" or path.parent.parent == ROOT / "autograder"):
                out[str(path.relative_to(ROOT))] = \
                    f"{hashlib.sha256(path.read_bytes()).hexdigest()} {path.stat().st_mtime_ns}"
    return out


def grade_one(folder: Path, assignment: str, label: str, **options):
    """``api.grade`` of ``assignment`` in ``folder``. With the environment variable ``CATALOGUE_SCORES`` set
    to a file, appends {"assignment", "variant": label, "items": {id: earned}} to it as one JSON line, so two
    versions of the grader can be compared item by item on the whole catalogue."""
    from autograder.api import grade

    report = grade(folder, [assignment], **options)
    if os.environ.get("CATALOGUE_SCORES"):
        with open(os.environ["CATALOGUE_SCORES"], "a") as fh:
            items = {i.item_id: i.earned for i in report.of(assignment)}
            fh.write(json.dumps({"assignment": assignment, "variant": label, "items": items}) + "\n")
    return report


def lost_items(report, assignment: str) -> set[str]:
    """Ids of the items that lost points; a twin counts as its public item ("B.1a.h" as "B.1a")."""
    from autograder.hidden import public_of

    return {public_of(i.item_id) for i in report.of(assignment) if not i.passed}


def messages(report, assignment: str) -> str:
    return "\n".join(f"{i.item_id}: {i.message}" for i in report.of(assignment) if not i.passed)


def assert_stubs_score_zero(assignment: str) -> None:
    """The untouched stub scores 0 on every item, each saying "not implemented", with no harness item."""
    report = grade_one(STUBS, assignment, "stub")
    assert report.score == 0
    assert all(i.assignment == assignment for i in report.items)
    assert all("not implemented" in i.message for i in report.items), messages(report, assignment)


def assert_bug_caught(variant: Variant, folder: Path):
    """The bug loses at least its intended items and no item outside ``lose | may`` (the blame check: a slip
    costs the points of the function it is in), every lost point says why, and the grader itself does not
    fail; returns the report for further checks. Every item is graded."""
    report = grade_one(variant.write(folder), variant.assignment, variant.name)
    lost = lost_items(report, variant.assignment)
    assert variant.lose <= lost, (f"{variant.name} kept {variant.lose - lost}; lost {sorted(lost)}\n"
                                  + messages(report, variant.assignment))
    spread = lost - variant.lose - variant.may
    assert not spread, (f"{variant.name} lost {sorted(spread)}, items outside the function it is in (lose "
                        f"{sorted(variant.lose)}, may {sorted(variant.may)})\n" + messages(report, variant.assignment))
    assert not variant.keep & variant.may, f"{variant.name}: an item both kept and allowed to lose"
    assert all(i.message for i in report.of(variant.assignment) if not i.passed)
    assert not report.of("harness"), messages(report, "harness")
    from tests.solution_lines import leaked

    if variant.says:
        assert any(variant.says in i.message for i in report.of(variant.assignment) if not i.passed), \
            f"{variant.name}: no message says {variant.says!r}\n" + messages(report, variant.assignment)
    hints = leaked(messages(report, variant.assignment))
    assert not hints, f"{variant.name}'s messages hand over solution lines {hints}\n" + messages(report, variant.assignment)
    return report


def assert_full_marks(variant: Variant, folder: Path, points: float = 100) -> None:
    """A differently written correct version keeps every point."""
    report = grade_one(variant.write(folder), variant.assignment, variant.name)
    assert report.score == points, messages(report, variant.assignment)


START = re.compile(r"^(\s*)# >>> START OF YOUR CODE \((?P<id>[^)]+)\)\s*$")
END = re.compile(r"^\s*# <<< END OF YOUR CODE \((?P<id>[^)]+)\)\s*$")


def split_blocks(text: str):
    """(outside lines, [(block id, inside lines)]) of a student file."""
    outside, blocks, current = [], [], None
    for line in text.splitlines():
        if current is None:
            outside.append(line)
            m = START.match(line)
            if m:
                current = (m["id"], [])
        else:
            m = END.match(line)
            if m:
                assert m["id"] == current[0], f"block {current[0]} closed as {m['id']}"
                blocks.append(current)
                outside.append(line)
                current = None
            else:
                current[1].append(line)
    assert current is None, f"block {current[0]} is never closed"
    return outside, blocks


def part_key(part: str) -> tuple[str, int]:
    """Handout order of a part id: "A.1" < "B.1" < "B.2", "CONV.2" < "CONV.10"."""
    prefix, number = part.split(".")
    return prefix, int(number)


def filled_through(assignment: str, parts: set[str]) -> str:
    """The stub of ``assignment`` with the TODO blocks of ``parts`` (e.g. {"A.1"}) filled in from the reference,
    and every other block left as the stub has it (a student part-way through). Outside the blocks stub and
    reference agree (``tests/test_stubs.py``)."""
    outside, stub_blocks = split_blocks((STUBS / f"{assignment}.py").read_text())
    _, ref_blocks = split_blocks((SOLUTIONS / f"{assignment}.py").read_text())
    chosen = iter(ref if part in parts else stub for (part, stub), (_, ref) in zip(stub_blocks, ref_blocks))
    lines = []
    for line in outside:
        lines.append(line)
        if START.match(line):
            lines += next(chosen)
    return "\n".join(lines) + "\n"


def handout_parts(assignment: str) -> list[str]:
    """The TODO parts of ``assignment`` in the handout's order (``part_key``)."""
    return sorted({part for part, _ in split_blocks((STUBS / f"{assignment}.py").read_text())[1]}, key=part_key)
