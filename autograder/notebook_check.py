"""``check("B.1")`` inside a Jupyter or Colab notebook: grade what this kernel has defined, one part at a time.

    from autograder.notebook_check import Checker
    check = Checker("vae")
    check("B.1")          # shows B.1's items, as ``python -m autograder vae.py -k B.1`` prints them

The cells the kernel has run (its input history, in execution order, so a redefinition wins as
it does in the kernel) are exported like a notebook submission (``autograder.notebooks``:
imports, definitions and constants; training and plots are left out) and graded by the same
command line, in a process of its own, with submitted code in the same sandboxed worker. The
messages are the command line's; a file position ``vae.py:31`` names the cell instead
(``In [7], line 4``).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course import registry

TIMEOUT = 900  # seconds for one check; the grader's own budgets end a hanging submission well before


@dataclass
class CheckResult:
    """One check's outcome; shown in the notebook as the report's text."""

    part: str
    score: float
    possible: float
    text: str

    @property
    def passed(self) -> bool:
        return self.possible > 0 and self.score >= self.possible

    def __repr__(self) -> str:
        return self.text


class Checker:
    """``check(part)`` for one assignment's notebook (``Checker("vae")``)."""

    def __init__(self, assignment: str):
        registry.get(assignment)  # an unknown name is refused here, naming the five
        self.assignment = assignment

    def __call__(self, part: str) -> CheckResult:
        return self.grade(kernel_cells(), part)

    def grade(self, cells: list[str], part: str) -> CheckResult:
        """Grade the code ``cells`` (``cells[i]`` ran as ``In [i + 1]``) on the items of ``part``."""
        from autograder.notebooks import cells_source, relocate

        name = self.assignment
        source, _, where = cells_source([("code", c) for c in cells], f"{name}.ipynb")
        with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
            (Path(tmp) / f"{name}.py").write_text(source)
            results = Path(tmp) / "results.json"
            proc = subprocess.run([sys.executable, "-m", "autograder", tmp, "--assignment", name, "-k", part,
                                   "--json", str(results)], capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL)
            data = json.loads(results.read_text()) if results.is_file() else None
        if proc.returncode != 0 or data is None:
            text = (proc.stderr.strip() or proc.stdout.strip() or f"the grader exited with status {proc.returncode}")
            return CheckResult(part, 0.0, 0.0, f"check({part!r}) could not grade: {text}")
        lines = [ln for ln in proc.stdout.splitlines() if not ln.startswith(("Isolation:", "Note:"))]
        text = relocate("\n".join(lines).strip(), name, where, form="In [{cell}], line {line}")
        possible = sum(t.get("max_score", 0) for t in data["tests"])
        return CheckResult(part, data["score"], possible, text)


def kernel_cells() -> list[str]:
    """The source of every cell this IPython kernel has run, in order (``In [1]`` first)."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None:
        raise RuntimeError("check() grades the cells a Jupyter kernel has run; outside a notebook, grade the file: "
                           "python -m autograder vae.py -k B.1")
    return list(shell.history_manager.input_hist_raw[1:])
