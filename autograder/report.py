"""Scores and their presentation: the Report dataclass, the text report and
Gradescope's results.json. Pure functions of the results; no grading here.

An autograder failure has one shape everywhere: ``harness_failure`` is the item
(a suite or a graded module that could not run), ``failed_results`` the whole
results.json of a grading that could not run at all."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from course import registry


@dataclass
class ItemResult:
    assignment: str
    item_id: str
    title: str
    points: float
    earned: float
    message: str = ""
    visibility: str = "visible"
    seconds: float = 0.0

    harness_error: bool = False

    @property
    def passed(self) -> bool:
        return self.earned >= self.points and not self.harness_error


@dataclass
class Report:
    items: list[ItemResult] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    public_only: bool = False
    output: str = ""           # what the submission printed (capped)
    seconds: float = 0.0
    isolation: str = ""        # the walls the worker had, e.g. "kernel: namespaces + landlock + seccomp"
    notes: list[str] = field(default_factory=list)  # about the files handed in: notebooks converted, .py over .ipynb
    flags: list[str] = field(default_factory=list)  # for course staff: the code tried to use the grader's own code

    @property
    def score(self) -> float:
        return sum(i.earned for i in self.items)

    @property
    def possible(self) -> float:
        return sum(i.points for i in self.items if not _is_bonus(i.assignment))

    def of(self, assignment: str) -> list[ItemResult]:
        return [i for i in self.items if i.assignment == assignment]


FLAGGED = "Flagged for course staff (refused, no point earned): "


def harness_failure(title: str, message: str) -> ItemResult:
    """The item saying the autograder itself failed (``title``, e.g. "Autograder failed on vae.py")."""
    return ItemResult(assignment="harness", item_id="ERR", title=title, points=0.0, earned=0.0,
                      message=message, harness_error=True)


def _is_bonus(assignment: str) -> bool:
    return assignment in registry.names() and registry.get(assignment).bonus


def _manual(assignment: str) -> tuple:
    return registry.get(assignment).manual if assignment in registry.names() else ()


def _fmt(x: float) -> str:
    return f"{x:g}"


def render_text(report: Report, width: int = 92) -> str:
    lines = [f"Isolation: {report.isolation}", ""] if report.isolation else []
    if report.notes:
        lines += [wrapped for note in report.notes
                  for wrapped in textwrap.wrap("Note: " + note, width, subsequent_indent="      ")] + [""]
    for it in report.of("harness"):
        lines += [f"AUTOGRADER FAILED: {it.title}", textwrap.indent(it.message, "  "), ""]
    if report.flags:
        lines += textwrap.wrap(FLAGGED + "; ".join(report.flags), width, subsequent_indent="      ") + [""]
    column = max([6] + [len(i.item_id) for i in report.items])  # ids line up, the longest included
    indent = " " * (16 + column)
    for name in [a for a in registry.names() if a in report.assignments]:
        items = report.of(name)
        earned, possible = sum(i.earned for i in items), sum(i.points for i in items)
        bonus = " (bonus)" if _is_bonus(name) else ""
        lines.append(f"{name}.py{bonus}".ljust(width - 12) + f"{_fmt(earned):>5} / {_fmt(possible)}")
        for it in items:
            mark = "PASS" if it.passed else "FAIL"
            head = f"  {mark} [{_fmt(it.earned):>2}/{_fmt(it.points):>2}] {it.item_id:<{column}} {it.title}"
            lines += textwrap.wrap(head, width, subsequent_indent=indent)
            if it.message and not it.passed:
                for para in it.message.splitlines():
                    lines += textwrap.wrap(para, width, initial_indent=" " * 10, subsequent_indent=" " * 10) or [""]
        for item_id, title in _manual(name):
            lines += textwrap.wrap(f"  ---- [manual] {item_id:<{column}} {title}", width, subsequent_indent=indent)
        lines.append("")
    lines += _printed(report)
    scope = "public items" if report.public_only else "all items"
    bonus = [i for i in report.items if _is_bonus(i.assignment)]
    main_score = sum(i.earned for i in report.items if not _is_bonus(i.assignment))
    total = f"Total ({scope}): {_fmt(main_score)} / {_fmt(report.possible)}"
    if bonus:
        total += (f", bonus {_fmt(sum(i.earned for i in bonus))} / {_fmt(sum(i.points for i in bonus))}"
                  f" (score {_fmt(report.score)})")
    lines.append(total)
    shown = shown_now(report)
    if shown is not None:  # the same words and numbers as results.json's first line (to_gradescope)
        lines += textwrap.wrap(f"Score on the items shown now: {_fmt(shown[0])} / {_fmt(shown[1])}; the held-out "
                               "items (.h) count in the total above and appear on Gradescope when grades are "
                               "published.", width)
    return "\n".join(lines)


def shown_now(report: Report) -> tuple[float, float] | None:
    """(earned, possible) on the visible items outside the bonus, when some items are not visible (held-out
    twins, hidden items); None when every item is visible."""
    main = [i for i in report.items if not _is_bonus(i.assignment) and i.assignment != "harness"]
    shown = [i for i in main if i.visibility == "visible"]
    if len(shown) == len(main):
        return None
    return sum(i.earned for i in shown), sum(i.points for i in shown)


PRINTED_LINES = 20  # the last lines of what the submitted code printed that the text report shows


def _printed(report: Report) -> list[str]:
    """What the submitted code printed, its last ``PRINTED_LINES`` lines, or why it is not shown."""
    if not report.output.strip():
        return []
    if any(i.visibility != "visible" for i in report.items):
        return ["What your code printed is not shown: held-out items ran, and what it printed then could show "
                "their inputs (course staff see it).", ""]
    printed = report.output.rstrip("\n").splitlines()
    head = f"What your code printed (the last {PRINTED_LINES} of {len(printed)} lines):" \
        if len(printed) > PRINTED_LINES else "What your code printed:"
    return [head] + ["  | " + line[:200] for line in printed[-PRINTED_LINES:]] + [""]


def to_gradescope(report: Report) -> dict:
    """Gradescope's results.json: score, tests[name, score, max_score, status, output, tags, visibility], plain
    text throughout; a manual part is listed without a score or a status (tests/gradescope_results.schema.json)."""
    tests = []
    for it in report.items:
        tests.append({
            "name": f"{it.assignment}.py {it.item_id}: {it.title}",
            "score": it.earned,
            "max_score": it.points,
            "status": "passed" if it.passed else "failed",
            "output": it.message if not it.passed else "",
            "tags": [it.assignment, it.item_id],
            "visibility": "visible" if it.visibility == "visible" else "after_published",
        })
    for name in report.assignments:
        for item_id, title in _manual(name):  # no score and no status: nobody has graded it yet
            tests.append({"name": f"{name}.py {item_id}: {title} (graded by course staff)",
                          "output": "Graded by course staff, not by the autograder: its points are not in this score.",
                          "tags": [name, item_id, "manual"], "visibility": "visible"})
    shown = shown_now(report)
    if shown is not None:
        # hidden items' points stay out of the line students read before grades are published
        line = (f"Score on the items shown now: {_fmt(shown[0])} / {_fmt(shown[1])}; held-out items appear when "
                "grades are published.")
    else:
        line = f"{'Public items only. ' if report.public_only else ''}Score {_fmt(report.score)} / {_fmt(report.possible)}."
    out = {"score": report.score, "tests": tests, "execution_time": int(round(report.seconds)),
           "output": f"{line} Isolation: {report.isolation}." + "".join(f"\nNote: {n}" for n in report.notes),
           "output_format": "text", "test_output_format": "text",
           "extra_data": {"isolation": report.isolation}}
    if report.flags:  # course staff look at these by hand; the student sees the refusals in the items' messages
        out["extra_data"]["flags"] = report.flags
        tests.append({"name": "Flagged for course staff: the submission tried to use the grader's own code",
                      "score": 0, "max_score": 0, "output": FLAGGED + "\n".join(report.flags)[:4000],
                      "tags": ["flagged"], "visibility": "hidden"})
    if report.output and any(i.visibility != "visible" for i in report.items):
        # printed while hidden items ran too, so it may hold their inputs: course staff only
        tests.append({"name": "What the submitted code printed (course staff only)", "score": 0, "max_score": 0,
                      "output": report.output[-4000:], "tags": ["output"], "visibility": "hidden"})
    elif report.output:
        out["output"] += "\n\nWhat your code printed (capped):\n" + report.output[-4000:]
    return out


def failed_results(message: str) -> dict:
    """results.json for a grading that could not run at all: one harness item saying why."""
    data = to_gradescope(Report(items=[harness_failure("Autograder failed", message)]))
    data["output"] = message
    return data
