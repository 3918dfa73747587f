"""CVAE.2 (46 points): the layers, encode, reparameterize, decode, forward, and a training run."""
import pytest
import torch
import torch.nn.functional as F

from autograder.calibration import CVAE_SMOKE, KS_TEST
from autograder.checks import assert_close, expect, expect_defaults, expect_learns, expect_parts, expect_tensor
from autograder.recognition import expect_layers, expect_variant
from autograder.reparameterize_checks import (
    check_reparameterize_distribution,
    check_reparameterize_gradients,
    check_reparameterize_noise,
)
from autograder.rubric import item

CODE = 40
ENC = "model = CVAE(); x = (torch.rand(32, 784) < 0.3).float(); y = one_hot(torch.randint(0, 10, (32,)))"
DEC = "model = CVAE(); z = torch.randn(32, 40); y = one_hot(torch.randint(0, 10, (32,)))"


def model_inputs(draw):
    """(x, y, y_other, z): 32 binarized images, their one-hot labels, other labels (a different one in every
    row) and codes (32, 40)."""
    gen = draw.generator(31)
    x = (torch.rand(32, 784, generator=gen) < 0.3).float()
    labels = torch.randint(0, 10, (32,), generator=gen)
    other = (labels + torch.randint(1, 10, (32,), generator=gen)) % 10
    return x, F.one_hot(labels, 10).float(), F.one_hot(other, 10).float(), torch.randn(32, CODE, generator=gen)


LAYERS_HINT = ("The encoder reads n_dims_data + n_classes features, the decoder n_dims_code + n_classes; every "
               "width comes from the constructor's arguments, never a fixed number.")


def variant_of(recognised, method: str, call: str, hint: str):
    """The variant the grader recognised for ``method`` of a fresh CVAE (any hidden width); fails if none."""
    return expect_variant(recognised(any_hidden=True), method, call, "CVAE.2a", hint)


CONTRACT_DEFAULTS = {"n_dims_data": "784", "n_classes": "10", "n_dims_hidden": "256", "n_dims_code": "40"}  # reprs


@item("CVAE.2a", 6)
def test_layer_shapes(gateway, recognised):
    """Layers: encoder 794-256-(40, 40), decoder 50-256-784 (also by default), recognised from outputs on weights"""
    for dims in [(784, 10, 256, 40), (100, 3, 32, 5)]:
        expect_layers(recognised(*dims), f"CVAE({', '.join(map(str, dims))})", LAYERS_HINT)
    expect_defaults(gateway, "cvae.CVAE", CONTRACT_DEFAULTS,
                    lambda: expect_layers(recognised(), "CVAE() (default arguments)", LAYERS_HINT))


@item("CVAE.2b", 6)
def test_encoder_structure(recognised, model, draw):
    """encode: a ReLU hidden layer, then mu and logvar (B, 40) straight from Linear heads"""
    X, Y, _, _ = model_inputs(draw)
    out = expect_parts(model.encode(X, Y), 2, "CVAE().encode(x, y)", "mu, logvar", repro=ENC + "; model.encode(x, y)")
    mu = expect_tensor(out[0], "mu from encode(x, y)", (32, CODE), repro=ENC)
    logvar = expect_tensor(out[1], "logvar from encode(x, y)", (32, CODE), repro=ENC)
    one = expect_parts(model.encode(X[:1], Y[:1]), 2, "CVAE().encode(x, y) for a batch of one", "mu, logvar")
    expect_tensor(one[0], "mu from encode(x, y) for x of shape (1, 784)", (1, CODE),
                  "A batch of one keeps its batch dimension: never squeeze() it away.")
    expect(not torch.allclose(mu, logvar), "mu and logvar from encode", "two different heads",
           "the same values twice", "logvar needs its own Linear layer (or its own half of a joint head).", ENC)
    variant = variant_of(recognised, "encode", "CVAE().encode(x, y)", "Linear -> ReLU -> two Linear heads.")
    expect(variant["enc_hidden"] == "relu", "activation of the encoder's hidden layer", "ReLU",
           f"outputs that match {variant['enc_hidden']}", "Apply ReLU to the hidden layer, then the heads.", ENC)
    expect(variant["heads"] == "identity", "mu and logvar from encode", "the heads' Linear outputs, unchanged",
           f"outputs that match {variant['heads']} of the heads",
           "The heads have no activation: a sigmoid or tanh squeezes mu and logvar into a small range "
           "(logvar must reach any real number, mu must match the N(0, I) prior).", ENC)


@item("CVAE.2c", 4)
def test_encoder_uses_label(recognised, model, draw):
    """encode reads [x, y]: the label enters the first layer beside the image, and changing it changes mu"""
    variant = variant_of(recognised, "encode", "CVAE().encode(x, y)", "Concatenate torch.cat([x, y], dim=1).")
    expect(variant["enc_input"] in ("xy", "yx"), "input of the encoder's first Linear", "torch.cat([x, y], dim=1)",
           "x beside zeros (the label never reaches the layer)" if variant["enc_input"] == "x0" else
           f"outputs that match {variant['enc_input']}",
           "Feed x and the one-hot label y together, unchanged, to the first layer.", ENC)
    X, Y, Y_OTHER, _ = model_inputs(draw)
    mu, logvar = model.encode(X, Y)
    mu2, logvar2 = model.encode(X, Y_OTHER)
    gaps = float((mu - mu2).abs().max()), float((logvar - logvar2).abs().max())
    expect(min(gaps) > 1e-6, "encode(x, y) against encode(x, y') with other labels y'",
           "different mu and logvar", f"largest changes {gaps[0]:.2g} (mu), {gaps[1]:.2g} (logvar)",
           "q(z | x, y) must depend on y: concatenate y, not zeros, with x.", ENC)


@item("CVAE.2d", 5, held_out=2)
def test_decoder_structure(recognised, model, draw):
    """decode: Linear -> ReLU -> Linear -> Sigmoid on [z, y]; (B, 784) Bernoulli means in [0, 1], also for large codes"""
    _, Y, _, Z = model_inputs(draw)
    out = expect_tensor(model.decode(20 * Z, Y), "decode(z, y) for z of shape (32, 40)", (32, 784), repro=DEC)
    lo, hi = float(out.min()), float(out.max())
    expect(lo >= 0 and hi <= 1 and bool(torch.isfinite(out).all()), "range of decode(z, y) for codes up to |z| ~ 60",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid so outputs are Bernoulli means.",
           DEC.replace("torch.randn(32, 40)", "20 * torch.randn(32, 40)"))
    variant = variant_of(recognised, "decode", "CVAE().decode(z, y)", "Linear -> ReLU -> Linear -> Sigmoid.")
    expect((variant["dec_hidden"], variant["out"]) == ("relu", "sigmoid"), "activations of the decoder",
           "ReLU after the first Linear, Sigmoid after the last",
           f"outputs that match {variant['dec_hidden']}, then {variant['out']}",
           "Decoder: Linear(n_dims_code + n_classes, hidden) -> ReLU -> Linear(hidden, data) -> Sigmoid.", DEC)


@item("CVAE.2e", 4)
def test_decoder_uses_label(recognised, model, draw):
    """decode reads [z, y]: the label enters the first layer beside the code, and changing it changes the image"""
    variant = variant_of(recognised, "decode", "CVAE().decode(z, y)", "Concatenate torch.cat([z, y], dim=1).")
    expect(variant["dec_input"] in ("xy", "yx"), "input of the decoder's first Linear", "torch.cat([z, y], dim=1)",
           "z beside zeros (the label never reaches the layer)" if variant["dec_input"] == "x0" else
           f"outputs that match {variant['dec_input']}",
           "Feed z and the one-hot label y together, unchanged, to the decoder's first layer.", DEC)
    _, Y, Y_OTHER, Z = model_inputs(draw)
    gap = float((model.decode(Z, Y) - model.decode(Z, Y_OTHER)).abs().max())
    expect(gap > 1e-6, "decode(z, y) against decode(z, y') with other labels y'", "different images",
           f"largest change {gap:.2g}", "p(x | z, y) must depend on y: concatenate y, not zeros, with z.", DEC)


@item("CVAE.2f", 5, held_out=2)
def test_reparameterize_gradients(gateway, model, draw):
    """reparameterize has exact gradients: dz/dmu = 1, dz/dlogvar = (z - mu) / 2 (float64)"""
    check_reparameterize_gradients(model, (64, CODE), draw)


@item("CVAE.2g", 4, held_out=1)
def test_reparameterize_distribution(gateway, model, draw):
    """reparameterize draws z ~ N(mu, exp(logvar)) (Kolmogorov-Smirnov test)"""
    check_reparameterize_distribution(model, CODE, KS_TEST["draws"], KS_TEST["seed"], draw)


@item("CVAE.2h", 3, held_out=1)
def test_reparameterize_noise(gateway, model, draw):
    """reparameterize draws fresh noise on every call and repeats under torch.manual_seed"""
    check_reparameterize_noise(gateway, model, CODE, draw)


@item("CVAE.2i", 4, held_out=1)
@pytest.mark.callbacks
def test_forward(gateway, model, draw):
    """forward(x, y) encodes, samples z with reparameterize and decodes it with the same y"""
    X, Y, _, _ = model_inputs(draw)
    # with the grader's reparameterize standing in for the submitted one (CVAE.2f-h judge that)
    out = gateway.with_stand_ins(model, "forward", ["reparameterize"], X, Y, seed=draw.seed(1),
                                 label="CVAE().forward")
    recon, mu, logvar = expect_parts(out, 3, "CVAE().forward(x, y)", "recon, mu, logvar", repro=ENC + "; model(x, y)")
    expect_tensor(recon, "recon from forward", (32, 784))
    mu_e, logvar_e = model.encode(X, Y)
    assert_close(mu, mu_e, "mu returned by forward, against your own encode(x, y)",
                 "Return the mu and logvar that your encode gives for (x, y).")
    assert_close(logvar, logvar_e, "logvar returned by forward, against your own encode(x, y)",
                 "Return the mu and logvar that your encode gives for (x, y).")
    gap = float((recon - model.decode(mu_e, Y)).abs().max())
    expect(gap > 1e-5, "recon of forward against decode(mu, y)", "a reconstruction of a sampled z != mu",
           f"decode(mu, y) (largest difference {gap:.2g})", "forward must decode z = reparameterize(mu, logvar).")
    z = mu_e + torch.exp(0.5 * logvar_e) * torch.randn(mu_e.shape, generator=draw.generator(1))
    assert_close(recon, model.decode(z, Y),
                 "recon of forward(x, y) under torch.manual_seed(1), against your own decode(z, y)",
                 "forward should be decode(reparameterize(mu, logvar), y), with the same y as encode; under the "
                 "same seed it must equal that expression computed step by step.", "torch.manual_seed(1); model(x, y)")


@item("CVAE.2j", 5)
def test_cvae_learns(metrics):
    """The CVAE learns: loss falls and the test negative ELBO beats the calibrated bound"""
    m = metrics()
    expect_learns(m, "the CVAE", "Check that forward decodes z = mu + std * eps and that gradients reach every layer.",
                  CVAE_SMOKE["test_loss_max"],
                  "negative ELBO of the smoke-trained CVAE on the test digits (grader's oracle)",
                  "The architecture or forward pass keeps the CVAE from learning; compare with CVAE.2a-i.")
