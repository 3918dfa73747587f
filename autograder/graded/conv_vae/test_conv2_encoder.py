"""CONV.2 (20 points): the Encoder, two unpadded convolutions then a mean head and a std head."""
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import assert_close, expect, expect_tensor
from autograder.graded.conv_vae.layers import (affine_residual, call_text, configs, encoder_params, hint_on_error,
                                               side)
from autograder.rubric import item

LAYOUT_HINT = ("Encoder: Conv2d(1, c1, k) -> ReLU -> Conv2d(c1, c2, k) -> ReLU -> flatten, then two "
               "Linear(c2 * s * s, lat) heads with s = conv_output_size(d, k); use the constructor's arguments, "
               "not fixed numbers.")
SHAPE_HINT = ("A shape error in the heads means their input size is not c2 * s * s with s = "
              "conv_output_size(d, k) (check that function too), or the features were not flattened per image.")
SMALL = {"c1": 3, "c2": 2, "lat": 3, "k": 3, "d": 8}  # 2 * 4 * 4 = 32 features: an affine fit is cheap and exact


def images(b, d, seed, scale=1.0):
    return torch.rand(b, 1, d, d, generator=torch.Generator().manual_seed(seed)) * scale


def encode(encoder, cfg, x):
    with hint_on_error(SHAPE_HINT):
        out = encoder(x)
    call = f"{call_text('Encoder', cfg)}(x) for x of shape {tuple(x.shape)}"
    expect(isinstance(out, tuple) and len(out) == 2, call, "a tuple (mu, sigma)",
           type(out).__name__ + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""),
           "forward returns the mean head and exp of the std head, in that order.")
    shape = (x.shape[0], cfg["lat"])
    return expect_tensor(out[0], f"mu of {call}", shape), expect_tensor(out[1], f"sigma of {call}", shape)


@item("CONV.2a", 5)
@given(configs(), st.integers(1, 3))
def test_encoder_shapes(gateway, cfg, batch):
    """Encoder(c1, c2, lat, k, d) maps (B, 1, d, d) images to mu and sigma of shape (B, lat)"""
    encode(gateway.new("conv_vae.Encoder", **cfg), cfg, images(batch, cfg["d"], 1))


@item("CONV.2b", 5)
def test_encoder_layers(gateway):
    """Encoder layers: Conv2d(1, c1, k), Conv2d(c1, c2, k), Linear(c2*s*s, lat) heads; parameter count"""
    for cfg in ({"c1": 16, "c2": 32, "lat": 16, "k": 3, "d": 28}, {"c1": 3, "c2": 5, "lat": 4, "k": 5, "d": 20}):
        info = gateway.trusted("autograder.probes:describe", gateway.new("conv_vae.Encoder", **cfg))
        c1, c2, lat, k = cfg["c1"], cfg["c2"], cfg["lat"], cfg["k"]
        f = c2 * side(cfg["d"], k) ** 2
        call = call_text("Encoder", cfg)
        convs = [tuple(c) for c in info["conv"]]
        expect(convs == [("Conv2d", 1, c1, k), ("Conv2d", c1, c2, k)], f"convolutions of {call}",
               f"Conv2d(1, {c1}, {k}) then Conv2d({c1}, {c2}, {k})", str(convs) or "none", LAYOUT_HINT)
        heads = sorted(tuple(w) for w in info["linear"])
        allowed = ([(f, lat), (f, lat)], [(f, 2 * lat)])
        expect(heads in allowed, f"Linear heads of {call}",
               f"two Linear({f}, {lat}) (or one Linear({f}, {2 * lat}) split in two)", str(heads) or "none",
               LAYOUT_HINT + f" Here s = {side(cfg['d'], k)}.")
        n = encoder_params(**cfg)
        expect(info["n_params"] == n, f"parameter count of {call}", f"{n:,}", f"{info['n_params']:,}", LAYOUT_HINT)


def head_input(gateway, encoder, x):
    """The traced encoder forward: (output of each Conv2d, input of each Linear)."""
    with hint_on_error(SHAPE_HINT):
        calls = gateway.trusted("autograder.probes:trace", encoder, "forward", x, label="Encoder.forward")
    convs = [c["output"] for c in calls if c["type"] == "Conv2d"]
    linears = [c["input"] for c in calls if c["type"] == "Linear"]
    expect(len(convs) == 2 and len(linears) >= 1, "layers called by Encoder.forward",
           "two Conv2d calls, then the Linear head(s)", f"{len(convs)} Conv2d and {len(linears)} Linear calls",
           LAYOUT_HINT)
    return calls, convs, linears


@item("CONV.2c", 4)
def test_encoder_relus(gateway):
    """Encoder: a ReLU after each convolution; the heads see the flattened ReLU output"""
    x = images(16, 12, 2)
    cfg = {"c1": 4, "c2": 3, "lat": 2, "k": 3, "d": 12}
    calls, convs, linears = head_input(gateway, gateway.new("conv_vae.Encoder", **cfg), x)
    conv_inputs = [c["input"] for c in calls if c["type"] == "Conv2d"]
    repro = f"{call_text('Encoder', cfg)}(torch.rand(16, 1, 12, 12))"
    assert_close(conv_inputs[1], torch.relu(convs[0]), "input of the second Conv2d",
                 "Apply ReLU to the first convolution's output before the second convolution.", repro)
    features = torch.relu(convs[1]).flatten(1).sort(dim=1).values
    for h in linears:
        expect_tensor(h, "input of a Linear head", (16, features.shape[1]),
                      "Flatten the (B, c2, s, s) feature map to (B, c2 * s * s) before the heads.", repro)
        assert_close(h.sort(dim=1).values, features, "input of the Linear heads (values per image, sorted)",
                     "The heads take ReLU(second convolution), flattened: add the ReLU after the second Conv2d.",
                     repro)


@item("CONV.2d", 6)
def test_encoder_heads(gateway):
    """Encoder heads: mu is affine in the features, sigma = exp(affine) > 0 (no other activation)"""
    cfg, x = SMALL, images(256, SMALL["d"], 3, scale=4.0)
    encoder = gateway.new("conv_vae.Encoder", **cfg)
    mu, sigma = encode(encoder, cfg, x)
    _, _, linears = head_input(gateway, encoder, x)
    features = linears[-1]
    repro = f"{call_text('Encoder', cfg)}(4 * torch.rand(256, 1, 8, 8))"
    lo = float(sigma.min())
    expect(bool(torch.isfinite(sigma).all()) and lo > 0, "sigma of Encoder.forward", "finite values > 0 everywhere",
           f"values from {lo:.3g} to {float(sigma.max()):.3g}",
           "sigma is a standard deviation: return torch.exp(std head), which is always positive.", repro)
    expect(not torch.allclose(torch.log(sigma), mu, rtol=1e-4, atol=1e-4), "mu and log(sigma)",
           "two different heads", "the same values",
           "sigma needs its own Linear head: sigma = exp(std(h)), not exp(mean(h)).", repro)
    # A Linear head is affine in its input: the best affine fit leaves float32 rounding, 1.1e-7 to 1.2e-7
    # for the reference over 3 inits. A sigmoid, softplus or tanh on top leaves 2.5e-3 to 2e-2 at these
    # input scales (same inits), so the 1e-4 bound sits > 25 x from both sides.
    for name, target, hint in (
            ("mu", mu, "mu is the mean head's output itself: no activation after the Linear layer."),
            ("log(sigma)", torch.log(sigma), "sigma = torch.exp(std head): no softplus, sigmoid or other "
                                             "activation; exp is what makes sigma positive.")):
        r = affine_residual(features, target)
        expect(r < 1e-4, f"{name} as a function of the flattened conv features (relative residual of the best "
               "affine fit)", "an affine map (residual < 1e-4)", f"residual {r:.2g}", hint, repro)
