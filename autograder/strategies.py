"""Bounded hypothesis strategies shared by the graded items, and the held-out inputs several items share."""
from __future__ import annotations

import torch
from hypothesis import strategies as st


@st.composite
def gaussian_params(draw, max_batch: int = 6, max_dim: int = 5, mu_bound: float = 4.0,
                    logvar_range: tuple = (-5.0, 3.0)):
    """(mu, logvar) float32 tensors of one shape (B, D): means and log-variances of a diagonal Gaussian."""
    b = draw(st.integers(1, max_batch))
    d = draw(st.integers(1, max_dim))
    floats = st.floats(-mu_bound, mu_bound, allow_nan=False, width=32)
    mu = draw(st.lists(floats, min_size=b * d, max_size=b * d))
    lv = st.floats(*logvar_range, allow_nan=False, width=32)
    logvar = draw(st.lists(lv, min_size=b * d, max_size=b * d))
    return (torch.tensor(mu, dtype=torch.float32).reshape(b, d),
            torch.tensor(logvar, dtype=torch.float32).reshape(b, d))


SATURATED_P, SATURATED_X = [0.0, 1.0, 0.0, 1.0, 0.5, 0.25], [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]


def saturated_published(shape: tuple, p_name: str = "p") -> tuple[torch.Tensor, torch.Tensor, str]:
    """(p, x, how to build them) of ``shape`` for a public run of a "finite at p = 0 or 1" check: p 0.5 and x 0
    everywhere but the first six values, where p is exactly 0 or 1 where x agrees and where it does not, and
    inside (0, 1)."""
    p, x = torch.full(shape, 0.5), torch.zeros(shape)
    p.view(-1)[:6], x.view(-1)[:6] = torch.tensor(SATURATED_P), torch.tensor(SATURATED_X)
    repro = (f"{p_name} = torch.full({shape}, 0.5); x = torch.zeros({shape}); "
             f"{p_name}.view(-1)[:6] = torch.tensor({SATURATED_P}); x.view(-1)[:6] = torch.tensor({SATURATED_X})")
    return p, x, repro


def saturated_bernoulli(gen: torch.Generator, shape: tuple, ends: float = 0.5):
    """(p, x) of ``shape`` for a held-out run of a "finite at p = 0 or 1" check: x binary, p uniform in (0, 1)
    with a share ``ends`` set exactly to 0 or 1; the first four values cover every case, (p, x) = (0, 0),
    (1, 1), (0, 1) and (1, 0)."""
    p, x = torch.rand(shape, generator=gen), (torch.rand(shape, generator=gen) < 0.5).float()
    mask = torch.rand(shape, generator=gen) < ends
    p[mask] = (torch.rand(shape, generator=gen)[mask] < 0.5).float()
    p.view(-1)[:4], x.view(-1)[:4] = torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0, 0.0])
    return p, x
