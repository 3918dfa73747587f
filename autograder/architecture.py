"""Architectures as the grading parent rebuilds them, and the ways a model's tensors can be read as them.

``Spec`` is one architecture the contract fixes (``specs.py`` builds them): its
layers with their widths, which of them may be fused into one joint layer (two
heads in one Linear, stacked or interleaved), which may be present and unused,
and a parent-side ``forward`` per method. A ``Variant`` names how a model may
deviate (another activation, the label left out); variants the contract
accepts (``[y, x]`` for ``[x, y]``) count as the contract. A ``Layout`` reads
a model's parameter tensors, in registration order, as the spec's layers;
``layouts`` lists every layout that fits the shapes a model reports.

Everything here runs in the parent; ``recognition.py`` uses it to judge a
submitted model from its outputs.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

MAX_PARAMETERS = 256              # tensors in one model, as listed by the worker
MAX_LAYOUTS = 5040                # ways of reading the tensors as layers, tried in order
MAX_ELEMENTS = 64 * 1024 * 1024   # elements of all parameters together

ACTIVATIONS: dict[str, Callable] = {
    "relu": torch.relu, "identity": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu, "softplus": F.softplus,
    "exp": torch.exp, "exp_half": lambda t: torch.exp(0.5 * t), "abs": torch.abs,
}


@dataclass(frozen=True)
class Layer:
    """One layer of the contract: a weight of ``weight`` shape and a bias of ``weight[bias_dim]`` elements.

    Linear: weight (out, in), bias (out,). Conv2d: (out, in, k, k). ConvTranspose2d: (in, out, k, k), bias (out,).
    """

    name: str
    weight: tuple
    bias_dim: int = 0

    @property
    def bias(self) -> tuple:
        return (self.weight[self.bias_dim],)

    def text(self) -> str:
        kind = "Linear" if len(self.weight) == 2 else "Conv2d" if self.bias_dim == 0 else "ConvTranspose2d"
        if kind == "Linear":
            return f"Linear({self.weight[1]}, {self.weight[0]})"
        a, b = (self.weight[1], self.weight[0]) if kind == "Conv2d" else self.weight[:2]
        return f"{kind}({a}, {b}, {self.weight[2]})"


@dataclass(frozen=True)
class Variant:
    """One reading of a model's behaviour: option per named choice (activations, inputs)."""

    options: tuple  # ((choice, option), ...) sorted

    @staticmethod
    def of(**options) -> "Variant":
        return Variant(tuple(sorted(options.items())))

    def __getitem__(self, choice: str) -> str:
        return dict(self.options)[choice]

    def replace(self, **options) -> "Variant":
        return Variant.of(**{**dict(self.options), **options})


@dataclass
class Spec:
    """An architecture the contract fixes, as the parent rebuilds it.

    ``forward[method](weights, variant, *inputs)`` returns the method's outputs as a tuple of tensors,
    ``weights`` maps "layer.weight" / "layer.bias" to tensors of ``dtype``. ``choices`` lists, per choice, the
    contract's option first, then the deviations the grader can name. ``accepted`` are options that are
    the same model written another way. ``uses`` says which choices a method depends on.
    """

    title: str
    layers: list
    forward: dict
    choices: dict
    uses: dict
    fusable: list = field(default_factory=list)   # tuples of Linear layer names with one input width
    optional: frozenset = frozenset()             # layers a model may have and not use
    accepted: dict = field(default_factory=dict)
    dtype: torch.dtype = torch.float64            # of the rebuild; float32 where float64 is slow (convolutions)

    @property
    def contract(self) -> Variant:
        return Variant.of(**{c: opts[0] for c, opts in self.choices.items()})

    def n_params(self) -> int:
        """Parameters of the layers a model must have (optional ones left out)."""
        return sum(math.prod(l.weight) + l.bias[0] for l in self.layers if l.name not in self.optional)

    def describe(self) -> str:
        return ", ".join(l.text() for l in self.layers if l.name not in self.optional)

    def is_contract(self, variant: Variant, method: str) -> bool:
        """``variant`` is the contract, or a form of it the contract accepts, in every choice ``method`` uses."""
        return all(variant[c] == self.choices[c][0] or variant[c] in self.accepted.get(c, ())
                   for c in self.uses[method])


# -- layouts: which submitted tensor is which layer ---------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """slots[i] = ((layer, "weight"|"bias", rows, how), ...): the layers' tensors that make tensor i, stacked
    along dim 0 one after the other (how "cat") or row by row in turn (how "interleave": a joint head read
    as ``out.view(B, code, 2)``)."""

    slots: tuple

    def weights(self, tensors: list, dtype: torch.dtype = torch.float64) -> dict:
        out = {}
        for parts, tensor in zip(self.slots, tensors):
            tensor = tensor.to(dtype)
            if parts[0][3] == "interleave":
                pieces = [tensor[j::len(parts)] for j in range(len(parts))]
            else:
                pieces = torch.split(tensor, [p[2] for p in parts], dim=0)
            for (name, kind, _, _), piece in zip(parts, pieces):
                out[f"{name}.{kind}"] = piece
        return out

    def tensors(self, weights: dict) -> list:
        """The inverse of ``weights``: the model's tensors, in its order, holding the layers' ``weights``."""
        out = []
        for parts in self.slots:
            pieces = [weights[f"{name}.{kind}"].float() for name, kind, _, _ in parts]
            if parts[0][3] == "interleave":
                out.append(torch.stack(pieces, dim=1).flatten(0, 1))
            else:
                out.append(torch.cat(pieces, dim=0))
        return out


def _slot_sets(spec: Spec):
    """Every way the spec's layers can appear as tensors: each fusable group fused or not (in any order,
    stacked or interleaved), each optional layer present or not. Yields lists of slots."""
    by_name = {l.name: l for l in spec.layers}
    optional = sorted(spec.optional)
    for present in itertools.product([True, False], repeat=len(optional)):
        absent = {n for n, p in zip(optional, present) if not p}
        groups = [tuple(n for n in g if n not in absent) for g in spec.fusable]
        groups = [g for g in groups if len(g) > 1]
        for fused in itertools.product([False, True], repeat=len(groups)):
            orders = [itertools.product(itertools.permutations(g), ("cat", "interleave")) if f else [(g, "")]
                      for g, f in zip(groups, fused)]
            for chosen in itertools.product(*orders):
                slots, done = [], set(absent)
                for group, f, (order, how) in zip(groups, fused, chosen):
                    if f:
                        for kind in ("weight", "bias"):
                            slots.append(tuple((n, kind, by_name[n].weight[0], how) for n in order))
                        done.update(group)
                for layer in spec.layers:
                    if layer.name not in done:
                        slots.append(((layer.name, "weight", layer.weight[0], "cat"),))
                        slots.append(((layer.name, "bias", layer.bias[0], "cat"),))
                yield slots


def slot_shape(spec: Spec, slot) -> tuple:
    layer = {l.name: l for l in spec.layers}[slot[0][0]]
    rows = sum(p[2] for p in slot)
    return (rows,) + (layer.weight[1:] if slot[0][1] == "weight" else ())


def layouts(spec: Spec, shapes: list) -> list:
    """Every ``Layout`` that reads tensors of ``shapes`` (registration order) as the spec's layers."""
    found, positions = [], {}
    for i, shape in enumerate(shapes):
        positions.setdefault(shape, []).append(i)
    for slots in _slot_sets(spec):
        want = [slot_shape(spec, s) for s in slots]
        if sorted(want) != sorted(shapes):
            continue
        by_shape: dict = {}
        for slot, shape in zip(slots, want):
            by_shape.setdefault(shape, []).append(slot)
        keys = sorted(by_shape)
        for perms in itertools.product(*(itertools.permutations(by_shape[k]) for k in keys)):
            assigned = [None] * len(shapes)
            for k, perm in zip(keys, perms):
                for i, slot in zip(positions[k], perm):
                    assigned[i] = slot
            found.append(Layout(tuple(assigned)))
            if len(found) >= MAX_LAYOUTS:
                return found
    return found


def check_shapes(reply) -> list:
    """The worker's list of parameter shapes, validated: a list of tuples of non-negative ints, bounded."""
    if not isinstance(reply, (list, tuple)) or len(reply) > MAX_PARAMETERS:
        length = f" of length {len(reply)}" if isinstance(reply, (list, tuple)) else ""
        raise AssertionError(f"parameters of the model: expected a list of at most {MAX_PARAMETERS} shapes, "
                             f"got {type(reply).__name__}{length}")
    shapes = []
    for s in reply:
        if not isinstance(s, (list, tuple)) or len(s) > 6 or not all(isinstance(v, int) and 0 <= v for v in s):
            raise AssertionError(f"parameters of the model: a shape that is not a tuple of sizes: {str(s)[:80]}")
        shapes.append(tuple(s))
    if sum(math.prod(s) for s in shapes) > MAX_ELEMENTS:
        raise AssertionError("parameters of the model: more than 64 million values; the contract's models "
                             "have under a million.")
    return shapes


def shapes_text(shapes: list) -> str:
    n = sum(math.prod(s) for s in shapes)
    listed = ", ".join(str(tuple(s)) for s in shapes[:12]) + (", ..." if len(shapes) > 12 else "")
    return f"{len(shapes)} tensors of shapes {listed or 'none'}: {n:,} parameters"
