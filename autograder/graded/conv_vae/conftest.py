"""Fixtures of the conv_vae.py items: fresh models, a VAE for the loss methods, the smoke-trained VAE."""
from __future__ import annotations

import pytest

from autograder.calibration import CONV_VAE_SMOKE
from autograder.errors import SubmissionError
from autograder.graded.conv_vae.layers import MODULE


@pytest.fixture
def vae(gateway):
    """A default VAE() when it builds; else a bare VAE instance (no encoder or decoder), so the items on
    r_loss, kl_loss and gaussian grade those methods even when Encoder or Decoder cannot be built yet."""
    try:
        return gateway.new("conv_vae.VAE")
    except SubmissionError as err:
        if err.kind not in ("raised", "not_implemented"):
            raise
        return gateway.trusted("autograder.probes:bare_instance", MODULE, "VAE", label="conv_vae.VAE")


class Trained:
    """The smoke-trained VAE, trained once per worker and reused; a worker restart retrains it."""

    def __init__(self, gateway):
        self.gateway, self.cache = gateway, {}

    def __call__(self):
        key = self.gateway.generation
        if key not in self.cache:
            cfg = CONV_VAE_SMOKE
            model = self.gateway.new("conv_vae.VAE", **cfg["model"], seed=cfg["seed"])
            history = self.gateway.trusted(
                "autograder.smoke:train", model, "conv_vae", epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                lr=cfg["lr"], seed=cfg["seed"], timeout=self.gateway.limits.train_timeout,
                label="training your VAE (conv_vae.VAE)")
            self.cache = {key: (model, history)}
        return self.cache[key]


@pytest.fixture(scope="session")
def trained(gateway):
    return Trained(gateway)


@pytest.fixture(scope="session")
def smoke_metrics(trained, digits):
    """The smoke metrics of the trained VAE on the test digits (autograder.evaluate)."""
    from autograder.evaluate import conv_vae_smoke_metrics

    model, history = trained()
    return conv_vae_smoke_metrics(model, history, digits["x_test"].view(-1, 1, 28, 28))
