"""Grading a notebook submission against the same code as .py files, side by side.

    python benchmarks/bench_notebooks.py [--repeats 2] [--assignment vae ...]

The references of the chosen assignments, once as ``<name>.py`` files and once as the notebooks
``release --notebooks`` builds from them (plus a training-loop cell and a plotting cell, which
grading must leave out), are graded alternately ``--repeats`` times each by ``python -m autograder``;
prints each wall time, the medians, their ratio, the scores (which must be equal) and the time the
conversion itself takes.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import nbformat  # noqa: E402
from nbformat.v4 import new_code_cell  # noqa: E402

from autograder.notebook_release import notebook  # noqa: E402
from autograder.notebooks import notebook_source  # noqa: E402
from course import registry  # noqa: E402

EXTRA = ["model = None\nfor epoch in range(100):\n    raise SystemExit('training must not run when grading')\n",
         "import matplotlib.pyplot as plt\nplt.imshow([[0, 1]])\nplt.show()\n"]


def grade(folder: Path, names: list[str], out: Path) -> tuple[float, float]:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", str(folder), *[a for n in names for a in ("-a", n)],
                    "--json", str(out)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t, json.loads(out.read_text())["score"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--assignment", action="append", choices=registry.names())
    args = parser.parse_args()
    names = args.assignment or list(registry.names())
    readme = (ROOT / "assignment" / "README.md").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files, notebooks = tmp / "files", tmp / "notebooks"
        files.mkdir()
        notebooks.mkdir()
        convert = []
        for name in names:
            shutil.copyfile(ROOT / "solutions" / f"{name}.py", files / f"{name}.py")
            nb = notebook(name, (ROOT / "solutions" / f"{name}.py").read_text(), readme,
                          ROOT / "autograder" / "graded" / name)
            nb.cells += [new_code_cell(text) for text in EXTRA]
            raw = nbformat.writes(nb).encode()
            (notebooks / f"{name}.ipynb").write_bytes(raw)
            t = time.perf_counter()
            for _ in range(20):
                notebook_source(raw, f"{name}.ipynb")
            convert.append((time.perf_counter() - t) / 20)
        walls = {"py": [], "ipynb": []}
        scores = {"py": set(), "ipynb": set()}
        for i in range(args.repeats):
            for kind, folder in (("py", files), ("ipynb", notebooks)):
                wall, score = grade(folder, names, tmp / f"{kind}{i}.json")
                walls[kind].append(wall)
                scores[kind].add(score)
                print(f"repeat {i + 1}, .{kind}: {wall:.1f} s, score {score:g}")
        py, nb = statistics.median(walls["py"]), statistics.median(walls["ipynb"])
        print(f"{', '.join(names)}: median .py {py:.1f} s, .ipynb {nb:.1f} s, ratio {nb / py:.3f}; "
              f"scores equal: {scores['py'] == scores['ipynb']} ({sorted(scores['py'])} / {sorted(scores['ipynb'])})")
        print(f"conversion alone: {1000 * statistics.mean(convert):.1f} ms per notebook (mean over {len(names)}, "
              "20 runs each)")


if __name__ == "__main__":
    main()
