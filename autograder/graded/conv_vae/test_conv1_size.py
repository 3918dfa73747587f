"""CONV.1 (8 points): conv_output_size, the side left after unpadded convolutions."""
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks import expect
from autograder.graded.conv_vae.layers import side
from autograder.rubric import item

HINT = ("An unpadded, stride-1 convolution with kernel k trims k - 1 pixels from each side length, "
        "so n_layers of them give d - n_layers * (k - 1).")


def check(gateway, d, k, n_layers=None):
    args = (d, k) if n_layers is None else (d, k, n_layers)
    call = f"conv_output_size({', '.join(map(str, args))})"
    got = gateway.call("conv_vae.conv_output_size", *args)
    expected = side(d, k, 2 if n_layers is None else n_layers)
    expect(isinstance(got, int) and not isinstance(got, bool), f"type of {call}", "an int", type(got).__name__,
           "Layer widths must be Python ints (the side after the convolutions), not a float or a tensor.", call)
    expect(got == expected, call, expected, got, HINT, call)


@item("CONV.1a", 4, held_out=1)
@given(st.integers(1, 7).flatmap(lambda k: st.tuples(st.integers(2 * (k - 1) + 1, 64), st.just(k))))
def test_two_layers(gateway, draw, dk):
    """conv_output_size(d, k): the side after the encoder's two convolutions (24 for d=28, k=3)"""
    if not draw.held_out:  # the published example; the twin checks the held-out examples only
        check(gateway, 28, 3)
    check(gateway, *dk)


@item("CONV.1b", 4, held_out=1)
@given(st.integers(1, 5), st.integers(1, 7), st.integers(0, 40))
def test_n_layers(gateway, draw, n_layers, k, extra):
    """conv_output_size(d, k, n_layers) honours n_layers: d - n_layers * (k - 1)"""
    check(gateway, n_layers * (k - 1) + 1 + extra, k, n_layers)
