"""``python -m course train <assignment> [options]``: parses and delegates to course.runs."""
from __future__ import annotations

import argparse
import sys

from course import registry


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m course", description="Train an assignment's model and draw its figures.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train with the handout's settings and write results/<run>/")
    t.add_argument("assignment", choices=registry.names())
    t.add_argument("--type", choices=["ae", "vae"], default="vae", help="vae.py only: plain AE or VAE (default vae)")
    t.add_argument("--source", default=None, help="assignment (default), solutions, or a folder with the .py files")
    t.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"],
                   help="digits (embedded, offline; default) or a real set downloaded into data/")
    t.add_argument("--data", default=None, help="faces.py only: a CelebA root or a folder of face images")
    t.add_argument("--epochs", type=int, default=None, help="passes over the training set (default: the handout's)")
    t.add_argument("--images", type=int, default=None,
                   help="train until this many images are seen instead (the same schedule on any data set)")
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="results")
    t.add_argument("--save-every", type=int, default=10, help="write reconstruction/sample figures every K epochs")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    f = sub.add_parser("figures", help="train every reference model and write all figures plus index.html")
    f.add_argument("--out", default="figures")
    f.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"])
    f.add_argument("--quick", action="store_true",
                   help="the registry's short schedule, in images seen: minutes on a CPU, enough to show each lesson")
    f.add_argument("--force", action="store_true", help="retrain models whose results exist")
    f.add_argument("--device", default=None)
    f.add_argument("--check", action="store_true",
                   help="exit 1 unless every figure shows its lesson (course.lessons), naming those that do not")
    return p


def todo_message(exc: NotImplementedError, default_file: str) -> str:
    """One line for a stub that is still a stub: "vae.py: TODO A.1 is not implemented yet (...)".

    The file is the last frame of the traceback outside torch and this package (pca_ae's run
    also trains vae.py's autoencoder); the TODO id and hint come from the stub's message.
    """
    import re
    import traceback
    from pathlib import Path

    here = Path(__file__).resolve().parent
    files = [Path(f.filename) for f in traceback.extract_tb(exc.__traceback__)]
    student = [f for f in files if f.suffix == ".py" and here not in f.resolve().parents
               and "site-packages" not in f.parts]
    name = student[-1].name if student else default_file
    text = str(exc).strip()
    match = re.match(r"(TODO\s+[\w.]+)\s*:?\s*(.*)", text, re.DOTALL)
    if match:
        todo, hint = match.group(1), match.group(2).strip()
        return f"{name}: {todo} is not implemented yet" + (f" ({hint})." if hint else ".")
    return f"{name}: a TODO is not implemented yet" + (f" ({text})." if text else ".")


def unshown_lessons(out) -> list[str]:
    """One line per lesson of the gallery in ``out`` whose number misses its bound (course.lessons)."""
    import json

    from course.lessons import judge

    lines = []
    for path in sorted(out.glob("*/summary.json")):
        summary = json.loads(path.read_text())
        for x in map(judge, summary.get("lessons", [])):
            if not x["shown"]:
                lines.append(f"{summary['key']} {x['figure']}: {x['measure']} = {x['value']:.4g}, "
                             f"needs {'>=' if x['above'] else '<='} {x['bound']:g}")
    return lines


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
        missed = unshown_lessons(page.parent)
        for line in missed:
            print(f"lesson not shown: {line}", file=sys.stderr)
        return 1 if args.check and missed else 0

    options = {"type": args.type, "source": args.source, "dataset": args.dataset, "data": args.data,
               "epochs": args.epochs, "images": args.images, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
               "out": args.out, "save_every": args.save_every, "device": args.device}
    try:
        out = run(args.assignment, options).out
    except (DataUnavailable, DeviceUnavailable, FileNotFoundError) as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        print(todo_message(exc, f"{args.assignment}.py"), file=sys.stderr)
        return 1
    print(f"results in {out}/")
    return 0
