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


class Trained:
    """Smoke-trained models, trained once per worker and reused by every item.

    A worker restart (after a crash elsewhere) drops the model; the next item
    that asks retrains it, so one failure does not cascade into unrelated items.
    """

    def __init__(self, gateway):
        self.gateway, self.cache = gateway, {}

    def __call__(self, kind: str):
        key = (kind, self.gateway.generation)
        if key not in self.cache:
            model = self.gateway.new("vae.Autoencoder", kind, seed=VAE_SMOKE["seed"])
            history = self.gateway.trusted(
                "autograder.smoke:train", model, "vae", epochs=VAE_SMOKE["epochs"],
                batch_size=VAE_SMOKE["batch_size"], lr=VAE_SMOKE["lr"], seed=VAE_SMOKE["seed"],
                timeout=self.gateway.limits.train_timeout, label=f"training your {kind.upper()} (vae.Autoencoder)")
            self.cache = {k: v for k, v in self.cache.items() if k[1] == self.gateway.generation}
            self.cache[(kind, self.gateway.generation)] = (model, history)
        return self.cache[(kind, self.gateway.generation)]


@pytest.fixture(scope="session")
def trained(gateway):
    return Trained(gateway)


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
