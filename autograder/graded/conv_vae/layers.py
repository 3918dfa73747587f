"""Shared by the conv_vae items: the side after the convolutions, small configurations for the shape
items (hypothesis), and error hints. The layers themselves are ``autograder.specs``."""
from __future__ import annotations

from contextlib import contextmanager

import torch
from hypothesis import strategies as st

from autograder.checks import expect_defaults
from autograder.errors import SubmissionError
from autograder.protocol import module_ref
from autograder.recognition import expect_layers

MODULE = module_ref("conv_vae")  # the submitted module, as the worker resolves it in trusted calls


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


CONTRACT_DEFAULTS = {"c1": 16, "c2": 32, "lat": 16, "k": 3, "d": 28}  # the defaults of Encoder, Decoder and VAE
LAYER_CONFIGS = (CONTRACT_DEFAULTS, {"c1": 3, "c2": 5, "lat": 4, "k": 5, "d": 20})


def check_layers(gateway, cls: str, inputs, hint: str, layout_hint: str) -> None:
    """CONV.2b / CONV.3b: ``cls``'s layers recognised for each of ``LAYER_CONFIGS``, probed with ``inputs(cfg)``,
    then those of ``cls()`` built with its default arguments (``CONTRACT_DEFAULTS``)."""
    for cfg in LAYER_CONFIGS:
        expect_layers(recognised(gateway, cls, cfg, inputs(cfg), hint), call_text(cls, cfg),
                      layout_hint + f" Here s = {side(cfg['d'], cfg['k'])}.")
    cfg = CONTRACT_DEFAULTS
    expect_defaults(gateway, f"conv_vae.{cls}", {k: repr(v) for k, v in cfg.items()},
                    lambda: expect_layers(recognised(gateway, cls, cfg, inputs(cfg), hint, by_default=True),
                                          f"{cls}() (default arguments)", layout_hint))


def recognised(gateway, cls: str, cfg: dict, x: torch.Tensor, hint: str, seed: int = 0, by_default: bool = False):
    """``recognition.Match`` of a fresh ``cls`` ("Encoder" or "Decoder") built with ``cfg`` (``by_default``: built
    with no arguments, expected to be ``cfg``) against the contract's layers (``specs.conv_encoder`` /
    ``conv_decoder``), recognised on the input batch ``x`` with weights the grader draws from ``seed``."""
    from autograder import specs
    from autograder.recognition import recognise

    spec = (specs.conv_encoder if cls == "Encoder" else specs.conv_decoder)(**cfg)
    with hint_on_error(hint):
        model = gateway.new(f"conv_vae.{cls}") if by_default else gateway.new(f"conv_vae.{cls}", **cfg)
        return recognise(gateway, model, spec, {"forward": (x,)}, seed=seed)


def variant_of(gateway, cls: str, cfg: dict, x: torch.Tensor, hint: str, layers_item: str, seed: int = 0):
    """The variant the grader recognised in ``cls(**cfg).forward`` (weights from ``seed``); fails, pointing at
    ``layers_item``, if none."""
    from autograder.recognition import expect_variant

    return expect_variant(recognised(gateway, cls, cfg, x, hint, seed), "forward", f"{call_text(cls, cfg)}.forward",
                          layers_item, hint)


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
