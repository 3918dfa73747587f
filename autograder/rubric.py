"""Rubric items: how a graded test declares its id, points and visibility.

    @item("A.1a", 5)
    def test_layer_shapes(gateway):
        '''Autoencoder layers: shapes and parameter count'''   # the title students see

An item whose verdict depends on the inputs the grader draws carries held-out points
(``@item("B.1a", 6, held_out=2)``): 4 on its published inputs, 2 on its twin "B.1a.h", the same
check on inputs drawn from the bundle's secret seed (``autograder.hidden``).

The assignment is the folder the test lives in (``graded/<assignment>/``).
Parts that need a human reader are listed in the assignment's registry entry
(``course.registry``, ``manual``) and reported as manual review, with no
automatic points.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograder.hidden import public_of, secret_seed, twin_id

VISIBILITIES = ("visible", "hidden")

def item(item_id: str, points: float, *, visibility: str = "visible", held_out: float = 0):
    """Mark a test as rubric item ``item_id`` worth ``points``, ``held_out`` of them on its twin (which
    draws its inputs through the ``draw`` fixture from the held-out seed)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    if held_out and not (0 < held_out < points and visibility == "visible"):
        raise ValueError(f"{item_id}: held_out must lie between 0 and the points of a visible item, got {held_out}")
    return pytest.mark.rubric(id=item_id, points=points, visibility=visibility, held_out=held_out)


def identity(mark, held_out_run: bool) -> tuple[str, float, str]:
    """(id, points, visibility) of one run of a marked item: its public run, or its twin's."""
    share = mark.kwargs.get("held_out", 0)
    if held_out_run:
        return twin_id(mark.kwargs["id"]), share, "hidden"
    return mark.kwargs["id"], mark.kwargs["points"] - share, mark.kwargs.get("visibility", "visible")


def assignment_of(path) -> str:
    """The assignment a graded test module belongs to: its parent folder's name."""
    return Path(path).parent.name


def declared_items(path, twins: bool = True) -> list[tuple[str, float, str]]:
    """(id, points, visibility) of every ``@item(...)`` in a graded test file, read from its source
    without importing it (the release reads this to leave hidden items out); an item with held-out
    points is two entries, its public run and (with ``twins``) its hidden twin."""
    found = []
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "id", getattr(dec.func, "attr", "")) == "item":
                    item_id, points = (ast.literal_eval(a) for a in dec.args[:2])
                    options = {k.arg: ast.literal_eval(k.value) for k in dec.keywords}
                    share = options.get("held_out", 0)
                    found.append((item_id, points - share, options.get("visibility", "visible")))
                    if share and twins:
                        found.append((twin_id(item_id), share, "hidden"))
    return found


def hidden_files(graded: Path) -> list[Path]:
    """The graded test files whose items are hidden, by their markers. A file that mixes hidden and
    visible items cannot be left out of a student release whole, so it is an error."""
    hidden = []
    for path in sorted(Path(graded).glob("*/test_*.py")):
        kinds = {visibility for _, _, visibility in declared_items(path, twins=False)}
        if "hidden" in kinds and len(kinds) > 1:
            raise ValueError(f"{path} mixes hidden and visible items; put the hidden ones in a file of their own")
        if kinds == {"hidden"}:
            hidden.append(path)
    return hidden


# "B.1c" or "C.a" (an item), "B.1c.h" (its twin), "B.1" or "CVAE" (a part)
ID_SHAPE = re.compile(r"^[A-Za-z]+(\.(\d+[a-z]?|[a-z])(\.h)?)?$")


def names_item(token: str, item_id: str) -> bool:
    """Whether ``token`` names ``item_id``: the id itself, or a part it belongs to ("B.1" or "B" for
    "B.1c"; "CVAE" for "CVAE.2a"); a twin goes with its item ("B.1c" and "B.1" name "B.1c.h").
    Case-insensitive."""
    if token.upper() == item_id.upper():
        return True
    token, item_id = token.upper(), public_of(item_id).upper()
    if item_id == token or item_id.startswith(token + "."):
        return True
    return token[-1].isdigit() and item_id.startswith(token) and item_id[len(token):].isalpha()


def item_ids(folder) -> list[str]:
    """The ids of every item declared in a graded folder's ``test_*.py`` files, in file order; twins only
    where a held-out seed exists."""
    twins = secret_seed() is not None
    return [item_id for path in sorted(Path(folder).glob("test_*.py")) for item_id, _, _ in declared_items(path, twins)]


def selected_items(keyword: str | None, ids: list[str]) -> set[str] | None:
    """The item ids that ``keyword`` names when it is a list of ids or parts ("B.1c", "B.1 C.a", "CVAE.2a,CVAE.4"),
    each naming at least one of ``ids``; None when it is something else (a pytest ``-k`` expression over
    test names)."""
    tokens = [t for t in re.split(r"[\s,]+", keyword or "") if t]
    if not tokens or not all(ID_SHAPE.match(t) and any(names_item(t, i) for i in ids) for t in tokens):
        return None
    return {i for i in ids if any(names_item(t, i) for t in tokens)}
