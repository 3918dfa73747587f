"""PCA.2 (24 points): pca_encode and pca_decode, with the grader's components and with your own fit."""
import pytest
import torch
from hypothesis import given

from autograder.checks import assert_close, expect_tensor
from autograder.graded.pca_ae.pca_oracle import code_problems, digit_rows, orthonormal_rows, sklearn_pca
from autograder.rubric import item

ENCODE_HINT = ("pca_encode centres x on the mean first, then projects each centred row onto each row of "
               "components (one code per component).")
DECODE_HINT = "pca_decode(z, mean, components) = z @ components + mean: map back along the rows, then add the mean."


def problem(n, d, k, seed):
    """x (n, d), mean (d,), components (k, d) with orthonormal rows, codes z (n, k); float32."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=gen)
    mean = torch.rand(d, generator=gen) + 0.5                  # far from 0, so a missing mean shows
    z = 2 * torch.randn(n, k, generator=gen)
    return x, mean, orthonormal_rows(k, d, seed + 1), z


def repro(n, d, k, seed):
    return (f"x = torch.rand({n}, {d}); mean = 0.5 + torch.rand({d}); components = <({k}, {d}) orthonormal rows>; "
            f"z = 2 * torch.randn({n}, {k}) (seed {seed})")


@item("PCA.2a", 6, held_out=2)
@pytest.mark.usefixtures("draw")  # reseeds the twin; an argument would change the published examples
@given(code_problems())
def test_encode(gateway, params):
    """pca_encode(x, mean, components) = (x - mean) @ components^T, shape (N, k)"""
    x, mean, components, _ = problem(*params)
    n, _, k, _ = params
    got = expect_tensor(gateway.call("pca_ae.pca_encode", x, mean, components), "pca_encode(x, mean, components)",
                        (n, k), "Codes have one row per example and one column per component: (N, k).", repro(*params))
    expected = (x.double() - mean.double()) @ components.double().T
    assert_close(got, expected, "pca_encode(x, mean, components)", ENCODE_HINT, repro(*params))


@item("PCA.2b", 6, held_out=2)
@pytest.mark.usefixtures("draw")  # reseeds the twin; an argument would change the published examples
@given(code_problems())
def test_decode(gateway, params):
    """pca_decode(z, mean, components) = z @ components + mean, shape (N, D)"""
    _, mean, components, z = problem(*params)
    n, d, _, _ = params
    got = expect_tensor(gateway.call("pca_ae.pca_decode", z, mean, components), "pca_decode(z, mean, components)",
                        (n, d), "Reconstructions have the data's shape: (N, D).", repro(*params))
    expected = z.double() @ components.double() + mean.double()
    assert_close(got, expected, "pca_decode(z, mean, components)", DECODE_HINT, repro(*params))


@item("PCA.2c", 6, held_out=2)
@pytest.mark.usefixtures("draw")  # reseeds the twin; an argument would change the published examples
@given(code_problems())
def test_round_trip_on_span(gateway, params):
    """Round trip on the span: decode(encode(x)) = x for x = mean + z @ components, and encode(decode(z)) = z"""
    _, mean, components, z = problem(*params)
    x = (mean.double() + z.double() @ components.double()).float()  # points of the affine span
    codes = expect_tensor(gateway.call("pca_ae.pca_encode", x, mean, components), "pca_encode(x, mean, components)",
                          tuple(z.shape), repro=repro(*params))
    back = gateway.call("pca_ae.pca_decode", codes, mean, components)
    assert_close(back, x.double(), "pca_decode(pca_encode(x)) for x inside the span (mean + z @ components)",
                 "Points of the span must come back unchanged: encode subtracts the mean, decode adds it back. "
                 + ENCODE_HINT, repro(*params) + "; x = mean + z @ components")
    again = gateway.call("pca_ae.pca_encode", gateway.call("pca_ae.pca_decode", z, mean, components), mean, components)
    assert_close(again, z.double(), "pca_encode(pca_decode(z))", "Encoding a decoded code must give the code back. "
                 + DECODE_HINT, repro(*params))


@item("PCA.2d", 6, held_out=2)
def test_pipeline_digits(gateway, digits, draw):
    """Your encode and decode on the digits: the reconstruction is the projection onto the top-k PCA plane"""
    x = digit_rows(draw, digits)  # a twin's digits keep the planes of k = 2 and 8 well separated
    for k in (2, 8):
        oracle = sklearn_pca(x, k)  # the grader's fit (pca_fit is PCA.1's), float32 as a fit of float32 data
        mean, components = oracle["mean"].float(), oracle["components"].float()
        codes = expect_tensor(gateway.call("pca_ae.pca_encode", x, mean, components),
                              f"pca_encode(x_test, mean, components) with scikit-learn's top-{k} fit", (x.shape[0], k))
        recon = gateway.call("pca_ae.pca_decode", codes, mean, components)
        c = oracle["components"]
        expected = oracle["mean"] + (x.double() - oracle["mean"]) @ c.T @ c
        assert_close(recon, expected, f"pca_decode(pca_encode(x_test)) with scikit-learn's top-{k} fit of the test "
                     "digits", "PCA reconstructs x as mean + ((x - mean) @ C^T) @ C: encode subtracts the mean, "
                     "decode adds it back.", f"the 300 test digits flattened to (300, 784), k = {k}")
