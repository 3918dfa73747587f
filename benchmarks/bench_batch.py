"""Reliability of class grading: repeatability, a mixed batch, and scaling with workers.

    python benchmarks/bench_batch.py [--repeats 20] [--submissions 50]

1. The same submission (the vae.py reference) graded ``--repeats`` times: every
   results.json score must be identical.
2. A batch of ``--submissions`` generated vae.py submissions (correct variants,
   catalogued bugs, hostile files, cycled) graded by ``python -m autograder
   batch`` with 1 and with 2 workers: every score must be as expected (correct:
   100; bug: below 100 with its intended items lost; hostile: 0), and the wall
   times are printed side by side with their ratio.
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.catalogues.vae import BUGS, CORRECT  # noqa: E402

HOSTILE = sorted((ROOT / "tests" / "hostile").glob("*.py"))


def make_batch(folder: Path, n: int) -> dict[str, str]:
    """n submission folders; returns name -> expected outcome ("full", "bug:<items>", "zero")."""
    pool = [("correct", v) for v in CORRECT] + [("bug", v) for v in BUGS] + [("hostile", p) for p in HOSTILE]
    expected = {}
    for i in range(n):
        kind, what = pool[i % len(pool)]
        sub = folder / f"s{i:03d}_{kind}"
        sub.mkdir(parents=True)
        if kind == "hostile":
            shutil.copyfile(what, sub / "vae.py")
            expected[sub.name] = "zero"
        else:
            what.write(sub)
            expected[sub.name] = "full" if kind == "correct" else "bug:" + ",".join(sorted(what.lose))
    return expected


def run_batch(folder: Path, workers: int) -> tuple[float, dict]:
    out = folder.with_name(f"{folder.name}_w{workers}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "batch", str(folder), "--workers", str(workers),
                    "--out", str(out), "-a", "vae"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - t
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    return wall, {name: json.loads((out / name / "results.json").read_text()) for name in rows}


def check(expected: dict, results: dict) -> list[str]:
    wrong = []
    for name, want in expected.items():
        data = results[name]
        lost = {t["tags"][1] for t in data["tests"] if t["status"] == "failed" and len(t["tags"]) > 1}
        ok = (data["score"] == 100 if want == "full" else data["score"] == 0 if want == "zero"
              else data["score"] < 100 and set(want[4:].split(",")) <= lost)
        if not ok:
            wrong.append(f"{name}: expected {want}, got {data['score']}")
    return wrong


def main() -> None:
    # Hostile files that hang would otherwise use the full default deadlines (20 s a call, 300 s in all);
    # tighter ones keep the benchmark short without changing any outcome.
    import os

    os.environ.setdefault("AUTOGRADER_CALL_TIMEOUT", "5")
    os.environ.setdefault("AUTOGRADER_TOTAL_BUDGET", "40")
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scores = []
        for i in range(args.repeats):
            out = tmp / f"repeat{i}.json"
            subprocess.run([sys.executable, "-m", "autograder", str(ROOT / "solutions"), "-a", "vae", "--json",
                            str(out)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            data = json.loads(out.read_text())
            scores.append((data["score"], tuple((t["name"], t["score"]) for t in data["tests"])))
        print(f"repeatability: {args.repeats} gradings of the vae.py reference, "
              f"{len(set(scores))} distinct result(s), score {scores[0][0]}")
        batch = tmp / "class"
        expected = make_batch(batch, args.submissions)
        walls = {}
        for workers in (1, 2):
            walls[workers], results = run_batch(batch, workers)
            wrong = check(expected, results)
            print(f"batch of {len(expected)} with {workers} worker(s): {walls[workers]:.0f} s, "
                  f"{len(expected) - len(wrong)} as expected" + (f"; wrong: {wrong}" if wrong else ""))
        print(f"wall-time ratio 1 worker / 2 workers: {walls[1] / walls[2]:.2f}x")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"largest single process (grader or worker) peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
