"""Build what leaves the course staff's hands.

    python -m autograder release OUT          # the student hand-out
    python -m autograder release OUT --notebooks   # ... and one notebook per assignment, with check cells
    python -m autograder gradescope OUT.zip [--assignment vae ...]   # a Gradescope autograder bundle

The hand-out holds the stubs, the trusted course code, the public graded items
and the students' README; never solutions/, hidden items or the project's own
tests. The Gradescope bundle holds the whole grader (hidden items included)
and the course code, never solutions/; each bundle gets a fresh held-out seed
(``autograder.hidden``), which the hand-out never holds.
"""
from __future__ import annotations

import argparse
import json
import re
import secrets
import shlex
import shutil
import stat
import sys
import zipfile
from pathlib import Path

from autograder.hidden import SEED_FILE
from course import registry
from autograder.report import failed_results
from autograder.rubric import hidden_files

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")


def _copy_packages(out: Path, *, hidden: bool) -> None:
    shutil.copytree(ROOT / "course", out / "course", ignore=IGNORE)

    left_out = set() if hidden else set(hidden_files(ROOT / "autograder" / "graded"))  # by their markers
    if not hidden:
        left_out.add(ROOT / "autograder" / "stand_ins.py")  # grading only: the grader's versions are TODO answers
        left_out.add(SEED_FILE)  # no held-out seed, so no twins: they run on Gradescope only

    def ignore(folder, names):
        return set(IGNORE(folder, names)) | {n for n in names if Path(folder) / n in left_out}

    shutil.copytree(ROOT / "autograder", out / "autograder", ignore=ignore)
    shutil.copyfile(ROOT / "pyproject.toml", out / "pyproject.toml")


def release(out: Path, notebooks: bool = False) -> Path:
    """The student hand-out in folder ``out`` (must not exist yet); with ``notebooks``, also
    ``out/notebooks/<name>.ipynb`` for each assignment (``autograder.notebook_release``)."""
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose a new folder")
    out.mkdir(parents=True)
    _copy_packages(out, hidden=False)
    shutil.copytree(ROOT / "assignment", out / "assignment", ignore=IGNORE)
    shutil.copyfile(ROOT / "assignment" / "README.md", out / "README.md")
    (out / "docs").mkdir()
    shutil.copyfile(ROOT / "docs" / "contract.md", out / "docs" / "contract.md")
    if notebooks:
        from autograder.notebook_release import write_notebooks

        write_notebooks(out / "notebooks", out)  # from the hand-out's own files: public items only
    return out


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip > /dev/null
if ! python3 -c 'import sys; sys.exit(sys.version_info < (@MAJOR@, @MINOR@))'; then
  echo "setup.sh: the grader needs Python >= @MAJOR@.@MINOR@, and this image's python3 is $(python3 --version 2>&1)." >&2
  echo "setup.sh: choose a newer base image in the autograder settings (Ubuntu 22.04 or later)." >&2
  exit 1
fi
python3 -m venv /autograder/venv
# torch's CPU-only build (a fraction of the CUDA one's size; the worker sees no GPU anyway): uv knows where
# PyTorch publishes it (--torch-backend), for torch and torchvision alike.
/autograder/venv/bin/pip install --quiet uv
/autograder/venv/bin/uv pip install --quiet --python /autograder/venv/bin/python --torch-backend cpu /autograder/source
/autograder/venv/bin/python -c "import torch; assert torch.version.cuda is None, torch.__version__; print('setup.sh: torch', torch.__version__, '(CPU-only build)')"
# Build the embedded digits once, as root, so grading only reads them.
COURSE_DATA=/autograder/data /autograder/venv/bin/python -c "from course.data import load_images; load_images('digits', True); load_images('digits', False)"
chmod -R a+rX /autograder/data
# The graded items (hidden ones included) are readable by root only; the worker runs unprivileged.
GRADED=$(/autograder/venv/bin/python -c "import autograder.api as a; print(a.GRADED)")
chmod -R go-rwx "$GRADED" /autograder/source/autograder/graded
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT lets tests use another root.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
COURSE_DATA="${COURSE_DATA:-$ROOT/data}" "$PY" -m autograder "$ROOT/submission"@ASSIGNMENTS@ --json "$ROOT/results/results.json"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  @WRITE_FAILED_RESULTS@ > "$ROOT/results/results.json"
fi
exit 0
"""


def setup_sh() -> str:
    """setup.sh, with the Python version that pyproject.toml requires (its one home)."""
    found = re.search(r'requires-python\s*=\s*">=(\d+)\.(\d+)"', (ROOT / "pyproject.toml").read_text())
    if found is None:
        raise ValueError("pyproject.toml has no requires-python = \">=X.Y\" line")
    return SETUP_SH.replace("@MAJOR@", found.group(1)).replace("@MINOR@", found.group(2))


def run_autograder(assignments: list[str] | None = None) -> str:
    """The run_autograder script, grading ``assignments`` (all when None). Where Python cannot run at all it
    still writes results.json: ``report.failed_results`` rendered now, into which the shell only puts the
    exit status."""
    marker = "@STATUS@"
    text = json.dumps(failed_results(f"The grader could not run (exit status {marker}). "
                                     "Please tell the course staff."))
    write = "printf '%s\\n' " + '"$status"'.join(shlex.quote(part) for part in text.split(marker))
    chosen = "".join(f" --assignment {shlex.quote(a)}" for a in assignments or [])
    return RUN_AUTOGRADER.replace("@WRITE_FAILED_RESULTS@", write).replace("@ASSIGNMENTS@", chosen)


def gradescope(zip_path: Path, assignments: list[str] | None = None) -> Path:
    """A Gradescope autograder zip: setup.sh and run_autograder at the top, the grader inside. It grades
    ``assignments`` only (a homework that asks for vae.py scores x / 100; the bonus only when named), or
    every assignment when None."""
    unknown = sorted(set(assignments or []) - set(registry.names()))
    if unknown:
        raise ValueError(f"unknown assignment(s) {', '.join(unknown)}; choose from {', '.join(registry.names())}")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", setup_sh()), ("run_autograder", run_autograder(assignments))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            zf.writestr(info, text)
        for package in ("autograder", "course"):
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" and path != SEED_FILE:
                    zf.write(path, path.relative_to(ROOT).as_posix())
        # this bundle's own held-out seed: the twins' inputs, known to no one outside it
        zf.writestr(SEED_FILE.relative_to(ROOT).as_posix(), f"{secrets.randbits(62)}\n")
        zf.write(ROOT / "pyproject.toml", "pyproject.toml")
        zf.write(ROOT / "README.md", "README.md")
    return zip_path


def main_release(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder release",
                                     description="Write the student hand-out (stubs, course code, public items).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--notebooks", action="store_true",
                        help="also write notebooks/<name>.ipynb: the handout, the stub's cells and check cells")
    args = parser.parse_args(argv)
    try:
        print(f"hand-out written to {release(args.out, args.notebooks)}"
              + (f" (notebooks in {args.out / 'notebooks'})" if args.notebooks else ""))
    except FileExistsError as exc:
        print(f"autograder release: {exc}", file=sys.stderr)
        return 2
    return 0


def main_gradescope(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder gradescope",
                                     description="Write a Gradescope autograder bundle (zip).")
    parser.add_argument("zip", type=Path)
    parser.add_argument("-a", "--assignment", action="append", choices=registry.names(), dest="assignments",
                        help="grade only this assignment's file (repeat for several; default: all five)")
    args = parser.parse_args(argv)
    bundle = gradescope(args.zip, args.assignments)
    print(f"Gradescope bundle written to {bundle}, grading {', '.join(args.assignments or registry.names())}")
    return 0
