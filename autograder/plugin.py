"""The pytest plugin that turns graded tests into a Report.

Every collected test with a ``rubric`` marker becomes one ItemResult, also when
it errors in setup or is skipped (then it earns nothing). Failure messages are
the assertion text of our checks or a SubmissionError's student message; any
other exception is shown as one line, never as a traceback.
"""
from __future__ import annotations

import time

import pytest

from autograder.errors import SubmissionError
from autograder.hidden import is_twin, public_of, twin_message, voided_message
from autograder.report import ItemResult, Report, harness_failure, render_text
from autograder.rubric import assignment_of, identity


def failure_message(excinfo, held_out: bool = False) -> str:
    exc = excinfo.value
    while isinstance(getattr(exc, "exceptions", None), tuple) and exc.exceptions:  # an exception group
        exc = exc.exceptions[0]
    notes = "\n".join(getattr(exc, "__notes__", []) or [])
    if isinstance(exc, SubmissionError):
        text = exc.student_message(held_out)
    elif isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "a check failed"
    elif isinstance(exc, pytest.skip.Exception):
        text = f"skipped: {exc.msg}"
    else:
        text = (f"the grader could not check this item: your code returned something unexpected "
                f"({type(exc).__name__}: {str(exc)[:300]}). Compare the return type and shape with the docstring.")
    if notes and "Falsifying example" in notes:
        text += "\nReproduce with: " + " ".join(line.strip() for line in notes.splitlines() if line.strip())[:600]
    return text


def _held_out_run(item) -> bool:
    """Whether a collected item draws held-out inputs: a twin, or an item of hidden visibility."""
    mark = item.get_closest_marker("rubric")
    return mark is not None and _identity(item, mark)[2] != "visible"


def offers_callbacks(item) -> bool:
    """Whether an item's requests offer the grader's own functions to submitted code (``autograder.callbacks``):
    it is marked ``callbacks`` (it calls ``Gateway.with_stand_ins``) or it uses smoke-trained models."""
    return item.get_closest_marker("callbacks") is not None or "smoke_models" in getattr(item, "fixturenames", ())


def run_order(item) -> tuple[bool, bool]:
    """Where an item runs in its session: visible items before held-out work (``_held_out_run``), and within
    each, items that offer callbacks after those that offer none. While a callback is on offer submitted code
    may call it with inputs of its choosing (the grader's KL, ELBO, PCA fit, ...); run last, what it learns
    can serve no item whose inputs it could know in advance."""
    return _held_out_run(item), offers_callbacks(item)


def _identity(item, mark) -> tuple[str, float, str]:
    """(id, points, visibility) of a collected item: a public run, or a twin (``draw`` = "twin")."""
    callspec = getattr(item, "callspec", None)
    return identity(mark, callspec is not None and callspec.params.get("draw") == "twin")


class ScoreCollector:
    """Collects rubric items across one pytest session."""

    def __init__(self, public_only: bool = False, progress=None, select: set[str] | None = None):
        self.progress = progress
        self.select = select  # item ids to run (``rubric.selected_items``); None: every collected item
        self.results: dict[str, ItemResult] = {}
        self.report: Report | None = None
        self.public_only = public_only
        self.started = time.monotonic()
        self.gateways = []
        self.current = None  # the item being run (pytest_runtest_setup)
        self.layers: set[str] | None = None  # isolation layers every worker of the session had

    def add_gateway(self, gateway) -> None:
        """Follow ``gateway`` (the graded suite's): it learns which item runs, also in an item's first fixture."""
        self.gateways.append(gateway)
        self._tell(gateway)

    def _tell(self, gateway) -> None:
        """Tell ``gateway`` which item runs (time-outs are named in later items' messages) and whether it may
        offer callbacks (an item that does so undeclared could run too early: ``run_order``)."""
        mark = self.current.get_closest_marker("rubric") if self.current is not None else None
        gateway.current_item = mark.kwargs.get("id", "") if mark is not None else ""
        gateway.callbacks_declared = self.current is not None and offers_callbacks(self.current)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        """Before any fixture of ``item``, session-scoped ones included (smoke training runs in those)."""
        self.current = item
        for gateway in self.gateways:
            self._tell(gateway)

    def pytest_collectreport(self, report):
        """A graded module that cannot even be collected is a harness failure, shown as an item."""
        if report.failed:
            self.results[report.nodeid] = harness_failure(f"Autograder failed to load {report.nodeid}",
                                                          str(report.longrepr)[-1500:])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if self.select is not None:
            keep, drop = [], []
            for it in items:
                mark = it.get_closest_marker("rubric")
                (keep if mark is not None and _identity(it, mark)[0] in self.select else drop).append(it)
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        for it in items:
            mark = it.get_closest_marker("rubric")
            if mark is None:
                continue
            title = (it.function.__doc__ or it.name).strip().splitlines()[0]
            item_id, points, visibility = _identity(it, mark)
            self.results[it.nodeid] = ItemResult(
                assignment=assignment_of(it.path), item_id=item_id,
                title=title + (" (held-out inputs)" if is_twin(item_id) else ""),
                points=float(points), earned=0.0, message="not run", visibility=visibility)
        # Held-out work runs last (the report keeps file order): once the worker has seen held-out inputs it
        # serves no visible item, so no visible item's message, exception or output can carry them. Items
        # that offer callbacks run last within each part (``run_order``).
        items.sort(key=run_order)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        result.seconds += call.duration
        if call.when == "setup" or result.message == "not run":
            result.message = ""
        if rep.passed and call.when == "call" and not result.message:
            result.earned = result.points
        elif rep.failed or rep.skipped:
            result.earned = 0.0
            if call.excinfo is not None and not result.message:
                result.message = failure_message(call.excinfo, held_out=result.visibility != "visible")
                if is_twin(result.item_id) and not isinstance(call.excinfo.value, SubmissionError):
                    result.message = self._twin_message(result)

    def _public_of(self, twin: ItemResult) -> ItemResult | None:
        """The public item a twin re-runs, when it was collected."""
        return next((r for r in self.results.values()
                     if r.item_id == public_of(twin.item_id) and r.assignment == twin.assignment), None)

    def _twin_message(self, twin: ItemResult) -> str:
        public = self._public_of(twin)
        passed = public.passed if public is not None and public.message != "not run" else None
        return twin_message(public_of(twin.item_id), passed)

    def pytest_runtest_logfinish(self, nodeid, location):
        if self.progress is not None and nodeid in self.results:
            self.progress(self.results[nodeid])

    def void_memorised(self) -> None:
        """A public item whose twin failed earns nothing: a function right on the printed inputs and wrong on
        held-out ones is wrong (twins fail the references 0 times in 62 twins x 20 seeds,
        docs/calibration/held_out.txt), so a table of the published inputs earns no point."""
        for twin in self.results.values():
            if not is_twin(twin.item_id) or twin.passed or twin.message == "not run" or twin.harness_error:
                continue
            public = self._public_of(twin)
            if public is not None and public.passed:
                public.earned = 0.0
                public.message = voided_message(public.item_id, twin.item_id)

    def pytest_sessionfinish(self, session):
        self.void_memorised()
        items = list(self.results.values())
        output = ""
        for gw in self.gateways:
            output += gw.output()
        from autograder.isolation import label

        reported = [gw.layers if gw.layers is not None else gw.plan.expected() for gw in self.gateways]
        self.layers = set.intersection(*map(set, reported)) if reported else None  # the weakest set seen
        flags = list(dict.fromkeys(a for gw in self.gateways for a in gw.attempts))
        self.report = Report(items=items, assignments=sorted({i.assignment for i in items}),
                             public_only=self.public_only, output=output, flags=flags,
                             isolation=label(self.layers) if self.layers is not None else "",
                             seconds=time.monotonic() - self.started)

    def pytest_terminal_summary(self, terminalreporter):
        if self.report is not None and self.report.items:
            terminalreporter.section("score")
            terminalreporter.write_line(render_text(self.report))
