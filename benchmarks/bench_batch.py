"""Reliability of class grading: repeatability, a mixed batch, and scaling with workers.

    python benchmarks/bench_batch.py [--repeats 20] [--submissions 50]

1. The same submission (the vae.py reference) graded ``--repeats`` times: every
   results.json score must be identical.
2. A batch of ``--submissions`` generated vae.py submissions (correct variants,
   catalogued bugs, hostile files, cycled) graded by ``python -m autograder
   batch`` with 1 and with 2 local workers and on a local Dask cluster of two
   worker processes (``--executor dask``): every score must be as expected
   (correct: 100; bug: below 100 with its intended items lost; hostile: 0), the
   three gradebooks identical, and the throughputs (submissions per minute) are
   printed side by side.
3. Resume after a kill: a 2-worker batch of the same submissions is killed
   (SIGKILL to its whole process group, no chance to clean up) once half its
   submissions are recorded in done.json, then run again: the second run must
   skip exactly the ones the first finished and end with the same gradebook.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
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


def run_batch(folder: Path, label: str, *options: str) -> tuple[float, dict, str]:
    """(wall seconds, results.json by submission, the gradebook's text) of one batch run."""
    out = folder.with_name(f"{folder.name}_{label}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "batch", str(folder), *options,
                    "--out", str(out), "-a", "vae"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - t
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "items.csv"))}
    results = {name: json.loads((out / name / "results.json").read_text()) for name in rows}
    return wall, results, (out / "gradebook.csv").read_text()


def kill_and_resume(folder: Path, reference_book: str) -> str:
    """Kill a 2-worker batch half way (SIGKILL to its process group), re-run it; one line of what happened."""
    out = folder.with_name(f"{folder.name}_resume")
    command = [sys.executable, "-m", "autograder", "batch", str(folder), "--workers", "2", "--out", str(out),
               "-a", "vae"]
    n = len([p for p in folder.iterdir() if p.is_dir()])
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    while proc.poll() is None and len(list(out.glob("*/done.json"))) < n // 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = len(list(out.glob("*/done.json")))
    t = time.perf_counter()
    rerun = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    wall = time.perf_counter() - t
    line = next((ln for ln in rerun.stdout.splitlines() if ln.startswith("graded ")), rerun.stdout.strip())
    same = (out / "gradebook.csv").read_text() == reference_book
    return (f"resume after SIGKILL at {kept} of {n} recorded: re-run took {wall:.0f} s ({line.split(':')[0]}); "
            f"gradebook identical to the uninterrupted run: {same}")


def check(expected: dict, results: dict) -> list[str]:
    wrong = []
    for name, want in expected.items():
        data = results[name]
        lost = {t["tags"][1].removesuffix(".h") for t in data["tests"]
                if t.get("status") == "failed" and len(t["tags"]) > 1}
        ok = (data["score"] == 100 if want == "full" else data["score"] == 0 if want == "zero"
              else data["score"] < 100 and set(want[4:].split(",")) <= lost)
        if not ok:
            wrong.append(f"{name}: expected {want}, got {data['score']}")
    return wrong


def main() -> None:
    # Hostile files that hang would otherwise use the full default deadlines (20 s a call, 300 s in all);
    # tighter ones keep the benchmark short. The total must leave room for a correct submission on a
    # loaded machine (a vae grading takes 15-20 s on 2 busy cores): 40 s was seen to cut one short.
    os.environ.setdefault("AUTOGRADER_CALL_TIMEOUT", "10")
    os.environ.setdefault("AUTOGRADER_TOTAL_BUDGET", "120")
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
            scores.append((data["score"], tuple((t["name"], t.get("score")) for t in data["tests"])))
        print(f"repeatability: {args.repeats} gradings of the vae.py reference, "
              f"{len(set(scores))} distinct result(s), score {scores[0][0]}")
        batch = tmp / "class"
        expected = make_batch(batch, args.submissions)
        runs = {}
        for label, options in (("1 local worker", ["--workers", "1"]), ("2 local workers", ["--workers", "2"]),
                               ("Dask, 2 worker processes", ["--executor", "dask"])):
            if options[0] == "--executor":
                from distributed import LocalCluster

                with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
                    runs[label] = run_batch(batch, "dask", *options, "--scheduler", cluster.scheduler_address)
            else:
                runs[label] = run_batch(batch, options[1], *options)
            wall, results, _ = runs[label]
            wrong = check(expected, results)
            print(f"batch of {len(expected)}, {label}: {wall:.0f} s, {60 * len(expected) / wall:.1f} submissions "
                  f"per minute, {len(expected) - len(wrong)} as expected" + (f"; wrong: {wrong}" if wrong else ""))
        books = {book for _, _, book in runs.values()}
        walls = {label: wall for label, (wall, _, _) in runs.items()}
        print(f"gradebooks identical across the three: {len(books) == 1}; throughput relative to 1 local worker: "
              + ", ".join(f"{label} {walls['1 local worker'] / wall:.2f}x" for label, wall in walls.items()))
        print(kill_and_resume(batch, runs["1 local worker"][2]))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"largest single process (grader or worker) peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
