"""Fixtures of the pca_ae.py items: the grader's own autoencoder, trained once per session."""
from __future__ import annotations

import pytest

from autograder.calibration import PCA_AE_SMOKE


@pytest.fixture(scope="session")
def reference_ae_mse(digits):
    """reference_ae_mse(k) -> per-pixel training MSE of the grader's MSE-trained k-D autoencoder.

    Trusted code only (autograder.reference_models, the course trainer), run in
    this process: nothing of the submission is involved, so the value is the
    same for every student and is trained at most once per k.
    """
    from autograder.reference_models import reference_ae_mse as train_and_measure

    cache = {}

    def get(k: int) -> float:
        if k not in cache:
            cache[k] = train_and_measure(digits["x_train"], digits["x_test"], k, epochs=PCA_AE_SMOKE["epochs"],
                                         batch_size=PCA_AE_SMOKE["batch_size"], lr=PCA_AE_SMOKE["lr"],
                                         seed=PCA_AE_SMOKE["seed"])
        return cache[k]

    return get
