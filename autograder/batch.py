"""Grade a whole class: every sub-folder or zip of a folder is one submission.

    python -m autograder batch DIR [--workers N] [--csv grades.csv] [--out DIR_results]

Each submission is graded in its own process (``python -m autograder SUB --json
...``) under a wall-clock limit, so one that hangs or crashes costs only its
own time. Writes one results.json per submission and one CSV row each.
Gradescope's export layout (one folder per submission, plus
``submission_metadata.yml``) is read as is.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from autograder.report import failed_results
from autograder.results_file import write_results


def find_submissions(folder: Path) -> list[Path]:
    """Sub-folders and .zip files of ``folder``, sorted by name; hidden entries skipped."""
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith((".", "__")) and (p.is_dir() or p.suffix == ".zip"))


def grade_one(submission: Path, out: Path, timeout: float, extra: list[str]) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    cmd = [sys.executable, "-m", "autograder", str(submission), "--json", str(results), *extra]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        (out / "report.txt").write_bytes(proc.stdout[-200_000:])
        if proc.returncode != 0 or not results.is_file():
            data = failed_results(f"grading exited with status {proc.returncode}: "
                                  + proc.stdout.decode(errors="replace")[-1000:])
            write_results(results, data)
    except subprocess.TimeoutExpired:
        write_results(results, failed_results(f"grading took longer than {timeout:g} s"))
    return json.loads(results.read_text())


def write_csv(path: Path, rows: dict[str, dict]) -> None:
    columns: list[str] = []
    for data in rows.values():
        for test in data["tests"]:
            if test["name"] not in columns and "manual" not in test.get("tags", []):
                columns.append(test["name"])
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", "total", *columns])
        for name, data in rows.items():
            scores = {t["name"]: t["score"] for t in data["tests"]}
            writer.writerow([name, data["score"], *[scores.get(c, "") for c in columns]])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder batch", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--csv", type=Path, default=None, help="grades table (default OUT/grades.csv)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default FOLDER_results)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    parser.add_argument("--assignment", "-a", action="append", default=[], help="grade only these assignments")
    parser.add_argument("--isolation", choices=("auto", "kernel", "python"), default="auto",
                        help="walls around submitted code (see python -m autograder --help)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"autograder batch: {args.folder} is not a folder", file=sys.stderr)
        return 2
    from autograder import isolation

    try:
        for warning in isolation.plan(args.isolation).warnings:
            print(f"autograder batch: warning: {warning}", file=sys.stderr)
    except isolation.IsolationUnavailable as exc:
        print(f"autograder batch: {exc}", file=sys.stderr)
        return 2
    out = args.out or args.folder.with_name(args.folder.name + "_results")
    subs = find_submissions(args.folder)
    extra = [x for a in args.assignment for x in ("-a", a)] + ["--isolation", args.isolation]
    rows: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool, \
            tqdm(total=len(subs), unit="submission", desc="grading") as bar:
        futures = {pool.submit(grade_one, s, out / s.stem, args.timeout, extra): s for s in subs}
        for fut in as_completed(futures):
            rows[futures[fut].stem] = fut.result()
            bar.update(1)
    rows = dict(sorted(rows.items()))
    write_csv(args.csv or out / "grades.csv", rows)
    print(f"graded {len(rows)} submissions into {out}; grades in {args.csv or out / 'grades.csv'}")
    return 0
