"""Small conv-VAE configurations for the shape items (hypothesis), and the layer arithmetic they imply."""
from __future__ import annotations

from hypothesis import strategies as st


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
