"""Measure the reference over many seeds and check the stored smoke thresholds against their rules.

    python scripts/calibrate.py ASSIGNMENT [--seeds 20] [--contrasts] [--out FILE]

Reads the assignment's smoke settings from ``calibration.SMOKE`` (autograder/calibration.py),
copies solutions/ASSIGNMENT.py into a temporary folder and measures it once per seed with
``scripts/measures/ASSIGNMENT.py`` (the trusted trainer, the gateway and the metrics of the
graded items), then writes docs/calibration/ASSIGNMENT.txt: the settings, one row per seed, each metric's
range and its value at the graded seed, and every threshold's stored value beside the value its rule
(``calibration.RULES[ASSIGNMENT]``, from autograder/calibration.py) gives from this run's ranges: OK when
they are equal and every measured run passes the stored value, MISMATCH otherwise (exit status 1).

Where the contract leaves the architecture free, the measures module lists other correct architectures
(``architectures()``: label -> the file's source); each is measured over the same seeds, the ranges and rules
take every run of every architecture, and the report estimates each architecture's false-failure rate at the
graded seed (the share of seeds that fail, and a normal fit's tail beyond the threshold).
``--contrasts`` also prints the metrics of the bugs the assignment's module lists, if any.
"""
from __future__ import annotations

import argparse
import importlib
import math
import statistics
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


def false_failures(rule: calibration.Rule, threshold: float, values: list[float]) -> str:
    """How often a correct model of one architecture fails ``threshold``: failing seeds out of all, and the
    tail beyond it of a normal distribution fitted to the values (mean and sd over the seeds)."""
    fails = sum(not rule.passes(v, v, threshold) for v in values)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    if sd == 0:
        tail = float(fails > 0)
    else:
        z = (threshold - mean) / sd if rule.side == "upper" else (mean - threshold) / sd
        tail = 0.5 * math.erfc(z / math.sqrt(2))
    return f"{fails}/{len(values)} seeds fail; mean {number(mean)}, sd {number(sd)}, normal tail {tail:.1e}"


def report(name: str, module, settings: dict, runs: dict, fixed: dict) -> tuple[str, bool]:
    """The text of docs/calibration/<name>.txt, and whether every threshold is OK. ``runs``: architecture
    label -> (rows, seconds), one row of metrics per seed."""
    import torch

    graded = settings["seed"]
    rows = [row for rows_, _ in runs.values() for row in rows_]
    seconds = [s for _, seconds_ in runs.values() for s in seconds_]
    n_seeds = len(next(iter(runs.values()))[0])
    metrics = module.METRICS
    doc = (module.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    lines = [f"Calibration of {name}'s smoke thresholds: python scripts/calibrate.py {name} --seeds {n_seeds}",
             *textwrap.wrap(f"Measured: {' '.join(doc.split())}", 110, subsequent_indent="  "),
             "Settings: " + ", ".join(f"{k}={settings[k]}" for k in settings if k in calibration.SETTING_KEYS),
             (f"Seeds 0-{n_seeds - 1}; grading uses seed {graded}; torch {torch.__version__}; "
              f"{sum(seconds):.0f} s in all."),
             ]
    if len(runs) > 1:
        lines.append("Architectures: " + ", ".join(runs) + "; the ranges and rules take every run of each.")
    if fixed:
        lines.append("Fixed figures: " + ", ".join(f"{k} {number(v)}" for k, v in fixed.items()))
    width = max(len(m) for m in metrics) + 2
    for label, (rows_, seconds_) in runs.items():
        lines += ["", f"per seed ({label}):" if len(runs) > 1 else "per seed:",
                  "seed " + " ".join(f"{m:>{max(len(m), 11)}}" for m in metrics) + "  seconds"]
        for seed, (row, s) in enumerate(zip(rows_, seconds_)):
            lines.append(f"{seed:4d} " + " ".join(f"{row[m]:>{max(len(m), 11)}.6g}" for m in metrics) + f"  {s:7.1f}")
    ranges = {m: (min(r[m] for r in rows), max(r[m] for r in rows)) for m in metrics}
    first = next(iter(runs.values()))[0]
    lines += ["", f"ranges over the seeds{' and architectures' if len(runs) > 1 else ''} "
                  f"(metric, min, max, {next(iter(runs))} at seed {graded}):"]
    for m in metrics:
        at = number(first[graded][m]) if graded < len(first) else "-"
        lines.append(f"{m:<{width}} {number(ranges[m][0]):>12} {number(ranges[m][1]):>12} {at:>12}")
    lines += ["", "thresholds (key, stored, rule's value from these ranges, verdict, rule):"]
    all_ok = True
    for key, rule, stored in calibration.thresholds(calibration.RULES[name], settings):
        value, word = verdict(rule, stored, *ranges[rule.metric])
        all_ok &= word != "MISMATCH"
        lines.append(f"{key:<24} {number(stored):>10} {number(value):>10}  {word:<20} {rule.text}")
    lines += ["", "false failures at the stored thresholds (a correct model of each architecture):"]
    for key, rule, stored in calibration.thresholds(calibration.RULES[name], settings):
        for label, (rows_, _) in runs.items():
            lines.append(f"{key:<24} {label:<28} {false_failures(rule, stored, [r[rule.metric] for r in rows_])}")
    return "\n".join(lines) + "\n", all_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", choices=[n for n in registry.names() if n in calibration.SMOKE])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--contrasts", action="store_true", help="also grade the module's bug contrasts")
    parser.add_argument("--out", type=Path, help="where to write (default docs/calibration/ASSIGNMENT.txt)")
    args = parser.parse_args()
    name = args.assignment
    settings = calibration.SMOKE[name]
    module = importlib.import_module(f"measures.{name}")
    out = args.out or ROOT / "docs" / "calibration" / f"{name}.txt"

    sources = {"reference": (ROOT / "solutions" / f"{name}.py").read_text()}
    if hasattr(module, "architectures"):
        sources.update(module.architectures())
    runs, fixed = {}, {}
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        for label, source in sources.items():
            folder = Path(tmp) / label
            folder.mkdir()
            (folder / f"{name}.py").write_text(source)
            rows, seconds = [], []
            with module.measuring(folder, settings) as (measure, fixed_):
                fixed = fixed or fixed_
                for seed in range(args.seeds):
                    started = time.monotonic()
                    rows.append(measure(seed))
                    seconds.append(time.monotonic() - started)
                    shown = "  ".join(f"{m} {rows[-1][m]:.4g}" for m in module.METRICS)
                    print(f"{label} seed {seed:2d} ({seconds[-1]:.1f} s)  {shown}", flush=True)
            runs[label] = (rows, seconds)
            if label == "reference" and args.contrasts and hasattr(module, "contrasts"):
                for bug, m in module.contrasts(folder, settings).items():
                    shown = "  ".join(f"{k} {v:.4g}" for k, v in m.items())
                    print(f"contrast {bug} (seed {settings['seed']}): {shown}")

    text, all_ok = report(name, module, settings, runs, fixed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print("\n" + text + f"written to {out}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
