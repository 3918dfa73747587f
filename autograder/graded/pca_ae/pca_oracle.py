"""Oracles, inputs and result checks of the pca_ae.py items.

Oracles run in the parent in float64 and never touch submitted code:
scikit-learn's PCA for the fit, and the Eckart-Young closed form for the
error curve (the best rank-k reconstruction leaves the discarded eigenvalues
of the biased covariance, so the per-element MSE is their sum over D).
"""
from __future__ import annotations

import contextlib

import torch
from hypothesis import strategies as st
from sklearn.decomposition import PCA

from autograder.checks import expect, expect_parts, expect_tensor, fail

# Relative and absolute tolerance for MSE values (floats around 1e-2 on the
# digits). float32 pipelines agree with the float64 closed form to ~1e-5
# relative (SVD residuals ~1e-6 per element); every catalogued bug is off by
# more than 5e-2 relative.
MSE_RTOL, MSE_ATOL = 1e-3, 1e-6

@contextlib.contextmanager
def single_thread(x: torch.Tensor | None = None):
    """Run the oracles' linear algebra on one thread, restoring the settings after.

    Thread start-up dominates small problems: a QR of a (16, 8) matrix takes
    ~4 us on one thread and 1-12 ms on two busy ones. A multi-threaded SVD of
    the digits takes ~0.3 s alone but can take 10 s or more on a busy machine
    with few cores. BLAS (numpy, scikit-learn) is limited too when ``x`` is
    large; for small ``x`` that switch (~10 ms) costs more than it saves.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        if x is not None and x.numel() >= 100_000:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(threads)


def sklearn_pca(x: torch.Tensor, k: int) -> dict:
    """scikit-learn's PCA of the rows of ``x`` (exact SVD) as float64 tensors."""
    with single_thread(x):
        pca = PCA(n_components=k, svd_solver="full").fit(x.double().numpy())
    return {"mean": torch.from_numpy(pca.mean_), "components": torch.from_numpy(pca.components_),
            "explained_variance": torch.from_numpy(pca.explained_variance_)}


def projector(components: torch.Tensor) -> torch.Tensor:
    """C^T C (D, D) in float64: the orthogonal projection onto the row span, whatever the signs of the rows.

    Cast it back to the student's dtype before ``assert_close`` so the tolerance
    is the one of the dtype they computed in.
    """
    c = components.double()
    return c.T @ c


def closed_form_curve(x: torch.Tensor, dims) -> list[float]:
    """Per-element MSE of the best rank-k affine reconstruction of ``x``, for each k (Eckart-Young)."""
    x = x.double()
    with single_thread(x):
        s2 = torch.linalg.svdvals(x - x.mean(0)).pow(2)  # N * biased eigenvalues, descending
    total = float(s2.sum())
    return [max(total - float(s2[:k].sum()), 0.0) / x.numel() for k in dims]


def spectral_data(n: int, d: int, seed: int) -> torch.Tensor:
    """(n, d) float32 data with a nonzero mean and well separated variances 4 * 0.5^i (i < min(n - 1, d)).

    The gaps make every principal direction unique up to sign, so subspaces and
    single directions can be compared with scikit-learn at float32 precision.
    """
    gen = torch.Generator().manual_seed(seed)
    r = min(n - 1, d)
    a = torch.randn(n, r, generator=gen, dtype=torch.float64)
    with single_thread():
        u, _ = torch.linalg.qr(a - a.mean(0))                    # (n, r) centred orthonormal columns
        v, _ = torch.linalg.qr(torch.randn(d, r, generator=gen, dtype=torch.float64))  # (d, r)
    s = (4.0 * 0.5 ** torch.arange(r, dtype=torch.float64) * (n - 1)).sqrt()
    mean = 2.0 * torch.randn(d, generator=gen, dtype=torch.float64)
    return (mean + (u * s) @ v.T).float()


def orthonormal_rows(k: int, d: int, seed: int) -> torch.Tensor:
    """(k, d) float32 matrix with orthonormal rows (k <= d)."""
    with single_thread():
        q, _ = torch.linalg.qr(torch.randn(d, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q.T.contiguous().float()


# Relative eigen-gaps (lambda_k - lambda_k+1) / lambda_k of the digits at every k the digit items depend on:
# single directions 1-4 (PCA.1d, PCA.1f), the planes of k = 2 and 8 (PCA.2d) and 10 (PCA.1d). The 300 test
# digits have 0.055 (k = 1), 0.21, 0.25, 0.31, 0.095 (k = 8) and 0.11 (k = 10); a random 300 of the digits can
# bring two eigenvalues within 0.2% of each other, where a direction or plane is ill-conditioned and a
# correct float32 fit (eigh of the covariance, say) could miss the float32 tolerance: a twin redraws those.
DIGIT_GAPS, DIGIT_GAP_MIN, DIGIT_ROWS = (1, 2, 3, 4, 8, 10), 0.05, 300


def digit_rows(draw, digits) -> torch.Tensor:
    """The digits a digit item fits, (300, 784): the test digits on the public run; on a twin, 300 of all
    1,797 digits (training and test) drawn at random, redrawn until every gap of ``DIGIT_GAPS`` is at least
    ``DIGIT_GAP_MIN`` (about the test digits' narrowest, so the published tolerances hold as they do there;
    about 70% of draws pass, so 100 tries all fail with probability below 1e-50)."""
    if not draw.held_out:
        return digits["x_test"]
    pool = torch.cat([digits["x_train"], digits["x_test"]])
    gen = draw.generator(0)
    for _ in range(100):
        x = pool[torch.randperm(len(pool), generator=gen)[:DIGIT_ROWS]]
        with single_thread(x):
            s2 = torch.linalg.svdvals(x.double() - x.double().mean(0)).pow(2)
        if all(float(s2[k - 1] - s2[k]) >= DIGIT_GAP_MIN * float(s2[k - 1]) for k in DIGIT_GAPS):
            return x
    raise RuntimeError("no random subset of the digits with separated eigenvalues in 100 draws")


def describe_data(n: int, d: int, seed: int, rest: str) -> str:
    """Reproduction text for ``spectral_data(n, d, seed)`` followed by the other arguments (``rest``)."""
    return f"x = <({n}, {d}) float32 data, nonzero mean, variances 4 * 0.5^i, seed {seed}>, {rest}"


@st.composite
def pca_problems(draw, max_n: int = 16, max_d: int = 8):
    """(n, d, k, seed) for ``spectral_data``: 3 <= n <= max_n, 2 <= d <= max_d, 1 <= k <= min(n - 1, d)."""
    n = draw(st.integers(3, max_n))
    d = draw(st.integers(2, max_d))
    k = draw(st.integers(1, min(n - 1, d)))
    return n, d, k, draw(st.integers(0, 2**31 - 1))


@st.composite
def code_problems(draw, max_n: int = 10, max_d: int = 8):
    """(n, d, k, seed) for encode/decode with the grader's own components: 1 <= k <= d."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    return n, d, draw(st.integers(1, d)), draw(st.integers(0, 2**31 - 1))


PARTS = ("mean", "components", "explained_variance")


def fit_parts(result, n_dims: int, k: int, call: str, only: tuple = PARTS) -> tuple:
    """Check pca_fit's result is (mean (D,), components (k, D), explained_variance (k,)); return the three.
    ``only``: the parts the item judges (the others are other items' concern and are returned unchecked)."""
    parts = expect_parts(result, 3, call, "mean, components, explained_variance",
                         "Return the three tensors in this order.")
    shapes = {"mean": ((n_dims,), "mean is the (D,) vector of column means."),
              "components": ((k, n_dims), "components hold one principal direction per ROW: (k, D), e.g. Vh[:k] of "
                                          "the SVD, not its transpose and not columns of V."),
              "explained_variance": ((k,), "One variance per kept component: (k,).")}
    for name, t in zip(PARTS, parts):
        if name in only:
            expect_tensor(t, f"{name} from {call}", *shapes[name])
            expect(t.is_floating_point() and bool(torch.isfinite(t).all()), f"{name} from {call}",
                   "finite floating-point values", f"dtype {t.dtype}, finite: {bool(torch.isfinite(t.double()).all())}")
    return tuple(parts)


def as_float(value, what: str) -> float:
    """A number from the student's result: a Python float, or a one-element tensor (converted, not judged here)."""
    if isinstance(value, bool):
        fail(what, "a float", repr(value))
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    shape = f" of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else ""
    fail(what, "one number (the mean over ALL elements)", f"{type(value).__name__}{shape}",
         "Average the squared differences over every element at once, not per row or per column, and return a "
         "Python float.")


def curve_values(result, dims, what: str) -> list[float]:
    """pca_error_curve's result as a list of floats, one per k in ``dims``."""
    expect(isinstance(result, (list, tuple)) or (isinstance(result, torch.Tensor) and result.dim() == 1), what,
           f"a list of {len(dims)} floats", type(result).__name__, "Return one MSE per k in dims, in order.")
    expect(len(result) == len(dims), f"length of {what}", f"{len(dims)} (one per k in dims = {list(dims)})",
           f"{len(result)}", "Return one MSE per k in dims, in the order of dims.")
    return [as_float(v, f"entry {i} of {what}") for i, v in enumerate(result)]


def close(got: float, expected: float) -> bool:
    return abs(got - expected) <= MSE_ATOL + MSE_RTOL * abs(expected)
