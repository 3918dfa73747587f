"""Independent oracles: closed forms, torch.distributions and Monte Carlo.

Computed in float64 in the parent; they never touch submitted code.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from autograder.checks import expect_tensor

LOG_CLAMP = -100.0  # F.binary_cross_entropy's clamp of log(p) and log(1 - p)


def bernoulli_nll(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-sum log Bernoulli(x; p), logs clamped at -100 like torch's BCE. 0-d, float64."""
    p, x = p.double(), x.double()
    if ((p > 0) & (p < 1)).all():
        return -Bernoulli(probs=p, validate_args=False).log_prob(x).sum()
    log_p = torch.log(p).clamp(min=LOG_CLAMP)
    log_1p = torch.log1p(-p).clamp(min=LOG_CLAMP)
    return -(x * log_p + (1 - x) * log_1p).sum()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """sum KL(N(mu, exp(logvar)) || N(0, 1)) over every element, via torch.distributions. 0-d float64."""
    mu, logvar = mu.double(), logvar.double()
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum()


def gaussian_kl_monte_carlo(mu: torch.Tensor, logvar: torch.Tensor, n: int, seed: int):
    """Monte Carlo estimate of the summed KL and its standard error.

    Draws n samples z ~ q = N(mu, exp(logvar)) (all elements jointly) and
    averages log q(z) - log p(z) summed over elements. Returns (mean, stderr).
    """
    gen = torch.Generator().manual_seed(seed)
    mu, logvar = mu.double().flatten(), logvar.double().flatten()
    sigma = (logvar / 2).exp()
    eps = torch.randn(n, mu.numel(), generator=gen, dtype=torch.float64)
    z = mu + sigma * eps
    log_ratio = (Normal(mu, sigma).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(dim=1)
    return log_ratio.mean(), log_ratio.std() / math.sqrt(n)


def gaussian_kl_from_sigma(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """sum KL(N(mu, sigma^2) || N(0, 1)) with sigma the standard deviation. 0-d float64."""
    return kl_divergence(Normal(mu.double(), sigma.double()), Normal(0.0, 1.0)).sum()


def elbo_terms(x: torch.Tensor, mu: torch.Tensor, std: torch.Tensor, decode, seed: int = 0) -> dict:
    """The negative ELBO of ``x`` (N, ...) per image, with one z = mu + std * eps per image, eps from a
    seeded generator: {"reconstruction", "kl", "loss"} in nats per image, and "recon", the decoded
    Bernoulli means ``decode(z)``. The one ELBO of every smoke item and of the course's gallery."""
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed)).to(mu.device)
    recon = expect_tensor(decode(mu + std * eps), "the decoded codes", tuple(x.shape))
    n = x.shape[0]
    rec = float(bernoulli_nll(recon.clamp(0, 1), x)) / n
    kl = float(gaussian_kl_from_sigma(mu, std)) / n
    return {"reconstruction": rec, "kl": kl, "loss": rec + kl, "recon": recon}
