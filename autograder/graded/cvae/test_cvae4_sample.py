"""CVAE.4 (24 points): sample(labels), images of chosen classes drawn from the prior."""
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from autograder.calibration import CVAE_SMOKE, KS_TEST
from autograder.checks import expect, expect_tensor
from autograder.reparameterize_checks import ks_p_min
from autograder.rubric import item

CODE = 40
HINT = "z = torch.randn(len(labels), n_dims_code) drawn on every call, then self.decode(z, one_hot(labels))."


def prior_labels(draw):
    """The labels whose samples CVAE.4c-d read back: KS_TEST["draws"] // 40 = 500 labels in [0, 10)."""
    return torch.randint(0, 10, (KS_TEST["draws"] // CODE,), generator=draw.generator(51))


READ_GAIN = 0.25  # decoder output pixel j = sigmoid(READ_GAIN * u_j) for u = the decoder's input [z, y]


def sample(gateway, model, labels, seed: int = 0):
    """``model.sample(labels)`` under ``seed`` with the grader's one_hot in place of the submitted one (CVAE.1
    judges that), so that these items judge sample itself."""
    return gateway.with_stand_ins(model, "sample", ["one_hot"], labels, seed=seed,
                           label="CVAE().sample")


def read_back(out: torch.Tensor, variant) -> torch.Tensor:
    """The decoder inputs u behind outputs ``out`` = o(READ_GAIN * (a(u) - a(-u))), a and o the hidden and output
    activations recognised in the decoder (any of them, so that a decoder's activation costs only decode's items:
    a(u) - a(-u) is increasing for every hidden activation the grader names); by bisection on [-60, 60]."""
    from autograder.architecture import ACTIVATIONS

    hidden, last = ACTIVATIONS[variant["dec_hidden"]], ACTIVATIONS[variant["out"]]

    def forward(u):
        return last(READ_GAIN * (hidden(u) - hidden(-u)))

    lo, hi = torch.full_like(out, -60.0), torch.full_like(out, 60.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = forward(mid) < out
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
    return (lo + hi) / 2


def decoder_input_of_sample(gateway, labels, seed: int) -> tuple:
    """What ``sample(labels)`` feeds its decoder, read back in the parent: (z, whether y is one_hot(labels); None
    when the decoder leaves y out).

    A fresh CVAE is recognised (``recognition.recognise``), then loaded with weights the grader builds so
    that decode(z, y) shows its own input: the first layer copies u = [z, y] into units u+ and u- (ReLU of
    +u and -u), the last layer writes sigmoid(READ_GAIN * (u+ - u-)) = sigmoid(READ_GAIN * u) into the first
    pixels (``read_back`` inverts that for the activations the decoder has). Either order of z and y is accepted
    (the recognised ``dec_input``); a decoder that leaves y out cannot show the labels sample passes it."""
    from autograder import specs
    from autograder.recognition import recognise

    model = gateway.new("cvae.CVAE")
    match = recognise(gateway, model, specs.with_model_hidden(specs.cvae, 794, hidden=256), specs.cvae_calls())
    variant = match.variant("decode")
    width = CODE + 10
    hidden = next(layer.weight[0] for layer in match.spec.layers if layer.name == "dec1")
    expect(variant is not None and hidden >= 2 * width, "the decoder the grader reads sample's codes through",
           f"the layers of CVAE.2a with a hidden layer of at least {2 * width} units",
           "outputs the grader cannot reproduce with them" if variant is None else f"{hidden} hidden units",
           "Fix CVAE.2a and CVAE.2d first: the grader reads z back through your decoder.")
    weights = {}
    for layer in match.spec.layers:
        weights[f"{layer.name}.weight"] = torch.zeros(layer.weight)
        weights[f"{layer.name}.bias"] = torch.zeros(layer.bias)
    eye = torch.eye(width)
    weights["dec1.weight"][:width] = eye
    weights["dec1.weight"][width:2 * width] = -eye
    weights["dec2.weight"][:width, :width] = READ_GAIN * eye
    weights["dec2.weight"][:width, width:2 * width] = -READ_GAIN * eye
    gateway.trusted("autograder.probes:load_parameters", model, match.layout.tensors(weights),
                    label="loading weights into your model")
    out = expect_tensor(sample(gateway, model, labels, seed), f"sample(labels) for {labels.numel()} labels",
                        (labels.numel(), 784), HINT)
    u = read_back(out[:, :width].double(), variant)
    if variant["dec_input"] == "yx":
        y, z = u[:, :10], u[:, 10:]
    else:
        z, y = u[:, :CODE], u[:, CODE:]
    if variant["dec_input"] == "x0":
        return z, None
    return z, bool(torch.allclose(y, F.one_hot(labels, 10).double(), atol=1e-3))


def shape_labels(draw) -> tuple:
    """The label sets of CVAE.4a: [7], 0..9 and seven labels published; held out, 1, 10 and 2 to 20 labels
    drawn in [0, 10)."""
    if not draw.held_out:
        return torch.tensor([7]), torch.arange(10), torch.tensor([3, 3, 1, 0, 9, 9, 2])
    gen = draw.generator(0)
    sizes = (1, 10, int(torch.randint(2, 21, (1,), generator=gen)))
    return tuple(torch.randint(0, 10, (n,), generator=gen) for n in sizes)


@item("CVAE.4a", 4, held_out=1)
@pytest.mark.callbacks
def test_sample_shape_range(gateway, model, draw):
    """sample(labels) returns one (784,) decoded image per label"""
    for labels in shape_labels(draw):
        out = expect_tensor(sample(gateway, model, labels, draw.seed(0)), f"sample(torch.tensor({labels.tolist()}))",
                            (labels.numel(), 784), "One row per label: z has shape (len(labels), n_dims_code).")
        finite = out.is_floating_point() and bool(torch.isfinite(out).all())
        expect(finite, f"values of sample(torch.tensor({labels.tolist()}))",
               "finite floats (decoded Bernoulli means; their range is decode's, CVAE.2d)",
               f"{out.dtype}{'' if finite or not out.is_floating_point() else ' with non-finite values'}", HINT)


@item("CVAE.4b", 4, held_out=1)
@pytest.mark.callbacks
def test_sample_noise(gateway, model, draw):
    """sample draws a fresh z on every call and repeats under torch.manual_seed"""
    labels = torch.randint(0, 10, (10,), generator=draw.generator(0)) if draw.held_out else torch.arange(10)
    first, second = gateway.trusted("autograder.probes:call_twice", model, "sample", labels)
    expect_tensor(first, f"sample(torch.tensor({labels.tolist()}))", (10, 784))
    expect(not torch.equal(first, second), f"two calls of sample(torch.tensor({labels.tolist()})) in a row",
           "different images", "the same images twice",
           "Draw a new z on every call; never store it or reseed inside sample. " + HINT)
    again = model.sample(labels, seed=draw.seed(4))
    expect(torch.equal(model.sample(labels, seed=draw.seed(4)), again), "sample after the same torch.manual_seed",
           "identical images", "different images",
           "Draw z with torch's default generator (torch.randn), not numpy or a private Generator.")


@item("CVAE.4c", 5, held_out=2)
@pytest.mark.callbacks
def test_sample_prior(gateway, model, draw):
    """sample decodes z ~ N(0, I) (Kolmogorov-Smirnov test of the decoder's input)"""
    labels = prior_labels(draw)
    z, _ = decoder_input_of_sample(gateway, labels, draw.seed(KS_TEST["seed"]))
    # A correct sample's z is N(0, I) whatever the labels and the seed, and z is read back exactly (to ~1e-6),
    # so the KS p-value is uniform on the published and on any held-out run alike: a correct sample fails
    # with probability ks_p_min: 1e-3 on the public run, 1e-6 per bundle on the twin.
    result = stats.kstest(z.flatten().double().numpy(), "norm")
    expect(result.pvalue > ks_p_min(draw), f"distribution of the {z.numel():,} code values decoded by sample",
           f"N(0, 1): KS p-value > {ks_p_min(draw)}",
           f"p = {result.pvalue:.2g}; mean {float(z.mean()):.3f}, std {float(z.std()):.3f}",
           "Draw z from the prior with torch.randn (not torch.rand, zeros or a stored code). " + HINT,
           f"torch.manual_seed({KS_TEST['seed']}); model.sample(torch.randint(0, 10, ({labels.numel()},)))")


def label_pairs(draw) -> tuple:
    """Two pairs (k, j) of different labels: (0, 1) and (3, 8) published, drawn in [0, 10) held out."""
    if not draw.held_out:
        return (0, 1), (3, 8)
    gen = draw.generator(1)
    return tuple(tuple(int(v) for v in torch.randperm(10, generator=gen)[:2]) for _ in range(2))


@item("CVAE.4d", 4, held_out=1)
@pytest.mark.callbacks
def test_sample_labels(gateway, model, draw):
    """sample decodes with one_hot(labels): images for label k differ from images for label j"""
    _, labels_ok = decoder_input_of_sample(gateway, prior_labels(draw), draw.seed(KS_TEST["seed"]))
    if labels_ok is None:
        raise AssertionError("sample(labels): depends on decode reading y (CVAE.2e), which it does not, so the labels "
                             "sample passes to decode cannot be seen. Fix CVAE.2e first.")
    expect(labels_ok, "label columns of the decoder's input in sample(labels)", "one_hot(labels)",
           "something else (zeros, a fixed label, or not the labels passed in)",
           "Decode with one_hot(labels) of the labels passed in, and let decode concatenate that y. " + HINT,
           "model.sample(torch.randint(0, 10, (500,)))")
    for k, j in label_pairs(draw):
        a = sample(gateway, model, torch.full((16,), k), draw.seed(6))
        b = sample(gateway, model, torch.full((16,), j), draw.seed(6))
        gap = float((a - b).abs().max())
        expect(gap > 1e-6, f"sample(all {k}) against sample(all {j}) under the same seed", "different images",
               f"largest difference {gap:.2g}", "The labels must steer the decoder. " + HINT,
               f"torch.manual_seed(6); model.sample(torch.full((16,), {k}))")


@item("CVAE.4e", 7)
def test_samples_recognised(recognition):
    """After training, the decoder's images of prior codes for label k are read as k by the grader's classifier"""
    m = recognition()
    lo = CVAE_SMOKE["recognition_min"]
    n = 10 * CVAE_SMOKE["n_per_class"]
    expect(m["rate"] > lo,
           f"fraction of {n} images decoded from z ~ N(0, I) with one_hot(labels) by the smoke-trained CVAE (the "
           "grader's own sampler; sample itself is CVAE.4a-d) that a logistic-regression digit classifier reads "
           "as their label", f"above {lo:.2f} (chance: 0.10)",
           f"{m['rate']:.2f}; per class " + ", ".join(f"{k}: {r:.2f}" for k, r in enumerate(m["per_class"])),
           "Decoded images do not follow their labels: check that the decoder and the encoder read y "
           "(CVAE.2c, 2e).")
