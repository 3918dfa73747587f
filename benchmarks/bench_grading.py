"""Grading time and peak memory for each assignment and for the whole submission.

    python benchmarks/bench_grading.py [SUBMISSION]   # default: solutions/

Each measurement grades in a fresh process (``python -m autograder``) while
this script samples the grader and its worker every 50 ms from /proc:
- RSS: resident pages of each, summed. Both map the same torch libraries, so
  this counts those shared pages twice.
- PSS: proportional set size, shared pages split between the processes that
  map them; the sum is the memory the two really occupy together.
The peaks of both sums are printed with the wall time.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course import registry  # noqa: E402


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += map(int, children)
        frontier += map(int, children)
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(rss, pss) of one process in kB, (0, 0) when it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(submission: str, assignment: str) -> dict:
    cmd = [sys.executable, "-m", "autograder", submission] + (["-a", assignment] if assignment else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True)
    peak = {"rss": 0, "pss": 0}

    def sample():
        while proc.poll() is None:
            totals = [memory_kb(p) for p in tree(proc.pid)]
            peak["rss"] = max(peak["rss"], sum(t[0] for t in totals))
            peak["pss"] = max(peak["pss"], sum(t[1] for t in totals))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    score = out.strip().splitlines()[-1]
    return {"wall": time.perf_counter() - start, "rss_mb": peak["rss"] / 1024, "pss_mb": peak["pss"] / 1024,
            "total": score.split(":", 1)[1].strip()}


def main() -> None:
    submission = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "solutions")
    print(f"{'assignment':<12}{'wall s':>8}{'peak PSS MB':>13}{'peak RSS MB':>13}   total")
    for name in (*registry.names(), ""):
        m = measure(submission, name)
        print(f"{name or 'all':<12}{m['wall']:8.1f}{m['pss_mb']:13.0f}{m['rss_mb']:13.0f}   {m['total']}")


if __name__ == "__main__":
    main()
