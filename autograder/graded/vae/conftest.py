"""Fixtures of the vae.py items: fresh models and smoke-trained models."""
from __future__ import annotations

import pytest

from autograder.calibration import VAE_SMOKE

CODE = 2


@pytest.fixture
def ae(gateway):
    return gateway.new("vae.Autoencoder", "ae")


@pytest.fixture
def vae(gateway):
    return gateway.new("vae.Autoencoder", "vae")


@pytest.fixture(scope="session")
def trained(smoke_models):
    """trained(kind) -> (handle, history) of the smoke-trained "ae" or "vae"."""
    return lambda kind: smoke_models("vae.Autoencoder", "vae", VAE_SMOKE, kind,
                                     label=f"training your {kind.upper()} (vae.Autoencoder)")


@pytest.fixture(scope="session")
def metrics(trained, digits):
    """metrics(kind) -> the smoke metrics of the trained "ae" or "vae" (autograder.evaluate)."""
    from autograder.evaluate import vae_smoke_metrics

    cache = {}

    def get(kind):
        model, history = trained(kind)
        key = (kind, id(model))
        if key not in cache:
            cache[key] = vae_smoke_metrics(model, history, digits, kind)
        return cache[key]

    return get
