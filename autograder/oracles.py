"""Independent oracles: closed forms, torch.distributions and Monte Carlo.

Computed in float64 in the parent; they never touch submitted code.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import Normal, kl_divergence

from course.likelihood import bernoulli_nll  # noqa: F401 - the course's and the grader's one Bernoulli likelihood


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
