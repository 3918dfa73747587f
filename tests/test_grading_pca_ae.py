"""The grader on pca_ae.py: the reference scores 100, stubs 0, every catalogued
bug loses its intended item, every differently written correct version keeps
full marks; plus unit tests of the items' oracles."""
import pytest
import torch
from sklearn.decomposition import PCA

from autograder.api import grade
from autograder.graded.pca_ae import pca_oracle
from tests.variants import (SOLUTIONS, Variant, assert_bug_caught, assert_full_marks, assert_stubs_score_zero,
                            messages)

SVD = "_, s, vh = torch.linalg.svd(x64 - mean, full_matrices=False)"
COMPONENTS = "    components = vh[:n_components]\n"
VARIANCE = "explained_variance = s[:n_components].pow(2) / (x.shape[0] - 1)"
FIT_BODY = """    x64 = x.to(torch.float64)
    mean = x64.mean(dim=0)  # (D,)
    _, s, vh = torch.linalg.svd(x64 - mean, full_matrices=False)  # s (min(N, D),), vh (min(N, D), D)
    components = vh[:n_components]
    explained_variance = s[:n_components].pow(2) / (x.shape[0] - 1)
    return mean.to(x.dtype), components.to(x.dtype), explained_variance.to(x.dtype)
"""
MSE = "return (x - x_hat).pow(2).mean().item()"
ENCODE = "return (x - mean) @ components.T"
DECODE = "return z @ components + mean"
CURVE_FIT = "mean, components, _ = pca_fit(x, max(dims))"
CURVE_LOOP = """    errors = []
    for k in dims:
        z = pca_encode(x, mean, components[:k])
        errors.append(reconstruction_mse(x, pca_decode(z, mean, components[:k])))
    return errors
"""


def eigh_fit(columns: str, values: str) -> str:
    """pca_fit through torch.linalg.eigh of the covariance (eigenvalues come in ASCENDING order)."""
    return f"""    mean = x.mean(dim=0)
    xc = x - mean
    evals, evecs = torch.linalg.eigh(xc.T @ xc / (x.shape[0] - 1))  # ascending
    return mean, evecs[:, {columns}].T.contiguous(), evals[{values}].contiguous()
"""


BUGS = [
    Variant("no_centring", "pca_ae", [(SVD, SVD.replace("x64 - mean", "x64"))], {"PCA.1c", "PCA.1d"}),
    Variant("biased_variance", "pca_ae", [(VARIANCE, VARIANCE.replace("(x.shape[0] - 1)", "x.shape[0]"))],
            {"PCA.1g"}),
    Variant("singular_values_not_squared", "pca_ae", [(VARIANCE, VARIANCE.replace(".pow(2)", ""))], {"PCA.1g"}),
    Variant("variance_ratio_instead", "pca_ae",
            [(VARIANCE, "explained_variance = s[:n_components].pow(2) / s.pow(2).sum()")], {"PCA.1g"}),
    Variant("rows_of_v_instead_of_columns", "pca_ae", [(COMPONENTS, COMPONENTS.replace("vh[", "vh.T["))],
            {"PCA.1a", "PCA.1c"}),
    Variant("components_as_columns", "pca_ae", [(COMPONENTS, COMPONENTS.replace("]\n", "].T\n"))], {"PCA.1a"}),
    Variant("components_scaled_by_s", "pca_ae",
            [(COMPONENTS, "    components = vh[:n_components] * s[:n_components, None]\n")], {"PCA.1e"}),
    Variant("eigh_smallest_eigenvalues", "pca_ae", [(FIT_BODY, eigh_fit(":n_components", ":n_components"))],
            {"PCA.1c", "PCA.1d", "PCA.1f"}),
    Variant("eigh_top_k_ascending", "pca_ae", [(FIT_BODY, eigh_fit("-n_components:", "-n_components:"))],
            {"PCA.1f"}),
    Variant("encode_without_mean", "pca_ae", [(ENCODE, "return x @ components.T")], {"PCA.2a", "PCA.2c"}),
    Variant("encode_untransposed", "pca_ae", [(ENCODE, "return (x - mean) @ components")], {"PCA.2a"}),
    Variant("decode_without_mean", "pca_ae", [(DECODE, "return z @ components")], {"PCA.2b", "PCA.2c"}),
    Variant("mse_sum", "pca_ae", [(MSE, MSE.replace(".mean()", ".sum()"))], {"PCA.3a"}),
    Variant("mse_per_row", "pca_ae", [(MSE, "return (x - x_hat).pow(2).mean(dim=1)")], {"PCA.3a", "PCA.3b"}),
    Variant("curve_returns_eigenvalues", "pca_ae",
            [(CURVE_FIT, "mean, components, variance = pca_fit(x, max(dims))"),
             (CURVE_LOOP, "    return [float(variance[k - 1]) for k in dims]\n")],
            {"PCA.3c", "PCA.3d", "PCA.3e"}),
    Variant("curve_centred_target", "pca_ae",
            [("reconstruction_mse(x, pca_decode", "reconstruction_mse(x - mean, pca_decode")],
            {"PCA.3c", "PCA.3d"}),
    Variant("curve_fit_on_one_batch", "pca_ae", [(CURVE_FIT, CURVE_FIT.replace("pca_fit(x,", "pca_fit(x[:128],"))],
            {"PCA.3c", "PCA.3f"}),
    Variant("curve_assumes_sorted_dims", "pca_ae", [(CURVE_FIT, CURVE_FIT.replace("max(dims)", "dims[-1]"))],
            {"PCA.3e"}),
]

# Lost exactly these items, nothing else (the slip must not cascade).
EXACT = {"mse_tensor": {"PCA.3b"}}
BUGS.append(Variant("mse_tensor", "pca_ae", [(MSE, "return (x - x_hat).pow(2).mean()")], EXACT["mse_tensor"]))

CORRECT = [
    Variant("float32_svd_negated", "pca_ae", [(FIT_BODY, """    mean = x.sum(dim=0) / x.shape[0]
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
    return mean, -vh[:n_components], s[:n_components] ** 2 / (x.shape[0] - 1)
""")]),
    Variant("eigh_flipped", "pca_ae", [(FIT_BODY, """    mean = x.mean(0)
    xc = x - mean
    cov = torch.cov(xc.T)  # (D, D), unbiased
    evals, evecs = torch.linalg.eigh(cov)
    order = torch.argsort(evals, descending=True)[:n_components]
    return mean, evecs[:, order].T, evals[order]
""")]),
    Variant("numpy_svd", "pca_ae", [("import torch\n", "import numpy as np\nimport torch\n"),
                                    (FIT_BODY, """    a = x.numpy().astype(np.float64)
    mu = a.mean(axis=0)
    u, s, vt = np.linalg.svd(a - mu, full_matrices=False)
    var = s ** 2 / (len(a) - 1)
    return (torch.from_numpy(mu).float(), torch.from_numpy(vt[:n_components]).float(),
            torch.from_numpy(var[:n_components]).float())
""")]),
    Variant("functional_codes_and_mse", "pca_ae", [
        (ENCODE, "return torch.einsum('nd,kd->nk', x - mean.unsqueeze(0), components)"),
        (DECODE, "return torch.addmm(mean.expand(z.shape[0], -1), z, components)"),
        (MSE, "return float(torch.nn.functional.mse_loss(x_hat, x))")]),
    Variant("curve_refit_each_k", "pca_ae", [(CURVE_FIT, "pass"), (CURVE_LOOP, """    errors = []
    for k in dims:
        mean, components, _ = pca_fit(x, k)
        errors.append(reconstruction_mse(x, pca_decode(pca_encode(x, mean, components), mean, components)))
    return errors
""")]),
    Variant("curve_from_variances", "pca_ae", [(CURVE_FIT, "pass"), (CURVE_LOOP, """    n, d = x.shape
    mean, _, variance = pca_fit(x, min(n, d))
    total = (x - mean).pow(2).sum().item()
    kept = torch.cumsum(variance.double(), 0) * (n - 1)  # sum of squared singular values
    return [max(total - kept[k - 1].item(), 0.0) / (n * d) for k in dims]
""")]),
]


def test_reference_full_marks():
    report = grade(SOLUTIONS, ["pca_ae"])
    assert report.score == 100, messages(report, "pca_ae")
    assert sum(i.points for i in report.of("pca_ae")) == 100
    assert all(2 <= i.points <= 8 for i in report.of("pca_ae"))


def test_stubs_score_zero_without_harness_error():
    assert_stubs_score_zero("pca_ae")


@pytest.mark.parametrize("variant", BUGS, ids=lambda v: v.name)
def test_bug_loses_intended_item(variant, tmp_path):
    report = assert_bug_caught(variant, tmp_path)
    assert not any("grader could not check" in i.message for i in report.of("pca_ae")), messages(report, "pca_ae")


@pytest.mark.parametrize("variant", CORRECT, ids=lambda v: v.name)
def test_correct_variant_full_marks(variant, tmp_path):
    assert_full_marks(variant, tmp_path)


def test_catalogue_size():
    assert len(BUGS) >= 8 and len(CORRECT) >= 3


# -- the oracles themselves -----------------------------------------------------

def test_closed_form_curve_matches_sklearn_reconstruction():
    x = pca_oracle.spectral_data(30, 7, seed=5).double()
    dims = [1, 3, 6]
    for k, expected in zip(dims, pca_oracle.closed_form_curve(x, dims)):
        pca = PCA(n_components=k, svd_solver="full").fit(x.numpy())
        recon = pca.inverse_transform(pca.transform(x.numpy()))
        assert abs(float(((torch.from_numpy(recon) - x) ** 2).mean()) - expected) < 1e-12


def test_spectral_data_has_the_stated_spectrum():
    n, d = 9, 5
    x = pca_oracle.spectral_data(n, d, seed=3)
    variance = pca_oracle.sklearn_pca(x, d)["explained_variance"]
    assert torch.allclose(variance, 4.0 * 0.5 ** torch.arange(d, dtype=torch.float64), rtol=1e-5)
    assert float(x.double().mean(0).abs().max()) > 0.1   # a mean to forget


def test_projector_ignores_signs_and_orthonormal_rows():
    c = pca_oracle.orthonormal_rows(3, 6, seed=1)
    assert torch.allclose(c.double() @ c.double().T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    flipped = c * torch.tensor([[1.0], [-1.0], [1.0]])
    assert torch.allclose(pca_oracle.projector(c), pca_oracle.projector(flipped))


def test_as_float_accepts_numbers_and_one_element_tensors_only():
    assert pca_oracle.as_float(0.5, "v") == 0.5
    assert pca_oracle.as_float(torch.tensor(0.25), "v") == 0.25
    with pytest.raises(AssertionError, match="one number"):
        pca_oracle.as_float(torch.ones(3), "v")
    with pytest.raises(AssertionError):
        pca_oracle.as_float(True, "v")
