"""A notebook submission (``vae.ipynb``) turned into the module the grader imports (``vae.py``).

    source, note, lines = notebook_source(raw_bytes, "vae.ipynb")

Runs in the trusted parent and never executes the notebook: each code cell is parsed with
``ast`` and only what defines the module is kept: imports, function and class definitions,
and assignments of simple constants (``LATENT = 2``, ``device = torch.device(...)``). Training
loops, plots, model instantiations and every other top-level statement are left out, so grading
never retrains a student's model; shell (``!pip``) and magic (``%matplotlib``) lines are
blanked, a cell magic (``%%time``) drops its cell. A cell with a syntax error is left out and
named by its number (cells count from 1 over the whole notebook, markdown included, as a
notebook shows them top to bottom). ``note`` is one line for the report; ``lines`` maps each line
of ``source`` to (cell, line in that cell), so that a message's ``vae.py:31`` can name the cell
(``relocate``).

The same conversion serves the in-notebook check (``autograder.notebook_check``), which
feeds it the cells the kernel has run.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import sys

# calls an assignment may make and still count as a constant: cheap, side-effect free, and what
# notebooks use to pick a device
CONSTANT_CALLS = {"torch.device", "torch.cuda.is_available", "torch.backends.mps.is_available",
                  "int", "float", "str", "bool", "tuple", "list", "dict", "range", "len", "min", "max", "abs"}
_CONSTANT_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp,
                   ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice, ast.Load, ast.operator,
                   ast.unaryop, ast.boolop, ast.cmpop, ast.keyword, ast.Starred)
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


LineMap = list  # line i + 1 of the module -> (cell number, line in that cell), or None for a header line


def notebook_source(raw: bytes, name: str) -> tuple[str, str, LineMap]:
    """(module source, one-line note, line map) of the notebook ``raw`` named ``name``; an unreadable
    notebook becomes a module that raises ImportError saying why."""
    import nbformat

    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        cells = [(c.get("cell_type"), _text(c.get("source", ""))) for c in nb.cells]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        why = f"{name} is not a readable Jupyter notebook ({type(exc).__name__}: {str(exc)[:200]})"
        return f"raise ImportError({why!r})\n", why, [None]
    return cells_source(cells, name)


def cells_source(cells: list[tuple[str, str]], name: str) -> tuple[str, str, LineMap]:
    """(module source, note, line map) of ``cells``, a list of (cell type, source) in notebook order."""
    out: list[str] = []
    where: LineMap = []
    left_out, magic, broken, missing = [], [], [], []
    for number, (kind, text) in enumerate(cells, start=1):
        if kind != "code" or not text.strip():
            continue
        if text.lstrip().startswith("%%"):
            magic.append(number)
            continue
        code, had_magic = _blank_shell_lines(text)
        if had_magic:
            magic.append(number)
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None)
            broken.append(f"cell {number} (syntax error" + (f" at its line {line}" if line else "")
                          + f": {getattr(exc, 'msg', None) or type(exc).__name__}; what it defines is missing)")
            continue
        lines = code.splitlines()
        header, dropped = False, False
        for stmt in tree.body:
            if not _keeps(stmt):
                dropped = dropped or not _is_check(stmt)  # the set-up and check cells are not worth a note
                continue
            absent = _absent_module(stmt)
            if absent:
                missing.append(f"import {absent} (cell {number}; not installed where grading runs)")
                continue
            if not header:
                block = ["", "", f"# --- {name}, cell {number} ---"] if out else [f"# --- {name}, cell {number} ---"]
                out += block
                where += [None] * len(block)
                header = True
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            out += lines[first - 1:stmt.end_lineno]
            where += [(number, i) for i in range(first, stmt.end_lineno + 1)]
        if dropped:
            left_out.append(number)
    return "\n".join(out) + "\n", _note(name, left_out, magic, broken, missing), where


def relocate(text: str, name: str, where: LineMap, form: str = "{name}.ipynb cell {cell}, line {line}") -> str:
    """``text`` with each ``<name>.py:LINE`` of the converted module written as ``form`` names its place."""
    def place(match: re.Match) -> str:
        i = int(match.group(1)) - 1
        found = where[i] if 0 <= i < len(where) else None
        return form.format(name=name, cell=found[0], line=found[1]) if found else match.group(0)

    return re.sub(rf"\b{re.escape(name)}\.py:(\d+)", place, text)


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _blank_shell_lines(text: str) -> tuple[str, bool]:
    """``text`` with each shell (``!cmd``) or magic (``%cmd``) line turned into ``pass`` at its indentation."""
    out, found = [], False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            out.append(line[:len(line) - len(stripped)] + "pass")
            found = True
        else:
            out.append(line)
    return "\n".join(out), found


CHECKER = "autograder.notebook_check"  # the in-notebook check's machinery: a set-up cell, not the student's code


def _keeps(stmt: ast.stmt) -> bool:
    """Imports (but the check's own), definitions, constant assignments, and try blocks made only of those."""
    if isinstance(stmt, ast.ImportFrom) and stmt.module == CHECKER or (
            isinstance(stmt, ast.Import) and any(a.name == CHECKER for a in stmt.names)):
        return False
    if isinstance(stmt, _DEFINITIONS):
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return (stmt.value is not None and all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets)
                and _is_constant(stmt.value))
    if isinstance(stmt, ast.Try):
        blocks = stmt.body + stmt.orelse + stmt.finalbody + [s for h in stmt.handlers for s in h.body]
        return all(isinstance(s, ast.Pass) or _keeps(s) for s in blocks)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return True  # a docstring
    return False


def _is_check(stmt: ast.stmt) -> bool:
    """The in-notebook check's own lines: its import, ``check = Checker("vae")`` and ``check("B.1")``."""
    if isinstance(stmt, ast.ImportFrom) and stmt.module == CHECKER:
        return True
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    return isinstance(value, ast.Call) and _dotted(value.func) in ("check", "Checker")


def _is_constant(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if _dotted(sub.func) not in CONSTANT_CALLS:
                return False
        elif not isinstance(sub, _CONSTANT_NODES + (ast.expr_context,)):
            return False
    return True


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _absent_module(stmt: ast.stmt) -> str | None:
    """The top-level module a plain import names when it is not installed here (``google.colab``), else None."""
    if isinstance(stmt, ast.Import):
        names = [a.name for a in stmt.names]
    elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
        names = [stmt.module]
    else:
        return None
    for full in names:
        top = full.split(".")[0]
        if top in sys.builtin_module_names or top in sys.stdlib_module_names:
            continue
        try:
            if importlib.util.find_spec(top) is None:
                return full
        except (ImportError, ValueError):
            return full
    return None


def _note(name: str, left_out: list[int], magic: list[int], broken: list[str], missing: list[str]) -> str:
    """One line: e.g. "vae.ipynb: graded its imports, definitions and constants; left out, not run: the other
    statements of cells 4, 7; shell/magic lines of cell 1; cell 6 (syntax error at its line 2: ...)"."""
    parts = []
    if left_out:
        parts.append(f"the other statements (training, plots, calls) of cell{_s(left_out)} {_numbers(left_out)}")
    if magic:
        parts.append(f"shell/magic lines of cell{_s(magic)} {_numbers(magic)}")
    parts += broken + missing
    return f"{name}: graded its imports, definitions and constants" + (
        "; left out, not run: " + "; ".join(parts) if parts else "") + "."


def _s(numbers: list[int]) -> str:
    return "s" if len(numbers) > 1 else ""


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))
