"""Trusted helpers that run inside the worker, on submitted objects.

Called as ``gateway.trusted("autograder.probes:<name>", handle, ...)``.

Which side: they run in the worker, in the submission's own process, so
submitted code can replace them and what they return is a claim, never a
verdict. The parent uses them only where a lie cannot earn a point: to list
parameter shapes and load or pull weights (``recognition.py`` then judges the
layers from outputs on weights and inputs the parent drew, and the smoke items
evaluate pulled weights in the parent), to call a method twice without
reseeding, or to build stand-in objects (datasets, decoders) whose use the
parent checks from the values that come back.
"""
from __future__ import annotations

import torch
from torch import nn


def parameter_shapes(model: nn.Module) -> list:
    """The shape of every parameter, in registration order (``model.parameters()``)."""
    return [tuple(int(v) for v in p.shape) for p in model.parameters()]


def load_parameters(model: nn.Module, tensors: list) -> int:
    """Copy ``tensors`` into the parameters, in registration order; returns how many were loaded."""
    params = list(model.parameters())
    if len(params) != len(tensors):
        raise ValueError(f"expected {len(params)} tensors, got {len(tensors)}")
    with torch.no_grad():
        for p, t in zip(params, tensors):
            p.copy_(t)
    return len(params)


def parameters(model: nn.Module) -> list:
    """A float32 CPU copy of every parameter, in registration order."""
    return [p.detach().float().cpu().clone() for p in model.parameters()]


def call_twice(obj, method: str, *args) -> tuple:
    """Two calls of ``obj.<method>(*args)`` in a row, without reseeding in between."""
    fn = getattr(obj, method)
    return fn(*args), fn(*args)


def loss_reaches(model: nn.Module) -> list:
    """For each parameter: True if ``model.loss`` (a 0-d tensor stored by forward) depends on it. The graph is kept,
    so that the model's own backward can still run on it."""
    loss, params = getattr(model, "loss", None), list(model.parameters())
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad or not params:
        return [False] * len(params)
    grads = torch.autograd.grad(loss.sum(), params, retain_graph=True, allow_unused=True)
    return [g is not None for g in grads]


def param_grads(model: nn.Module) -> list:
    """For each parameter: True if its .grad is filled and finite, False otherwise."""
    return [p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in model.parameters()]


# -- conv_vae.py ---------------------------------------------------------------------------


class IdentityDecoder(nn.Module):
    """A stand-in decoder for traversals: image m holds its code z[m] in its first ``lat`` pixels
    (row-major), every other pixel 0; one parameter (a gain of 1) makes the output track gradients."""

    def __init__(self, lat: int, d: int):
        super().__init__()
        if d * d < lat:
            raise ValueError(f"a {d} x {d} image cannot hold {lat} latent values")
        self.lat, self.d = lat, d
        self.gain = nn.Parameter(torch.ones(()))
        self.batches = []  # shapes of the codes decoded, in call order

    def forward(self, z):
        self.batches.append(tuple(z.shape))
        pixels = torch.cat([z * self.gain, z.new_zeros(z.shape[0], self.d * self.d - z.shape[1])], dim=1)
        return pixels.view(-1, 1, self.d, self.d)


def identity_decoder(lat: int, d: int) -> IdentityDecoder:
    """An ``IdentityDecoder``: the grader reads the codes back from the first ``lat`` pixels of each image."""
    return IdentityDecoder(lat, d)


def call_requires_grad(module, name: str, *args) -> dict:
    """Call ``module.<name>(*args)``; returns {"value": result, "requires_grad": bool} (False for non-tensors)."""
    out = getattr(module, name)(*args)
    return {"value": out, "requires_grad": bool(isinstance(out, torch.Tensor) and out.requires_grad)}


def defaults(module, name: str) -> dict:
    """The default values of ``module.<name>``'s parameters (a class: its ``__init__``'s), as reprs by name; only
    to name a default in a message, never to judge (a None that the body replaces is as good as the value)."""
    import inspect

    target = getattr(module, name)
    try:
        signature = inspect.signature(target.__init__ if isinstance(target, type) else target)
    except (TypeError, ValueError):
        return {}
    return {p.name: repr(p.default)[:40] for p in signature.parameters.values() if p.default is not p.empty}


def set_attribute(obj, name: str, value):
    """``setattr(obj, name, value)``; returns ``obj``."""
    setattr(obj, name, value)
    return obj


def bare_instance(module, name: str):
    """An instance of class ``module.<name>`` whose own ``__init__`` did not run (an empty nn.Module
    for module classes), so methods that need no attributes can be graded on their own."""
    cls = getattr(module, name)
    obj = cls.__new__(cls)
    if isinstance(obj, nn.Module):
        nn.Module.__init__(obj)
    return obj


# -- faces.py ------------------------------------------------------------------------------

import operator  # noqa: E402


class RangeDataset(torch.utils.data.Dataset):
    """A map-style dataset of length n whose item i is the int i (plain ints, numpy ints and
    0-d integer tensors index it; anything out of range raises IndexError)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        i = operator.index(i)  # TypeError for floats and non-integer tensors
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for a dataset of length {self.n}")
        return i


def range_dataset(n: int) -> RangeDataset:
    """A ``RangeDataset`` of length n, to hand to ``celeba_subset``: its items name their own positions."""
    return RangeDataset(n)


def subset_digest(subset) -> str:
    """A sha256 of the positions a Subset holds, in order (a large Subset, whose positions a reply cannot carry);
    "" when ``subset`` is no Subset or its indices are no ints."""
    import hashlib

    try:
        indices = torch.as_tensor([int(i) for i in subset.indices], dtype=torch.int64)
    except Exception:  # noqa: BLE001 - whatever was returned, it is no Subset of positions
        return ""
    return hashlib.sha256(indices.numpy().tobytes()).hexdigest() if isinstance(subset, torch.utils.data.Subset) else ""


def subset_info(subset, dataset) -> dict:
    """What ``celeba_subset`` returned, as plain data.

    {"type", "is_subset", "len", "indices": positions in ``dataset`` (nested Subsets resolved),
    "of_dataset": whether they index ``dataset``, "items": [subset[k] for k], "error": str}.
    """
    info = {"type": type(subset).__qualname__, "is_subset": isinstance(subset, torch.utils.data.Subset),
            "len": None, "indices": None, "of_dataset": False, "items": None, "error": ""}
    try:
        info["len"] = len(subset)
        if info["is_subset"]:
            indices, base = [int(i) for i in subset.indices], subset.dataset
            while isinstance(base, torch.utils.data.Subset):  # a Subset of a Subset: positions in the base
                indices, base = [int(base.indices[i]) for i in indices], base.dataset
            info["indices"], info["of_dataset"] = indices, base is dataset
        info["items"] = [subset[k] for k in range(len(subset))]
    except Exception as exc:  # noqa: BLE001 - reported to the student by the item
        info["error"] = f"{type(exc).__name__}: {exc}"[:300]
    return info


def set_training(model: nn.Module, training: bool) -> bool:
    """Put ``model`` in training (True) or eval (False) mode with nn.Module's own ``train``, whatever the
    class defines under that name; returns the mode now set."""
    nn.Module.train(model, training)
    return model.training
