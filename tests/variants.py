"""Build submission variants from the reference files and grade them.

A variant is the reference file with exact text replacements, e.g. a bug:

    Variant("kl_sign", "vae", [("-0.5 * torch.sum", "0.5 * torch.sum")], lose={"B.1c"})

``apply`` fails loudly when a replacement's old text is not in the file, so a
catalogue entry can never silently test the unmodified reference.
"""
from __future__ import annotations

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


def lost_items(report, assignment: str) -> set[str]:
    return {i.item_id for i in report.of(assignment) if not i.passed}


def messages(report, assignment: str) -> str:
    return "\n".join(f"{i.item_id}: {i.message}" for i in report.of(assignment) if not i.passed)
