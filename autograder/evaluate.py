"""Parent-side evaluation of smoke-trained models with the grader's own oracles.

The model is reached only through its handle (encode / decode calls); every
loss here is computed by ``oracles``, never by submitted code.
"""
from __future__ import annotations

import torch

from autograder import oracles
from autograder.checks import expect_tensor


def vae_terms(model, x: torch.Tensor, seed: int = 0) -> dict:
    """Per-image reconstruction and KL terms of the negative ELBO on ``x`` (N, 784), one z per image."""
    mu, logvar = model.encode(x)
    mu = expect_tensor(mu, "mu from encode", (x.shape[0], mu.shape[-1]))
    logvar = expect_tensor(logvar, "logvar from encode", tuple(mu.shape))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
    recon = expect_tensor(model.decode(mu + torch.exp(0.5 * logvar) * eps), "decode(z)", tuple(x.shape))
    n = x.shape[0]
    rec = float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n
    kl = float(oracles.gaussian_kl(mu, logvar)) / n
    return {"reconstruction": rec, "kl": kl, "loss": rec + kl, "mu": mu, "logvar": logvar, "recon": recon}


def ae_terms(model, x: torch.Tensor) -> dict:
    """Per-image BCE and per-pixel MSE of the autoencoder's reconstructions of ``x`` (N, 784)."""
    recon = expect_tensor(model(x)[0], "recon from forward", tuple(x.shape))
    n = x.shape[0]
    return {"loss": float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n,
            "mse": float(((recon - x) ** 2).mean()), "recon": recon}


def mean_image_mse(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Per-pixel MSE of predicting every test image by the mean training image (the baseline)."""
    return float(((x_test - x_train.mean(0)) ** 2).mean())


def knn_accuracy(train_codes: torch.Tensor, y_train: torch.Tensor, test_codes: torch.Tensor,
                 y_test: torch.Tensor, k: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour classifier (scikit-learn) on latent codes."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(train_codes.double().numpy(), y_train.numpy())
    return float(clf.score(test_codes.double().numpy(), y_test.numpy()))


def latent_grid(n: int = 10) -> torch.Tensor:
    """(n*n, 2) standard-normal quantiles of an evenly spaced grid of probabilities in [0.05, 0.95]."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))
    return torch.cartesian_prod(q, q)


def nearest_mse(images: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean over ``images`` of the per-pixel MSE to the nearest ``reference`` image."""
    d = torch.cdist(images.double(), reference.double()) ** 2 / images.shape[1]
    return float(d.min(dim=1).values.mean())


def vae_smoke_metrics(model, history: dict, digits: dict, kind: str) -> dict:
    """Every number the vae.py smoke items judge, for a smoke-trained "ae" or "vae"."""
    x_train, x_test = digits["x_train"], digits["x_test"]
    m = {"train_first": history["train_loss"][0], "train_last": history["train_loss"][-1]}
    if kind == "ae":
        terms = ae_terms(model, x_test)
        m.update(test_loss=terms["loss"], mse=terms["mse"], baseline_mse=mean_image_mse(x_train, x_test))
        train_codes = expect_tensor(model.encode(x_train), "encode(x_train)", (x_train.shape[0], 2))
        test_codes = expect_tensor(model.encode(x_test), "encode(x_test)", (x_test.shape[0], 2))
    else:
        terms = vae_terms(model, x_test)
        m.update(test_loss=terms["loss"], kl=terms["kl"], recon_loss=terms["reconstruction"])
        train_codes = expect_tensor(model.encode(x_train)[0], "mu of encode(x_train)", (x_train.shape[0], 2))
        test_codes = terms["mu"]
        z = terms["mu"] + torch.exp(0.5 * terms["logvar"]) * torch.randn(
            terms["mu"].shape, generator=torch.Generator().manual_seed(1))
        m.update(code_mean_abs=float(z.mean(0).abs().max()), code_std_min=float(z.std(0).min()),
                 code_std_max=float(z.std(0).max()))
        grid = expect_tensor(model.decode(latent_grid()), "decode(z) over a 10 x 10 latent grid", (100, 784))
        m.update(grid_min=float(grid.min()), grid_max=float(grid.max()),
                 grid_pixel_std=float(grid.std(0).mean()))
        prior = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
        samples = expect_tensor(model.decode(prior), "decode(z) for z ~ N(0, I)", (64, 784))
        m.update(prior_nearest_mse=nearest_mse(samples, x_train))
    m["knn_accuracy"] = knn_accuracy(train_codes, digits["y_train"], test_codes, digits["y_test"])
    return m
