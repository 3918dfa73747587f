"""The catalogues: for each assignment, the submissions the grader must score as intended.

``tests/catalogues/<assignment>.py`` holds one assignment's catalogue, data only (variants are
built with ``tests.variants``); ``tests/test_catalogues.py`` runs the same tests over every one:
the reference earns the full marks of the assignment's registry entry (``course.registry``), the
untouched stub scores 0, each bug loses at least its intended items, each differently written
correct version keeps full marks, and the catalogue is no smaller than its minimum.

A catalogue module defines

- ``BUGS``: variants of the reference, each with the items it must lose;
- ``CORRECT``: variants written differently from the reference that keep every point;
- ``MIN_BUGS``, ``MIN_CORRECT``: the smallest sizes of ``BUGS`` and ``CORRECT`` allowed;

and where it needs them (see ``Catalogue`` for what each one checks)

- ``PARTIAL``: ``(Variant, items)`` pairs, one part of the reference left as the stub;
- ``PARTLY_WRITTEN``: ``PartlyWritten`` stubs with only some parts written;
- ``ITEM_COUNT``, ``ITEM_POINTS``, ``VISIBLE_ITEMS``: what the reference's report must show;
- ``NEVER_IN_BUG_MESSAGES``: texts no item of a bug's report may say;
- ``MAY``: bug name -> the items it may cost beyond its own (the blame check), each with the reason.

Adding an assignment: after its registry entry, add ``tests/catalogues/<name>.py`` with at least
``BUGS``, ``CORRECT``, ``MIN_BUGS`` and ``MIN_CORRECT``; every name of ``course.registry.names()``
must have one, and the shared tests pick it up.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, fields

from course import registry

NAMES = registry.names()


@dataclass(frozen=True)
class Catalogue:
    """One assignment's catalogue, read from its module (each field is the module's name in capitals)."""

    name: str
    bugs: list                         # each loses at least its intended items, every lost point says why
    correct: list                      # each keeps full marks
    min_bugs: int                      # len(bugs) >= min_bugs
    min_correct: int                   # len(correct) >= min_correct
    partial: list = ()                 # (variant, items): loses exactly those items, each saying "not implemented"
    partly_written: list = ()          # PartlyWritten: exactly its items are graded and earn its score
    item_count: int | None = None      # the reference's report has this many items
    item_points: tuple | None = None   # (low, high): each item's points lie within, and they add up to full marks
    visible_items: bool = False        # the reference's report has visible items
    never_in_bug_messages: tuple = ()  # no item of a catalogued bug's report says any of these

    @property
    def full_marks(self) -> float:
        """What the reference earns: the points of the assignment's registry entry."""
        return registry.get(self.name).points


def load(name: str) -> Catalogue:
    """The catalogue of assignment ``name``, from ``tests/catalogues/<name>.py``."""
    module_name = f"{__name__}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name:
            raise
        raise ModuleNotFoundError(f"assignment {name!r} has no catalogue: add tests/catalogues/{name}.py",
                                  name=module_name) from e
    values = {f.name: getattr(module, f.name.upper()) for f in fields(Catalogue)
              if f.name != "name" and hasattr(module, f.name.upper())}
    may = getattr(module, "MAY", {})
    unknown = set(may) - {bug.name for bug in values["bugs"]}
    if unknown:
        raise ValueError(f"{module_name}.MAY names no bug: {sorted(unknown)}")
    for bug in values["bugs"]:
        bug.may = set(may.get(bug.name, ())) | bug.may
    return Catalogue(name, **values)
