"""Grading time and peak memory for each assignment and for the whole submission.

    python benchmarks/bench_grading.py [SUBMISSION]   # default: solutions/

Each measurement runs in a fresh process: wall time of grading, the grading
process's peak RSS, and the largest worker's peak RSS (the worker is the
grader's child, so RUSAGE_CHILDREN reports it). Their sum bounds the memory
the two need together.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, resource, sys, time
from autograder.api import grade
t = time.perf_counter()
report = grade(sys.argv[1], sys.argv[2].split(",") if sys.argv[2] else None)
wall = time.perf_counter() - t
parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall": wall, "parent_mb": parent, "worker_mb": worker, "score": report.score}))
"""


def measure(submission: str, assignments: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, submission, assignments], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    submission = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "solutions")
    print(f"{'assignment':<12}{'wall s':>8}{'parent MB':>11}{'worker MB':>11}{'sum MB':>9}{'score':>7}")
    for name in ("vae", "cvae", "conv_vae", "pca_ae", "faces", ""):
        m = measure(submission, name)
        print(f"{name or 'all five':<12}{m['wall']:8.1f}{m['parent_mb']:11.0f}{m['worker_mb']:11.0f}"
              f"{m['parent_mb'] + m['worker_mb']:9.0f}{m['score']:7g}")


if __name__ == "__main__":
    main()
