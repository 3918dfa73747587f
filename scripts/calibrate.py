"""Measure the reference over many seeds and check the stored smoke thresholds against their rules.

    python scripts/calibrate.py ASSIGNMENT [--seeds 20] [--contrasts] [--out FILE]

Reads the assignment's smoke settings from ``course.registry`` (the dicts of autograder/calibration.py),
copies solutions/ASSIGNMENT.py into a temporary folder and measures it once per seed with
``scripts/measures/ASSIGNMENT.py`` (the trusted trainer, the gateway and the metrics of the
graded items), then writes docs/calibration/ASSIGNMENT.txt: the settings, one row per seed, each metric's
range and its value at the graded seed, and every threshold's stored value beside the value its rule
(the registry entry's ``smoke_rules``, from autograder/calibration.py) gives from this run's ranges: OK when they are equal and the reference passes the stored value on every seed, MISMATCH otherwise (exit status 1).
``--contrasts`` also prints the metrics of the bugs the assignment's module lists, if any.
"""
from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # scripts/measures/<assignment>.py

from autograder import calibration
from course import registry


def number(value: float) -> str:
    return f"{value:.7g}"


def verdict(rule: calibration.Rule, stored, lo: float, hi: float) -> tuple[float, str]:
    """The rule's value from the range [lo, hi] and whether the stored threshold agrees with it."""
    value = rule.value(lo, hi)
    ok = abs(value - stored) <= 1e-6 * rule.step and rule.passes(lo, hi, stored)
    return value, "OK" if ok else "MISMATCH"


def report(name: str, module, settings: dict, rows: list[dict], fixed: dict, seconds: list[float]) -> tuple[str, bool]:
    """The text of docs/calibration/<name>.txt, and whether every threshold is OK."""
    import torch

    graded = settings["seed"]
    metrics = module.METRICS
    doc = (module.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    lines = [f"Calibration of {name}'s smoke thresholds: python scripts/calibrate.py {name} --seeds {len(rows)}",
             *textwrap.wrap(f"Measured: {' '.join(doc.split())}", 110, subsequent_indent="  "),
             "Settings: " + ", ".join(f"{k}={settings[k]}" for k in settings if k in calibration.SETTING_KEYS),
             (f"Seeds 0-{len(rows) - 1}; grading uses seed {graded}; torch {torch.__version__}; "
              f"{sum(seconds):.0f} s in all."),
             ]
    if fixed:
        lines.append("Fixed figures: " + ", ".join(f"{k} {number(v)}" for k, v in fixed.items()))
    width = max(len(m) for m in metrics) + 2
    lines += ["", "per seed:", "seed " + " ".join(f"{m:>{max(len(m), 11)}}" for m in metrics) + "  seconds"]
    for seed, (row, s) in enumerate(zip(rows, seconds)):
        lines.append(f"{seed:4d} " + " ".join(f"{row[m]:>{max(len(m), 11)}.6g}" for m in metrics) + f"  {s:7.1f}")
    ranges = {m: (min(r[m] for r in rows), max(r[m] for r in rows)) for m in metrics}
    lines += ["", f"ranges over the seeds (metric, min, max, at seed {graded}):"]
    for m in metrics:
        at = number(rows[graded][m]) if graded < len(rows) else "-"
        lines.append(f"{m:<{width}} {number(ranges[m][0]):>12} {number(ranges[m][1]):>12} {at:>12}")
    lines += ["", "thresholds (key, stored, rule's value from these ranges, verdict, rule):"]
    all_ok = True
    for key, rule, stored in calibration.thresholds(registry.get(name).smoke_rules, settings):
        value, word = verdict(rule, stored, *ranges[rule.metric])
        all_ok &= word != "MISMATCH"
        lines.append(f"{key:<24} {number(stored):>10} {number(value):>10}  {word:<20} {rule.text}")
    return "\n".join(lines) + "\n", all_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", choices=[n for n in registry.names() if registry.get(n).smoke is not None])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--contrasts", action="store_true", help="also grade the module's bug contrasts")
    parser.add_argument("--out", type=Path, help="where to write (default docs/calibration/ASSIGNMENT.txt)")
    args = parser.parse_args()
    name = args.assignment
    settings = registry.get(name).smoke
    module = importlib.import_module(f"measures.{name}")
    out = args.out or ROOT / "docs" / "calibration" / f"{name}.txt"

    rows, seconds = [], []
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        folder = Path(tmp) / "reference"
        folder.mkdir()
        shutil.copy(ROOT / "solutions" / f"{name}.py", folder)
        with module.measuring(folder, settings) as (measure, fixed):
            for seed in range(args.seeds):
                started = time.monotonic()
                rows.append(measure(seed))
                seconds.append(time.monotonic() - started)
                shown = "  ".join(f"{m} {rows[-1][m]:.4g}" for m in module.METRICS)
                print(f"seed {seed:2d} ({seconds[-1]:.1f} s)  {shown}", flush=True)
        if args.contrasts and hasattr(module, "contrasts"):
            for bug, m in module.contrasts(folder, settings).items():
                print(f"contrast {bug} (seed {settings['seed']}): " + "  ".join(f"{k} {v:.4g}" for k, v in m.items()))

    text, all_ok = report(name, module, settings, rows, fixed, seconds)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print("\n" + text + f"written to {out}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
