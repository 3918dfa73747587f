"""Calibrate CONV_VAE_SMOKE (autograder/calibration.py), the thresholds of item CONV.4i.

CONV.4i trains the submitted VAE (a small configuration of it) with the trusted smoke trainer
(autograder.smoke, loss "conv_vae": the grader's own summed BCE + KL of the encoder's and
decoder's outputs) on the embedded digits as (N, 1, 28, 28), then judges the test negative ELBO
and the KL per image with the grader's oracles (autograder.evaluate.conv_vae_smoke_metrics).
This script does exactly that for the reference conv_vae.py, through the gateway as grading does,
over many training seeds; it prints the spread of every metric, two baselines for scale (the
untrained VAE and the mean training image as a constant decoder), and the thresholds: the worst
reference values with the margins below.

    python scripts/calibrate_conv_vae.py [--seeds 20]
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

from autograder import oracles, specs  # noqa: E402
from autograder.evaluate import conv_vae_smoke_metrics, conv_vae_terms, smoke_run  # noqa: E402
from autograder.gateway import Gateway  # noqa: E402
from course.data import load_images  # noqa: E402

SETTINGS = {"model": {"c1": 8, "c2": 16, "lat": 8, "k": 3, "d": 28}, "epochs": 3, "batch_size": 16, "lr": 2e-3,
            "seed": 0}
LOSS_MARGIN = 6.0   # nats per image over the worst reference: keeps the bound below the mean-image baseline (180.6)
KL_FACTOR = 2.0     # KL range: [worst low / 2, worst high * 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    cfg = SETTINGS
    x_train, _ = load_images("digits", train=True)
    x_test, _ = load_images("digits", train=False)
    mean_image = oracles.bernoulli_nll(x_train.mean(0).clamp(1e-6, 1 - 1e-6).expand_as(x_test), x_test)
    mean_image = float(mean_image) / x_test.shape[0]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        shutil.copy(ROOT / "solutions" / "conv_vae.py", tmp)
        with Gateway(tmp) as gateway:
            for seed in range(args.seeds):
                started = time.monotonic()
                run = smoke_run(gateway, "conv_vae.VAE", "conv_vae", {**cfg, "seed": seed}, label=f"seed {seed}",
                                spec=specs.conv_vae(**cfg["model"]),
                                calls=specs.conv_vae_calls(cfg["model"]["lat"], cfg["model"]["d"]), **cfg["model"])
                if seed == 0:
                    untrained = conv_vae_terms(run.before, x_test)["loss"]
                    print(f"untrained VAE: test negative ELBO {untrained:.1f}; "
                          f"mean training image as the decoder: {mean_image:.1f} nats per image")
                m = conv_vae_smoke_metrics(run, x_train, x_test)
                rows.append(m)
                print(f"seed {seed:2d}  train {m['train_first']:.1f} -> {m['train_last']:.1f}"
                      f"  test {m['test_loss']:.1f} (reconstruction {m['reconstruction']:.1f} + KL {m['kl']:.2f})"
                      f"  {time.monotonic() - started:.1f} s", flush=True)

    print(f"\nover {args.seeds} seeds:")
    for key in ("train_first", "train_last", "test_loss", "reconstruction", "kl"):
        values = [r[key] for r in rows]
        print(f"  {key:14s} min {min(values):.2f}  max {max(values):.2f}")
    falls = all(r["train_last"] < r["train_first"] for r in rows)
    print(f"  training loss falls on every seed: {falls}")
    worst = max(r["test_loss"] for r in rows)
    bound = math.ceil(worst + LOSS_MARGIN)
    kl_lo = min(r["kl"] for r in rows)
    kl_hi = max(r["kl"] for r in rows)
    kl_range = (math.floor(kl_lo / KL_FACTOR * 10) / 10, math.ceil(kl_hi * KL_FACTOR))
    print(f"\ntest_loss_max = {bound} (worst {worst:.1f} + {LOSS_MARGIN}, rounded up); mean image {mean_image:.1f}, "
          f"untrained {untrained:.1f}")
    print(f"kl_range = {kl_range} (worst {kl_lo:.2f} / {KL_FACTOR} and {kl_hi:.2f} x {KL_FACTOR})")
    print("CONV_VAE_SMOKE =", {**cfg, "test_loss_max": float(bound), "kl_range": kl_range})


if __name__ == "__main__":
    main()
