"""CVAE.2 (46 points): the layers, encode, reparameterize, decode, forward, and a training run."""
import torch
import torch.nn.functional as F

from autograder.calibration import CVAE_SMOKE, KS_TEST
from autograder.checks import assert_close, expect, expect_learns, expect_tensor
from autograder.evaluate import (check_reparameterize_distribution, check_reparameterize_gradients,
                                 check_reparameterize_noise, first_linear_input, is_concatenation)
from autograder.rubric import item

CODE = 40
GEN = torch.Generator().manual_seed(31)
X = (torch.rand(32, 784, generator=GEN) < 0.3).float()                 # binarized images
LABELS = torch.randint(0, 10, (32,), generator=GEN)
OTHER = (LABELS + torch.randint(1, 10, (32,), generator=GEN)) % 10    # a different label in every row
Y, Y_OTHER = F.one_hot(LABELS, 10).float(), F.one_hot(OTHER, 10).float()
Z = torch.randn(32, CODE, generator=GEN)
ENC = "model = CVAE(); x = (torch.rand(32, 784) < 0.3).float(); y = one_hot(torch.randint(0, 10, (32,)))"
DEC = "model = CVAE(); z = torch.randn(32, 40); y = one_hot(torch.randint(0, 10, (32,)))"


def expected_layers(data, classes, hidden, code):
    """Sorted (in, out) widths of the Linear layers, with two heads or one Linear(hidden, 2 * code) split in two."""
    body = [(data + classes, hidden), (code + classes, hidden), (hidden, data)]
    return sorted(body + [(hidden, code)] * 2), sorted(body + [(hidden, 2 * code)])


def columns_of_some(t: torch.Tensor, outputs: list) -> bool:
    """Every column of ``t`` is a column of one of the ``outputs`` (a head's output, or a slice of a joint head)."""
    pool = [o for o in outputs if o is not None and o.dim() == 2 and o.shape[0] == t.shape[0]]
    if not pool:
        return False
    columns = torch.cat(pool, dim=1)
    return all(bool((columns == t[:, [j]]).all(dim=0).any()) for j in range(t.shape[1]))


@item("CVAE.2a", 6)
def test_layer_shapes(gateway):
    """Layers: encoder 794-256-(40, 40), decoder 50-256-784, and the parameter count"""
    for dims in [(784, 10, 256, 40), (100, 3, 32, 5)]:
        info = gateway.trusted("autograder.probes:describe", gateway.new("cvae.CVAE", *dims))
        layers = sorted(tuple(int(v) for v in shape) for shape in info["linear"])
        two_heads, one_head = expected_layers(*dims)
        n_params = sum(i * o + o for i, o in two_heads)
        expect(layers in (two_heads, one_head) and info["n_params"] == n_params,
               f"Linear layers of CVAE({', '.join(map(str, dims))})",
               f"widths {two_heads} (or one {(dims[2], 2 * dims[3])} head split in two), {n_params:,} parameters",
               f"{layers}, {info['n_params']:,} parameters",
               "The encoder reads n_dims_data + n_classes features, the decoder n_dims_code + n_classes; "
               "every width comes from the constructor's arguments, never a fixed number.")


@item("CVAE.2b", 6)
def test_encoder_structure(gateway, model):
    """encode: a 794-wide input, a ReLU hidden layer, mu and logvar (B, 40) straight from Linear heads"""
    out = model.encode(X, Y)
    expect(isinstance(out, tuple) and len(out) == 2, "CVAE().encode(x, y)", "a tuple (mu, logvar)",
           type(out).__name__, repro=ENC + "; model.encode(x, y)")
    mu = expect_tensor(out[0], "mu from encode(x, y)", (32, CODE), repro=ENC)
    logvar = expect_tensor(out[1], "logvar from encode(x, y)", (32, CODE), repro=ENC)
    expect(not torch.allclose(mu, logvar), "mu and logvar from encode", "two different heads",
           "the same values twice", "logvar needs its own Linear layer (or its own half of a joint head).", ENC)
    calls = gateway.trusted("autograder.probes:trace", model, "encode", X, Y)
    width = first_linear_input(calls, "encode(x, y)").shape[-1]
    expect(width == 794, "input width of the encoder's first Linear", "794 = 784 pixels + 10 label columns",
           str(width), "Concatenate torch.cat([x, y], dim=1) before the first layer.", ENC)
    linears = [c for c in calls if c["type"] == "Linear"]
    hidden = [c["input"] for c in linears[1:]]
    expect(bool(hidden) and all(float(h.min()) >= 0 and float((h == 0).float().mean()) > 0.05 for h in hidden),
           "input of the mu and logvar heads", "a ReLU output: no negative values and some exact zeros",
           ", ".join(f"min {float(h.min()):.3g}, {float((h == 0).float().mean()):.0%} zeros" for h in hidden) or "none",
           "Apply ReLU to the hidden layer, then the heads.", ENC)
    outputs = [c["output"] for c in linears]
    for name, t in (("mu", mu), ("logvar", logvar)):
        expect(columns_of_some(t, outputs), f"{name} from encode", "the output of a Linear head, unchanged",
               f"values in [{float(t.min()):.3g}, {float(t.max()):.3g}] that no Linear layer produced",
               "The heads have no activation: a sigmoid or tanh squeezes mu and logvar into a small range "
               "(logvar must reach any real number, mu must match the N(0, I) prior).", ENC)


@item("CVAE.2c", 4)
def test_encoder_uses_label(gateway, model):
    """encode reads [x, y]: changing only the label changes mu and logvar"""
    calls = gateway.trusted("autograder.probes:trace", model, "encode", X, Y)
    first = first_linear_input(calls, "encode(x, y)")
    expect(is_concatenation(first, X, Y), "input of the encoder's first Linear", "torch.cat([x, y], dim=1)",
           f"a tensor of shape {tuple(first.shape)} that is not x beside y",
           "Feed x and the one-hot label y together, unchanged, to the first layer.", ENC)
    mu, logvar = model.encode(X, Y)
    mu2, logvar2 = model.encode(X, Y_OTHER)
    gaps = float((mu - mu2).abs().max()), float((logvar - logvar2).abs().max())
    expect(min(gaps) > 1e-6, "encode(x, y) against encode(x, y') with other labels y'",
           "different mu and logvar", f"largest changes {gaps[0]:.2g} (mu), {gaps[1]:.2g} (logvar)",
           "q(z | x, y) must depend on y: concatenate y, not zeros, with x.", ENC)


@item("CVAE.2d", 5)
def test_decoder_structure(gateway, model):
    """decode: a 50-wide input and (B, 784) Bernoulli means in [0, 1], also for large codes"""
    calls = gateway.trusted("autograder.probes:trace", model, "decode", Z, Y)
    width = first_linear_input(calls, "decode(z, y)").shape[-1]
    expect(width == 50, "input width of the decoder's first Linear", "50 = 40 code + 10 label columns", str(width),
           "Concatenate torch.cat([z, y], dim=1) before the decoder's first layer.", DEC)
    out = expect_tensor(model.decode(20 * Z, Y), "decode(z, y) for z of shape (32, 40)", (32, 784), repro=DEC)
    lo, hi = float(out.min()), float(out.max())
    expect(lo >= 0 and hi <= 1 and bool(torch.isfinite(out).all()), "range of decode(z, y) for codes up to |z| ~ 60",
           "every value in [0, 1]", f"values in [{lo:.3g}, {hi:.3g}]",
           "End the decoder with a Sigmoid so outputs are Bernoulli means.",
           DEC.replace("torch.randn(32, 40)", "20 * torch.randn(32, 40)"))


@item("CVAE.2e", 4)
def test_decoder_uses_label(gateway, model):
    """decode reads [z, y]: changing only the label changes the image"""
    calls = gateway.trusted("autograder.probes:trace", model, "decode", Z, Y)
    first = first_linear_input(calls, "decode(z, y)")
    expect(is_concatenation(first, Z, Y), "input of the decoder's first Linear", "torch.cat([z, y], dim=1)",
           f"a tensor of shape {tuple(first.shape)} that is not z beside y",
           "Feed z and the one-hot label y together, unchanged, to the decoder's first layer.", DEC)
    gap = float((model.decode(Z, Y) - model.decode(Z, Y_OTHER)).abs().max())
    expect(gap > 1e-6, "decode(z, y) against decode(z, y') with other labels y'", "different images",
           f"largest change {gap:.2g}", "p(x | z, y) must depend on y: concatenate y, not zeros, with z.", DEC)


@item("CVAE.2f", 5)
def test_reparameterize_gradients(gateway, model):
    """reparameterize has exact gradients: dz/dmu = 1, dz/dlogvar = (z - mu) / 2 (float64)"""
    check_reparameterize_gradients(model, (64, CODE))


@item("CVAE.2g", 4)
def test_reparameterize_distribution(gateway, model):
    """reparameterize draws z ~ N(mu, exp(logvar)) (Kolmogorov-Smirnov test)"""
    check_reparameterize_distribution(model, CODE, KS_TEST["draws"], KS_TEST["p_min"], KS_TEST["seed"])


@item("CVAE.2h", 3)
def test_reparameterize_noise(gateway, model):
    """reparameterize draws fresh noise on every call and repeats under torch.manual_seed"""
    check_reparameterize_noise(gateway, model, CODE)


@item("CVAE.2i", 4)
def test_forward(gateway, model):
    """forward(x, y) encodes, samples z with reparameterize and decodes it with the same y"""
    out = model(X, Y, seed=1)
    expect(isinstance(out, tuple) and len(out) == 3, "CVAE().forward(x, y)", "(recon, mu, logvar)",
           type(out).__name__, repro=ENC + "; model(x, y)")
    recon, mu, logvar = out
    expect_tensor(recon, "recon from forward", (32, 784))
    mu_e, logvar_e = model.encode(X, Y)
    assert_close(mu, mu_e, "mu returned by forward", "Return the mu and logvar of self.encode(x, y).")
    assert_close(logvar, logvar_e, "logvar returned by forward", "Return the mu and logvar of self.encode(x, y).")
    gap = float((recon - model.decode(mu_e, Y)).abs().max())
    expect(gap > 1e-5, "recon of forward against decode(mu, y)", "a reconstruction of a sampled z != mu",
           f"decode(mu, y) (largest difference {gap:.2g})", "forward must decode z = reparameterize(mu, logvar).")
    z = model.reparameterize(mu_e, logvar_e, seed=1)
    assert_close(recon, model.decode(z, Y), "recon of forward(x, y) under torch.manual_seed(1)",
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
