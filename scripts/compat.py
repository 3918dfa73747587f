"""The compatibility matrix: the grader installed into fresh venvs of other Pythons, torches and numpys.

    python scripts/compat.py                      # every cell; writes docs/compatibility.md
    python scripts/compat.py --cell floor-numpy   # one cell (repeatable); the table is printed, not written
    python scripts/compat.py --list               # the cells

Each cell is a venv (under ``--venvs``, default ``.compat/``, reused when it exists) of one Python, with
torch, torchvision and numpy pinned where the cell says and resolved by pip where it does not, and the grader
installed from this checkout as a wheel (not editable: the layout users get). In it, from a folder outside
the checkout, the cell grades:

- the references (``solutions/``): every item earns its points (400 and the bonus 20);
- the stubs (``assignment/``): nothing earns a point;
- one bug per assignment from ``tests/catalogues/`` (the first of each catalogue): each loses an item it
  must lose (``Variant.lose``).

Each cell's row is kept in ``<venvs>/results.json``; ``docs/compatibility.md`` is written from those rows once
every cell has one (of the grader as it is now: the rows of an older grader are dropped), so cells can run
one at a time.
Pythons are found as ``pythonX.Y`` on PATH, else under ``~/.pyenv/versions``. Cells download torch (a CUDA
build from the package index, several GB per cell, cached by pip).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.catalogues import conv_vae, cvae, faces, pca_ae, vae  # noqa: E402 - the checkout's own catalogues

BUGS = [module.BUGS[0] for module in (vae, cvae, conv_vae, pca_ae, faces)]
DOC = ROOT / "docs" / "compatibility.md"


@dataclass(frozen=True)
class Cell:
    """One venv: ``python`` "3.10"; each of ``torch``, ``torchvision``, ``numpy`` a pin ("2.4.1") or "" (pip
    resolves it beside the others)."""

    name: str
    python: str
    torch: str
    torchvision: str
    numpy: str = ""
    why: str = ""

    def requirements(self) -> list[str]:
        return [f"{name}=={pin}" if pin else name for name, pin in
                (("torch", self.torch), ("torchvision", self.torchvision), ("numpy", self.numpy))]


CELLS = [
    Cell("floor-numpy", "3.10", "2.4.1", "0.19.1", "1.26.4", "every declared floor at once"),
    Cell("floor", "3.10", "2.4.1", "0.19.1", "", "the torch floor with the numpy pip pairs with it"),
    Cell("ci", "3.11", "2.14.1", "0.29.1", "", "what CI runs"),
    Cell("py312-newest", "3.12", "2.15.0", "", "", "the newest torch"),
    Cell("py313-floor", "3.13", "2.6.0", "0.21.0", "", "the oldest torch whose torchvision has wheels for Python 3.13"),
    Cell("py313-newest", "3.13", "2.15.0", "", "", "the newest Python with the newest torch"),
]


def find_python(version: str) -> str:
    """An interpreter of ``version`` that runs: ``pythonX.Y`` on PATH, else one under ``~/.pyenv/versions``."""
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(f / "bin" / "python") for f in sorted(pyenv.glob(f"{version}.*"), reverse=True)] \
        if pyenv.is_dir() else []
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(f"compat: no Python {version} (looked for python{version} on PATH and in {pyenv})")


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def build_wheel(out: Path) -> Path:
    proc = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT])
    if proc.returncode != 0:
        raise SystemExit(f"compat: building the grader's wheel failed:\n{proc.stderr[-2000:]}")
    return next(out.glob("dgm_autograder-*.whl"))


def make_venv(cell: Cell, venvs: Path, wheel: Path) -> tuple[Path, dict]:
    """The cell's venv (made once) with the grader's wheel installed fresh; returns (python, versions)."""
    venv = venvs / cell.name
    python = venv / "bin" / "python"
    env = {**os.environ, "PIP_CONSTRAINT": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # the cell's pins only
    if not python.is_file():
        made = run([find_python(cell.python), "-m", "venv", venv])
        if made.returncode != 0:
            raise SystemExit(f"compat: {cell.name}: venv failed: {made.stderr[-1000:]}")
        pinned = run([python, "-m", "pip", "install", "-q", *cell.requirements()], env=env)
        if pinned.returncode != 0:
            shutil.rmtree(venv)
            raise SystemExit(f"compat: {cell.name}: pip install {' '.join(cell.requirements())} failed:\n"
                             f"{pinned.stderr[-2000:]}")
    installed = run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel], env=env)
    deps = run([python, "-m", "pip", "install", "-q", wheel], env=env)  # what the wheel needs beside the pins
    if installed.returncode != 0 or deps.returncode != 0:
        raise SystemExit(f"compat: {cell.name}: installing the grader failed:\n{(installed.stderr + deps.stderr)[-2000:]}")
    versions = json.loads(run([python, "-c", "import json, sys, numpy, torch, torchvision; print(json.dumps({"
                               "'python': sys.version.split()[0], 'torch': torch.__version__, "
                               "'torchvision': torchvision.__version__, 'numpy': numpy.__version__}))"]).stdout)
    return python, versions


def grade(python: Path, submission: Path, work: Path, name: str) -> tuple[dict, str]:
    """({item tag: (earned, points)}, problem text or "") of grading ``submission`` with the cell's grader."""
    results = work / f"{name}.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_SUBMISSION")}
    proc = run([python, "-m", "autograder", submission, "--json", results], cwd=work, env=env, timeout=1800)
    if proc.returncode != 0 or not results.is_file():
        return {}, f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}"
    data = json.loads(results.read_text())
    items = {}
    for test in data["tests"]:
        if "score" in test and test.get("tags") and test["tags"][0] in ("vae", "cvae", "conv_vae", "pca_ae", "faces"):
            items[f"{test['tags'][0]}:{test['tags'][1]}"] = (test["score"], test["max_score"])
    return items, ""


def check_cell(cell: Cell, venvs: Path, wheel: Path) -> dict:
    started = time.monotonic()
    python, versions = make_venv(cell, venvs, wheel)
    row = {"cell": cell.name, "why": cell.why, **versions}
    with tempfile.TemporaryDirectory(prefix="compat-") as tmp:
        work = Path(tmp)
        refs, problem = grade(python, ROOT / "solutions", work, "references")
        earned, possible = sum(e for e, _ in refs.values()), sum(p for _, p in refs.values())
        row["references"] = problem or f"{earned:g} / {possible:g}"
        row["references_ok"] = not problem and earned == possible and possible > 0
        stubs, problem = grade(python, ROOT / "assignment", work, "stubs")
        row["stubs"] = problem or f"{sum(e for e, _ in stubs.values()):g} / {sum(p for _, p in stubs.values()):g}"
        row["stubs_ok"] = not problem and bool(stubs) and sum(e for e, _ in stubs.values()) == 0
        bugs = work / "bugs"
        for bug in BUGS:
            bug.write(bugs)
        graded, problem = grade(python, bugs, work, "bugs")
        lost = {key for key, (earned, points) in graded.items() if earned < points}
        caught = [b for b in BUGS if any(f"{b.assignment}:{i}" in lost for i in b.lose)]
        row["bugs"] = problem or f"{len(caught)} / {len(BUGS)} caught"
        row["bugs_ok"] = not problem and len(caught) == len(BUGS)
    row["seconds"] = round(time.monotonic() - started)
    return row


def table(rows: list[dict]) -> str:
    head = "| cell | Python | torch | torchvision | numpy | references | stubs | bugs | s |\n" + "|---" * 9 + "|\n"
    body = "".join(f"| {r['cell']} | {r['python']} | {r['torch']} | {r['torchvision']} | {r['numpy']} | "
                   f"{r['references']} | {r['stubs']} | {r['bugs']} | {r['seconds']} |\n" for r in rows)
    return head + body


def write_doc(rows: list[dict]) -> None:
    cells = "".join(f"- **{c.name}**: {c.why}; pins: {', '.join(c.requirements())}\n" for c in CELLS)
    DOC.write_text(
        "# Compatibility\n\n"
        "What `python scripts/compat.py` measured: each cell a fresh venv with the grader installed from a wheel,\n"
        "grading the references (every item must earn its points), the stubs (nothing may) and the first bug of\n"
        "each assignment's catalogue (each must lose an item it targets). A pin left out is what pip resolved\n"
        "beside the others. The floors in `pyproject.toml` are the oldest versions of these cells.\n\n"
        f"{table(rows)}\n"
        f"Grader: commit {', '.join(sorted({r.get('commit', 'unknown') for r in rows}))}.\n\n"
        f"Cells:\n\n{cells}\n"
        "torch 2.2 and older were built for numpy 1: beside numpy 2 (which pip picks today) they cannot convert\n"
        "tensors to numpy (\"Numpy is not available\"). The floor is torch 2.4, the oldest graded here; a grader\n"
        "installed beside an older torch, or a torch that cannot reach numpy, is refused before any item runs\n"
        "(`autograder/environment.py`: exit status 3, the reason and its fix for course staff).\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/compat.py", description=__doc__.splitlines()[0])
    parser.add_argument("--cell", action="append", choices=[c.name for c in CELLS], help="only this cell (repeatable)")
    parser.add_argument("--venvs", type=Path, default=ROOT / ".compat", help="where the cells' venvs live")
    parser.add_argument("--list", action="store_true", help="list the cells and exit")
    args = parser.parse_args(argv)
    if args.list:
        for c in CELLS:
            print(f"{c.name:<14} Python {c.python}  {' '.join(c.requirements()):<50} {c.why}")
        return 0
    chosen = [c for c in CELLS if not args.cell or c.name in args.cell]
    args.venvs.mkdir(parents=True, exist_ok=True)
    store = args.venvs / "results.json"
    version = grader_version()
    kept = json.loads(store.read_text()) if store.is_file() else {}
    kept = {name: row for name, row in kept.items() if row.get("grader") == version}
    rows = []
    with tempfile.TemporaryDirectory(prefix="compat-wheel-") as tmp:
        wheel = build_wheel(Path(tmp))
        for cell in chosen:
            print(f"compat: {cell.name} ...", file=sys.stderr, flush=True)
            rows.append({**check_cell(cell, args.venvs, wheel), "grader": version, "commit": commit()})
            kept[cell.name] = rows[-1]
            store.write_text(json.dumps(kept, indent=1))
            print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(rows))
    ok = all(r["references_ok"] and r["stubs_ok"] and r["bugs_ok"] for r in rows)
    if all(c.name in kept for c in CELLS):
        write_doc([kept[c.name] for c in CELLS])
        print(f"compat: wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0 if ok else 1


def commit() -> str:
    """The checkout's commit, with "+changes" when its tracked files differ from it."""
    head = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip() or "unknown"
    dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    return head + ("+changes" if dirty else "")


def grader_version() -> str:
    """The grader's code as graded: the hash of every tracked file of autograder/, course/, solutions/ and
    assignment/ (git), so rows of another version of the grader are not mixed into one table."""
    proc = run(["git", "-C", ROOT, "ls-files", "-s", "autograder", "course", "solutions", "assignment"])
    return hashlib.sha256(proc.stdout.encode()).hexdigest()[:12] if proc.returncode == 0 else "unknown"


if __name__ == "__main__":
    sys.exit(main())
