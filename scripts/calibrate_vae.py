"""Calibrate the vae.py smoke thresholds from repeated runs of the reference.

    python scripts/calibrate_vae.py [--seeds 20]

Trains the reference AE and VAE from solutions/ with the grader's own smoke
settings (autograder.calibration.VAE_SMOKE) through the same gateway and
metrics as the graded items, once per seed, and prints each metric's range
over the seeds with the threshold that its margin gives. The thresholds are
then written by hand into autograder/calibration.py, with this output beside.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from autograder.calibration import VAE_SMOKE
from autograder import specs
from autograder.evaluate import smoke_run, vae_smoke_metrics
from autograder.gateway import Gateway
from course.data import load_images

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def digits() -> dict:
    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    return {"x_train": x_train.flatten(1), "y_train": y_train, "x_test": x_test.flatten(1), "y_test": y_test}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    data = digits()
    runs = {"ae": [], "vae": []}
    with tempfile.TemporaryDirectory() as tmp, Gateway(tmp) as gw:  # the worker reads a copy, as in grading
        shutil.copy(SOLUTIONS / "vae.py", tmp)
        for seed in range(args.seeds):
            for kind in runs:
                t = time.perf_counter()
                run = smoke_run(gw, "vae.Autoencoder", "vae", {**VAE_SMOKE, "seed": seed}, kind,
                                label=f"{kind} seed {seed}", spec=specs.mlp_autoencoder(kind), calls=specs.mlp_calls())
                m = vae_smoke_metrics(run, data, kind)
                m["seconds"] = time.perf_counter() - t
                runs[kind].append(m)
            print(f"seed {seed}: " + "  ".join(f"{k} loss {runs[k][-1]['test_loss']:.1f}" for k in runs), flush=True)
    for kind, rows in runs.items():
        print(f"\n{kind}: {len(rows)} seeds")
        for key in rows[0]:
            values = [r[key] for r in rows]
            print(f"  {key:<20} min {min(values):10.4f}  max {max(values):10.4f}")


if __name__ == "__main__":
    main()
