"""A.1 (20 points): the plain autoencoder's layers, encode, decode and forward."""
import torch

from autograder.checks import assert_close, expect, expect_defaults, expect_parts, expect_tensor
from autograder.errors import SubmissionError
from autograder.recognition import expect_layers, expect_variant
from autograder.rubric import item

LAYERS_HINT = ("Encoder: data -> hidden -> code; decoder: code -> hidden -> data, each nn.Linear with a bias; "
               "use n_dims_hidden and n_dims_code instead of fixed numbers.")


CONTRACT_DEFAULTS = {"autoencoder_type": "'ae'", "n_dims_data": "784", "n_dims_hidden": "512", "n_dims_code": "2"}


@item("A.1a", 5)
def test_layer_shapes(gateway, recognised):
    """Autoencoder layers: 784-512-2-512-784 (also by default), recognised from outputs on weights the grader loads"""
    for sizes in [(), (784, 100, 5)]:
        call = f"Autoencoder({', '.join(map(repr, ('ae', *sizes)))})"
        expect_layers(recognised("ae", *sizes), call, LAYERS_HINT)
    expect_defaults(gateway, "vae.Autoencoder", CONTRACT_DEFAULTS,
                    lambda: expect_layers(recognised(None), "Autoencoder() (default arguments)", LAYERS_HINT))


@item("A.1b", 4)
def test_hidden_relu(recognised):
    """Encoder: a ReLU between the two Linear layers"""
    variant = expect_variant(recognised("ae", any_hidden=True), "encode", "Autoencoder('ae').encode", "A.1a",
                             "Encoder: Linear -> ReLU -> Linear.")
    expect(variant["enc_hidden"] == "relu", "activation between encode's two Linear layers", "ReLU",
           f"outputs that match {variant['enc_hidden']}", "Apply ReLU to the hidden layer before the code layer "
           "(and nothing else there).", "model = Autoencoder('ae'); model.encode(torch.rand(32, 784))")


@item("A.1c", 4, held_out=1)
def test_decoder_range(gateway, ae, draw):
    """Decoder: (B, 784) Bernoulli means in [0, 1], also for large codes"""
    z = torch.randn(64, 2, generator=draw.generator(2)) * 20
    out = expect_tensor(ae.decode(z), "decode(z) for z of shape (64, 2)", (64, 784))
    lo, hi = float(out.min()), float(out.max())
    expect(lo >= 0 and hi <= 1 and bool(torch.isfinite(out).all()), "range of decode(z) for codes up to |z| ~ 60",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid so outputs are Bernoulli means.",
           "Autoencoder('ae').decode(20 * torch.randn(64, 2))")


@item("A.1d", 4, held_out=1)
def test_ae_encode_forward(gateway, ae, draw):
    """AE encode gives codes (B, 2), also for B = 1; forward returns (decode(z), z, None)"""
    X = torch.rand(32, 784, generator=draw.generator(1))
    z = expect_tensor(ae.encode(X), "Autoencoder('ae').encode(x) for x of shape (32, 784)", (32, 2))
    expect_tensor(ae.encode(X[:1]), "Autoencoder('ae').encode(x) for x of shape (1, 784)", (1, 2),
                  "A batch of one keeps its batch dimension: never squeeze() it away.")
    recon, z_fwd, none = expect_parts(ae(X), 3, "Autoencoder('ae').forward(x)", "recon, z, None")
    expect(none is None, "third element of forward's result for 'ae'", "None", repr(type(none).__name__))
    assert_close(z_fwd, z, "z returned by forward, against your own encode(x)",
                 "forward should return the code that your encode gives for x.")
    assert_close(recon, ae.decode(z), "recon returned by forward, against your own decode(encode(x))",
                 "recon should be self.decode(z).")


@item("A.1e", 3)
def test_bad_type(gateway):
    """An unknown autoencoder_type raises ValueError"""
    gateway.new("vae.Autoencoder", "ae")  # the valid types must construct first
    try:
        gateway.new("vae.Autoencoder", "vae")
    except SubmissionError as err:  # "vae" also needs B.2's logvar head: only a ValueError is A.1's
        if err.exc_type == "ValueError":
            raise AssertionError(f"Autoencoder('vae'): expected a model (\"vae\" is a valid type), got ValueError: "
                                 f"{err.message}. Reject only types other than 'ae' and 'vae'.") from None
    try:
        gateway.new("vae.Autoencoder", "xyz")
    except SubmissionError as err:
        if err.exc_type == "ValueError":
            expect("autoencoder_type" in err.message or "xyz" in err.message, "message of the ValueError",
                   "a message naming autoencoder_type (or the bad value)", repr(err.message))
            return
        if err.kind != "raised":
            raise
        raise AssertionError(f"Autoencoder('xyz'): expected ValueError, got {err.exc_type}: {err.message}. "
                             "Check autoencoder_type at the start of __init__ and raise ValueError.") from None
    raise AssertionError("Autoencoder('xyz'): expected ValueError, got a model. "
                         "Reject types other than 'ae' and 'vae' with ValueError.")
