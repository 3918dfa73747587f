"""The checks of ``reparameterize(mu, logvar)`` shared by vae.py's and cvae.py's items: exact gradients
(float32, the contract's dtype), the distribution of the draws (Kolmogorov-Smirnov), fresh noise on every call.

Each takes the item's ``draw`` (``hidden.Draw``): the published inputs on a public run, held-out ones on
its twin."""
from __future__ import annotations

import torch
from scipy import stats

from autograder.calibration import KS_TEST
from autograder.checks import assert_close, expect, expect_tensor

REPARAM_HINT = ("z = mu + exp(0.5 * logvar) * eps with eps ~ N(0, I), fresh on every call from torch's default "
                "generator: logvar is log sigma^2, so the standard deviation is exp(0.5 * logvar).")


def check_reparameterize_gradients(model, shape: tuple, draw, seed: int = 22) -> None:
    """``model.reparameterize`` has exact gradients on float32 inputs (the contract's dtype), to float32's
    tolerance: dz/dmu = 1 and dz/dlogvar = (z - mu) / 2."""
    gen = draw.generator(seed)
    mu = torch.randn(shape, generator=gen)
    logvar = torch.randn(shape, generator=gen)
    out = model.call("reparameterize", mu, logvar, seed=draw.seed(3), grad={"wrt": [0, 1]})
    z, (d_mu, d_logvar) = out["value"], out["grads"]
    expect_tensor(z, "reparameterize(mu, logvar)", shape)
    expect(d_mu is not None and d_logvar is not None, "gradients of z w.r.t. mu and logvar", "both present",
           f"d/dmu {'missing' if d_mu is None else 'ok'}, d/dlogvar {'missing' if d_logvar is None else 'ok'}",
           "Do not detach mu, logvar or the standard deviation: gradients must flow through both.")
    assert_close(d_mu, torch.ones_like(mu), "dz/dmu", REPARAM_HINT)
    assert_close(d_logvar, (z - mu) / 2, "dz/dlogvar against (z - mu) / 2", REPARAM_HINT)


def ks_p_min(draw) -> float:
    """The Kolmogorov-Smirnov pass mark: ``KS_TEST``'s p_min on a public run, its stricter p_min_held_out on a
    twin (whose seed holds for a whole bundle; see ``calibration.KS_TEST``)."""
    return KS_TEST["p_min_held_out"] if draw.held_out else KS_TEST["p_min"]


def ks_mu_sigma(draw, seed: int) -> tuple[float, float]:
    """(mu, sigma) of a sampler's distribution check: (1.5, 0.5) published; held out, mu in (-3, 3) and sigma in
    (0.25, 0.6) or (1.6, 2.5), away from 1, where sigma and sigma^2, or sigma and log sigma^2, are hard to tell
    apart (four usual mistakes on 200 such draws: largest KS p-value 1e-51 on 20,000 draws)."""
    if not draw.held_out:
        return 1.5, 0.5
    u = torch.rand(3, generator=draw.generator(seed)).tolist()
    return 6 * u[0] - 3, (0.25 + 0.35 * u[1]) if u[2] < 0.5 else (1.6 + 0.9 * u[1])


def check_reparameterize_distribution(model, code: int, draws: int, seed: int, draw) -> None:
    """``model.reparameterize`` draws z ~ N(mu, exp(logvar)): a Kolmogorov-Smirnov test of ``draws`` values
    (mu and sigma from ``ks_mu_sigma``)."""
    m, s = ks_mu_sigma(draw, seed)
    mu = torch.full((draws // code, code), m)
    logvar = torch.full((draws // code, code), 2 * float(torch.log(torch.tensor(s))))
    z = expect_tensor(model.reparameterize(mu, logvar, seed=draw.seed(seed)), "reparameterize(mu, logvar)",
                      tuple(mu.shape))
    result = stats.kstest(((z - m) / s).flatten().double().numpy(), "norm")
    p_min = ks_p_min(draw)
    expect(result.pvalue > p_min, f"distribution of {mu.numel():,} draws with mu = {m:g}, sigma = {s:g}",
           f"N({m:g}, {s * s:g}): KS p-value > {p_min}",
           f"p = {result.pvalue:.2g}; sample mean {float(z.mean()):.3f}, std {float(z.std()):.3f}", REPARAM_HINT,
           f"model.reparameterize(torch.full({tuple(mu.shape)}, 1.5), torch.full({tuple(mu.shape)}, math.log(0.25)))")


def check_reparameterize_noise(gateway, model, code: int, draw) -> None:
    """``model.reparameterize`` draws fresh noise on every call and repeats under torch.manual_seed."""
    mu, logvar = torch.zeros(8, code), torch.zeros(8, code)
    if draw.held_out:
        gen = draw.generator(0)
        mu, logvar = torch.randn(8, code, generator=gen), torch.randn(8, code, generator=gen)
    first, second = gateway.trusted("autograder.probes:call_twice", model, "reparameterize", mu, logvar)
    expect_tensor(first, "reparameterize(mu, logvar)", tuple(mu.shape))
    expect(not torch.equal(first, second), "two calls of reparameterize in a row", "different samples",
           "the same sample twice", "Draw new eps on every call (torch.randn_like), never store or reseed it.")
    again = model.reparameterize(mu, logvar, seed=0)
    expect(torch.equal(model.reparameterize(mu, logvar, seed=0), again),
           "reparameterize after the same torch.manual_seed", "identical samples", "different samples",
           "Use torch's default generator (torch.randn_like), not numpy or a private Generator.")
