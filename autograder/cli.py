"""Command line: parses arguments and delegates; all printing of reports is in report.py.

    python -m autograder [SUBMISSION] [--assignment NAME ...] [--json PATH]

Exit status: 0 graded (whatever the score), 2 a bad command line or submission path, 3 a grading
environment that cannot grade fairly (``environment.py``: the reason goes to stderr and results.json).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course import registry

ENVIRONMENT_EXIT = 3  # the machine cannot grade (environment.py); 2: the command line or the submission path


def grade_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description="Grade a submission: a folder, one assignment .py file or .ipynb notebook, or a .zip.")
    parser.add_argument("submission", nargs="?", default=None,
                        help="folder, .py file, .ipynb notebook or .zip (default: the checkout's assignment/ folder)")
    parser.add_argument("--assignment", "-a", action="append", choices=registry.names(),
                        help="grade only this assignment (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="write Gradescope's results.json here")
    parser.add_argument("-k", dest="keyword", help="only these items: ids or parts as the report prints them (B.1c, 'B.1 C'), "
                             "or a pytest -k expression over test names")
    parser.add_argument("--isolation", choices=("auto", "kernel", "python"), default=None,
                        help="walls around submitted code: kernel refuses to grade without Landlock and seccomp; "
                             "auto (default) uses what the machine has and warns when it falls back; "
                             "python is the audit hook only")
    args = parser.parse_args(argv)
    if args.isolation:
        os.environ["AUTOGRADER_ISOLATION"] = args.isolation
    from autograder import environment, isolation
    from autograder.results_file import BadResultsPath, check_results_path, write_results

    try:
        results_path = check_results_path(args.json) if args.json else None
    except BadResultsPath as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    try:
        plan = isolation.plan(os.environ.get("AUTOGRADER_ISOLATION", "auto"))
    except isolation.IsolationUnavailable as exc:
        return _environment_failed(str(exc), results_path)
    except ValueError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    for warning in plan.warnings:
        print(f"autograder: warning: {warning}", file=sys.stderr)
    try:
        environment.require()  # before the grader's own imports of numpy, scipy and the rest
    except environment.EnvironmentBroken as exc:
        return _environment_failed(str(exc), results_path)

    from autograder.api import GRADED, grade
    from autograder.report import render_text, to_gradescope
    from autograder.submission import BadSubmission

    default = Path.cwd() / "assignment"
    submission = args.submission or str(default if default.is_dir() else GRADED.parent.parent / "assignment")
    progress = _Progress() if sys.stderr.isatty() else None
    from autograder.limits import limit_parent_memory

    limit_parent_memory()  # this process decodes what workers send: a backstop ceiling (limits.py)
    try:
        report = grade(submission, args.assignment, progress=progress, keyword=args.keyword)
    except environment.EnvironmentBroken as exc:
        return _environment_failed(str(exc), results_path)
    except (BadSubmission, ValueError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress:
            progress.close()
    print(render_text(report))
    if results_path:
        try:
            write_results(results_path, to_gradescope(report))
        except OSError as exc:
            print(f"autograder: cannot write {args.json}: {exc.strerror}", file=sys.stderr)
            return 2
    return 0


def _environment_failed(text: str, results_path) -> int:
    """A machine that cannot grade fairly: the reason for course staff on stderr and, with --json, in a
    results.json without a score (``environment.environment_results``); exit status 3."""
    from autograder.environment import environment_results
    from autograder.results_file import write_results

    print(f"autograder: {text}", file=sys.stderr)
    if results_path:
        try:
            write_results(results_path, environment_results(text))
        except OSError as exc:
            print(f"autograder: cannot write {results_path}: {exc.strerror}", file=sys.stderr)
    return ENVIRONMENT_EXIT


class _Progress:
    """One status line on stderr while grading runs."""

    def __init__(self):
        self.done = 0

    def __call__(self, result):
        self.done += 1
        sys.stderr.write(f"\r\033[Kgrading {result.assignment}.py  {self.done} items done")
        sys.stderr.flush()

    def close(self):
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _batch(argv):
    from autograder.batch import main as batch_main

    return batch_main(argv)


def _release(argv):
    from autograder.distribute import main_release

    return main_release(argv)


def _gradescope(argv):
    from autograder.distribute import main_gradescope

    return main_gradescope(argv)


COMMANDS = {"batch": _batch, "release": _release, "gradescope": _gradescope}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    return grade_main(argv)
