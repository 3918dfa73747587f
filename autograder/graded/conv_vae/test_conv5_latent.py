"""CONV.5 (18 points): top_variance_dims, traversal_values and latent_traversal."""
import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from autograder.checks import assert_close, expect, expect_defaults, expect_tensor, repro_tensor
from autograder.errors import SubmissionError
from autograder.graded.conv_vae.layers import MODULE
from autograder.rubric import item

TOP_HINT = ("Take the variance of each latent dim over the samples (dim=0), then the indices of the k largest, "
            "largest variance first, as int64 indices (CONV.5a says which order it saw).")
TRAVERSE_HINT = ("Start from zero codes; set column dims[0] (and dims[1]) to the traversal values; for two dims, "
                 "code i * n + j holds value i in dims[0] and value j in dims[1] (row-major).")


@st.composite
def embeddings(draw):
    """(N, lat) codes whose columns are permutations of a few small integers, N a power of 2, so every
    variance is exact in float32 and equal columns are exact ties; plus k in 1..lat."""
    n = draw(st.sampled_from([4, 8, 16]))
    lat = draw(st.integers(2, 8))
    columns = []
    for _ in range(lat):
        if columns and draw(st.booleans()):  # an exact tie with an earlier column, shuffled and shifted
            base = draw(st.sampled_from(columns))
            order = draw(st.permutations(range(n)))
            columns.append([base[i] + 2 for i in order])
        else:
            columns.append(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n)))
    return torch.tensor(columns, dtype=torch.float32).T.contiguous(), draw(st.integers(1, lat))


@item("CONV.5a", 5, held_out=2)
@given(embeddings())
def test_top_variance_dims(gateway, draw, data):
    """top_variance_dims: the k highest-variance dims, largest first (any order among exact ties)"""
    emb, k = data
    repro = f"top_variance_dims(torch.tensor({emb.int().tolist()}).float(), k={k})"
    got = expect_tensor(gateway.call("conv_vae.top_variance_dims", emb, k), f"top_variance_dims(embeddings, k={k}) "
                        f"for embeddings of shape {tuple(emb.shape)}", (k,), TOP_HINT, repro)
    expect(got.dtype == torch.int64, "dtype of top_variance_dims", "torch.int64 indices", str(got.dtype),
           "Return the indices from torch.argsort / torch.topk (int64).", repro)
    var = np.var(emb.double().numpy(), axis=0, ddof=1)  # the oracle; exact for these integer codes
    idx = got.tolist()
    expect(len(set(idx)) == k and all(0 <= i < emb.shape[1] for i in idx), "indices from top_variance_dims",
           f"{k} distinct dims in 0..{emb.shape[1] - 1}", str(idx), TOP_HINT, repro)
    ranked = np.sort(var)[::-1][:k]
    expect(np.array_equal(var[idx], ranked), "variances of the returned dims, in order",
           f"{np.round(ranked, 4).tolist()} (largest first)", f"{np.round(var[idx], 4).tolist()}", TOP_HINT, repro)
    with_two = gateway.call("conv_vae.top_variance_dims", emb, 2)
    expect_defaults(gateway, "conv_vae.top_variance_dims", {"k": "2"}, lambda: expect(  # the default k
        torch.equal(gateway.call("conv_vae.top_variance_dims", emb), with_two), "top_variance_dims(embeddings)",
        f"the dims of top_variance_dims(embeddings, k=2), {with_two.tolist()}", "other dims", TOP_HINT, repro))


@item("CONV.5b", 4, held_out=1)
@given(st.integers(2, 12), st.floats(0.01, 0.4), st.floats(0.6, 0.99))
def test_traversal_values(gateway, draw, n, lo, hi):
    """traversal_values(n, lo, hi): standard-normal quantiles of n evenly spaced probabilities"""
    cases = [((n, lo, hi), norm.ppf(np.linspace(lo, hi, n)))]
    if not draw.held_out:  # the defaults, published; the twin checks the held-out examples only
        cases.insert(0, ((), norm.ppf(np.linspace(0.05, 0.95, 7))))
    for args, expected in cases:
        call = f"traversal_values({', '.join(map(repr, args))})"
        got = expect_tensor(gateway.call("conv_vae.traversal_values", *args), call, (len(expected),),
                            "Return one value per probability: a (n,) tensor.", call)
        assert_close(got, torch.from_numpy(expected), call,
                     f"Got {_rounded(got)}; the quantiles are {_rounded(expected)}. Map torch.linspace(lo, hi, n) "
                     "through the inverse normal CDF (torch.distributions.Normal(0, 1).icdf): quantiles, not the "
                     "probabilities themselves.", call)


def _rounded(values) -> list:
    return [round(float(v), 3) for v in values]


def traverse(gateway, lat, dims, n, d=28, by_default: bool = False):
    """Run latent_traversal on the grader's identity decoder (``by_default``: without ``n``, whose default is the
    contract's 7); returns (codes it decoded (M, lat), requires_grad, the call as text)."""
    decoder = gateway.trusted("autograder.probes:identity_decoder", lat, d)
    shown = dims if isinstance(dims, list) else repro_tensor(dims)
    call = f"latent_traversal(decoder, {lat}, {shown}{'' if by_default else f', n={n}'})"
    out = gateway.trusted("autograder.probes:call_requires_grad", MODULE, "latent_traversal", decoder, lat, dims,
                          *(() if by_default else (n,)), label="conv_vae.latent_traversal")
    m = n ** len(dims)
    images = expect_tensor(out["value"], call, (m, 1, d, d),
                           f"Return one decoded image per value{' pair' if m > n else ''}, stacked along dim 0.", call)
    return images.flatten(1)[:, :lat], out["requires_grad"], call


def values(gateway, n):
    """Accepted traversal values: the grader's quantiles, or the submission's own traversal_values(n)."""
    accepted = [torch.from_numpy(norm.ppf(np.linspace(0.05, 0.95, n))).float()]
    try:
        own = gateway.call("conv_vae.traversal_values", n)
        if isinstance(own, torch.Tensor) and own.shape == (n,):
            accepted.append(own.float())
    except SubmissionError:
        pass
    return accepted


def check_codes(codes, expected, call):
    """codes (M, lat) equal one of the expected layouts (a list of (M, lat) tensors built from accepted values)."""
    for exp in expected:
        if torch.allclose(codes, exp, rtol=1e-4, atol=1e-5):
            return
    exp = expected[0]
    bad = (~torch.isclose(codes, exp, rtol=1e-4, atol=1e-5)).any(1)
    row = int(bad.nonzero()[0])

    def sparse(z):  # the non-zero entries of one code, {dim: value}
        return {int(j): round(float(z[j]), 3) for j in z.nonzero().flatten()}

    raise AssertionError(f"{call}: {int(bad.sum())} of {codes.shape[0]} decoded codes differ from the expected ones. "
                         f"Code {row}: expected non-zero dims {sparse(exp[row])}, got {sparse(codes[row])}. "
                         f"{TRAVERSE_HINT} Reproduce: {call}")


def traversal_cases(draw, published: tuple, n_dims: int, max_n: int) -> tuple:
    """(lat, dims, n) of the traversal items: ``published`` on the public run; held out, as many cases of the
    same kind (dims a list of ints, as the contract says) with lat in n_dims..16, distinct dims and n in 2..max_n."""
    if not draw.held_out:
        return published
    gen = draw.generator(0)
    cases = []
    for _ in published:
        lat = int(torch.randint(n_dims, 17, (1,), generator=gen))
        dims = torch.randperm(lat, generator=gen)[:n_dims].tolist()
        n = int(torch.randint(2, max_n + 1, (1,), generator=gen))
        cases.append((lat, dims, n))
    return tuple(cases)


@item("CONV.5c", 4, held_out=1)
def test_traversal_one_dim(gateway, draw):
    """latent_traversal, one dim: n images, only that dim set, to each value in order; no gradient"""
    published = ((16, [3], 7), (5, [0], 4), (16, [15], 7))
    for lat, dims, n in traversal_cases(draw, published, 1, 9):
        codes, requires_grad, call = traverse(gateway, lat, dims, n)
        expected = []
        for v in values(gateway, n):
            z = torch.zeros(n, lat)
            z[:, int(dims[0])] = v
            expected.append(z)
        check_codes(codes, expected, call)
        expect(not requires_grad, f"requires_grad of {call}", "False (decoded without gradient tracking)", "True",
               "Decode without tracking gradients (the contract says: no gradient): traversals are for looking, "
               "not for training.", call)
    if not draw.held_out:  # the default n, published
        expect_defaults(gateway, "conv_vae.latent_traversal", {"n": "7"},
                        lambda: traverse(gateway, 16, [3], 7, by_default=True))


@item("CONV.5d", 5, held_out=2)
def test_traversal_two_dims(gateway, draw):
    """latent_traversal, two dims: n*n images, row-major over (dims[0], dims[1])"""
    published = ((16, [2, 9], 7), (6, [4, 1], 3), (16, [11, 0], 4))
    for lat, dims, n in traversal_cases(draw, published, 2, 7):
        codes, _, call = traverse(gateway, lat, dims, n)
        expected = []
        for v in values(gateway, n):
            z = torch.zeros(n, n, lat)
            z[:, :, int(dims[0])] = v[:, None]
            z[:, :, int(dims[1])] = v[None, :]
            expected.append(z.reshape(n * n, lat))
        check_codes(codes, expected, call)
