"""``python -m course train <assignment> [options]``: parses and delegates to course.runs."""
from __future__ import annotations

import argparse
import sys

from course.tasks import TASKS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m course", description="Train an assignment's model and draw its figures.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train with the handout's settings and write results/<run>/")
    t.add_argument("assignment", choices=sorted(TASKS))
    t.add_argument("--type", choices=["ae", "vae"], default="vae", help="vae.py only: plain AE or VAE (default vae)")
    t.add_argument("--source", default=None, help="assignment (default), solutions, or a folder with the .py files")
    t.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"],
                   help="digits (embedded, offline; default) or a real set downloaded into data/")
    t.add_argument("--data", default=None, help="faces.py only: a CelebA root or a folder of face images")
    t.add_argument("--epochs", type=int, default=None, help="default: the handout's")
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="results")
    t.add_argument("--save-every", type=int, default=10, help="write reconstruction/sample figures every K epochs")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    f = sub.add_parser("figures", help="train every reference model and write all figures plus index.html")
    f.add_argument("--out", default="figures")
    f.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"])
    f.add_argument("--quick", action="store_true", help="a short schedule that finishes in minutes on a CPU")
    f.add_argument("--force", action="store_true", help="retrain models whose results exist")
    f.add_argument("--device", default=None)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from course.data import DataUnavailable
    from course.device import DeviceUnavailable
    from course.runs import run

    if args.command == "figures":
        from pathlib import Path

        from course.gallery import build

        try:
            page = build(Path(args.out), args.dataset, args.quick, args.force, args.device)
        except (DataUnavailable, DeviceUnavailable) as exc:
            print(f"course: {exc}", file=sys.stderr)
            return 2
        print(f"gallery: {page}")
        return 0

    options = {"type": args.type, "source": args.source, "dataset": args.dataset, "data": args.data,
               "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
               "out": args.out, "save_every": args.save_every, "device": args.device}
    try:
        out = run(args.assignment, options).out
    except (DataUnavailable, DeviceUnavailable, FileNotFoundError) as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        print(f"course: {args.assignment}.py is not finished yet: {exc}. "
              "Fill in that TODO block, then train again.", file=sys.stderr)
        return 1
    print(f"results in {out}/")
    return 0
