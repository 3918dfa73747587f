"""What CONV_VAE_SMOKE's thresholds are calibrated on: the reference conv VAE in the smoke configuration,
trained with the trusted smoke trainer (loss "conv_vae") through the gateway (a copy of conv_vae.py, as in
grading) on the digits as (N, 1, 28, 28) and judged by ``evaluate.conv_vae_smoke_metrics`` on the models
rebuilt in the parent, as item CONV.4i does. "untrained": the test negative ELBO of the model before
training; "mean_image": the mean training image as a constant decoder, for scale.

Used by ``python scripts/calibrate.py conv_vae``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

METRICS = ("train_first", "train_last", "test_loss", "reconstruction", "kl", "untrained")


@contextmanager
def measuring(folder: Path, settings: dict):
    """Yields (measure, fixed figures): measure(seed) -> {metric: value} trains ``folder``/conv_vae.py's VAE
    with ``settings`` and that seed; one worker serves every seed."""
    from autograder import oracles, specs
    from autograder.evaluate import conv_vae_smoke_metrics, conv_vae_terms, smoke_run
    from autograder.gateway import Gateway
    from course.data import load_images

    x_train, _ = load_images("digits", train=True)
    x_test, _ = load_images("digits", train=False)
    mean_image = oracles.bernoulli_nll(x_train.mean(0).clamp(1e-6, 1 - 1e-6).expand_as(x_test), x_test)
    model = settings["model"]
    with Gateway(folder) as gateway:
        def measure(seed: int) -> dict[str, float]:
            run = smoke_run(gateway, "conv_vae.VAE", "conv_vae", {**settings, "seed": seed}, label=f"seed {seed}",
                            spec=specs.conv_vae(**model), calls=specs.conv_vae_calls(model["lat"], model["d"]),
                            **model)
            m = conv_vae_smoke_metrics(run, x_train, x_test)
            m["untrained"] = conv_vae_terms(run.before, x_test)["loss"]
            return {key: float(m[key]) for key in METRICS}

        yield measure, {"mean_image": float(mean_image) / x_test.shape[0]}
