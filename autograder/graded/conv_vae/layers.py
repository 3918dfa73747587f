"""Shared by the conv_vae items: the layer arithmetic of the conv VAE, small configurations for the
shape items (hypothesis), the affine-fit measure of the head items, and error hints."""
from __future__ import annotations

from contextlib import contextmanager

import torch
from hypothesis import strategies as st

from autograder.errors import SubmissionError

MODULE = {"__module__": "conv_vae"}  # the submitted module, as the worker resolves it in trusted calls


def side(d: int, k: int, n_layers: int = 2) -> int:
    """Side after n_layers unpadded stride-1 convolutions (the oracle of CONV.1)."""
    return d - n_layers * (k - 1)


@st.composite
def configs(draw, max_channels: int = 4, max_lat: int = 5):
    """dict(c1, c2, lat, k, d) with d in 8..28, k in 1..5 and at least one pixel left after two convs."""
    k = draw(st.integers(1, 5))
    d = draw(st.integers(max(8, 2 * (k - 1) + 1), 28))
    return {"c1": draw(st.integers(1, max_channels)), "c2": draw(st.integers(1, max_channels)),
            "lat": draw(st.integers(1, max_lat)), "k": k, "d": d}


def call_text(cls: str, cfg: dict) -> str:
    return f"{cls}(" + ", ".join(f"{k}={v}" for k, v in cfg.items()) + ")"


def encoder_params(c1, c2, lat, k, d) -> int:
    f = c2 * side(d, k) ** 2
    return (c1 * k * k + c1) + (c1 * c2 * k * k + c2) + 2 * (f * lat + lat)


def decoder_params(c1, c2, lat, k, d) -> int:
    f = c2 * side(d, k) ** 2
    return (lat * f + f) + (c2 * c1 * k * k + c1) + (c1 * k * k + 1)


def affine_residual(features: torch.Tensor, target: torch.Tensor) -> float:
    """Relative residual of the least-squares affine fit of ``target`` (B, m) on ``features`` (B, F), float64:
    ~1e-7 when target is an affine map of features (float32 rounding), larger for any curved activation."""
    a = torch.cat([features.double(), torch.ones(features.shape[0], 1, dtype=torch.float64)], dim=1)
    y = target.double()
    fit = torch.linalg.lstsq(a, y, driver="gelsd").solution
    spread = (y - y.mean(0)).norm()
    return float((a @ fit - y).norm() / spread.clamp(min=1e-12))


@contextmanager
def hint_on_error(hint: str):
    """Turn an exception raised by the submission (a SubmissionError of kind "raised") into a failed
    check that also says what to look at; every other failure passes through unchanged."""
    try:
        yield
    except SubmissionError as err:
        if err.kind != "raised":
            raise
        raise AssertionError(f"{err.student_message()} {hint}") from None
