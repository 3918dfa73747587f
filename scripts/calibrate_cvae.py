"""Calibrate CVAE_SMOKE (autograder/calibration.py), the thresholds of items CVAE.2j and CVAE.4e.

Grading trains the submitted CVAE with the trusted smoke trainer (loss "cvae": the grader's
summed BCE + KL composed from the model's encode and decode, binarized digits, Adam, batch
64), rebuilds the trained model in the parent from its pulled weights and judges it with
the grader's oracles: the test negative ELBO (CVAE.2j) and the fraction of images decoded
from prior codes with one_hot(labels) (the grader's own sampler) that the grader's
logistic-regression digit classifier reads as their label (CVAE.4e). This script does the
same to the reference cvae.py through the gateway (as grading does) for many seeds, prints
the spread of every metric and the thresholds: the worst reference value with the margins
below. For contrast it also grades a label bug (the decoder ignoring y), which recognition
must fail.

    python scripts/calibrate_cvae.py [--seeds 20]
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

from autograder import specs  # noqa: E402
from autograder.digit_metrics import digit_classifier, label_recognition  # noqa: E402
from autograder.evaluate import cvae_smoke_metrics, smoke_run  # noqa: E402
from autograder.gateway import Gateway  # noqa: E402
from course.data import load_images  # noqa: E402

SETTINGS = {"epochs": 12, "batch_size": 64, "lr": 1e-3, "seed": 0, "n_per_class": 100}
LOSS_MARGIN = 0.05        # test negative ELBO bound: worst reference value + 5%, rounded up
RECOGNITION_MARGIN = 0.6  # recognition bound: 0.6 x the worst reference rate, rounded down (chance is 0.10)
BUGS = {  # label bugs recognition must catch: (old, new) edits of the reference
    "decoder_ignores_label": ("torch.cat([z, y], dim=1)", "torch.cat([z, torch.zeros_like(y)], dim=1)"),
}


def run(folder: Path, seed: int, digits: dict, classifier) -> dict:
    with Gateway(folder) as gateway:  # a fresh worker per seed, as in grading
        run = smoke_run(gateway, "cvae.CVAE", "cvae", {**SETTINGS, "seed": seed}, label=f"seed {seed}",
                        spec=specs.cvae(), calls=specs.cvae_calls())
        m = cvae_smoke_metrics(run, digits, seed)
        m["recognition"] = label_recognition(run.after, classifier, SETTINGS["n_per_class"], seed)["rate"]
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()

    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    digits = {"x_train": x_train.flatten(1), "y_train": y_train, "x_test": x_test.flatten(1), "y_test": y_test}
    classifier = digit_classifier(digits["x_train"], y_train)
    accuracy = classifier.score(digits["x_test"].round().double().numpy(), y_test.numpy())
    print(f"digit classifier: {accuracy:.3f} accuracy on the binarized test digits")

    source = (ROOT / "solutions" / "cvae.py").read_text()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:  # the worker reads a copy, as in grading
        folder = Path(tmp) / "reference"
        folder.mkdir()
        shutil.copy(ROOT / "solutions" / "cvae.py", folder)
        for seed in range(args.seeds):
            started = time.monotonic()
            m = run(folder, seed, digits, classifier)
            rows.append(m)
            print(f"seed {seed:2d}  train {m['train_first']:.1f} -> {m['train_last']:.1f}  test -ELBO "
                  f"{m['test_loss']:.2f}  KL {m['kl']:.2f}  recognition {m['recognition']:.3f}  "
                  f"({time.monotonic() - started:.1f} s)", flush=True)
        bugs = {}
        for name, (old, new) in BUGS.items():
            folder = Path(tmp) / name
            folder.mkdir()
            assert source.count(old) == 1, name
            (folder / "cvae.py").write_text(source.replace(old, new))
            bugs[name] = run(folder, SETTINGS["seed"], digits, classifier)

    def spread(key):
        values = [r[key] for r in rows]
        return min(values), max(values), values[SETTINGS["seed"]]

    print(f"\nreference over {args.seeds} seeds (min .. max, seed {SETTINGS['seed']}):")
    for key in ("train_first", "train_last", "test_loss", "kl", "recognition"):
        lo, hi, graded = spread(key)
        print(f"  {key:12s} {lo:9.3f} .. {hi:9.3f}   (seed {SETTINGS['seed']}: {graded:.3f})")
    falls = all(r["train_last"] < r["train_first"] for r in rows)
    print(f"  training loss fell on every seed: {falls}")
    worst_loss = spread("test_loss")[1]
    worst_rate = spread("recognition")[0]
    test_loss_max = math.ceil(worst_loss * (1 + LOSS_MARGIN))
    recognition_min = math.floor(worst_rate * RECOGNITION_MARGIN * 100) / 100
    print(f"\ntest_loss_max = {test_loss_max} (worst {worst_loss:.2f} + {LOSS_MARGIN:.0%}, rounded up)")
    print(f"recognition_min = {recognition_min} ({RECOGNITION_MARGIN} x the worst {worst_rate:.3f}, rounded down)")
    for name, m in bugs.items():
        print(f"bug {name} (seed {SETTINGS['seed']}): recognition {m['recognition']:.3f}, test -ELBO "
              f"{m['test_loss']:.2f}")
    print("\nCVAE_SMOKE =", {**SETTINGS, "test_loss_max": float(test_loss_max), "recognition_min": recognition_min})


if __name__ == "__main__":
    main()
