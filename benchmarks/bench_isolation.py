"""Grading time with and without the kernel walls, side by side.

    python benchmarks/bench_isolation.py [--repeats 3] [SUBMISSION]   # default: solutions/

For each assignment, grades ``SUBMISSION`` in a fresh process
(``python -m autograder SUBMISSION -a NAME``) under three settings, interleaved
so that drifts of the machine hit all three alike:

- namespaces + Landlock + seccomp (``--isolation kernel``, the default here);
- Landlock + seccomp alone (``AUTOGRADER_NAMESPACES=0``, the fallback where user
  namespaces are refused);
- the Python audit hook only (``--isolation python``).

Prints the median wall time of each and the extra seconds of the kernel walls.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course import registry  # noqa: E402
SETTINGS = {"namespaces+landlock+seccomp": ("kernel", "1"), "landlock+seccomp": ("kernel", "0"),
            "python hook only": ("python", "1")}


def grade_seconds(submission: str, assignment: str, isolation: str, namespaces: str) -> tuple[float, str]:
    env = {**os.environ, "AUTOGRADER_ISOLATION": isolation, "AUTOGRADER_NAMESPACES": namespaces}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", submission, "-a", assignment], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    return wall, proc.stdout.strip().splitlines()[-1].split(":", 1)[1].strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("submission", nargs="?", default=str(ROOT / "solutions"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    names = list(SETTINGS)
    print(f"{'assignment':<10}" + "".join(f"{n:>30}" for n in names) + f"{'kernel extra':>14}   score")
    for assignment in registry.names():
        times = {n: [] for n in names}
        scores = set()
        for _ in range(args.repeats):
            for name in names:
                wall, score = grade_seconds(args.submission, assignment, *SETTINGS[name])
                times[name].append(wall)
                scores.add(score)
        med = {n: statistics.median(t) for n, t in times.items()}
        extra = med[names[0]] - med["python hook only"]
        print(f"{assignment:<10}" + "".join(f"{med[n]:>29.2f}s" for n in names) + f"{extra:>+13.2f}s   "
              + " | ".join(sorted(scores)))


if __name__ == "__main__":
    main()
