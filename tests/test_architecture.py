"""The parent's recognition of the contract's layers (autograder.recognition, architecture, specs), run on
small modules in this process through a stand-in gateway: what is accepted, what is named, what a lying
model gets."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder import architecture, probes, recognition, specs


class Local:
    """A handle on a module in this process, shaped like the gateway's remote handles."""

    def __init__(self, module):
        self.module = module

    def call(self, name, *args):
        with torch.no_grad():
            return getattr(self.module, name)(*args)

    def get(self, name):
        return Local(getattr(self.module, name))


class LocalGateway:
    """Runs ``autograder.probes`` functions directly, as the worker would."""

    def trusted(self, target, *args, label=""):
        fn = getattr(probes, target.split(":")[1])
        return fn(*(a.module if isinstance(a, Local) else a for a in args))


class MLPVAE(nn.Module):
    def __init__(self, hidden=512, relu=True, joint="", heads=None):
        super().__init__()
        self.enc, self.dec1, self.dec2 = nn.Linear(784, hidden), nn.Linear(2, hidden), nn.Linear(hidden, 784)
        self.joint, self.relu, self.heads = joint, relu, heads or (lambda t: t)
        if joint:
            self.head = nn.Linear(hidden, 4)
        else:
            self.mu, self.logvar = nn.Linear(hidden, 2), nn.Linear(hidden, 2)

    def encode(self, x):
        h = self.enc(x)
        h = torch.relu(h) if self.relu else h
        if self.joint == "chunk":
            mu, logvar = self.head(h).chunk(2, dim=1)
        elif self.joint == "interleave":
            out = self.head(h).view(-1, 2, 2)
            mu, logvar = out[..., 0], out[..., 1]
        else:
            mu, logvar = self.mu(h), self.logvar(h)
        return self.heads(mu), self.heads(logvar)

    def decode(self, z):
        return torch.sigmoid(self.dec2(torch.relu(self.dec1(z))))


def recognise(module, spec=None):
    return recognition.recognise(LocalGateway(), Local(module), spec or specs.mlp_autoencoder("vae"),
                                  specs.mlp_calls())


@pytest.mark.parametrize("joint", ["", "chunk", "interleave"])
def test_contract_model_is_recognised_however_its_heads_are_stored(joint):
    match = recognise(MLPVAE(joint=joint))
    assert match.ok("encode") and match.ok("decode")
    recognition.expect_layers(match, "VAE", "")


def test_deviations_are_named():
    assert recognise(MLPVAE(relu=False)).variant("encode")["enc_hidden"] == "identity"
    assert recognise(MLPVAE(heads=torch.sigmoid)).variant("encode")["heads"] == "sigmoid"
    assert not recognise(MLPVAE(relu=False)).ok("encode")


def test_wrong_width_fails_with_shapes_and_count():
    match = recognise(MLPVAE(hidden=256))
    assert match.layout is None
    with pytest.raises(AssertionError, match=r"expected the layers Linear\(784, 512\).*807,700 parameters.*got 10 "
                                             r"tensors of shapes \(256, 784\)"):
        recognition.expect_layers(match, "VAE", "")
    free = recognise(MLPVAE(hidden=256), specs.with_model_hidden(specs.mlp_autoencoder, 784, kind="vae", hidden=512))
    assert free.ok("encode")  # the activation items still judge a model whose width is wrong


def test_a_model_that_lies_about_its_shapes_is_not_reproduced(monkeypatch):
    """The patched-probe attack: 256 units reported as 512, the grader's weights sliced to fit."""
    model = MLPVAE(hidden=256)
    monkeypatch.setattr(probes, "parameter_shapes",
                        lambda m: [tuple(512 if n == 256 else n for n in p.shape) for p in m.parameters()])

    def load(m, tensors):
        with torch.no_grad():
            for p, t in zip(m.parameters(), tensors):
                p.copy_(t[tuple(slice(0, n) for n in p.shape)])
        return len(tensors)

    monkeypatch.setattr(probes, "load_parameters", load)
    match = recognise(model)
    assert match.layout is not None and "encode" not in match.found
    with pytest.raises(AssertionError, match="no arrangement of your parameters"):
        recognition.expect_layers(match, "VAE", "")
    with pytest.raises(AssertionError, match="cannot reproduce with them.*so fix A.1a first"):
        recognition.expect_variant(match, "encode", "VAE.encode", "A.1a", "")


def test_layout_tensors_invert_weights():
    spec = specs.mlp_autoencoder("vae", 6, 5, 2)
    shapes = [(5, 6), (5,), (4, 5), (4,), (5, 2), (5,), (6, 5), (6,)]
    layouts = architecture.layouts(spec, shapes)
    assert layouts and len({lay.slots for lay in layouts}) == len(layouts)
    tensors = recognition.random_tensors(shapes, 0)
    for layout in layouts:
        again = layout.tensors(layout.weights(tensors))
        assert all(torch.equal(a, b) for a, b in zip(again, tensors))


def test_conv_encoder_channels_last_and_log_variance_head_are_the_contract():
    cfg = {"c1": 2, "c2": 3, "lat": 2, "k": 3, "d": 8}

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 2, 3), nn.Conv2d(2, 3, 3)
            self.mean, self.std = nn.Linear(48, 2), nn.Linear(48, 2)

        def forward(self, x):
            h = F.relu(self.c2(F.relu(self.c1(x)))).permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            return self.mean(h), torch.exp(0.5 * self.std(h))

    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    match = recognition.recognise(LocalGateway(), Local(Encoder()), specs.conv_encoder(**cfg), {"forward": (x,)})
    assert match.ok("forward")


def test_spec_sizes_match_torch():
    n = sum(p.numel() for p in MLPVAE().parameters())
    assert specs.mlp_autoencoder("vae").n_params() == n == 807_700
    assert specs.mlp_autoencoder("ae").n_params() == n - (512 * 2 + 2)
    assert specs.cvae().n_params() == (794 * 256 + 256) + 2 * (256 * 40 + 40) + (50 * 256 + 256) + (256 * 784 + 784)
