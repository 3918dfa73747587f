"""pca_ae.py's catalogue: bugs of PCA fitting, codes, reconstruction error and the error curve, and
differently written correct versions."""
from tests.variants import Variant

MIN_BUGS = 8
MIN_CORRECT = 3
ITEM_POINTS = (2, 8)  # each item's points lie within; they add up to the full marks
NEVER_IN_BUG_MESSAGES = ("grader could not check",)  # every catalogued bug is checked, none skipped

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


# pca_error_curve is judged with the grader's pca_fit, pca_encode, pca_decode and reconstruction_mse standing in
# for the student's (PCA.3c-e), so a slip in one of those keeps the curve's items
CURVE = {"PCA.3c", "PCA.3d", "PCA.3e"}

BUGS = [
    Variant("no_centring", "pca_ae", [(SVD, SVD.replace("x64 - mean", "x64"))], {"PCA.1c", "PCA.1d"}, keep=CURVE),
    Variant("biased_variance", "pca_ae", [(VARIANCE, VARIANCE.replace("(x.shape[0] - 1)", "x.shape[0]"))],
            {"PCA.1g"}, keep=CURVE),
    Variant("singular_values_not_squared", "pca_ae", [(VARIANCE, VARIANCE.replace(".pow(2)", ""))], {"PCA.1g"},
            keep=CURVE),
    Variant("variance_ratio_instead", "pca_ae",
            [(VARIANCE, "explained_variance = s[:n_components].pow(2) / s.pow(2).sum()")], {"PCA.1g"}, keep=CURVE),
    Variant("rows_of_v_instead_of_columns", "pca_ae", [(COMPONENTS, COMPONENTS.replace("vh[", "vh.T["))],
            {"PCA.1a", "PCA.1c"}, keep=CURVE),
    Variant("components_as_columns", "pca_ae", [(COMPONENTS, COMPONENTS.replace("]\n", "].T\n"))], {"PCA.1a"},
            keep=CURVE),
    Variant("components_scaled_by_s", "pca_ae",
            [(COMPONENTS, "    components = vh[:n_components] * s[:n_components, None]\n")], {"PCA.1e"}, keep=CURVE),
    Variant("eigh_smallest_eigenvalues", "pca_ae", [(FIT_BODY, eigh_fit(":n_components", ":n_components"))],
            {"PCA.1c", "PCA.1d", "PCA.1f"}, keep=CURVE),
    Variant("eigh_top_k_ascending", "pca_ae", [(FIT_BODY, eigh_fit("-n_components:", "-n_components:"))],
            {"PCA.1f"}, keep=CURVE),
    Variant("encode_without_mean", "pca_ae", [(ENCODE, "return x @ components.T")], {"PCA.2a", "PCA.2c"}, keep=CURVE),
    Variant("encode_untransposed", "pca_ae", [(ENCODE, "return (x - mean) @ components")], {"PCA.2a"}, keep=CURVE),
    Variant("decode_without_mean", "pca_ae", [(DECODE, "return z @ components")], {"PCA.2b", "PCA.2c"}, keep=CURVE),
    Variant("mse_sum", "pca_ae", [(MSE, MSE.replace(".mean()", ".sum()"))], {"PCA.3a"}, keep=CURVE),
    Variant("mse_per_row", "pca_ae", [(MSE, "return (x - x_hat).pow(2).mean(dim=1)")], {"PCA.3a", "PCA.3b"},
            keep=CURVE),
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

# The items each bug may cost beyond its own ``lose`` (the blame check, tests/variants.assert_bug_caught): other
# items of the same function. Every other item must keep its points.
MAY = {
    "components_as_columns": {"PCA.1c", "PCA.1d", "PCA.1e", "PCA.1f"},
    "rows_of_v_instead_of_columns": {"PCA.1d", "PCA.1e", "PCA.1f"},
    "components_scaled_by_s": {"PCA.1c", "PCA.1d", "PCA.1f"},
    "eigh_smallest_eigenvalues": {"PCA.1g"},
    "no_centring": {"PCA.1f", "PCA.1g"},
    "encode_untransposed": {"PCA.2c", "PCA.2d"},
    "encode_without_mean": {"PCA.2d"},
    "decode_without_mean": {"PCA.2d"},
    "curve_centred_target": {"PCA.3e", "PCA.3f"},
    "curve_returns_eigenvalues": {"PCA.3f"},
}
