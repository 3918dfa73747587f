"""The grader's own environment, checked in the parent before any item runs (parent side).

A grader whose torch cannot reach numpy, whose torchvision was built for another torch, whose packages
are older than the floors ``pyproject.toml`` declares, or whose machine cannot put up the walls asked
for would fail items for reasons that are not the student's. ``problems()`` finds those; the command
line stops with an error for course staff (what is wrong and the command that fixes it), a non-zero
exit and, with ``--json``, a results.json that says so and gives no score (``environment_results``).

Each check is cheap (torch is imported for grading anyway) and runs once per process.
"""
from __future__ import annotations

import functools
import importlib.metadata as metadata
import sys
from dataclasses import dataclass

DISTRIBUTION = "dgm-autograder"
STAFF = "This is a problem of the grading machine, not of the submission; no item was graded."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the environment: ``what`` (found), ``fix`` (a command or step that fixes it)."""

    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what}\n    fix: {self.fix}"


class EnvironmentBroken(RuntimeError):
    """The grading environment cannot grade fairly; ``problems`` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(message(problems))


def message(problems: list[Problem]) -> str:
    """The staff-facing text: every problem with its fix."""
    lines = [f"the grading environment is broken ({len(problems)} problem{'s' * (len(problems) > 1)}):"]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines + [STAFF])


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _release(version: str) -> str:
    """'2.4.1+cpu' -> '2.4.1'."""
    return version.split("+", 1)[0]


def check_numpy() -> list[Problem]:
    """torch converts to and from numpy (a torch built for numpy 1 cannot, beside numpy 2)."""
    import torch

    try:
        import numpy
    except Exception as exc:  # noqa: BLE001 - any import failure is the finding
        return [Problem(f"numpy does not import ({type(exc).__name__}: {str(exc)[:200]})",
                        "pip install --force-reinstall numpy")]
    try:
        back = torch.from_numpy(numpy.arange(3.0)).numpy()
        ok = back.tolist() == [0.0, 1.0, 2.0]
        error = "" if ok else "values changed on the way"
    except Exception as exc:  # noqa: BLE001 - "Numpy is not available" and its kin
        ok, error = False, f"{type(exc).__name__}: {str(exc)[:200]}"
    if ok:
        return []
    major = numpy.__version__.split(".", 1)[0]
    fix = ("pip install 'numpy<2'  (this torch was built for numpy 1), or pip install --upgrade torch torchvision"
           if major.isdigit() and int(major) >= 2 else "pip install --force-reinstall numpy torch")
    return [Problem(f"torch {torch.__version__} cannot use numpy {numpy.__version__} ({error})", fix)]


def check_torchvision() -> list[Problem]:
    """torchvision imports, was made for this torch, and its native operators load."""
    import torch

    wanted = [r for r in (metadata.requires("torchvision") or []) if r.replace(" ", "").startswith("torch==")] \
        if _version("torchvision") else []
    fix = "pip install --upgrade torch torchvision  (pip installs a matching pair)"
    if wanted:
        pinned = wanted[0].replace(" ", "").split("==", 1)[1].split(";")[0]
        if _release(pinned) != _release(torch.__version__):
            return [Problem(f"torchvision {_version('torchvision')} was built for torch {pinned}, and this is "
                            f"torch {torch.__version__}", fix)]
    try:
        import torchvision
        from torchvision.ops import nms

        nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
    except Exception as exc:  # noqa: BLE001 - "operator torchvision::nms does not exist" and its kin
        return [Problem(f"torchvision does not work with torch {torch.__version__} "
                        f"({type(exc).__name__}: {str(exc)[:200]})", fix)]
    del torchvision
    return []


def check_floors() -> list[Problem]:
    """Python and every installed requirement satisfy what the installed grader declares (its metadata; a
    checkout that is not installed declares nothing here)."""
    try:
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
        from packaging.version import Version
    except ImportError:
        return []
    try:
        requires = metadata.requires(DISTRIBUTION) or []
        python = metadata.metadata(DISTRIBUTION).get("Requires-Python") or ""
    except metadata.PackageNotFoundError:
        return []
    found = []
    here = ".".join(map(str, sys.version_info[:3]))
    if python and not SpecifierSet(python).contains(here, prereleases=True):
        found.append(Problem(f"Python {here} is outside the grader's {python}", f"use a Python {python}"))
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        have = _version(req.name)
        if have is None:
            found.append(Problem(f"{req.name} is not installed (the grader needs {req})", f"pip install '{req}'"))
        elif req.specifier and not req.specifier.contains(Version(_release(have)), prereleases=True):
            found.append(Problem(f"{req.name} {have} is outside the grader's {req.specifier}", f"pip install '{req}'"))
    return found


@functools.cache
def problems() -> tuple[Problem, ...]:
    """Everything wrong with this environment (empty when it can grade); checked once per process."""
    return tuple(check_floors() + check_numpy() + check_torchvision())


def require() -> None:
    """Raise ``EnvironmentBroken`` when ``problems()`` finds anything."""
    found = list(problems())
    if found:
        raise EnvironmentBroken(found)


def environment_results(text: str) -> dict:
    """results.json for a grading the environment stopped: what is wrong, for course staff, and no score (no
    student is charged for the machine; Gradescope shows the output and the staff re-runs)."""
    return {"output": "The autograder could not grade this submission because of a problem on the grading "
                      "machine. Please tell the course staff; your work is not affected.",
            "tests": [{"name": "Grading environment (course staff only)", "output": text, "visibility": "hidden",
                       "tags": ["environment"]}],
            "extra_data": {"environment_error": text}}
