"""A.1 (20 points): the plain autoencoder's layers, encode, decode and forward."""
import torch

from autograder.checks import assert_close, expect, expect_tensor
from autograder.errors import SubmissionError
from autograder.rubric import item

X = torch.rand(32, 784, generator=torch.Generator().manual_seed(1))


def expected_params(data, hidden, code, vae):
    encoder = data * hidden + hidden + hidden * code + code
    decoder = code * hidden + hidden + hidden * data + data
    head = hidden * code + code
    return encoder + decoder + (head if vae else 0)


@item("A.1a", 5)
def test_layer_shapes(gateway):
    """Autoencoder layers: widths 784-512-2-512-784 and parameter count"""
    for args, dims in [((), (784, 512, 2)), ((784, 100, 5), (784, 100, 5))]:
        info = gateway.trusted("autograder.probes:describe", gateway.new("vae.Autoencoder", "ae", *args))
        allowed = {expected_params(*dims, False), expected_params(*dims, True)}
        call = f"Autoencoder({', '.join(map(repr, ('ae', *args)))})"
        expect(info["n_params"] in allowed, f"parameter count of {call}",
               " or ".join(f"{n:,}" for n in sorted(allowed)), f"{info['n_params']:,} (Linear layers {info['linear']})",
               "Encoder: data -> hidden -> code; decoder: code -> hidden -> data, each Linear with a bias; "
               "use n_dims_hidden and n_dims_code instead of fixed numbers.")


@item("A.1b", 4)
def test_hidden_relu(gateway, ae):
    """Encoder: the hidden activation entering the code layer is a ReLU output"""
    calls = gateway.trusted("autograder.probes:trace", ae, "encode", X)
    linears = [c for c in calls if c["type"] == "Linear"]
    repro = "model = Autoencoder('ae'); model.encode(torch.rand(32, 784))"
    if linears:
        hidden = linears[-1]["input"]
        zero_fraction = float((hidden == 0).float().mean())
        expect(float(hidden.min()) >= 0 and zero_fraction > 0.05,
               "input of the code layer (the last Linear in encode)",
               "a ReLU output: no negative values and some exact zeros",
               f"min {float(hidden.min()):.3g}, {zero_fraction:.0%} zeros",
               "Apply ReLU to the hidden layer before the code layer (and nothing else there).", repro)
    x1, x2 = X[:16], X[16:]
    z1, z2, zm = (ae.encode(x) for x in (x1, x2, (x1 + x2) / 2))
    gap = float((zm - (z1 + z2) / 2).abs().max())
    expect(gap > 1e-4, "encode at the midpoint of two images", "a non-linear map (ReLU between the Linears)",
           f"an affine map (midpoint gap {gap:.2g})", "The hidden layer needs its ReLU.", repro)


@item("A.1c", 4)
def test_decoder_range(gateway, ae):
    """Decoder: (B, 784) Bernoulli means in [0, 1], also for large codes"""
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(2)) * 20
    out = expect_tensor(ae.decode(z), "decode(z) for z of shape (64, 2)", (64, 784))
    lo, hi = float(out.min()), float(out.max())
    expect(lo >= 0 and hi <= 1 and bool(torch.isfinite(out).all()), "range of decode(z) for codes up to |z| ~ 60",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid so outputs are Bernoulli means.",
           "Autoencoder('ae').decode(20 * torch.randn(64, 2))")


@item("A.1d", 4)
def test_ae_encode_forward(gateway, ae):
    """AE encode gives codes (B, 2); forward returns (decode(z), z, None)"""
    z = expect_tensor(ae.encode(X), "Autoencoder('ae').encode(x) for x of shape (32, 784)", (32, 2))
    out = ae(X)
    expect(isinstance(out, tuple) and len(out) == 3, "Autoencoder('ae').forward(x)", "a tuple (recon, z, None)",
           f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    recon, z_fwd, none = out
    expect(none is None, "third element of forward's result for 'ae'", "None", repr(type(none).__name__))
    assert_close(z_fwd, z, "z returned by forward", "forward should return the code from self.encode(x).")
    assert_close(recon, ae.decode(z), "recon returned by forward", "recon should be self.decode(z).")


@item("A.1e", 3)
def test_bad_type(gateway):
    """An unknown autoencoder_type raises ValueError"""
    gateway.new("vae.Autoencoder", "ae")  # the valid types must construct first
    gateway.new("vae.Autoencoder", "vae")
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
