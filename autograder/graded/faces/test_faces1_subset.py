"""FACES.1 (8 points): celeba_subset, a reproducible random subset of a dataset.

The dataset handed to the student is ``probes.range_dataset(size)``, whose item i is i, so the
grader can read back which examples the Subset holds. The worker seeds torch's global generator
before every call (the ``seed=`` of the gateway, here the "call seed"); the ``seed`` argument of
celeba_subset is passed positionally and varied on its own.
"""
import math

import torch

from autograder.checks import expect, expect_defaults, fail
from autograder.errors import SubmissionError
from autograder.rubric import item

HINT = ("Draw n distinct positions from the whole dataset (without replacement), with a generator seeded from "
        "seed, and wrap them in torch.utils.data.Subset.")
SEED_HINT = ("Seed a generator of your own from `seed` (torch.Generator().manual_seed(seed) or "
             "numpy.random.default_rng(seed)) and draw from the whole dataset (all len(dataset) positions), "
             "not only from the first n.")
# (len(dataset), n, seed): n well above sqrt(size) so that drawing with replacement repeats an index
# with probability > 1 - 1e-7; n == size (the whole set, shuffled); a single example.
CASES = [(100, 60, 0), (100, 100, 1), (7, 3, 2), (1000, 1, 12345)]


def between(gen, low: int, high: int) -> int:
    """A random int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def cases(draw) -> list:
    """FACES.1a's (len(dataset), n, seed): ``CASES`` published; a twin draws each kind anew. Its first n is at
    least 6 sqrt(size), so drawing with replacement repeats an index with probability above
    1 - exp(-n (n - 1) / (2 size)) > 1 - 3e-8, as for the published (100, 60)."""
    if not draw.held_out:
        return CASES
    gen = draw.generator(0)
    big, whole, small = between(gen, 60, 400), between(gen, 20, 200), between(gen, 2, 10)
    sizes_and_n = [(big, between(gen, math.ceil(6 * big ** 0.5), big)), (whole, whole),
                   (small, between(gen, 1, small)), (between(gen, 500, 5000), 1)]
    return [(size, n, between(gen, 0, 2**31 - 1)) for size, n in sizes_and_n]


def subset_of(gateway, size: int, n: int, seed: int, call_seed: int = 0) -> dict:
    """celeba_subset(range_dataset(size), n, seed) with the global generator seeded to call_seed,
    described by ``probes.subset_info``."""
    data = gateway.trusted("autograder.probes:range_dataset", size, label=f"a dataset of length {size}")
    subset = gateway.call("faces.celeba_subset", data, n, seed, seed=call_seed)
    return gateway.trusted("autograder.probes:subset_info", subset, data, label="reading your Subset")


def repro(size: int, n: int, seed: int) -> str:
    return f"dataset = [0, 1, ..., {size - 1}] (item i is i); celeba_subset(dataset, n={n}, seed={seed})"


def indices_of(info: dict, what: str, rep: str) -> list:
    """The positions a Subset holds, or a failure saying why there are none."""
    expect(info["is_subset"], what, "a torch.utils.data.Subset", info["type"], HINT, rep)
    expect(info["indices"] is not None, f"the indices of the Subset returned by {what}", "a sequence of ints",
           info["error"], HINT, rep)
    return info["indices"]


@item("FACES.1a", 3, held_out=1)
def test_subset_distinct_in_range(gateway, draw):
    """celeba_subset returns a Subset of n distinct indices, all inside the dataset"""
    for size, n, seed in cases(draw):
        what, rep = f"celeba_subset(dataset, n={n}, seed={seed}) for a dataset of length {size}", repro(size, n, seed)
        info = subset_of(gateway, size, n, seed)
        idx = indices_of(info, what, rep)
        outside = [i for i in idx if not 0 <= i < size]
        expect(not outside, f"indices of {what}", f"every index in [0, {size})",
               f"{len(outside)} outside, e.g. {outside[:3]}", HINT, rep)
        expect(len(idx) == n and info["len"] == n, f"size of the Subset returned by {what}", f"{n} examples",
               f"len(subset) = {info['len']}, {len(idx)} indices", "Keep exactly n indices.", rep)
        repeats = n - len(set(idx))
        expect(repeats == 0, f"indices of {what}", f"{n} distinct indices",
               f"{repeats} repeated ones, e.g. {sorted(i for i in set(idx) if idx.count(i) > 1)[:3]}",
               "Draw without replacement (a random permutation cut to n), not torch.randint. " + HINT, rep)
        expect(not info["error"] and info["of_dataset"] and info["items"] == idx,
               f"examples of the Subset returned by {what}", "subset[k] == dataset[indices[k]] for the given dataset",
               info["error"] or "a Subset of another object",
               "Wrap the dataset you were given: Subset(dataset, indices).", rep)
    if not draw.held_out:  # the defaults, published
        expect_defaults(gateway, "faces.celeba_subset", {"n": "50000", "seed": "0"}, lambda: expect(
            digest(gateway) == digest(gateway, 50000, 0) != "",
            f"celeba_subset(dataset) for a dataset of length {DEFAULT_SIZE}",
            "the subset of celeba_subset(dataset, n=50000, seed=0)", "another one", HINT))


DEFAULT_SIZE = 60_000  # more than the default n


def digest(gateway, *arguments) -> str:
    """``probes.subset_digest`` of celeba_subset(dataset, *arguments) for a dataset of ``DEFAULT_SIZE`` examples."""
    data = gateway.trusted("autograder.probes:range_dataset", DEFAULT_SIZE, label=f"a dataset of length {DEFAULT_SIZE}")
    return gateway.trusted("autograder.probes:subset_digest", gateway.call("faces.celeba_subset", data, *arguments),
                           label="reading your Subset")


def seeded_case(draw) -> tuple:
    """FACES.1b's (len(dataset), n, seed, other seeds, two call seeds): 500, 50, 3, (4, 5, 6), (0, 12345)
    published; a twin draws 200-1,000 examples, n of 20 to a quarter of them, and distinct seeds."""
    call_seeds = (draw.seed(0), draw.seed(12345))
    if not draw.held_out:
        return 500, 50, 3, (4, 5, 6), call_seeds
    gen = draw.generator(3)
    size = between(gen, 200, 1000)
    seeds = [int(s) for s in torch.randperm(2**20, generator=gen)[:4]]
    return size, between(gen, 20, size // 4), seeds[0], tuple(seeds[1:]), call_seeds


@item("FACES.1b", 3, held_out=1)
def test_subset_seeded(gateway, draw):
    """celeba_subset is repeatable for one seed (whatever torch's global RNG state) and changes with the seed"""
    size, n, seed, others, (call_seed, other_call_seed) = seeded_case(draw)
    what = f"celeba_subset(dataset, n={n}, seed={seed}) for a dataset of length {size}"
    first = indices_of(subset_of(gateway, size, n, seed, call_seed=call_seed), what, repro(size, n, seed))
    again = indices_of(subset_of(gateway, size, n, seed, call_seed=other_call_seed), what, repro(size, n, seed))
    expect(again == first, f"{what}, called twice with torch's global generator in two different states",
           "the same indices both times", f"{len(set(first) & set(again))} of {n} in common", SEED_HINT,
           repro(size, n, seed) + ", after torch.manual_seed(0) and after torch.manual_seed(12345)")
    # For a correct sampler two seeds give the same 50-of-500 set with probability 1 / C(500, 50) < 1e-69
    # (a twin's n-of-size set: below 1 / C(200, 20) < 1e-27). The same call seed as the first draw, so that a
    # sampler that ignores `seed` for torch's global generator gives the same set again.
    for other in others:
        idx = indices_of(subset_of(gateway, size, n, other, call_seed=call_seed), what, repro(size, n, other))
        expect(set(idx) != set(first), f"celeba_subset(dataset, n={n}, seed={other}) against seed={seed}",
               "a different set of examples", f"the same {n} examples (e.g. {sorted(first)[:5]} ...)", SEED_HINT,
               repro(size, n, other))


# Words of an error message that says what is wrong: torch, numpy and random.sample phrase it so.
CLEAR_WORDS = ("larger", "exceed", "population", "size", "len", "more than", "too many", "greater", "bigger",
               "only", "n =", "n=")


@item("FACES.1c", 2)  # no twin: it checks that an error is raised (and that n == len(dataset) is no error)
def test_subset_too_large(gateway):
    """celeba_subset raises a clear error when n exceeds the dataset (and n == len(dataset) works)"""
    size = 10
    try:
        info = subset_of(gateway, size, size, 0)
    except SubmissionError as err:
        if err.kind != "raised":
            raise
        fail(f"celeba_subset(dataset, n={size}, seed=0) for a dataset of length {size}",
             "the whole dataset, shuffled", f"{err.exc_type}: {err.message}",
             "Only n > len(dataset) is an error; n == len(dataset) keeps every example.", repro(size, size, 0))
    expect(info["len"] == size, f"celeba_subset(dataset, n={size}, seed=0) for a dataset of length {size}",
           f"{size} examples", f"{info['len']}", HINT, repro(size, size, 0))
    n = size + 5
    data = gateway.trusted("autograder.probes:range_dataset", size, label=f"a dataset of length {size}")
    try:
        result = gateway.call("faces.celeba_subset", data, n, 0)
    except SubmissionError as err:
        if err.kind != "raised":
            raise
        text = err.message.lower()
        clear = str(n) in text or str(size) in text or any(w in text for w in CLEAR_WORDS)
        expect(clear, f"the error raised for n={n} > len(dataset)={size}", "a message naming n or the dataset size",
               f"{err.exc_type}: {err.message!r}",
               "Say what is wrong, e.g. raise ValueError(f'n={n} exceeds len(dataset)={len(dataset)}').",
               repro(size, n, 0))
        return
    info = gateway.trusted("autograder.probes:subset_info", result, data, label="reading your Subset")
    fail(f"celeba_subset(dataset, n={n}, seed=0) for a dataset of length {size}", "an error (ValueError)",
         f"a {info['type']} of length {info['len']}",
         "Check n against len(dataset) first and raise ValueError: silently returning fewer examples hides the "
         "mistake.", repro(size, n, 0))
