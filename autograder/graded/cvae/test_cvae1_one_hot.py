"""CVAE.1 (10 points): one_hot."""
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import expect, expect_tensor
from autograder.rubric import item

HINT = ("one_hot(labels, n_classes) is a float32 (B, n_classes) tensor: row i has a single 1.0, at column labels[i], "
        "and n_classes columns whatever labels holds.")


@st.composite
def labels_and_classes(draw, fixed_classes=None):
    """(labels (B,) int64 in [0, n), n): n = fixed_classes, or drawn from 2..20 when None."""
    n = fixed_classes or draw(st.integers(2, 20))
    labels = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40))
    return torch.tensor(labels, dtype=torch.int64), n


def check_one_hot(got, labels, n, call):
    got = expect_tensor(got, call, (labels.numel(), n),
                        f"The result has one row per label and n_classes columns, whatever labels occur. {HINT}",
                        call)
    expected = F.one_hot(labels, n)
    wrong = (got.double() != expected.double()).any(dim=1)
    if wrong.any():
        i = int(wrong.nonzero()[0])
        raise AssertionError(f"{call}: row {i} (label {int(labels[i])}): expected {expected[i].tolist()}, "
                             f"got {got[i].tolist()}; {int(wrong.sum())} of {labels.numel()} rows differ. {HINT} "
                             f"Reproduce: {call}")


@item("CVAE.1a", 4, held_out=1)
@given(labels_and_classes(fixed_classes=10))
def test_one_hot_values(gateway, draw, case):
    """one_hot(labels) equals F.one_hot(labels, 10): one row per label, a single 1 at the label's column"""
    labels, n = case
    check_one_hot(gateway.call("cvae.one_hot", labels), labels, n, f"one_hot(torch.tensor({labels.tolist()}))")


def dtype_labels(draw):
    """The labels of CVAE.1b: [3, 0, 9, 1] published; held out, 4 to 12 labels in [0, 10) one of which is 9,
    so that F.one_hot(labels) has 10 columns too (the width is CVAE.1a and 1c's, not this item's)."""
    if not draw.held_out:
        return torch.tensor([3, 0, 9, 1])
    gen = draw.generator(0)
    labels = torch.randint(0, 10, (int(torch.randint(4, 13, (1,), generator=gen)),), generator=gen)
    labels[int(torch.randint(0, labels.numel(), (1,), generator=gen))] = 9
    return labels


@item("CVAE.1b", 3, held_out=1)
def test_one_hot_dtype(gateway, draw):
    """one_hot returns float32, ready to be concatenated with the float images"""
    labels = dtype_labels(draw)
    call = f"one_hot(torch.tensor({labels.tolist()}))"
    got = expect_tensor(gateway.call("cvae.one_hot", labels), call, (labels.numel(), 10))
    expect(got.dtype == torch.float32, "dtype of one_hot(labels)", "torch.float32", str(got.dtype),
           "F.one_hot returns int64: convert with .float(); torch.cat with float images needs float32.",
           f"{call}.dtype")
    ones = (got == 1).sum(dim=1)
    expect(bool(((got == 0) | (got == 1)).all() and (ones == 1).all()), f"values of {call}",
           "a single 1.0 per row, 0.0 elsewhere", f"rows with {sorted(set(ones.tolist()))} ones and values in "
           f"[{float(got.min()):.3g}, {float(got.max()):.3g}]", HINT, call)


@item("CVAE.1c", 3, held_out=1)
@given(labels_and_classes())
def test_one_hot_n_classes(gateway, draw, case):
    """one_hot(labels, n_classes) honours n_classes other than 10"""
    labels, n = case
    check_one_hot(gateway.call("cvae.one_hot", labels, n), labels, n,
                  f"one_hot(torch.tensor({labels.tolist()}), n_classes={n})")
