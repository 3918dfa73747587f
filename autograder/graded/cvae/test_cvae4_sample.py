"""CVAE.4 (24 points): sample(labels), images of chosen classes drawn from the prior."""
import torch
import torch.nn.functional as F
from scipy import stats

from autograder.calibration import CVAE_SMOKE, KS_TEST
from autograder.checks import expect, expect_tensor
from autograder.evaluate import first_linear_input
from autograder.rubric import item

CODE = 40
LABELS = torch.randint(0, 10, (KS_TEST["draws"] // CODE,), generator=torch.Generator().manual_seed(51))
HINT = "z = torch.randn(len(labels), n_dims_code) drawn on every call, then self.decode(z, one_hot(labels))."


def traced_decoder_input(gateway, model, labels) -> tuple:
    """Split the input of the first Linear layer that runs in sample(labels), the decoder's [z, y], into
    (z, whether y is one_hot(labels)). Either order of z and y is accepted; z is the first 40 columns otherwise."""
    calls = gateway.trusted("autograder.probes:trace", model, "sample", labels, seed=KS_TEST["seed"])
    first = first_linear_input(calls, "sample(labels)")
    expect(first.dim() == 2 and first.shape == (labels.numel(), CODE + 10),
           f"input of the decoder's first Linear in sample(labels) for {labels.numel()} labels",
           f"shape ({labels.numel()}, {CODE + 10}): [z, one_hot(labels)]", f"shape {tuple(first.shape)}", HINT)
    y = F.one_hot(labels, 10).to(first.dtype)
    if torch.equal(first[:, :10], y) and not torch.equal(first[:, CODE:], y):
        return first[:, 10:], True
    return first[:, :CODE], torch.equal(first[:, CODE:], y)


@item("CVAE.4a", 4)
def test_sample_shape_range(gateway, model):
    """sample(labels) returns one (784,) image in [0, 1] per label"""
    for labels in (torch.tensor([7]), torch.arange(10), torch.tensor([3, 3, 1, 0, 9, 9, 2])):
        out = expect_tensor(model.sample(labels), f"sample(torch.tensor({labels.tolist()}))", (labels.numel(), 784),
                            "One row per label: z has shape (len(labels), n_dims_code).")
        expect(out.is_floating_point() and float(out.min()) >= 0 and float(out.max()) <= 1,
               f"values of sample(torch.tensor({labels.tolist()}))", "floats in [0, 1] (decoded Bernoulli means)",
               f"{out.dtype} in [{float(out.min()):.3g}, {float(out.max()):.3g}]", HINT)


@item("CVAE.4b", 4)
def test_sample_noise(gateway, model):
    """sample draws a fresh z on every call and repeats under torch.manual_seed"""
    labels = torch.arange(10)
    first, second = gateway.trusted("autograder.probes:call_twice", model, "sample", labels)
    expect_tensor(first, "sample(torch.arange(10))", (10, 784))
    expect(not torch.equal(first, second), "two calls of sample(torch.arange(10)) in a row", "different images",
           "the same images twice", "Draw a new z on every call; never store it or reseed inside sample. " + HINT)
    again = model.sample(labels, seed=4)
    expect(torch.equal(model.sample(labels, seed=4), again), "sample after the same torch.manual_seed",
           "identical images", "different images",
           "Draw z with torch's default generator (torch.randn), not numpy or a private Generator.")


@item("CVAE.4c", 5)
def test_sample_prior(gateway, model):
    """sample decodes z ~ N(0, I) (Kolmogorov-Smirnov test of the decoder's input)"""
    z, _ = traced_decoder_input(gateway, model, LABELS)
    result = stats.kstest(z.flatten().double().numpy(), "norm")
    expect(result.pvalue > KS_TEST["p_min"], f"distribution of the {z.numel():,} code values decoded by sample",
           f"N(0, 1): KS p-value > {KS_TEST['p_min']}",
           f"p = {result.pvalue:.2g}; mean {float(z.mean()):.3f}, std {float(z.std()):.3f}",
           "Draw z from the prior with torch.randn (not torch.rand, zeros or a stored code). " + HINT,
           f"torch.manual_seed({KS_TEST['seed']}); model.sample(torch.randint(0, 10, ({LABELS.numel()},)))")


@item("CVAE.4d", 4)
def test_sample_labels(gateway, model):
    """sample decodes with one_hot(labels): images for label k differ from images for label j"""
    _, labels_ok = traced_decoder_input(gateway, model, LABELS)
    expect(labels_ok, "label columns of the decoder's input in sample(labels)", "one_hot(labels)",
           "something else (zeros, a fixed label, or not the labels passed in)",
           "Decode with one_hot(labels) of the labels passed in, and let decode concatenate that y. " + HINT,
           "model.sample(torch.randint(0, 10, (500,)))")
    for k, j in ((0, 1), (3, 8)):
        a = model.sample(torch.full((16,), k), seed=6)
        b = model.sample(torch.full((16,), j), seed=6)
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
