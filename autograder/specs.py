"""The contract's architectures (docs/contract.md), as ``architecture.Spec`` for the parent to rebuild.

Each builder takes the constructor's sizes and returns the layers the contract
fixes plus a ``forward`` per method (float64 for the MLPs; float32 for the
convolutions, where PyTorch's float64 kernels are tens of times slower and
float32 already reproduces a float32 model to ~1e-6). Choices name the deviations the
grader recognises, the contract's option first:

- ``enc_hidden`` / ``dec_hidden``: the hidden activation (contract: relu);
- ``heads``: an activation on the encoder heads (contract: none);
- ``out``: the decoder's last activation (contract: sigmoid);
- ``enc_input`` / ``dec_input``: what the first layer reads (contract ``xy``: [x, y]; ``yx`` is the same
  model written the other way round; ``x0``: the label left out, zeros in its place);
- ``sigma``: how conv_vae's encoder turns the std head into sigma (contract: exp; exp(0.5 * head), a head
  read as log-variance, is the same model);
- ``flatten`` / ``unflatten``: how conv_vae's feature maps become vectors and back (contract: ``chw``, as
  ``x.flatten(1)``; ``hwc``, channels last, is the same model with the Linear's columns permuted);
- ``act1`` / ``act2``: conv_vae's two hidden activations in each of encoder and decoder (contract: relu).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.architecture import ACTIVATIONS, Layer, Spec

HIDDEN = ("relu", "identity", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus")
HEADS = ("identity", "sigmoid", "tanh", "relu", "softplus")
OUT = ("sigmoid", "identity", "relu", "tanh")
INPUT = ("xy", "yx", "x0", "0y")
SIGMA = ("exp", "identity", "softplus", "exp_half", "abs", "exp_of_mu")  # exp_of_mu: exp of the mean head


def _affine(w: dict, name: str, h: torch.Tensor) -> torch.Tensor:
    return h @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _join(a: torch.Tensor, b: torch.Tensor, how: str) -> torch.Tensor:
    if how == "yx":
        return torch.cat([b, a], 1)
    if how == "x0":
        return torch.cat([a, torch.zeros_like(b)], 1)
    if how == "0y":
        return torch.cat([torch.zeros_like(a), b], 1)
    return torch.cat([a, b], 1)


def hidden_width(shapes: list, n_in: int, default: int) -> int:
    """The output width of the first 2-D parameter reading ``n_in`` features (the encoder's first Linear),
    else ``default``."""
    return next((s[0] for s in shapes if len(s) == 2 and s[1] == n_in), default)


def with_model_hidden(build, n_in: int, **sizes):
    """A function of a model's parameter shapes: ``build(**sizes)`` with the hidden width the model has
    (``hidden_width`` over ``n_in`` input features; ``sizes["hidden"]`` when none reads them). For the
    items that do not judge the width, so that a wrong width costs only the item that does."""
    return lambda shapes: build(**{**sizes, "hidden": hidden_width(shapes, n_in, sizes["hidden"])})


def mlp_autoencoder(kind: str = "ae", data: int = 784, hidden: int = 512, code: int = 2) -> Spec:
    """vae.Autoencoder(kind, data, hidden, code): data -> hidden (ReLU) -> code [and a logvar head];
    code -> hidden (ReLU) -> data (Sigmoid). An "ae" may carry an unused logvar head."""
    layers = [Layer("enc1", (hidden, data)), Layer("mu", (code, hidden)), Layer("logvar", (code, hidden)),
              Layer("dec1", (hidden, code)), Layer("dec2", (data, hidden))]

    def encode(w, v, x):
        h = ACTIVATIONS[v["enc_hidden"]](_affine(w, "enc1", x))
        head = ACTIVATIONS[v["heads"]]
        mu = head(_affine(w, "mu", h))
        return (mu, head(_affine(w, "logvar", h))) if kind == "vae" else (mu,)

    def decode(w, v, z):
        h = ACTIVATIONS[v["dec_hidden"]](_affine(w, "dec1", z))
        return (ACTIVATIONS[v["out"]](_affine(w, "dec2", h)),)

    return Spec(f"Autoencoder({kind!r}, {data}, {hidden}, {code})", layers, {"encode": encode, "decode": decode},
                {"enc_hidden": HIDDEN, "heads": HEADS, "dec_hidden": HIDDEN, "out": OUT},
                {"encode": ("enc_hidden", "heads"), "decode": ("dec_hidden", "out")},
                fusable=[("mu", "logvar")], optional=frozenset({"logvar"} if kind == "ae" else ()))


def cvae(data: int = 784, classes: int = 10, hidden: int = 256, code: int = 40) -> Spec:
    """cvae.CVAE: [x, y] -> hidden (ReLU) -> mu, logvar heads; [z, y] -> hidden (ReLU) -> data (Sigmoid)."""
    layers = [Layer("enc1", (hidden, data + classes)), Layer("mu", (code, hidden)), Layer("logvar", (code, hidden)),
              Layer("dec1", (hidden, code + classes)), Layer("dec2", (data, hidden))]

    def encode(w, v, x, y):
        h = ACTIVATIONS[v["enc_hidden"]](_affine(w, "enc1", _join(x, y, v["enc_input"])))
        head = ACTIVATIONS[v["heads"]]
        return head(_affine(w, "mu", h)), head(_affine(w, "logvar", h))

    def decode(w, v, z, y):
        h = ACTIVATIONS[v["dec_hidden"]](_affine(w, "dec1", _join(z, y, v["dec_input"])))
        return (ACTIVATIONS[v["out"]](_affine(w, "dec2", h)),)

    return Spec(f"CVAE({data}, {classes}, {hidden}, {code})", layers, {"encode": encode, "decode": decode},
                {"enc_input": INPUT, "enc_hidden": HIDDEN, "heads": HEADS, "dec_input": INPUT, "dec_hidden": HIDDEN,
                 "out": OUT},
                {"encode": ("enc_input", "enc_hidden", "heads"), "decode": ("dec_input", "dec_hidden", "out")},
                fusable=[("mu", "logvar")], accepted={"enc_input": ("yx",), "dec_input": ("yx",)})


def conv_side(d: int, k: int) -> int:
    """Side after two unpadded stride-1 convolutions of size k (the contract's conv_output_size)."""
    return d - 2 * (k - 1)


def _conv_layers(c1, c2, lat, k, d, encoder: bool, decoder: bool) -> list:
    f = c2 * conv_side(d, k) ** 2
    layers = []
    if encoder:
        layers += [Layer("conv1", (c1, 1, k, k)), Layer("conv2", (c2, c1, k, k)),
                   Layer("mu", (lat, f)), Layer("std", (lat, f))]
    if decoder:
        layers += [Layer("lin", (f, lat)), Layer("deconv1", (c2, c1, k, k), 1), Layer("deconv2", (c1, 1, k, k), 1)]
    return layers


def _conv_encode(w, v, x):
    h = ACTIVATIONS[v["enc_act1"]](F.conv2d(x, w["conv1.weight"], w["conv1.bias"]))
    h = ACTIVATIONS[v["enc_act2"]](F.conv2d(h, w["conv2.weight"], w["conv2.bias"]))
    h = (h.permute(0, 2, 3, 1) if v["flatten"] == "hwc" else h).flatten(1)
    mu = _affine(w, "mu", h)
    if v["sigma"] == "exp_of_mu":
        return ACTIVATIONS[v["mu_head"]](mu), torch.exp(mu)
    return ACTIVATIONS[v["mu_head"]](mu), ACTIVATIONS[v["sigma"]](_affine(w, "std", h))


def _conv_decode(c2, s):
    def decode(w, v, z):
        h = ACTIVATIONS[v["dec_act1"]](_affine(w, "lin", z))
        h = h.view(-1, s, s, c2).permute(0, 3, 1, 2) if v["unflatten"] == "hwc" else h.view(-1, c2, s, s)
        h = ACTIVATIONS[v["dec_act2"]](F.conv_transpose2d(h, w["deconv1.weight"], w["deconv1.bias"]))
        return (ACTIVATIONS[v["out"]](F.conv_transpose2d(h, w["deconv2.weight"], w["deconv2.bias"])),)
    return decode


ENCODER_CHOICES = {"enc_act1": HIDDEN, "enc_act2": HIDDEN, "flatten": ("chw", "hwc"), "mu_head": HEADS,
                   "sigma": SIGMA}
DECODER_CHOICES = {"dec_act1": HIDDEN, "unflatten": ("chw", "hwc"), "dec_act2": HIDDEN, "out": OUT}
CONV_ACCEPTED = {"flatten": ("hwc",), "unflatten": ("hwc",), "sigma": ("exp_half",)}


def conv_encoder(c1=16, c2=32, lat=16, k=3, d=28) -> Spec:
    """conv_vae.Encoder: Conv2d(1, c1, k) -> ReLU -> Conv2d(c1, c2, k) -> ReLU -> flatten -> mu and std heads,
    sigma = exp(std head)."""
    return Spec(f"Encoder({c1}, {c2}, {lat}, {k}, {d})", _conv_layers(c1, c2, lat, k, d, True, False),
                {"forward": _conv_encode}, ENCODER_CHOICES, {"forward": tuple(ENCODER_CHOICES)},
                fusable=[("mu", "std")], accepted=CONV_ACCEPTED, dtype=torch.float32)


def conv_decoder(c1=16, c2=32, lat=16, k=3, d=28) -> Spec:
    """conv_vae.Decoder: Linear(lat, c2*s*s) -> ReLU -> (c2, s, s) -> ConvTranspose2d(c2, c1, k) -> ReLU ->
    ConvTranspose2d(c1, 1, k) -> Sigmoid."""
    return Spec(f"Decoder({c1}, {c2}, {lat}, {k}, {d})", _conv_layers(c1, c2, lat, k, d, False, True),
                {"forward": _conv_decode(c2, conv_side(d, k))}, DECODER_CHOICES, {"forward": tuple(DECODER_CHOICES)},
                accepted=CONV_ACCEPTED, dtype=torch.float32)


def conv_vae(c1=16, c2=32, lat=16, k=3, d=28) -> Spec:
    """conv_vae.VAE: its encoder and decoder, methods "encoder.forward" and "decoder.forward"."""
    return Spec(f"VAE({c1}, {c2}, {lat}, {k}, {d})", _conv_layers(c1, c2, lat, k, d, True, True),
                {"encoder.forward": _conv_encode, "decoder.forward": _conv_decode(c2, conv_side(d, k))},
                {**ENCODER_CHOICES, **DECODER_CHOICES},
                {"encoder.forward": tuple(ENCODER_CHOICES), "decoder.forward": tuple(DECODER_CHOICES)},
                fusable=[("mu", "std")], accepted=CONV_ACCEPTED, dtype=torch.float32)


# -- inputs on which the parent recognises a model's layers (``recognition.recognise``) ----------------------


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def mlp_calls(data: int = 784, code: int = 2, seed: int = 11) -> dict:
    """vae.Autoencoder: 16 images (16, data) in [0, 1] for encode, 16 codes (16, code) for decode."""
    return {"encode": (torch.rand(16, data, generator=_gen(seed)),),
            "decode": (torch.randn(16, code, generator=_gen(seed + 1)),)}


def cvae_calls(data: int = 784, classes: int = 10, code: int = 40, seed: int = 41) -> dict:
    """cvae.CVAE: binary images and one-hot labels for encode, codes and other labels for decode."""
    gen = _gen(seed)
    return {"encode": ((torch.rand(16, data, generator=gen) < 0.3).float(),
                       F.one_hot(torch.arange(16) % classes, classes).float()),
            "decode": (torch.randn(16, code, generator=gen), F.one_hot((torch.arange(16) * 3) % classes, classes).float())}


def conv_vae_calls(lat: int, d: int, seed: int = 42) -> dict:
    """conv_vae.VAE: 8 images (8, 1, d, d) for its encoder, 8 codes (8, lat) for its decoder."""
    gen = _gen(seed)
    return {"encoder.forward": (torch.rand(8, 1, d, d, generator=gen),),
            "decoder.forward": (torch.randn(8, lat, generator=gen),)}
