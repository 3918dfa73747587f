"""CONV.3 (16 points): the Decoder, a Linear layer then two transposed convolutions and a Sigmoid."""
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import expect, expect_tensor
from autograder.graded.conv_vae import layers
from autograder.graded.conv_vae.layers import call_text, configs, hint_on_error
from autograder.rubric import item

LAYOUT_HINT = ("Decoder: Linear(lat, c2 * s * s) -> ReLU -> view as (B, c2, s, s) -> ConvTranspose2d(c2, c1, k) "
               "-> ReLU -> ConvTranspose2d(c1, 1, k) -> Sigmoid, with s = conv_output_size(d, k); use the "
               "constructor's arguments, not fixed numbers.")
CFG = {"c1": 4, "c2": 3, "lat": 5, "k": 3, "d": 12}


def codes(b, lat, seed, scale=1.0, draw=None):
    """(b, lat) standard normal codes times ``scale``, from the published ``seed`` (or ``draw``'s, on a twin)."""
    gen = draw.generator(seed) if draw is not None else torch.Generator().manual_seed(seed)
    return torch.randn(b, lat, generator=gen) * scale


def decode(decoder, cfg, z):
    call = f"{call_text('Decoder', cfg)}(z) for z of shape {tuple(z.shape)}"
    with hint_on_error(LAYOUT_HINT):
        out = decoder(z)
    return expect_tensor(out, call, (z.shape[0], 1, cfg["d"], cfg["d"]), LAYOUT_HINT)


@item("CONV.3a", 5)
@given(configs(), st.integers(1, 3))
def test_decoder_shapes(gateway, cfg, batch):
    """Decoder(c1, c2, lat, k, d) maps (B, lat) codes to (B, 1, d, d) images"""
    decode(gateway.new("conv_vae.Decoder", **cfg), cfg, codes(batch, cfg["lat"], 1))


def variant_of(gateway, cfg: dict, draw=None):
    """The variant the grader recognised in Decoder(**cfg).forward, on 8 random codes (and random weights;
    both drawn through ``draw`` when given)."""
    seed = draw.seed(0) if draw is not None else 0
    return layers.variant_of(gateway, "Decoder", cfg, codes(8, cfg["lat"], 31, draw=draw), LAYOUT_HINT, "CONV.3b",
                             seed)


@item("CONV.3b", 4)
def test_decoder_layers(gateway):
    """Decoder layers: Linear(lat, c2*s*s), ConvTranspose2d(c2, c1, k), ConvTranspose2d(c1, 1, k), from outputs"""
    layers.check_layers(gateway, "Decoder", lambda cfg: codes(8, cfg["lat"], 31), LAYOUT_HINT, LAYOUT_HINT)


@item("CONV.3c", 4, held_out=1)
def test_decoder_sigmoid(gateway, draw):
    """Decoder output: Sigmoid of the last transposed convolution, in [0, 1] even for large codes"""
    decoder = gateway.new("conv_vae.Decoder", **CFG, seed=draw.seed(0))
    out = decode(decoder, CFG, codes(32, CFG["lat"], 2, scale=30.0, draw=draw))
    repro = f"{call_text('Decoder', CFG)}(30 * torch.randn(32, {CFG['lat']}))"
    lo, hi = float(out.min()), float(out.max())
    expect(bool(torch.isfinite(out).all()) and lo >= 0 and hi <= 1, "range of decoder(z) for codes up to |z| ~ 100",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid: its outputs are Bernoulli means.", repro)
    variant = variant_of(gateway, CFG, draw)
    expect(variant["out"] == "sigmoid", "activation after the last ConvTranspose2d", "Sigmoid",
           f"outputs that match {variant['out']}",
           "Apply torch.sigmoid (or nn.Sigmoid) to the last transposed convolution, and nothing after it.", repro)


@item("CONV.3d", 3)
def test_decoder_relus(gateway):
    """Decoder: ReLU after the Linear layer and after the first transposed convolution"""
    variant = variant_of(gateway, CFG)
    repro = f"{call_text('Decoder', CFG)}(torch.randn(16, {CFG['lat']}))"
    for choice, where in (("dec_act1", "after the Linear layer"), ("dec_act2", "after the first ConvTranspose2d")):
        expect(variant[choice] == "relu", f"activation {where}", "ReLU", f"outputs that match {variant[choice]}",
               "Apply ReLU to the Linear layer's output (before reshaping it to (B, c2, s, s)) and between the "
               "two transposed convolutions.", repro)
