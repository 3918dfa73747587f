"""Grade the references' held-out twins on many seeds: every twin must pass on every seed.

    python scripts/twin_seeds.py [--seeds 20] [ASSIGNMENT ...]

A bundle draws one seed and keeps it for every student, so a twin that fails the reference on
some seeds would fail every correct submission of that bundle. Prints, per assignment, the
number of twins, their points, the seeds tried and each failure (seed, item, message); exits 1
on any failure. Course staff run it after changing an item; its last output is kept in
docs/calibration/held_out.txt.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from autograder.api import grade
    from autograder.hidden import is_twin
    from course import registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=registry.names())
    parser.add_argument("--seeds", type=int, default=20, help="seeds 1..N (default 20)")
    args = parser.parse_args(argv)
    failures = 0
    print(f"{'assignment':<10} {'twins':>5} {'points':>6} {'seeds':>5} {'failed':>6} {'seconds':>7}")
    for name in args.assignments:
        started, twins, failed = time.monotonic(), [], []
        for seed in range(1, args.seeds + 1):
            os.environ["AUTOGRADER_HELD_OUT_SEED"] = str(seed)
            report = grade(ROOT / "solutions", [name], keyword="twin")
            twins = [i for i in report.of(name) if is_twin(i.item_id)]
            failed += [(seed, i.item_id, i.message) for i in report.items if not i.passed]
        print(f"{name:<10} {len(twins):>5} {sum(i.points for i in twins):>6g} {args.seeds:>5} {len(failed):>6} "
              f"{time.monotonic() - started:>7.0f}")
        for seed, item_id, message in failed:
            print(f"    seed {seed}: {item_id}: {message[:200]}")
        failures += len(failed)
    os.environ.pop("AUTOGRADER_HELD_OUT_SEED", None)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
