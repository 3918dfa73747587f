"""What FACES_SMOKE's bound is calibrated on: the reference FaceVAE trained with the trusted smoke trainer
(the grader's ELBO of encode and decode) through the gateway (a copy of faces.py, as in grading) on the
generated binary faces and judged by ``faces_smoke.faces_smoke_metrics``, as item FACES.2d does; the seed sets the model's
initialisation and the trainer. "untrained": the same held-out negative ELBO of the freshly built model.

Used by ``python scripts/calibrate.py faces``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

METRICS = ("train_first", "train_last", "test_loss", "reconstruction", "kl", "eval_loss", "train_mode_loss",
           "untrained")


@contextmanager
def measuring(folder: Path, settings: dict):
    """Yields (measure, fixed figures): measure(seed) -> {metric: value} trains ``folder``/faces.py's FaceVAE
    with ``settings`` and that seed, each seed in a grading session (a worker) of its own."""
    from autograder.evaluate import smoke_run
    from autograder.faces_smoke import (
        FACES_PROBE,
        faces_smoke_data,
        faces_smoke_metrics,
        faces_terms,
    )
    from autograder.gateway import Gateway

    data = faces_smoke_data(settings["n_train"], settings["n_test"], settings["data_seed"])
    x_train, x_test = data[0][0], data[1][0]

    def measure(seed: int) -> dict[str, float]:
        with Gateway(folder) as gateway:  # one grading session per seed, with its own time budget, as in grading
            untrained = []

            def before(model):
                untrained.append(faces_terms(gateway, model, x_test, seed)["loss"])
                return faces_terms(gateway, model, x_train[:FACES_PROBE], seed)["loss"]

            run = smoke_run(gateway, "faces.FaceVAE", "faces", {**settings, "seed": seed}, label=f"seed {seed}",
                            data=data, before=before)
            m = faces_smoke_metrics(gateway, run, x_train, x_test, seed=seed)
            m["untrained"] = untrained[0]
            return {key: float(m[key]) for key in METRICS}

    yield measure, {}


def architectures() -> dict[str, str]:
    """The other correct FaceVAEs the bound must hold for (the contract allows any conv architecture): the
    published ones of the faces catalogue (tests/catalogues/faces.py), with PyTorch's default initialisation."""
    from tests.catalogues.faces import ARCHITECTURES

    return {variant.name: variant.source() for variant in ARCHITECTURES}
