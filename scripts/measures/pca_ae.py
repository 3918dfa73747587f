"""What PCA_AE_SMOKE's ratios are calibrated on: the grader's own k-D MSE autoencoder
(``reference_models.reference_ae_mse``, trained in this process with the smoke settings and the seed)
against the reference PCA's error at the same k (``pca_error_curve`` of a copy of pca_ae.py through the
gateway), as item PCA.3f compares them. "ratio_k": AE / PCA per-pixel training MSE.

Used by ``python scripts/calibrate.py pca_ae``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

DIMS = (2, 4)  # PCA_AE_SMOKE["dims"]
METRICS = tuple(f"{name}_{k}" for k in DIMS for name in ("ae_mse", "ratio"))


@contextmanager
def measuring(folder: Path, settings: dict):
    """Yields (measure, fixed figures): measure(seed) -> {metric: value} trains the grader's autoencoder at
    each k of ``settings["dims"]`` with that seed; the figures: the reference PCA error and the closed form."""
    from autograder.gateway import Gateway
    from autograder.graded.pca_ae.pca_oracle import closed_form_curve
    from autograder.reference_models import reference_ae_mse
    from course.data import load_images

    assert tuple(settings["dims"]) == DIMS, settings["dims"]
    x_train = load_images("digits", train=True)[0].flatten(1)
    x_test = load_images("digits", train=False)[0].flatten(1)
    with Gateway(folder) as gateway:
        pca = gateway.call("pca_ae.pca_error_curve", x_train, list(DIMS))
    exact = closed_form_curve(x_train, list(DIMS))

    def measure(seed: int) -> dict[str, float]:
        row = {}
        for k, pca_k in zip(DIMS, pca):
            ae = reference_ae_mse(x_train, x_test, k, epochs=settings["epochs"], batch_size=settings["batch_size"],
                                  lr=settings["lr"], seed=seed)
            row.update({f"ae_mse_{k}": ae, f"ratio_{k}": ae / float(pca_k)})
        return row

    yield measure, {**{f"pca_{k}": float(v) for k, v in zip(DIMS, pca)},
                    **{f"closed_form_{k}": float(v) for k, v in zip(DIMS, exact)}}
