"""Fixtures of the conv_vae.py items: fresh models, a VAE for the loss methods, the smoke-trained VAE."""
from __future__ import annotations

import pytest

from autograder import specs
from autograder.calibration import CONV_VAE_SMOKE


@pytest.fixture
def vae(gateway):
    """A default VAE() when it builds; else a bare VAE instance (no encoder or decoder), so the items on
    r_loss, kl_loss and gaussian grade those methods even when Encoder or Decoder cannot be built yet."""
    return gateway.new_or_bare("conv_vae.VAE")


@pytest.fixture(scope="session")
def trained(smoke_models):
    """trained() -> the ``evaluate.SmokeRun`` of the smoke-trained VAE (the smaller smoke configuration)."""
    cfg = CONV_VAE_SMOKE["model"]
    return lambda: smoke_models("conv_vae.VAE", "conv_vae", CONV_VAE_SMOKE, label="training your VAE (conv_vae.VAE)",
                                spec=specs.conv_vae(**cfg), calls=specs.conv_vae_calls(cfg["lat"], cfg["d"]),
                                **cfg)


@pytest.fixture(scope="session")
def smoke_metrics(trained, digits):
    """The smoke metrics of the trained VAE on the test digits (autograder.evaluate)."""
    from autograder.evaluate import conv_vae_smoke_metrics

    return conv_vae_smoke_metrics(trained(), digits["x_train"].view(-1, 1, 28, 28),
                                  digits["x_test"].view(-1, 1, 28, 28))
