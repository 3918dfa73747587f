"""Importance-weighted bounds on log p(x) (IWAE) for the VAEs of the course.

    log p(x) >= E[ log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x) ],  z_i ~ q(z | x)

With k = 1 this is the ELBO; the bound tightens as k grows. Samples are nested
(the k = 10 bound uses the first 10 of the 100 draws) and drawn from a seeded
generator, so the numbers are reproducible.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal, kl_divergence

LOG_CLAMP = -100.0  # F.binary_cross_entropy's clamp of log(p) and log(1 - p)


def bernoulli_nll(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-sum log Bernoulli(x; p), logs clamped at -100 like torch's BCE. 0-d, float64."""
    p, x = p.double(), x.double()
    if ((p > 0) & (p < 1)).all():
        return -Bernoulli(probs=p, validate_args=False).log_prob(x).sum()
    log_p = torch.log(p).clamp(min=LOG_CLAMP)
    log_1p = torch.log1p(-p).clamp(min=LOG_CLAMP)
    return -(x * log_p + (1 - x) * log_1p).sum()


def elbo_terms(x: torch.Tensor, mu: torch.Tensor, std: torch.Tensor, decode, seed: int = 0) -> dict:
    """The negative ELBO of ``x`` (N, ...) per image, with one z = mu + std * eps per image, eps from a
    seeded generator: {"reconstruction", "kl", "loss"} in nats per image, and "recon", the decoded
    Bernoulli means ``decode(z)`` (shaped like ``x``: a caller that decodes untrusted models checks it).
    The one ELBO of the course's gallery and of every smoke item of the grader."""
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed)).to(mu.device)
    recon = decode(mu + std * eps)
    n = x.shape[0]
    rec = float(bernoulli_nll(recon.clamp(0, 1), x)) / n
    kl = float(kl_divergence(Normal(mu.double(), std.double()), Normal(0.0, 1.0)).sum()) / n
    return {"reconstruction": rec, "kl": kl, "loss": rec + kl, "recon": recon}


@torch.no_grad()
def iwae_bounds(encode, decode, x: torch.Tensor, ks=(1, 10, 100), seed: int = 0, batch: int = 100) -> dict:
    """Mean over images of the IWAE bound for each k, in nats per image.

    encode(x) -> (mu, std) of q(z|x), each (B, code); decode(z) -> Bernoulli means shaped like x.
    """
    k_max = max(ks)
    gen = torch.Generator().manual_seed(seed)
    totals = {k: 0.0 for k in ks}
    for start in range(0, x.shape[0], batch):
        xb = x[start:start + batch]
        mu, std = encode(xb)
        eps = torch.randn((k_max, *mu.shape), generator=gen).to(mu.device)
        z = mu + std * eps                                               # (K, B, code)
        recon = decode(z.flatten(0, 1)).view(k_max, *xb.shape)            # (K, B, ...)
        target = xb.expand_as(recon)
        log_px_z = -F.binary_cross_entropy(recon.clamp(0, 1), target, reduction="none").flatten(2).sum(-1)
        log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_qz = Normal(mu, std).log_prob(z).sum(-1)
        log_w = (log_px_z + log_pz - log_qz).double()                     # (K, B)
        for k in ks:
            totals[k] += float((torch.logsumexp(log_w[:k], 0) - math.log(k)).sum())
    return {k: totals[k] / x.shape[0] for k in ks}
