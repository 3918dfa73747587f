"""CONV.3 (16 points): the Decoder, a Linear layer then two transposed convolutions and a Sigmoid."""
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import assert_close, expect, expect_tensor
from autograder.graded.conv_vae.layers import call_text, configs, decoder_params, hint_on_error, side
from autograder.rubric import item

LAYOUT_HINT = ("Decoder: Linear(lat, c2 * s * s) -> ReLU -> view as (B, c2, s, s) -> ConvTranspose2d(c2, c1, k) "
               "-> ReLU -> ConvTranspose2d(c1, 1, k) -> Sigmoid, with s = conv_output_size(d, k); use the "
               "constructor's arguments, not fixed numbers.")
CFG = {"c1": 4, "c2": 3, "lat": 5, "k": 3, "d": 12}


def codes(b, lat, seed, scale=1.0):
    return torch.randn(b, lat, generator=torch.Generator().manual_seed(seed)) * scale


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


@item("CONV.3b", 4)
def test_decoder_layers(gateway):
    """Decoder layers: Linear(lat, c2*s*s), ConvTranspose2d(c2, c1, k), ConvTranspose2d(c1, 1, k); parameter count"""
    for cfg in ({"c1": 16, "c2": 32, "lat": 16, "k": 3, "d": 28}, {"c1": 3, "c2": 5, "lat": 4, "k": 5, "d": 20}):
        info = gateway.trusted("autograder.probes:describe", gateway.new("conv_vae.Decoder", **cfg))
        c1, c2, lat, k = cfg["c1"], cfg["c2"], cfg["lat"], cfg["k"]
        f = c2 * side(cfg["d"], k) ** 2
        call = call_text("Decoder", cfg)
        convs = [tuple(c) for c in info["conv"]]
        expect(convs == [("ConvTranspose2d", c2, c1, k), ("ConvTranspose2d", c1, 1, k)],
               f"transposed convolutions of {call}", f"ConvTranspose2d({c2}, {c1}, {k}) then "
               f"ConvTranspose2d({c1}, 1, {k})", str(convs) or "none", LAYOUT_HINT)
        linear = [tuple(w) for w in info["linear"]]
        expect(linear == [(lat, f)], f"Linear layers of {call}", f"one Linear({lat}, {f})", str(linear) or "none",
               LAYOUT_HINT + f" Here s = {side(cfg['d'], k)}.")
        n = decoder_params(**cfg)
        expect(info["n_params"] == n, f"parameter count of {call}", f"{n:,}", f"{info['n_params']:,}", LAYOUT_HINT)


def traced(gateway, decoder, z):
    with hint_on_error(LAYOUT_HINT):
        calls = gateway.trusted("autograder.probes:trace", decoder, "forward", z, label="Decoder.forward")
    layers = [c for c in calls if c["type"] in ("Linear", "ConvTranspose2d")]
    kinds = [c["type"] for c in layers]
    expect(kinds == ["Linear", "ConvTranspose2d", "ConvTranspose2d"], "layers called by Decoder.forward",
           "Linear, ConvTranspose2d, ConvTranspose2d in that order", str(kinds), LAYOUT_HINT)
    return layers


@item("CONV.3c", 4)
def test_decoder_sigmoid(gateway):
    """Decoder output: Sigmoid of the last transposed convolution, in [0, 1] even for large codes"""
    decoder = gateway.new("conv_vae.Decoder", **CFG)
    z = codes(32, CFG["lat"], 2, scale=30.0)
    out = decode(decoder, CFG, z)
    repro = f"{call_text('Decoder', CFG)}(30 * torch.randn(32, {CFG['lat']}))"
    lo, hi = float(out.min()), float(out.max())
    expect(bool(torch.isfinite(out).all()) and lo >= 0 and hi <= 1, "range of decoder(z) for codes up to |z| ~ 100",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid: its outputs are Bernoulli means.", repro)
    last = traced(gateway, decoder, z)[-1]["output"]
    assert_close(out, torch.sigmoid(last), "decoder(z) against sigmoid(output of the last ConvTranspose2d)",
                 "Apply torch.sigmoid (or nn.Sigmoid) to the last transposed convolution, and nothing after it.",
                 repro)


@item("CONV.3d", 3)
def test_decoder_relus(gateway):
    """Decoder: ReLU after the Linear layer and after the first transposed convolution"""
    decoder = gateway.new("conv_vae.Decoder", **CFG)
    z = codes(16, CFG["lat"], 3)
    linear, deconv1, deconv2 = traced(gateway, decoder, z)
    repro = f"{call_text('Decoder', CFG)}(torch.randn(16, {CFG['lat']}))"
    s = side(CFG["d"], CFG["k"])
    x1 = expect_tensor(deconv1["input"], "input of the first ConvTranspose2d", (16, CFG["c2"], s, s),
                       "Unflatten the Linear output to (B, c2, s, s).", repro)
    assert_close(x1.flatten(1).sort(dim=1).values, torch.relu(linear["output"]).sort(dim=1).values,
                 "input of the first ConvTranspose2d (values per code, sorted)",
                 "Apply ReLU to the Linear layer's output before reshaping it to (B, c2, s, s).", repro)
    assert_close(deconv2["input"], torch.relu(deconv1["output"]), "input of the second ConvTranspose2d",
                 "Apply ReLU between the two transposed convolutions.", repro)
