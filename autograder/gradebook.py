"""The class's tables, rebuilt from every submission's results.json (see ``autograder.batch``).

``gradebook.csv``: one row per student (name, email, sid, submission, one points column per
assignment graded, note), for an LMS import; ``items.csv``: one row per submission and one
column per item id (``vae B.1a``, twins too), for course staff. A grading that failed leaves its
scores empty, never 0, and says why in ``note``.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.gradescope_export import METADATA, Student


def _num(x) -> str:
    return f"{float(x):g}"


def _one_line(text: str, cap: int = 300) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= cap else line[:cap - 3] + "..."


@dataclass
class Graded:
    """One submission's results, read back from results.json for the tables."""
    key: str
    students: list[Student]
    items: dict[tuple[str, str], float]   # (assignment, item id) -> points earned
    assignments: list[str]                # graded (scored items or a harness failure)
    failed: set[str]                      # assignments whose grading failed; "*" for the whole grading
    total: float | None
    note: str

    @classmethod
    def read(cls, key: str, students: list[Student], path: Path) -> Graded:
        from course import registry

        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(key, students, {}, [], {"*"}, None, "not graded: no readable results.json (run batch again)")
        items, failed, notes, graded = {}, set(), [], []
        for test in data.get("tests", []):
            tags = test.get("tags") or []
            if tags[:1] == ["harness"]:
                m = re.search(r"Autograder failed on (\w+)\.py$", test.get("name", ""))
                failed.add(m.group(1) if m else "*")
                graded += [m.group(1)] if m else []
                message = data.get("output", "") if not m else test.get("output", "")
                notes.append(_one_line((f"{m.group(1)}.py: " if m else "") + (message.splitlines() or [""])[0]))
            elif len(tags) >= 2 and tags[0] in registry.names() and "manual" not in tags and "score" in test:
                items[(tags[0], tags[1])] = float(test["score"])
                graded.append(tags[0])
        order = {name: n for n, name in enumerate(registry.names())}
        assignments = sorted(set(graded), key=lambda a: order.get(a, len(order)))
        total = None if failed else float(data.get("score", 0))
        return cls(key, students, items, assignments, failed, total, "; ".join(notes))

    def score(self, assignment: str) -> str:
        if "*" in self.failed or assignment in self.failed or assignment not in self.assignments:
            return ""
        return _num(sum(v for (a, _), v in self.items.items() if a == assignment))


def _item_columns(rows: list[Graded]) -> list[tuple[str, str]]:
    """(assignment, item id) of every item any submission has, in the rubric's order."""
    from autograder.api import GRADED
    from autograder.rubric import item_ids
    from course import registry

    seen = {key for row in rows for key in row.items}
    columns = []
    for name in registry.names():
        folder = GRADED / name
        known = item_ids(folder) if folder.is_dir() else []
        columns += [(name, i) for i in known if (name, i) in seen]
        columns += sorted(k for k in seen if k[0] == name and k[1] not in known)
    return columns


def write_tables(gradebook: Path, items: Path, rows: list[Graded], missing: dict[str, list[Student]]) -> None:
    """Both CSVs from ``rows``; ``missing`` are metadata entries whose folder is not in DIR."""
    from course import registry

    order = {name: n for n, name in enumerate(registry.names())}
    assignments = sorted({a for row in rows for a in row.assignments}, key=lambda a: order.get(a, len(order)))
    book = []
    for row in rows:
        for s in row.students or [Student(row.key)]:
            book.append([s.name, s.email, s.sid, row.key, *[row.score(a) for a in assignments], row.note])
    for key, students in missing.items():
        for s in students:
            book.append([s.name, s.email, s.sid, key, *[""] * len(assignments),
                         f"listed in {METADATA} but {key} is not in the folder graded"])
    book.sort(key=lambda r: (r[0].casefold(), r[1], r[2], r[3]))
    with open(gradebook, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "email", "sid", "submission", *assignments, "note"])
        writer.writerows(book)

    columns = _item_columns(rows)
    with open(items, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", "students", "total", *[f"{a} {i}" for a, i in columns], "note"])
        for row in rows:
            cells = ["" if row.score(a) == "" or (a, i) not in row.items else _num(row.items[(a, i)])
                     for a, i in columns]
            writer.writerow([row.key, "; ".join(s.label() for s in row.students),
                             "" if row.total is None else _num(row.total), *cells, row.note])
