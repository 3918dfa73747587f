"""Calibrate FACES_SMOKE (autograder/calibration.py), the bound of item FACES.2d.

FACES.2d trains the submitted FaceVAE with the trusted smoke trainer (autograder.smoke, loss
"faces": the grader's own summed BCE + KL of forward's outputs) on generated binary 64 x 64 faces
(autograder.evaluate.faces_smoke_data) and judges the held-out negative ELBO with the grader's
oracles (autograder.evaluate.faces_smoke_metrics). This script does exactly that for the reference
faces.py, through the gateway as grading does, over many seeds (the seed of the model's
initialisation and of the trainer); for scale it also scores each freshly built, untrained model.
It prints the spread of every metric and the bound: the worst reference value plus a stated margin.

    python scripts/calibrate_faces.py [--seeds 20]
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

from autograder.evaluate import smoke_run  # noqa: E402
from autograder.faces_smoke import FACES_PROBE, faces_smoke_data, faces_smoke_metrics, faces_terms  # noqa: E402
from autograder.gateway import Gateway  # noqa: E402

SETTINGS = {"n_train": 192, "n_test": 64, "data_seed": 0, "epochs": 3, "batch_size": 8, "lr": 1e-3, "seed": 0}
# Added to the worst reference value: room for other BLAS builds (another trajectory from the same seed)
# and for other correct architectures; it must stay well below every untrained model.
MARGIN = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    cfg = SETTINGS
    data = faces_smoke_data(cfg["n_train"], cfg["n_test"], cfg["data_seed"])
    x_test = data[1][0]

    rows, untrained = [], []
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        shutil.copy(ROOT / "solutions" / "faces.py", tmp)
        with Gateway(tmp) as gateway:
            for seed in range(args.seeds):
                started = time.monotonic()
                def before(model, seed=seed):
                    untrained.append(faces_terms(gateway, model, x_test, seed)["loss"])
                    return faces_terms(gateway, model, data[0][0][:FACES_PROBE], seed)["loss"]

                run = smoke_run(gateway, "faces.FaceVAE", "faces", {**cfg, "seed": seed}, label=f"seed {seed}",
                                data=data, before=before)
                m = faces_smoke_metrics(gateway, run, data[0][0], x_test, seed=seed)
                rows.append(m)
                print(f"seed {seed:2d}  untrained {untrained[-1]:.1f}  train {m['train_first']:.1f} -> "
                      f"{m['train_last']:.1f}  test {m['test_loss']:.1f} (reconstruction {m['reconstruction']:.1f}"
                      f" + KL {m['kl']:.2f}, {m['mode']} mode)  {time.monotonic() - started:.1f} s", flush=True)

    print(f"\nover {args.seeds} seeds:")
    for key in ("train_first", "train_last", "test_loss", "reconstruction", "kl"):
        values = [r[key] for r in rows]
        print(f"  {key:14s} min {min(values):.2f}  max {max(values):.2f}")
    print(f"  {'untrained':14s} min {min(untrained):.2f}  max {max(untrained):.2f}")
    falls = all(r["train_last"] < r["train_first"] for r in rows)
    print(f"  training loss falls on every seed: {falls}")
    worst = max(r["test_loss"] for r in rows)
    bound = math.ceil(worst + MARGIN)
    print(f"\ntest_loss_max = {bound} (worst {worst:.1f} + {MARGIN:g}, rounded up); "
          f"{min(untrained) - bound:.0f} below the best untrained model")
    print("FACES_SMOKE =", {**cfg, "test_loss_max": float(bound), "untrained": float(math.floor(min(untrained)))})


if __name__ == "__main__":
    main()
