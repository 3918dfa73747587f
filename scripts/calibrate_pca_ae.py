"""Calibrate PCA_AE_SMOKE (autograder/calibration.py), the thresholds of item PCA.3f.

PCA.3f trains the grader's own MSE autoencoder (autograder.reference_models,
784-512-k-512-784) with the trusted smoke trainer and compares its per-pixel
training MSE with the submission's PCA error at the same k. This script runs
the reference pca_ae.py through the gateway (as grading does) and the
autoencoder over many seeds, prints the spread of every metric, and the
thresholds: the worst AE / PCA ratio over the seeds plus a stated margin.

    python scripts/calibrate_pca_ae.py [--seeds 20]
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.reference_models import reference_ae_mse  # noqa: E402
from autograder.gateway import Gateway  # noqa: E402
from autograder.graded.pca_ae.pca_oracle import closed_form_curve  # noqa: E402
from course.data import load_images  # noqa: E402

SETTINGS = {"epochs": 5, "batch_size": 32, "lr": 3e-3, "seed": 0, "dims": [2, 4]}
MARGIN = 0.05   # added to the worst ratio: room for other BLAS builds, torch versions and trainer details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()

    x_train = load_images("digits", train=True)[0].flatten(1)
    x_test = load_images("digits", train=False)[0].flatten(1)
    dims = SETTINGS["dims"]
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        shutil.copy(ROOT / "solutions" / "pca_ae.py", tmp)
        with Gateway(tmp) as gateway:
            pca = gateway.call("pca_ae.pca_error_curve", x_train, dims)
    exact = closed_form_curve(x_train, dims)
    print(f"reference PCA error on the training digits: {dict(zip(dims, pca))} (closed form {exact})")

    ratios = {k: [] for k in dims}
    for seed in range(args.seeds):
        row = []
        for k, pca_k in zip(dims, pca):
            started = time.monotonic()
            ae = reference_ae_mse(x_train, x_test, k, epochs=SETTINGS["epochs"], batch_size=SETTINGS["batch_size"],
                                  lr=SETTINGS["lr"], seed=seed)
            ratios[k].append(ae / pca_k)
            row.append(f"k={k}: AE {ae:.5f} ratio {ae / pca_k:.3f} ({time.monotonic() - started:.1f} s)")
        print(f"seed {seed:2d}  " + "  ".join(row), flush=True)

    print("\nAE / PCA per-pixel training MSE over", args.seeds, "seeds:")
    thresholds = {}
    for k in dims:
        lo, hi = min(ratios[k]), max(ratios[k])
        thresholds[k] = min(math.ceil((hi + MARGIN) * 100) / 100, 0.99)
        print(f"  k = {k}: min {lo:.3f}, max {hi:.3f} (seed {SETTINGS['seed']}: {ratios[k][SETTINGS['seed']]:.3f})"
              f" -> threshold {thresholds[k]} (worst + {MARGIN}, rounded up)")
    print("\nPCA_AE_SMOKE =", {**SETTINGS, "ae_to_pca_ratio_max": thresholds})


if __name__ == "__main__":
    main()
