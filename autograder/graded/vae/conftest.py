"""Fixtures of the vae.py items: fresh models, the contract's layers as the parent rebuilds them, and
smoke-trained models."""
from __future__ import annotations

import pytest

from autograder import specs
from autograder.calibration import VAE_SMOKE

CODE = 2


@pytest.fixture
def ae(gateway):
    return gateway.new("vae.Autoencoder", "ae")


@pytest.fixture
def vae(gateway):
    return gateway.new("vae.Autoencoder", "vae")


@pytest.fixture
def recognised(gateway):
    """recognised(kind, *sizes) -> ``recognition.Match`` of a fresh Autoencoder(kind, *sizes) against the
    contract's layers with those sizes (784, 512, 2 when none are given; with ``any_hidden``, the hidden
    width the model has). ``kind`` None: Autoencoder() with no arguments, against the contract's "ae"."""
    from autograder.recognition import recognise

    def get(kind, *sizes, any_hidden=False):
        data, hidden, code = sizes or (784, 512, CODE)
        calls = specs.mlp_calls(data, code, seed=13)
        sized = {"kind": kind or "ae", "data": data, "hidden": hidden, "code": code}
        spec = specs.with_model_hidden(specs.mlp_autoencoder, data, **sized) if any_hidden else \
            specs.mlp_autoencoder(**sized)
        arguments = (kind, *sizes) if kind is not None else ()
        return recognise(gateway, gateway.new("vae.Autoencoder", *arguments), spec, calls)

    return get


@pytest.fixture(scope="session")
def trained(smoke_models):
    """trained(kind) -> the ``evaluate.SmokeRun`` of the smoke-trained "ae" or "vae"."""
    return lambda kind: smoke_models(
        "vae.Autoencoder", "vae", VAE_SMOKE, kind, label=f"training your {kind.upper()} (vae.Autoencoder)",
        spec=specs.with_model_hidden(specs.mlp_autoencoder, 784, kind=kind, data=784, hidden=512, code=CODE),
        calls=specs.mlp_calls())


@pytest.fixture(scope="session")
def metrics(trained, digits):
    """metrics(kind) -> the smoke metrics of the trained "ae" or "vae" (autograder.evaluate)."""
    from autograder.evaluate import vae_smoke_metrics

    cache = {}

    def get(kind):
        run = trained(kind)
        key = (kind, id(run))
        if key not in cache:
            cache[key] = vae_smoke_metrics(run, digits, kind)
        return cache[key]

    return get
