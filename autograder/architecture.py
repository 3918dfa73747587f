"""The contract's architectures, rebuilt in the grading parent and matched against behaviour.

Which side computes what: the worker does two things only, through
``autograder.probes``: it lists the shapes of the submitted model's parameters
(registration order) and copies tensors the parent chose into them. Everything
else happens here, in the parent: the parent draws the weights and the inputs,
asks the submitted model for its outputs, and recomputes those outputs with its
own rebuild of the contract's layers. A model passes only if some way of
reading its parameters as the contract's layers (which tensor is which layer,
a joint head split in two) reproduces what it computed for weights and inputs
it could not know in advance. A worker that lies about its shapes must then
compute the contract's function itself; one that hides a 256-unit layer behind
512 reported units cannot, because the parent's random weights use all 512.

``Spec`` is one architecture: its layers (with the widths the contract fixes),
which of them may be fused into one joint layer, which may be absent, and a
parent-side ``forward`` per method. A ``Variant`` names how a submission may
deviate (another activation, the label left out); variants the contract
accepts (``[y, x]`` for ``[x, y]``) count as the contract.

``Rebuilt`` is a submitted model's weights read through the matched layout and
variant: a parent-side model with ``encode``/``decode`` (and ``sample``) that
the smoke items evaluate, so no verdict rests on outputs the worker reports
after training.
"""
from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from autograder.checks import TOLERANCES

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
    ``weights`` maps "layer.weight" / "layer.bias" to float64 tensors. ``choices`` lists, per choice, the
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

    def n_params(self, with_optional: bool = False) -> int:
        return sum(math.prod(l.weight) + l.bias[0] for l in self.layers
                   if with_optional or l.name not in self.optional)

    def describe(self) -> str:
        return ", ".join(l.text() for l in self.layers if l.name not in self.optional)

    def is_contract(self, variant: Variant, method: str | None = None) -> bool:
        names = self.uses[method] if method else self.choices
        return all(variant[c] == self.choices[c][0] or variant[c] in self.accepted.get(c, ()) for c in names)


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


def _slot_shape(spec: Spec, slot) -> tuple:
    layer = {l.name: l for l in spec.layers}[slot[0][0]]
    rows = sum(p[2] for p in slot)
    return (rows,) + (layer.weight[1:] if slot[0][1] == "weight" else ())


def layouts(spec: Spec, shapes: list) -> list:
    """Every ``Layout`` that reads tensors of ``shapes`` (registration order) as the spec's layers."""
    found = []
    for slots in _slot_sets(spec):
        want = [_slot_shape(spec, s) for s in slots]
        if sorted(want) != sorted(shapes):
            continue
        by_shape: dict = {}
        for slot, shape in zip(slots, want):
            by_shape.setdefault(shape, []).append(slot)
        positions = {}
        for i, shape in enumerate(shapes):
            positions.setdefault(shape, []).append(i)
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
    """The worker's list of parameter shapes, validated: a list of tuples of positive ints, bounded."""
    if not isinstance(reply, (list, tuple)) or len(reply) > MAX_PARAMETERS:
        raise AssertionError(f"parameters of the model: expected a list of at most {MAX_PARAMETERS} shapes, "
                             f"got {type(reply).__name__}" + (f" of length {len(reply)}" if isinstance(reply, (list, tuple)) else ""))
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


@contextlib.contextmanager
def one_thread():
    """Run the parent's rebuilds on one thread: they are small, and two threads on cores the worker is
    using take ~10x longer than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


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
    if [_slot_shape(spec, s) for s in match.layout.slots] != shapes:
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
