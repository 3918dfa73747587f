"""Hidden items of vae.py: the same maths on held-out inputs.

Not shipped to students; a failure says which function to revisit, never the
inputs or the expected numbers.
"""
import torch

from autograder import oracles
from autograder.checks import assert_close, expect_tensor
from autograder.hidden import held_out
from autograder.rubric import item


@item("B.1g", 1, visibility="hidden")
def test_reconstruction_loss_held_out(gateway, draw):
    """reconstruction_loss on a held-out batch size and values (MLP images stay (B, 784))"""
    gen = draw.generator(404)
    with held_out("reconstruction_loss (see B.1a-B.1b)"):
        p = torch.rand(3, 784, generator=gen).clamp(1e-6, 1 - 1e-6)
        x = torch.rand(3, 784, generator=gen)
        assert_close(gateway.call("vae.reconstruction_loss", p, x), oracles.bernoulli_nll(p, x), "BCE")


@item("B.1h", 1, visibility="hidden")
def test_kl_divergence_held_out(gateway, draw):
    """kl_divergence on a held-out batch size and values"""
    gen = draw.generator(405)
    with held_out("kl_divergence (see B.1c-B.1e)"):
        mu = 3 * torch.randn(1, 40, generator=gen)
        logvar = 2 * torch.randn(1, 40, generator=gen)
        assert_close(gateway.call("vae.kl_divergence", mu, logvar), oracles.gaussian_kl(mu, logvar), "KL")


@item("B.2g", 2, visibility="hidden")
def test_reparameterize_held_out(gateway, vae, draw):
    """reparameterize keeps per-element means and variances on a held-out shape"""
    with held_out("reparameterize (see B.2b-B.2d)"):
        gen = draw.generator(9)
        mu = (6 * torch.rand(7, generator=gen) - 3).repeat(6000, 1)
        logvar = (4 * torch.rand(7, generator=gen) - 2).repeat(6000, 1)
        z = expect_tensor(vae.reparameterize(mu, logvar, seed=draw.seed(9)), "z", tuple(mu.shape))
        std = torch.exp(0.5 * logvar[0])
        # 6,000 draws per column: the column mean's standard error is std / 77; 5 standard errors.
        assert bool(((z.mean(0) - mu[0]).abs() < 5 * std / 6000 ** 0.5).all())
        # sample std of 6,000 normal draws has relative standard error 1 / sqrt(12000) ~ 0.009; allow 5%.
        assert bool(((z.std(0) / std - 1).abs() < 0.05).all())
