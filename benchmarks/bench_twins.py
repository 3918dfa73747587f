"""What the held-out twins cost: grading the references with every item (this checkout, as a Gradescope
bundle grades) against the public items only (a student hand-out built by ``release``), side by side.

    python benchmarks/bench_twins.py [--repeat 3] [ASSIGNMENT ...]

Each grading runs in a fresh process (``python -m autograder``), alternating between the two trees;
the best of ``--repeat`` wall times of each is printed with their ratio.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"  # both trees read the same data cache
sys.path.insert(0, str(ROOT))

from autograder.distribute import release  # noqa: E402
from course import registry  # noqa: E402


def timed(tree: Path, assignment: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "autograder", str(ROOT / "solutions"), "-a", assignment], cwd=tree,
                   check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(tree), "COURSE_DATA": os.environ.get("COURSE_DATA", str(DATA))})
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(registry.names()))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        handout = release(Path(tmp) / "handout")
        print(f"{'assignment':<10} {'all items (s)':>14} {'public only (s)':>16} {'ratio':>6}")
        for name in args.assignments:
            full, public = [], []
            for _ in range(args.repeat):
                full.append(timed(ROOT, name))
                public.append(timed(handout, name))
            print(f"{name:<10} {min(full):>14.1f} {min(public):>16.1f} {min(full) / min(public):>6.2f}")


if __name__ == "__main__":
    main()
