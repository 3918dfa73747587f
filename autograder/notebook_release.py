"""The hand-out as notebooks: one per assignment, for students who work in Jupyter or Colab.

    python -m autograder release OUT --notebooks      # also writes OUT/notebooks/<name>.ipynb

Each notebook holds, in order: the handout's section for the assignment (markdown, from
``assignment/README.md``), a set-up cell that makes ``check``, the stub's code split into one
cell per top-level definition (same TODO markers), and after the cell holding a part's last
TODO a check cell, ``check("B.1")``, that grades the definitions the kernel has run
(``autograder.notebook_check``). Parts graded from a training run of the model (no TODO of
their own, e.g. vae's A.2 and C) are checked at the end. The notebook is graded as a
submission (``autograder.notebooks``): the check and set-up cells are left out like any
other top-level call.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from autograder.rubric import declared_items
from course import registry

TODO = re.compile(r"TODO ((?:[A-Z]+\.)?[A-Z0-9]+)\b")
SETUP = '''# Run this cell first. It needs the course package: where it is not installed yet (a fresh Colab),
# install the hand-out folder once, e.g. %pip install -q /content/handout, then restart the runtime.
from autograder.notebook_check import Checker

check = Checker("{name}")'''
HAND_IN = """## Handing in

Hand in this notebook as `{name}.ipynb` (in Colab: File, Download, Download .ipynb), on its own, in a
folder or in a zip, or copy your code into `{name}.py`. The grader keeps the notebook's imports,
function and class definitions and simple constants; training loops, plots and shell lines are
not run when grading, and the report lists the cells it left out. Each `check(...)` cell above
grades the same items on the code this kernel has run: run the cells you changed before checking."""


def parts(graded_folder: Path) -> list[str]:
    """The graded parts of an assignment, in item order ("A.1", "A.2", "B.1", ..., "C"): an item id
    without its last letter; hidden items and twins excluded."""
    found = []
    for path in sorted(graded_folder.glob("test_*.py")):
        for item_id, _, visibility in declared_items(path, twins=False):
            part = re.sub(r"\.?[a-z]$", "", item_id)
            if visibility == "visible" and part not in found:
                found.append(part)
    return sorted(found, key=_part_order)


def _part_order(part: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", part))


def code_cells(source: str) -> list[str]:
    """``source`` cut into cells: what precedes the first definition (docstring, imports), then each
    top-level statement with the comments above it."""
    lines = source.splitlines()
    body = ast.parse(source).body
    starts = [min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", [])]) for s in body]
    first_def = next((i for i, s in enumerate(body) if not isinstance(s, (ast.Import, ast.ImportFrom, ast.Expr))),
                     len(body))
    cuts = [0] + [_above_comments(lines, starts[i]) for i in range(first_def, len(body))] + [len(lines)]
    cells = ["\n".join(lines[a:b]).strip("\n") for a, b in zip(cuts, cuts[1:])]
    return [c for c in cells if c.strip()]


def _above_comments(lines: list[str], lineno: int) -> int:
    """The index of the first line of the comment block right above line ``lineno`` (1-based)."""
    i = lineno - 1
    while i > 0 and lines[i - 1].lstrip().startswith("#"):
        i -= 1
    return i


def handout_section(readme: str, name: str) -> str:
    """The handout's section for ``<name>.py`` ("## Part 1: `vae.py` ..." up to the next "## ")."""
    found = re.search(rf"^## Part [^\n]*`{re.escape(name)}\.py`.*?(?=^## |\Z)", readme, re.S | re.M)
    if found is None:
        raise ValueError(f"assignment/README.md has no '## Part ...: `{name}.py`' section")
    return found.group(0).strip()


def _part_titles(source: str, section: str) -> dict[str, str]:
    """Part -> what it asks: the stub's docstring lines ("  B.1  the losses: ..."), else the handout's
    bold lead ("**A.2 Train it (10 points).**")."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    titles = {m.group(1): m.group(2).strip().replace("``", "`")
              for m in re.finditer(r"^\s+((?:[A-Z]+\.)?[A-Z0-9.]+)\s{2,}(.+)$", doc, re.M)}
    for m in re.finditer(r"\*\*((?:[A-Z]+\.)?[A-Z0-9]+) ([^*(]+?)\s*(?:\(|\.?\*\*)", section):
        titles.setdefault(m.group(1), m.group(2).strip().rstrip("."))
    return titles


def notebook(name: str, source: str, readme: str, graded_folder: Path):
    """The notebook of assignment ``name`` built from ``source`` (its stub, or any complete file)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    spec = registry.get(name)
    section = handout_section(readme, name)
    cells = [new_markdown_cell(f"# `{name}.py` as a notebook: {spec.summary}\n\n"
                               "Fill in the TODOs in the code cells below and run each `check(...)` cell to grade "
                               "that part on the spot; the handout's text for this assignment follows."),
             new_markdown_cell(section),
             new_code_cell(SETUP.format(name=name))]
    code = code_cells(source)
    todo_parts = {part: max(i for i, c in enumerate(code) if part in TODO.findall(c))
                  for part in {p for c in code for p in TODO.findall(c)}}
    every = parts(graded_folder)
    titles = _part_titles(source, section)
    unchecked = [p for p in every if p not in todo_parts]
    for i, text in enumerate(code):
        cells.append(new_code_cell(text))
        for part in [p for p in every if todo_parts.get(p) == i]:
            cells.append(_check_cell(part, titles))
    if unchecked:
        cells.append(new_markdown_cell("## Parts graded from a short training run of your model\n\n"
                                       + ", ".join(f"`{p}`" for p in unchecked)
                                       + ": the grader trains your model briefly and checks what it learned."))
        cells += [_check_cell(p, titles) for p in unchecked]
    cells.append(new_markdown_cell(HAND_IN.format(name=name)))
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"},
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def _check_cell(part: str, titles: dict[str, str]):
    from nbformat.v4 import new_code_cell

    what = titles.get(part, "")
    return new_code_cell((f"# Check {part}: {what}\n" if what else f"# Check {part}\n") + f'check("{part}")')


def write_notebooks(out: Path, root: Path, names: list[str] | None = None) -> list[Path]:
    """``out/<name>.ipynb`` for each assignment, from ``root``'s stubs, handout and graded folders."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    readme = (root / "assignment" / "README.md").read_text()
    written = []
    for name in names or registry.names():
        nb = notebook(name, (root / "assignment" / f"{name}.py").read_text(), readme,
                      root / "autograder" / "graded" / name)
        path = out / f"{name}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written
