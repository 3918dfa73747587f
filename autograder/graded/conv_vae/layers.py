"""Shared by the conv_vae items: the side after the convolutions, small configurations for the shape
items (hypothesis), and error hints. The layers themselves are ``autograder.specs``."""
from __future__ import annotations

from contextlib import contextmanager

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
