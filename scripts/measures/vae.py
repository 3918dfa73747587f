"""What VAE_SMOKE's thresholds are calibrated on: the reference AE and VAE, each trained with the
grader's smoke settings through the gateway (a copy of vae.py, as in grading) and judged by
``evaluate.vae_smoke_metrics`` on the models rebuilt in the parent, as items A.2, B.2f and C do.

Used by ``python scripts/calibrate.py vae``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

KINDS = {  # kind -> the metrics of vae_smoke_metrics recorded for it ("mse_ratio": mse / baseline_mse)
    "ae": ("train_first", "train_last", "test_loss", "mse", "baseline_mse", "mse_ratio", "knn_accuracy"),
    "vae": ("train_first", "train_last", "test_loss", "kl", "recon_loss", "code_mean_abs", "code_std_min",
            "code_std_max", "grid_min", "grid_max", "grid_pixel_std", "prior_nearest_mse", "knn_accuracy"),
}
METRICS = tuple(f"{kind}_{key}" for kind, keys in KINDS.items() for key in keys)


@contextmanager
def measuring(folder: Path, settings: dict):
    """Yields (measure, fixed figures): measure(seed) -> {metric: value} trains the AE and the VAE of
    ``folder``/vae.py with ``settings`` and that seed; one worker serves every seed."""
    from autograder import specs
    from autograder.evaluate import smoke_run, vae_smoke_metrics
    from autograder.gateway import Gateway
    from course.data import load_images

    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    data = {"x_train": x_train.flatten(1), "y_train": y_train, "x_test": x_test.flatten(1), "y_test": y_test}
    with Gateway(folder) as gateway:
        def measure(seed: int) -> dict[str, float]:
            row = {}
            for kind, keys in KINDS.items():
                run = smoke_run(gateway, "vae.Autoencoder", "vae", {**settings, "seed": seed}, kind,
                                label=f"{kind} seed {seed}", spec=specs.mlp_autoencoder(kind),
                                calls=specs.mlp_calls())
                m = vae_smoke_metrics(run, data, kind)
                if kind == "ae":
                    m["mse_ratio"] = m["mse"] / m["baseline_mse"]
                row.update({f"{kind}_{key}": float(m[key]) for key in keys})
            return row

        yield measure, {}
