"""Assertions whose failure text a student can act on.

Every message says what was checked, expected vs got, what to look at, and a
short reproduction. Tolerances come from one table keyed by dtype.
"""
from __future__ import annotations

import torch

# (rtol, atol) by the precision the grader asks for, never by the dtype of the
# student's reply (a reply in bfloat16 must not buy itself a looser check). The
# contract's values are float32, so that is the default even though the oracles
# compute in float64; an item that sends float64 inputs may ask for float64.
# float32 sums over a few thousand terms carry ~1e-6 relative rounding error;
# 1e-4 leaves a wide margin while every bug in the catalogue is off by far more
# (>= 1e-2 relative).
TOLERANCES = {
    torch.float32: (1e-4, 1e-4),
    torch.float64: (1e-7, 1e-7),
}


def _summary(t) -> str:
    if not isinstance(t, torch.Tensor):
        return f"{type(t).__name__} {t!r}"[:120]
    if t.numel() == 1:
        return f"{t.item():.6g}" + ("" if t.dim() == 0 else f" (shape {tuple(t.shape)})")
    return f"tensor of shape {tuple(t.shape)}, {t.dtype}"


def _difference(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> str:
    """What differs between two tensors of one shape: how many values, the first few with their index, and the
    largest difference (the values, not the shape and dtype they share)."""
    a, e = actual.detach().double().flatten(), expected.detach().double().flatten()
    bad = ~torch.isclose(a, e, rtol=rtol, atol=atol)
    first = bad.nonzero().flatten()[:3].tolist()

    def index(i: int) -> str:
        return ", ".join(str(int(k)) for k in torch.unravel_index(torch.tensor(i), tuple(expected.shape))) \
            if expected.dim() > 1 else str(i)

    shown = "; ".join(f"at [{index(i)}] expected {e[i]:.6g}, got {a[i]:.6g}" for i in first)
    largest = float((a - e).abs()[bad].nan_to_num(float("inf")).max()) if bad.any() else 0.0
    return (f"{int(bad.sum())} of {e.numel()} values differ (shape {tuple(expected.shape)}): {shown}; largest "
            f"difference {largest:.3g}")


def fail(what: str, expected, got, hint: str = "", repro: str = "") -> None:
    parts = [f"{what}: expected {expected}, got {got}."]
    if hint:
        parts.append(hint)
    if repro:
        parts.append(f"Reproduce: {repro}")
    raise AssertionError(" ".join(parts))


def expect(condition: bool, what: str, expected, got, hint: str = "", repro: str = "") -> None:
    if not condition:
        fail(what, expected, got, hint, repro)


def observed_hint(got, expected, batch: int, elements: int, otherwise: str) -> str:
    """The hint for a wrong sum, chosen by what was observed: ``got`` as a mean over the ``batch`` (or over all
    ``elements``) of the ``expected`` sum, or with the opposite sign; else ``otherwise`` (the usual slips)."""
    got, expected = float(got), float(expected)

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-3 * max(1.0, abs(b))

    if abs(expected) > 1e-6:
        if batch > 1 and near(got, expected / batch):
            return (f"Your value is the expected sum divided by the batch size ({batch}): a mean over the batch. "
                    "Sum over the batch too; the trainer divides by the number of examples itself.")
        if elements > batch and near(got, expected / elements):
            return (f"Your value is the expected sum divided by the number of elements ({elements}): a mean. "
                    "Sum over the batch and every dimension.")
        if near(got, -expected):
            return "Your value has the opposite sign: this term is never negative and is added to the loss."
    return otherwise


def expect_scaled_bce(loss, p: torch.Tensor, x: torch.Tensor, what: str, depends: str) -> None:
    """The precondition of a "finite at p = 0 or 1" item: ``loss(p, x)`` is the summed BCE times one nonzero factor
    (a batch mean or a flipped sign keep it: they are the value items' concern), on the first half of the ordinary
    batch ``p``, ``x`` and on it with the targets p rounds to (a half-precision result is allowed its coarser
    rounding); otherwise the function is no BCE yet, its finiteness cannot be judged, and the item
    says it depends on ``depends``. A constant or a loss of another kind fails here, so it earns nothing."""
    from autograder.oracles import bernoulli_nll

    half, ratios, tolerance = max(1, p.shape[0] // 2), [], 1e-3
    # the same batch against its own targets and against the targets p rounds to: same size, sums about three
    # times apart for any p, so a constant cannot match both
    for target in (x[:half], (p[:half] > 0.5).to(x.dtype)):
        got, exact = loss(p[:half], target), float(bernoulli_nll(p[:half], target))
        ratios.append(float(got) / exact if isinstance(got, torch.Tensor) and got.numel() == 1 else float("nan"))
        if isinstance(got, torch.Tensor) and got.is_floating_point():  # a half-precision result rounds coarser
            tolerance = max(tolerance, 4 * torch.finfo(got.dtype).eps)
    a, b = ratios
    ok = all(r == r and abs(r) < float("inf") for r in ratios) and abs(a) > 1e-6 and abs(a - b) <= tolerance * abs(a)
    expect(ok, f"{what} on two ordinary batches", "the summed binary cross-entropy times one fixed factor",
           f"{a:.4g} x and {b:.4g} x the BCE", f"Its finiteness at p = 0 or 1 is judged once it computes a BCE: fix "
           f"{depends} first.")


def expect_parts(value, count: int, what: str, names: str, hint: str = "", repro: str = "") -> tuple:
    """``value`` holds ``count`` results (``names``, e.g. "recon, mu, logvar"): a tuple or a list, alike (the
    contract's one rule for several returned tensors, docs/contract.md); returns them as a tuple."""
    is_sequence = isinstance(value, (tuple, list))
    if not (is_sequence and len(value) == count):
        got = type(value).__name__ + (f" of length {len(value)}" if is_sequence else "")
        fail(what, f"{count} values ({names}), as a tuple or a list", got,
             hint or f"Return {names}, in that order.", repro)
    return tuple(value)


def expect_tensor(value, what: str, shape=None, hint: str = "", repro: str = "") -> torch.Tensor:
    """``value`` is a tensor (of ``shape`` when given); returns it."""
    if not isinstance(value, torch.Tensor):
        fail(what, "a torch.Tensor" + (f" of shape {tuple(shape)}" if shape is not None else ""),
             f"{type(value).__name__}", hint or "Return a tensor, as the docstring says.", repro)
    if shape is not None and tuple(value.shape) != tuple(shape):
        default = ("A loss is one 0-d tensor: sum over the batch and every dimension." if tuple(shape) == () else
                   "Check the layer widths, and keep the batch dimension first." if value.dim() > 0 else
                   "A 0-d value came back: return the whole tensor, not a reduction of it.")
        fail(what, f"shape {tuple(shape)}", f"shape {tuple(value.shape)}", hint or default, repro)
    return value


def assert_close(actual, expected: torch.Tensor, what: str, hint: str = "", repro: str = "",
                 precision: torch.dtype = torch.float32) -> None:
    """``actual`` matches the oracle ``expected`` within the tolerance of ``precision`` (float32 or float64)."""
    actual = expect_tensor(actual, what, expected.shape, repro=repro)
    if not actual.is_floating_point():
        fail(what, f"a floating-point tensor like {_summary(expected)}", f"dtype {actual.dtype}", hint, repro)
    rtol, atol = TOLERANCES[precision]

    def msg(stats: str) -> str:
        if actual.numel() == 1:
            head = f"{what}: expected {_summary(expected)}, got {_summary(actual)}."
        else:
            head = f"{what}: {_difference(actual, expected, rtol, atol)}."
        tail = (f" {hint}" if hint else "") + (f" Reproduce: {repro}" if repro else "")
        return head + tail

    torch.testing.assert_close(actual.to(expected.dtype), expected, rtol=rtol, atol=atol,
                               check_dtype=False, msg=msg)


def repro_tensor(t: torch.Tensor) -> str:
    """A short, copy-pasteable description of an input tensor."""
    if t.numel() <= 40:
        return f"torch.tensor({[round(v, 4) for v in t.flatten().tolist()]}).reshape{tuple(t.shape)}"
    return f"<{tuple(t.shape)} tensor, mean {t.float().mean():.3g}, std {t.float().std():.3g}>"


def expect_learns(metrics: dict, model: str, fall_hint: str, bound: float | None = None, what: str = "",
                  bound_hint: str = "") -> None:
    """A smoke-trained ``model`` learned: its training loss fell (``train_first`` -> ``train_last``) and,
    when ``bound`` is given, its test loss ``what`` (per image) is below it."""
    expect(metrics["train_last"] < metrics["train_first"], f"training loss of {model}", "falling",
           f"{metrics['train_first']:.1f} -> {metrics['train_last']:.1f} nats per image", fall_hint)
    if bound is not None:
        expect(metrics["test_loss"] < bound, what, f"below {bound:.1f} nats per image",
               f"{metrics['test_loss']:.1f}", bound_hint)


def expect_defaults(gateway, target: str, contract: dict, check) -> None:
    """Run ``check()``, which judges ``target`` ("cvae.CVAE", "conv_vae.top_variance_dims") called with its default
    arguments; when it fails, say that the defaults are part of the contract (``contract``: parameter -> the repr
    of its default) and name the declared defaults that differ. Behaviour is judged, never the declaration: a None
    that the body replaces by the contract's value is as good as the value."""
    from autograder import protocol

    try:
        check()
    except AssertionError as err:
        module, name = target.split(".")
        declared = gateway.trusted("autograder.probes:defaults", protocol.module_ref(module), name, label=target)
        declared = declared if isinstance(declared, dict) else {}
        differ = [f"{k}={declared[k]}" for k, v in contract.items() if k in declared and declared[k] != v]
        wanted = ", ".join(f"{k}={v}" for k, v in contract.items())
        raise AssertionError(f"{str(err).rstrip('.')}. With its default arguments, {name} must do what "
                             f"{name}({wanted}) does: the defaults are part of the contract"
                             + (f"; yours say {', '.join(differ)}" if differ else "") + ".") from err
