"""Bounded hypothesis strategies shared by the graded items."""
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


@st.composite
def seeds(draw):
    return draw(st.integers(0, 2**31 - 1))
