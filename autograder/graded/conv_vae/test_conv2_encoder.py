"""CONV.2 (20 points): the Encoder, two unpadded convolutions then a mean head and a std head."""
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import expect, expect_parts, expect_tensor
from autograder.graded.conv_vae import layers
from autograder.graded.conv_vae.layers import call_text, configs, hint_on_error
from autograder.rubric import item

LAYOUT_HINT = ("Encoder: Conv2d(1, c1, k) -> ReLU -> Conv2d(c1, c2, k) -> ReLU -> flatten, then two "
               "Linear(c2 * s * s, lat) heads with s = conv_output_size(d, k); use the constructor's arguments, "
               "not fixed numbers.")
SHAPE_HINT = ("A shape error in the heads means their input size is not c2 * s * s with s = "
              "conv_output_size(d, k) (check that function too), or the features were not flattened per image.")
SMALL = {"c1": 3, "c2": 2, "lat": 3, "k": 3, "d": 8}


def images(b, d, seed, scale=1.0, draw=None):
    """(b, 1, d, d) uniform images times ``scale``, from the published ``seed`` (or ``draw``'s, on a twin)."""
    gen = draw.generator(seed) if draw is not None else torch.Generator().manual_seed(seed)
    return torch.rand(b, 1, d, d, generator=gen) * scale


def encode(encoder, cfg, x):
    with hint_on_error(SHAPE_HINT):
        out = encoder(x)
    call = f"{call_text('Encoder', cfg)}(x) for x of shape {tuple(x.shape)}"
    out = expect_parts(out, 2, call, "mu, sigma", "forward returns the mean head and exp of the std head, in that "
                       "order.")
    shape = (x.shape[0], cfg["lat"])
    return expect_tensor(out[0], f"mu of {call}", shape), expect_tensor(out[1], f"sigma of {call}", shape)


@item("CONV.2a", 5)
@given(configs(), st.integers(1, 3))
def test_encoder_shapes(gateway, cfg, batch):
    """Encoder(c1, c2, lat, k, d) maps (B, 1, d, d) images to mu and sigma of shape (B, lat)"""
    encode(gateway.new("conv_vae.Encoder", **cfg), cfg, images(batch, cfg["d"], 1))


def variant_of(gateway, cfg: dict, draw=None):
    """The variant the grader recognised in Encoder(**cfg).forward, on 8 random images (and random weights;
    both drawn through ``draw`` when given)."""
    seed = draw.seed(0) if draw is not None else 0
    return layers.variant_of(gateway, "Encoder", cfg, images(8, cfg["d"], 21, draw=draw), LAYOUT_HINT, "CONV.2b",
                             seed)


@item("CONV.2b", 5)
def test_encoder_layers(gateway):
    """Encoder layers: Conv2d(1, c1, k), Conv2d(c1, c2, k), Linear(c2*s*s, lat) heads, recognised from outputs"""
    layers.check_layers(gateway, "Encoder", lambda cfg: images(8, cfg["d"], 21), SHAPE_HINT, LAYOUT_HINT)


@item("CONV.2c", 4)
def test_encoder_relus(gateway):
    """Encoder: a ReLU after each convolution; the heads see the flattened ReLU output"""
    cfg = {"c1": 4, "c2": 3, "lat": 2, "k": 3, "d": 12}
    variant = variant_of(gateway, cfg)
    repro = f"{call_text('Encoder', cfg)}(torch.rand(16, 1, 12, 12))"
    for choice, where in (("enc_act1", "after the first Conv2d"), ("enc_act2", "after the second Conv2d")):
        expect(variant[choice] == "relu", f"activation {where}", "ReLU", f"outputs that match {variant[choice]}",
               "Apply ReLU to each convolution's output; the heads take ReLU(second convolution), flattened.", repro)


@item("CONV.2d", 6, held_out=2)
def test_encoder_heads(gateway, draw):
    """Encoder heads: mu straight from its Linear head, sigma = exp(its own Linear head) > 0"""
    cfg, x = SMALL, images(256, SMALL["d"], 3, draw=draw)  # images in [0, 1], as the contract says
    encoder = gateway.new("conv_vae.Encoder", **cfg, seed=draw.seed(0))
    mu, sigma = encode(encoder, cfg, x)
    repro = f"{call_text('Encoder', cfg)}(torch.rand(256, 1, 8, 8))"
    lo = float(sigma.min())
    expect(bool(torch.isfinite(sigma).all()) and lo > 0, "sigma of Encoder.forward", "finite values > 0 everywhere",
           f"values from {lo:.3g} to {float(sigma.max()):.3g}",
           "sigma is a standard deviation: return torch.exp(std head), which is always positive.", repro)
    expect(not torch.allclose(torch.log(sigma), mu, rtol=1e-4, atol=1e-4), "mu and log(sigma)",
           "two different heads", "the same values",
           "sigma needs its own Linear head: sigma = exp(std(h)), not exp(mean(h)).", repro)
    variant = variant_of(gateway, cfg, draw)
    expect(variant["mu_head"] == "identity", "mu of Encoder.forward", "the mean head's Linear output, unchanged",
           f"outputs that match {variant['mu_head']} of the head",
           "mu is the mean head's output itself: no activation after the Linear layer.", repro)
    expect(variant["sigma"] in ("exp", "exp_half"), "sigma of Encoder.forward", "torch.exp(std head)",
           "exp of the mean head" if variant["sigma"] == "exp_of_mu" else f"outputs that match {variant['sigma']} "
           "of the std head", "sigma = torch.exp(std head): no softplus, sigmoid or other activation; exp is what "
           "makes sigma positive.", repro)
