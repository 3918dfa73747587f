"""Recognising a submitted model's architecture from its behaviour, in the grading parent.

Which side computes what: the worker does two things only, through
``autograder.probes``: it lists the shapes of the submitted model's parameters
(registration order) and copies tensors the parent chose into them (and, for
smoke runs, returns its trained parameters). Everything else happens here, in
the parent: it draws the weights and the inputs, asks the submitted model for
its outputs, and recomputes them with its own rebuild of the contract's layers
(``architecture.py``, ``specs.py``). A model passes only if some way of reading
its parameters as the contract's layers reproduces what it computed for weights
and inputs it could not know in advance. A worker that lies about its shapes
must then compute the contract's function itself; one that hides a 256-unit
layer behind 512 reported units cannot, because the parent's weights use all 512.

``Rebuilt`` is a submitted model's own weights read through the recognised
layout and variants: a parent-side model with ``encode``/``decode`` that the
smoke items evaluate, so no verdict rests on outputs the worker reports after
training.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from autograder.architecture import (
    Layout,
    Spec,
    Variant,
    check_shapes,
    layouts,
    shapes_text,
    slot_shape,
)
from autograder.checks import TOLERANCES
from autograder.threads import one_thread

# -- matching outputs ----------------------------------------------------------------------------------------


def as_outputs(value) -> tuple | None:
    """A method's result as a tuple of tensors (a lone tensor is a 1-tuple); None if it is not tensors."""
    if isinstance(value, torch.Tensor):
        return (value,)
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return tuple(value)
    return None


def close(got: tuple, want: tuple) -> bool:
    """Every output within the float32 tolerance of the parent's rebuild."""
    rtol, atol = TOLERANCES[torch.float32]
    return len(got) == len(want) and all(
        g.shape == w.shape and g.is_floating_point() and bool(torch.isfinite(g).all())
        and torch.allclose(g.double(), w.double(), rtol=rtol, atol=atol) for g, w in zip(got, want))


def variants(spec: Spec, method: str) -> list:
    """The contract's variant, then every variant that deviates in one choice the method uses, then in two."""
    base, names = spec.contract, spec.uses[method]
    out = [base]
    for c in names:
        out += [base.replace(**{c: o}) for o in spec.choices[c][1:]]
    for a, b in itertools.combinations(names, 2):
        out += [base.replace(**{a: oa, b: ob}) for oa in spec.choices[a][1:] for ob in spec.choices[b][1:]]
    return out


def random_tensors(shapes: list, seed: int) -> list:
    """Weights of the given shapes, drawn by the parent: uniform in +-1/sqrt(fan-in) like PyTorch's layers,
    biases uniform in +-0.5 so that every hidden unit is active for some inputs and idle for others."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for s in shapes:
        fan_in = math.prod(s[1:]) if len(s) > 1 else 0
        bound = 1 / math.sqrt(fan_in) if fan_in else 0.5
        out.append((torch.rand(s, generator=gen) * 2 - 1) * bound)
    return out


@dataclass
class Match:
    """What the parent recognised in a model: the layout of its tensors and, per method, the variant."""

    spec: Spec
    layout: Layout | None
    found: dict               # method -> Variant (absent: no variant reproduced the outputs)
    got: dict                 # method -> outputs of the submitted model on the parent's inputs
    error: str = ""          # why no layout fits, when none does

    def variant(self, method: str) -> Variant | None:
        return self.found.get(method)

    def ok(self, method: str) -> bool:
        v = self.found.get(method)
        return v is not None and self.spec.is_contract(v, method)


def recognise(gateway, handle, spec, calls: dict, seed: int = 0) -> Match:
    """Load parent-drawn weights into ``handle``, run ``calls`` (method -> inputs tuple) on it and find the
    layout and, per method, the variant that reproduce every output. ``handle`` is changed: use a fresh one.
    ``spec`` is a ``Spec`` or a function of the parameter shapes that returns one (for sizes the item does
    not judge, such as a hidden width, so that a wrong width costs only the item on widths)."""
    shapes = check_shapes(gateway.trusted("autograder.probes:parameter_shapes", handle,
                                          label="listing your model's parameters"))
    if not isinstance(spec, Spec):
        spec = spec(shapes)
    found_layouts = layouts(spec, shapes)
    if not found_layouts:
        return Match(spec, None, {}, {}, shapes_text(shapes))
    tensors = random_tensors(shapes, seed)
    gateway.trusted("autograder.probes:load_parameters", handle, tensors, label="loading weights into your model")
    got = {method: as_outputs(_call(handle, method, inputs)) for method, inputs in calls.items()}
    weights = [layout.weights(tensors, spec.dtype) for layout in found_layouts]

    def reproduces(i: int, method: str, v: Variant, rows: slice) -> bool:
        try:
            want = spec.forward[method](weights[i], v, *(t[rows].to(spec.dtype) for t in calls[method]))
        except RuntimeError:
            return False
        return close(tuple(g[rows] for g in got[method]), want)

    # Per method, the variants in order (the contract, then one deviation, then two), each tried on every
    # layout: the first variant that some layout reproduces wins, with the layouts that reproduce it. The
    # search looks at the first input row only (a batch costs as many times more); what it finds is then
    # checked on the whole batch.
    hits = {}
    with one_thread():
        for method in calls:
            if got[method] is None or any(g.dim() == 0 or g.shape[0] != calls[method][0].shape[0]
                                          for g in got[method]):
                continue
            for v in variants(spec, method):
                on = {i for i in range(len(found_layouts)) if reproduces(i, method, v, slice(0, 1))}
                on = {i for i in on if reproduces(i, method, v, slice(None))}
                if on:
                    hits[method] = (v, on)
                    break
    # One layout for all methods: the first that reproduces the most of them.
    best = max(range(len(found_layouts)), key=lambda i: (sum(i in on for _, on in hits.values()), -i))
    found = {m: v for m, (v, on) in hits.items() if best in on}
    return Match(spec, found_layouts[best], found, got)


def _call(handle, method: str, inputs: tuple):
    target = handle
    for part in method.split(".")[:-1]:
        target = target.get(part)
    return target.call(method.split(".")[-1], *inputs)


def rebuild(spec: Spec, match: Match, tensors: list) -> "Rebuilt":
    """The submitted model with weights ``tensors`` (its own, pulled from the worker) as a parent model.
    When they cannot be read as the spec's layers, every method of the result fails, saying why."""
    shapes = [tuple(t.shape) for t in tensors]
    if match.layout is None:
        return Rebuilt(spec, {}, {}, f"the model's parameters are not the layers {spec.describe()} "
                                     f"({match.error}), so the grader cannot evaluate its training; see the layer items.")
    if [slot_shape(spec, s) for s in match.layout.slots] != shapes:
        return Rebuilt(spec, {}, {}, f"the trained model's parameters do not have the shapes of a fresh one "
                                     f"({shapes_text(shapes)}).")
    return Rebuilt(spec, match.layout.weights([t.detach() for t in tensors], spec.dtype), match.found)


class Rebuilt:
    """A submitted model rebuilt in the parent: ``encode``/``decode``/... run the spec's forward on the
    model's own weights with the variant recognised for each method; outputs are float32 like the model's."""

    def __init__(self, spec: Spec, weights: dict, found: dict, problem: str = ""):
        self.spec, self.weights, self.found, self.problem = spec, weights, found, problem

    def run(self, method: str, *inputs):
        if self.problem:
            raise AssertionError(self.problem)
        variant = self.found.get(method)
        if variant is None:
            raise AssertionError(f"{method}: the grader could not reproduce what your model computes, so it cannot "
                                 f"evaluate the trained weights; fix the layer items first ({self.spec.title}).")
        with torch.no_grad(), one_thread():
            out = self.spec.forward[method](self.weights, variant, *(t.to(self.spec.dtype) for t in inputs))
        out = tuple(o.float() for o in out)
        return out[0] if len(out) == 1 else out

    def __getattr__(self, method: str):
        if method.startswith("_") or method not in self.spec.forward:
            raise AttributeError(method)
        return lambda *inputs: self.run(method, *inputs)

    def get(self, part: str):
        """The sub-module ``part`` ("encoder") as a callable running "<part>.forward"."""
        return lambda *inputs: self.run(f"{part}.forward", *inputs)


def expect_variant(match: Match, method: str, call: str, layers_item: str, hint: str) -> Variant:
    """The variant recognised for ``method``; fails, pointing at the item on the layers, when none was."""
    variant = match.variant(method)
    if variant is None:
        raise AssertionError(
            f"{call} with weights the grader loaded: expected the outputs of the layers of {layers_item}, got "
            f"outputs the grader cannot reproduce with them. {hint} The grader recognises activations from the "
            f"layers' outputs, so fix {layers_item} first.")
    return variant


def expect_layers(match: Match, call: str, hint: str, methods: tuple | None = None) -> None:
    """Fail unless the model's parameters read as the spec's layers and every one of ``methods`` (default:
    all that were called) was reproduced by some variant; the variant's activations are other items' concern."""
    spec = match.spec
    if match.layout is None:
        raise AssertionError(
            f"parameters of {call}: expected the layers {spec.describe()}, each with a bias "
            f"({spec.n_params():,} parameters; one joint Linear for two heads is fine), got {match.error}. {hint}")
    for method in methods or tuple(match.got):
        if match.got.get(method) is None:
            raise AssertionError(f"{call}.{method}: expected tensors, got something else. {hint}")
        if method not in match.found:
            raise AssertionError(
                f"{call}.{method} with weights and inputs the grader chose: expected the outputs of "
                f"{spec.describe()} (with ReLU between layers), got values that no arrangement of your parameters "
                f"as those layers reproduces, with any common activation. {hint}")
