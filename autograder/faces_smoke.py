"""faces.py's smoke run: the generated faces it trains on and the negative ELBO it is judged by.

FaceVAE's architecture is free (any conv architecture), so the parent cannot rebuild it: the model is
evaluated from its encode and decode outputs (calls into the worker), with the grader's own noise and
oracles, before and after training.
"""
from __future__ import annotations

import torch

from autograder.evaluate import SmokeRun, vae_terms

_FACES_DATA: dict = {}  # (n_train, n_test, seed) -> the generated faces, kept for the process


def faces_smoke_data(n_train: int, n_test: int, seed: int = 0):
    """The generated faces of the faces.py smoke run: ((x_train, y_train), (x_test, y_test)).

    x is float32 (N, 3, 64, 64), pixels rounded to {0, 1}: grey pixels leave an entropy floor of ~7,800 of
    the ~8,500 nats per image an untrained model scores, so a run of seconds could gain only ~100 nats, no more
    than the KL of some architectures; binary pixels let it gain ~1,000. y is int64 zeros (unused).

    ``course.faces_data.make_fake_faces`` writes the n_train + n_test faces once into
    ``<data root>/cache/fake-faces-n<N>-seed<seed>/`` (through a temporary folder renamed into place, so a
    parallel grader never reads half a set) and ``load_faces`` reads them; the first n_train are the
    training set. Kept in memory for the rest of the process.
    """
    import shutil
    import tempfile
    from pathlib import Path

    from course.data import binarize, data_root
    from course.faces_data import load_faces, make_fake_faces

    key = (n_train, n_test, seed)
    if key not in _FACES_DATA:
        n = n_train + n_test
        folder = data_root() / "cache" / f"fake-faces-n{n}-seed{seed}"
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
            make_fake_faces(tmp, n, seed)
            try:
                tmp.rename(folder)
            except OSError:  # another grader finished the same set first
                shutil.rmtree(tmp, ignore_errors=True)
        x = binarize(load_faces(folder))  # (n, 3, 64, 64) in {0, 1}
        y = torch.zeros(n, dtype=torch.long)
        _FACES_DATA[key] = ((x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]))
    return _FACES_DATA[key]


FACES_PROBE = 64  # training faces on which faces.py's loss before and after training is measured


def faces_terms(gateway, model, x: torch.Tensor, seed: int = 0) -> dict:
    """Per-image negative ELBO terms of a ``FaceVAE`` handle on ``x`` (N, 3, 64, 64), the lower of eval and
    training mode ("mode" says which): after a few dozen steps BatchNorm's running averages still lag behind
    the weights, so a correct model with BatchNorm can look untrained in eval mode (KL of hundreds of nats)
    while its batch statistics are fine. One z per image from the model's own encode and decode, eps from the
    grader's seeded generator, the grader's BCE and KL oracles."""
    by_mode = {}
    for mode in ("eval", "train"):
        gateway.trusted("autograder.probes:set_training", model, mode == "train", label="switching your FaceVAE's mode")
        by_mode[mode] = vae_terms(model, x, seed)
    gateway.trusted("autograder.probes:set_training", model, False, label="switching your FaceVAE's mode")
    mode = min(by_mode, key=lambda k: (by_mode[k]["loss"] != by_mode[k]["loss"], by_mode[k]["loss"]))  # NaN last
    return {**by_mode[mode], "mode": mode, "eval_loss": by_mode["eval"]["loss"],
            "train_mode_loss": by_mode["train"]["loss"]}


def faces_smoke_metrics(gateway, run: SmokeRun, x_train: torch.Tensor, x_test: torch.Tensor, seed: int = 0) -> dict:
    """Every number the faces.py smoke item judges, for a smoke-trained ``FaceVAE`` (``run.first``: the loss
    ``faces_terms`` gave on ``x_train[:FACES_PROBE]`` before training)."""
    terms = faces_terms(gateway, run.handle, x_test, seed)
    return {"train_first": run.first, "train_last": faces_terms(gateway, run.handle, x_train[:FACES_PROBE], seed)["loss"],
            "test_loss": terms["loss"], "reconstruction": terms["reconstruction"], "kl": terms["kl"],
            "mode": terms["mode"], "eval_loss": terms["eval_loss"], "train_mode_loss": terms["train_mode_loss"]}
