"""PCA.3 (36 points): reconstruction_mse, pca_error_curve, and PCA against an autoencoder."""
import pytest
import torch
from hypothesis import given, strategies as st

from autograder.calibration import PCA_AE_SMOKE
from autograder.checks import expect
from autograder.graded.pca_ae.pca_oracle import (as_float, close, closed_form_curve, curve_values, describe_data,
                                                 digit_rows, pca_problems, spectral_data)
from autograder.protocol import module_ref
from autograder.rubric import item

MSE_HINT = ("reconstruction_mse is the MEAN of the squared differences over every element (not a sum), as a Python "
            "float.")
CURVE_HINT = ("For each k: fit PCA on x, reconstruct x from its codes on the first k components only, and record "
              "the reconstruction_mse of that reconstruction. The result must equal the sum of the discarded "
              "eigenvalues of the (biased, 1/N) covariance divided by D.")
DIGITS_DIMS = [1, 2, 4, 8, 16]


def fmt(values) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


@st.composite
def mse_inputs(draw):
    n, d, seed = draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=gen), torch.rand(n, d, generator=gen), seed


@item("PCA.3a", 6, held_out=2)
@pytest.mark.usefixtures("draw")  # reseeds the twin; an argument would change the published examples
@given(mse_inputs())
def test_mse_value(gateway, inputs):
    """reconstruction_mse is the mean of (x - x_hat)^2 over all elements"""
    x, x_hat, seed = inputs
    got = as_float(gateway.call("pca_ae.reconstruction_mse", x, x_hat), "reconstruction_mse(x, x_hat)")
    expected = float(((x.double() - x_hat.double()) ** 2).mean())
    hint = MSE_HINT
    if x.numel() > 1 and abs(got - expected * x.numel()) <= 1e-4 * expected * x.numel():
        hint = f"Yours is {x.numel()} times too large (a sum over the {x.numel()} elements). " + hint
    expect(close(got, expected), "reconstruction_mse(x, x_hat)", f"{expected:.6g}", f"{got:.6g}", hint,
           f"x, x_hat = torch.rand({x.shape[0]}, {x.shape[1]}), torch.rand({x.shape[0]}, {x.shape[1]}) (seed {seed})")


@item("PCA.3b", 3)  # no twin: it judges the type returned, which no choice of inputs hides
def test_mse_is_float(gateway):
    """reconstruction_mse returns a Python float, not a tensor"""
    x = torch.rand(4, 5, generator=torch.Generator().manual_seed(31))
    got = gateway.call("pca_ae.reconstruction_mse", x, torch.zeros_like(x))
    expect(isinstance(got, float), "type returned by reconstruction_mse(x, x_hat)", "a Python float",
           f"{type(got).__name__}" + (f" of shape {tuple(got.shape)}" if isinstance(got, torch.Tensor) else ""),
           "The contract asks for a float (what the error-curve plot and the CSV expect): end with .item() "
           "or float(...).", "reconstruction_mse(torch.rand(4, 5), torch.zeros(4, 5))")


MODULE = module_ref("pca_ae")
PCA_PARTS = ["pca_fit", "pca_encode", "pca_decode", "reconstruction_mse"]  # judged by PCA.1-PCA.3b


def error_curve(gateway, x, dims):
    """``pca_error_curve(x, dims)`` with the grader's pca_fit, pca_encode, pca_decode and reconstruction_mse in
    place of the submitted ones, so that PCA.3c-e judge the curve's own loop (a submission that computes
    the curve without calling them is judged on its own code)."""
    return gateway.with_stand_ins(MODULE, "pca_error_curve", PCA_PARTS, x, dims,
                           label="pca_error_curve")


@item("PCA.3c", 7, held_out=2)
@pytest.mark.callbacks
def test_curve_digits(gateway, digits, draw):
    """pca_error_curve on the digits equals the Eckart-Young closed form for k = 1, 2, 4, 8, 16"""
    x = digit_rows(draw, digits)  # sums of eigenvalues: well-conditioned whatever the digits, no gap needed
    got = curve_values(error_curve(gateway, x, DIGITS_DIMS), DIGITS_DIMS,
                       f"pca_error_curve(x_test, {DIGITS_DIMS})")
    expected = closed_form_curve(x, DIGITS_DIMS)
    expect(all(close(g, e) for g, e in zip(got, expected)), f"pca_error_curve(x_test, {DIGITS_DIMS})",
           fmt(expected), fmt(got), CURVE_HINT, f"the 300 test digits flattened to (300, 784), dims = {DIGITS_DIMS}")


@item("PCA.3d", 6, held_out=2)
@pytest.mark.callbacks
@pytest.mark.usefixtures("draw")  # reseeds the twin; an argument would change the published examples
@given(pca_problems())
def test_curve_random(gateway, problem):
    """pca_error_curve on random data equals the closed form for every k from 1 to min(N - 1, D)"""
    n, d, _, seed = problem
    x = spectral_data(n, d, seed)
    dims = list(range(1, min(n - 1, d) + 1))
    got = curve_values(error_curve(gateway, x, dims), dims, f"pca_error_curve(x, {dims})")
    expected = closed_form_curve(x, dims)
    expect(all(close(g, e) for g, e in zip(got, expected)), f"pca_error_curve(x, {dims})", fmt(expected), fmt(got),
           CURVE_HINT, describe_data(n, d, seed, f"dims = {dims}"))


def unordered_dims(draw) -> list:
    """dims out of order and with a repeat: [5, 1, 3] and [2, 2] published; on a twin 3 distinct k of 1-6 in a
    random order that is not increasing, and a random k twice."""
    if not draw.held_out:
        return [[5, 1, 3], [2, 2]]
    gen = draw.generator(42)
    dims = (torch.randperm(6, generator=gen)[:3] + 1).tolist()
    if dims == sorted(dims):
        dims.reverse()
    return [dims, [int(torch.randint(1, 7, (1,), generator=gen))] * 2]


@item("PCA.3e", 6, held_out=2)
@pytest.mark.callbacks
def test_curve_shape(gateway, draw):
    """pca_error_curve never increases with k, reaches 0 at full rank, and follows the order of dims"""
    x = spectral_data(12, 6, seed=draw.seed(41))  # rank 6 once centred, whatever the seed
    dims = [1, 2, 3, 4, 5, 6]
    got = curve_values(error_curve(gateway, x, dims), dims, f"pca_error_curve(x, {dims})")
    repro = "x = <(12, 6) float32 data of rank 6 around a nonzero mean>"
    expect(all(b <= a + 1e-7 for a, b in zip(got, got[1:])), f"pca_error_curve(x, {dims})",
           "a non-increasing list (more components never reconstruct worse)", fmt(got),
           "Record the reconstruction error, not the variance kept or the eigenvalues. " + CURVE_HINT, repro)
    expect(abs(got[-1]) < 1e-6, "pca_error_curve at k = 6 = the rank of the centred data", "0 (exact reconstruction)",
           f"{got[-1]:.3g}", "With all directions kept, decode(encode(x)) is x itself: check the mean. " + CURVE_HINT,
           repro)
    for dims in unordered_dims(draw):
        got = curve_values(error_curve(gateway, x, dims), dims, f"pca_error_curve(x, {dims})")
        expected = closed_form_curve(x, dims)
        expect(all(close(g, e) for g, e in zip(got, expected)), f"pca_error_curve(x, {dims})", fmt(expected),
               fmt(got), "dims may come in any order (and repeat): fit once with max(dims) components, then "
               "answer each k of dims in the order given.", repro)


@item("PCA.3f", 8)  # no twin: a smoke-trained autoencoder judged against calibrated ratios
@pytest.mark.callbacks
def test_autoencoder_beats_pca(gateway, digits, reference_ae_mse):
    """On the training digits, an MSE-trained autoencoder beats your PCA error curve at k = 2 and 4, as the handout
    expects"""
    x = digits["x_train"]
    dims = PCA_AE_SMOKE["dims"]
    curve = curve_values(error_curve(gateway, x, dims), dims, f"pca_error_curve(x_train, {dims})")
    expected = closed_form_curve(x, dims)
    for k, from_curve, exact in zip(dims, curve, expected):
        expect(close(from_curve, exact), f"per-pixel PCA error on the 1,497 training digits at k = {k}",
               f"{exact:.6g} (closed form)", f"{from_curve:.6g} from pca_error_curve",
               "Fix PCA.3c-e first: the comparison needs the true PCA error. " + CURVE_HINT,
               f"pca_error_curve(x_train, {dims})")
        ae = reference_ae_mse(k)
        bound = PCA_AE_SMOKE["ae_to_pca_ratio_max"][k]
        expect(ae < bound * from_curve, f"per-pixel MSE of the grader's {k}-D autoencoder against your PCA at k = {k}",
               f"below {bound} x your PCA error ({bound * from_curve:.6g})", f"{ae:.6g}",
               "The grader's autoencoder is fixed; a PCA error this low means your PCA error is too small.")
