"""grade(): run the graded pytest suite on one submission and return a Report.

The CLI, the batch runner and the project's tests all go through here.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import pytest

from autograder import environment, isolation
from autograder.plugin import ScoreCollector
from autograder.report import Report, harness_failure
from autograder.rubric import hidden_files, item_ids, selected_items
from autograder.threads import one_thread
from autograder.submission import Intake, materialize
from course import registry

GRADED = Path(__file__).resolve().parent / "graded"


def available_assignments() -> list[str]:
    return [a for a in registry.names() if (GRADED / a).is_dir()]


def grade(submission: str | os.PathLike, assignments: list[str] | None = None, *,
          progress=None, keyword: str | None = None) -> Report:
    """Grade ``submission`` (folder, .py file, .ipynb notebook or .zip) on ``assignments`` (default: all
    available).

    A single .py or .ipynb file is graded on its own assignment only. ``keyword`` selects items: item ids or
    parts ("B.1c", "B.1 C"), or else a pytest ``-k`` expression over test names. Raises
    ``NothingSelected`` (listing the ids) when it selects no item; raises
    ``submission.BadSubmission`` when the path cannot be read at all, and
    ``isolation.IsolationUnavailable`` when ``AUTOGRADER_ISOLATION=kernel``
    asks for walls this machine cannot put up, and ``environment.EnvironmentBroken`` when the grader's
    own packages cannot grade fairly (before anything runs; no student is charged for the machine).
    """
    environment.require()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        folder = Path(tmp) / "submission"
        intake = Intake()  # notes on the files handed in (notebooks, .py over .ipynb), notebooks' line maps
        found = materialize(submission, folder, intake)
        _readable_by_worker(Path(tmp), folder)
        if assignments is None:
            is_file = Path(submission).suffix in (".py", ".ipynb")
            assignments = found if is_file else available_assignments()
        unknown = sorted(set(assignments) - set(available_assignments()))
        if unknown:
            raise ValueError(f"unknown assignment(s): {', '.join(unknown)}; "
                             f"choose from {', '.join(available_assignments())}")
        _prepare_data()
        isolation.plan(os.environ.get("AUTOGRADER_ISOLATION", "auto"))  # raises IsolationUnavailable: refuse
        public_only = not hidden_files(GRADED)  # a student release holds no hidden item
        report = Report(public_only=public_only, notes=intake.notes)
        layers: set[str] | None = None  # the layers every worker of every suite had
        ids = {name: item_ids(GRADED / name) for name in assignments}  # read from the files, not imported
        every_id = [i for name in assignments for i in ids[name]]
        select = selected_items(keyword, every_id)
        if select is not None:  # only the assignments the selected items belong to
            assignments = [a for a in assignments if select & set(ids[a])]
        with one_thread():  # the oracles' small linear algebra
            for name in assignments:  # one pytest session (and one worker) per assignment
                items, output, got, flags = _run_suite(GRADED / name, folder, public_only, progress, keyword, name,
                                                       select)
                report.flags += [f"{name}.py: {flag}" for flag in flags]
                for item in items:  # "vae.py:31" of a converted notebook -> "vae.ipynb cell 4, line 12"
                    item.message = intake.relocate(item.message)
                report.items += items
                report.output += output
                layers = got if layers is None else layers if got is None else layers & got
        if keyword and not any(i.assignment != "harness" for i in report.items):
            raise NothingSelected(keyword, every_id)
        report.assignments = [a for a in assignments]
        report.isolation = isolation.label(layers) if layers is not None else ""
        report.seconds = time.monotonic() - started
        return report


class NothingSelected(ValueError):
    """A selection (``-k``) that names no item; says which ids exist."""

    def __init__(self, keyword: str, ids: list[str]):
        super().__init__(f"-k {keyword!r} selects no item; the items are {', '.join(ids)} (give ids or parts, "
                         f"e.g. -k B.1c or -k 'B.1 C', or a pytest expression over test names)")


def _run_suite(suite: Path, folder: Path, public_only: bool, progress, keyword, name, select=None):
    """Run one assignment's graded items on ``folder``, only the ids ``select`` when given, else those
    matching the pytest expression ``keyword``; returns (items, what the worker printed, the isolation
    layers its workers had, or None when none started, what was flagged for course staff).

    A suite that cannot run becomes a harness item of its own."""
    collector = ScoreCollector(public_only=public_only, progress=progress, select=select)
    args = [str(suite), "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors", "-o", "addopts=",
            "--rootdir", str(GRADED.parent.parent), "-W", "ignore"]
    if keyword and select is None:
        args += ["-k", keyword]
    old = os.environ.get("AUTOGRADER_SUBMISSION")
    os.environ["AUTOGRADER_SUBMISSION"] = str(folder)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = pytest.main(args, plugins=[collector])
    finally:
        if old is None:
            os.environ.pop("AUTOGRADER_SUBMISSION", None)
        else:
            os.environ["AUTOGRADER_SUBMISSION"] = old
    items = collector.report.items if collector.report else []
    output = collector.report.output if collector.report else ""
    flags = collector.report.flags if collector.report else []
    ran = any(i.assignment != "harness" for i in items)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED) \
            or not ran and not keyword:
        items.append(harness_failure(f"Autograder failed on {name}.py", f"the graded suite did not run "
                                     f"(pytest exit {int(code)}):\n" + sink.getvalue()[-2000:]))
    return items, output, collector.layers, flags


def _readable_by_worker(tmp: Path, folder: Path) -> None:
    """The worker may run as an unprivileged user: let it traverse and read the submission."""
    tmp.chmod(0o711)
    folder.chmod(0o755)
    for f in folder.iterdir():
        f.chmod(0o644)


def _prepare_data() -> None:
    """Build the digits cache in the parent so workers only ever read it."""
    from course.data import load_images

    load_images("digits", train=True)
    load_images("digits", train=False)
