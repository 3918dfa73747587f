"""CVAE.3 (20 points): loss_function, the negative ELBO (summed BCE plus summed KL)."""
import torch
from hypothesis import given

from autograder import oracles
from autograder.checks import assert_close, expect, expect_scaled_bce, expect_tensor, repro_tensor
from autograder.rubric import item
from autograder.strategies import gaussian_params, saturated_bernoulli

BCE_HINT = ("The reconstruction term is -sum[x log recon_x + (1 - x) log(1 - recon_x)]: prediction first, "
            "target second, summed over batch and pixels (not averaged).")
KL_HINT = ("The KL term is the sum over batch and latent dims of 0.5 * (mu^2 + exp(logvar) - 1 - logvar), "
           "added (not subtracted) to the reconstruction term.")
REPRO = "p = 0.01 + 0.98 * torch.rand(16, 784); x = (torch.rand(16, 784) < 0.3).float()"


def loss_inputs(draw):
    """(p, x, mu, logvar): decoder means in (0.01, 0.99) and binarized pixels (16, 784), codes' means and
    log-variances (16, 40)."""
    gen = draw.generator(41)
    p = torch.rand(16, 784, generator=gen) * 0.98 + 0.01
    x = (torch.rand(16, 784, generator=gen) < 0.3).float()
    return p, x, torch.randn(16, 40, generator=gen), torch.randn(16, 40, generator=gen)


def saturated_inputs(draw):
    """(p, x) of shape (2, 784): p exactly 0 or 1 where x agrees and where it does not, 0.5 (published) or
    anywhere in (0, 1) (held out) elsewhere."""
    if not draw.held_out:
        p = torch.full((2, 784), 0.5)
        p[0, :4], p[1, :4] = torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 0.0])
        x = torch.zeros(2, 784)
        x[0, :4] = x[1, :4] = torch.tensor([1.0, 0.0, 0.0, 1.0])
        return p, x
    return saturated_bernoulli(draw.generator(0), (2, 784), ends=0.1)


def loss(model, recon_x, x, mu, logvar, what):
    return expect_tensor(model.loss_function(recon_x, x, mu, logvar), what, (),
                         "loss_function returns a 0-d tensor: the sum over the batch of both terms.")


@item("CVAE.3a", 6, held_out=2)
def test_reconstruction_term(gateway, model, draw):
    """Reconstruction term: -sum log Bernoulli(x; recon_x) (mu = 0, logvar = 0, where the KL is 0)"""
    P, X, _, _ = loss_inputs(draw)
    zeros = torch.zeros(16, 40)
    got = loss(model, P, X, zeros, zeros, "loss_function(p, x, 0, 0)")
    assert_close(got, oracles.bernoulli_nll(P, X), "loss_function(p, x, mu=0, logvar=0) (KL term 0 there)",
                 BCE_HINT, REPRO + "; model.loss_function(p, x, torch.zeros(16, 40), torch.zeros(16, 40))")


@item("CVAE.3b", 6, held_out=2)
@given(gaussian_params(max_batch=6, max_dim=6))
def test_kl_term(gateway, model, draw, params):
    """KL term: loss grows by sum KL(N(mu, exp(logvar)) || N(0, I)) (torch.distributions)"""
    mu, logvar = params
    x = (torch.arange(mu.shape[0] * 784).reshape(-1, 784) % 3 == 0).float()
    p = 0.001 + 0.998 * x  # recon_x within 0.001 of x: a reconstruction term of ~0.001 nats per pixel
    base = loss(model, p, x, torch.zeros_like(mu), torch.zeros_like(logvar), "loss_function(p, x, 0, 0)")
    got = loss(model, p, x, mu, logvar, "loss_function(p, x, mu, logvar)") - base
    assert_close(got, oracles.gaussian_kl(mu, logvar),
                 "loss_function(p, x, mu, logvar) - loss_function(p, x, 0, 0), the KL term", KL_HINT,
                 f"mu = {repro_tensor(mu)}; logvar = {repro_tensor(logvar)}; x of shape ({mu.shape[0]}, 784) "
                 "in {0, 1}; p = 0.001 + 0.998 * x")


@item("CVAE.3c", 4, held_out=1)
def test_loss_is_summed(gateway, model, draw):
    """The loss is a sum over the batch: the batch's loss equals the sum of its examples' losses"""
    P, X, MU, LOGVAR = loss_inputs(draw)
    whole = float(loss(model, P, X, MU, LOGVAR, "loss_function(p, x, mu, logvar)"))
    parts = sum(float(loss(model, P[i:i + 1], X[i:i + 1], MU[i:i + 1], LOGVAR[i:i + 1], "loss_function on one example"))
                for i in range(16))
    expect(whole > 0 and abs(whole - parts) <= 1e-4 * abs(parts),
           "loss_function on a batch of 16 against the sum of its 16 single-example losses",
           "the same positive number twice", f"{whole:.2f} for the batch, {parts:.2f} summed",
           "Use reduction='sum' and torch.sum, never a mean: the trainer divides by the batch size itself.",
           REPRO + "; mu, logvar = torch.randn(16, 40), torch.randn(16, 40)")


@item("CVAE.3d", 4, held_out=1)
def test_loss_finite(gateway, model, draw):
    """loss_function stays finite when a probability is exactly 0 or 1 (its value is the other items')"""
    P, X, _, _ = loss_inputs(draw)
    expect_scaled_bce(lambda a, b: model.loss_function(a, b, torch.zeros(a.shape[0], 40), torch.zeros(a.shape[0], 40)),
                      P, X, "loss_function(p, x, 0, 0)", "CVAE.3a")
    p, x = saturated_inputs(draw)
    zeros = torch.zeros(2, 40)  # the KL term of zero codes is 0 whatever the batch
    got = loss(model, p, x, zeros, zeros, "loss_function with p in {0, 1}")
    expect(bool(torch.isfinite(got)), "loss_function(p, x, 0, 0) with some p exactly 0 and 1", "a finite value",
           f"{float(got)}", "Clamp the logs (as F.binary_cross_entropy does at -100) or clamp p into [eps, 1 - eps].",
           "p = torch.full((2, 784), 0.5); p[0, :4] = torch.tensor([0., 1., 0., 1.]); "
           "x = torch.zeros(2, 784); x[:, :4] = torch.tensor([1., 0., 0., 1.])")
