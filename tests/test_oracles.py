"""The grader's oracles against known values and independent computations."""
import math

import torch
import torch.nn.functional as F

from autograder import oracles


def test_bce_at_half_is_784_ln2_per_image():
    p = torch.full((3, 784), 0.5)
    x = (torch.rand(3, 784, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    per_image = float(oracles.bernoulli_nll(p, x)) / 3
    assert abs(per_image - 784 * math.log(2)) < 1e-9
    assert round(per_image, 2) == 543.43


def test_bce_matches_torch_and_clamps_like_it():
    gen = torch.Generator().manual_seed(1)
    p = torch.rand(4, 10, generator=gen, dtype=torch.float64)
    p[0, :3] = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    x = torch.rand(4, 10, generator=gen, dtype=torch.float64)
    assert torch.allclose(oracles.bernoulli_nll(p, x), F.binary_cross_entropy(p, x, reduction="sum"))


def test_gaussian_kl_closed_form_and_monte_carlo():
    mu = torch.tensor([[0.5, -1.0]])
    logvar = torch.tensor([[0.2, -0.7]])
    closed = 0.5 * float((mu.double()**2 + logvar.double().exp() - 1 - logvar.double()).sum())
    assert abs(float(oracles.gaussian_kl(mu, logvar)) - closed) < 1e-12
    mean, stderr = oracles.gaussian_kl_monte_carlo(mu, logvar, 100_000, seed=0)
    assert abs(float(mean) - closed) < 5 * float(stderr)
    assert float(oracles.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3))) == 0.0


def test_kl_from_sigma_agrees_with_logvar_form():
    mu, sigma = torch.tensor([0.3, -2.0]), torch.tensor([0.5, 1.7])
    assert torch.allclose(oracles.gaussian_kl_from_sigma(mu, sigma), oracles.gaussian_kl(mu, 2 * sigma.log()))
