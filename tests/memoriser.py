"""A memorising submission: right on the calls the public items make, garbage on any other.

It stands for a student who pasted the printed inputs and expected values into a lookup table: its
answers equal the reference's on every call the public run made, and are random elsewhere. Built in
two steps: ``public_inputs`` grades the reference on the public runs of the items that have twins and
records, in the parent, every call the grader sent (its arguments' tensors and numbers, in order);
``write`` appends to the reference a wrapper around each of its functions and methods that answers
from the reference only for one of those calls (calls between the submission's own functions, and
those its constructors make, run as written).
"""
from __future__ import annotations

import hashlib
import inspect
import shutil
from pathlib import Path

import torch

from tests.variants import SOLUTIONS


def tensor_key(t) -> str:
    """A tensor's identity: dtype, shape and bytes (the same in the parent and in the worker)."""
    t = t.detach().cpu().contiguous()
    return hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode() + t.numpy().tobytes()).hexdigest()[:24]


def call_key(obj) -> str:
    """A call's identity: its arguments' tensors (by ``tensor_key``) and numbers, in order, inside lists,
    tuples and dicts; strings and objects (handles, models) left out."""
    def leaves(o):
        if isinstance(o, torch.Tensor):
            yield tensor_key(o)
        elif isinstance(o, (bool, int, float)):
            yield repr(o)
        elif isinstance(o, (list, tuple)):
            for item in o:
                yield from leaves(item)
        elif isinstance(o, dict):
            for item in o.values():
                yield from leaves(item)
    return "|".join(leaves(obj))


WRAPPER = '''

# ---- memorised: reference answers on the published inputs only --------------------------------
import functools as _functools
import hashlib as _hashlib

_GARBAGE = torch.Generator().manual_seed(12345)  # never reseeded by the grader's torch.manual_seed
_DEPTH = [0]


def _garbage(out):
    if isinstance(out, int) and not isinstance(out, bool):
        return out + int(torch.randint(1, 5, (1,), generator=_GARBAGE))
    if isinstance(out, float):
        return out * 1.5 + float(torch.rand(1, generator=_GARBAGE)) + 0.1
    if isinstance(out, torch.Tensor) and out.is_floating_point():  # wrong on every property, finiteness too
        bad = torch.rand(out.shape, generator=_GARBAGE, dtype=out.dtype) * 3 + 1
        bad.view(-1)[:1] = float("nan")
        return bad
    if isinstance(out, torch.Tensor):
        return torch.randint(0, 3, out.shape, generator=_GARBAGE, dtype=out.dtype)
    if isinstance(out, (tuple, list)):
        return type(out)(_garbage(o) for o in out)
    if out is None or isinstance(out, (bool, str)):
        return out
    raise LookupError("no memorised answer for these inputs")  # an object (a Subset, say) it cannot fake


def _memorised(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        outer = _DEPTH[0] == 0
        _DEPTH[0] += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
        key = _call_key((args, kwargs))
        if outer and key and key not in _PUBLIC:
            return _garbage(out)
        return out
    return wrapper


def _inner(fn):  # what a constructor calls is the submission's own doing: answered as written
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _DEPTH[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
    return wrapper


for _name, _obj in list(globals().items()):
    if getattr(_obj, "__module__", None) != __name__ or _name.startswith("_"):
        continue
    if inspect.isfunction(_obj):
        globals()[_name] = _memorised(_obj)
    elif inspect.isclass(_obj):
        for _attr, _method in list(vars(_obj).items()):
            if inspect.isfunction(_method) and not _attr.startswith("__"):
                setattr(_obj, _attr, _memorised(_method))
            elif inspect.isfunction(_method) and _attr == "__init__":
                setattr(_obj, _attr, _inner(_method))
'''


def public_inputs(assignment: str, tmp: Path, monkeypatch) -> set[str]:
    """``call_key`` of every call the grader sends while grading the reference on the public runs of
    ``assignment``'s items that have twins."""
    from autograder.api import grade
    from autograder.gateway import Gateway

    seen: set[str] = set()
    send = Gateway._send

    def recording(self, message, *args, **kwargs):
        seen.add(call_key((message.get("args"), message.get("kwargs"))))
        return send(self, message, *args, **kwargs)

    folder = tmp / "reference"
    folder.mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{assignment}.py", folder)
    with monkeypatch.context() as patch:
        patch.setattr(Gateway, "_send", recording)
        report = grade(folder, [assignment], keyword="published")
    assert report.items and all(i.passed for i in report.items), [i.message for i in report.items if not i.passed]
    return seen


def write(assignment: str, public: set[str], folder: Path) -> Path:
    """The memorising ``<assignment>.py`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    helpers = "\n\n".join(inspect.getsource(f) for f in (tensor_key, call_key))
    helpers = helpers.replace("tensor_key(", "_tensor_key(").replace("call_key(", "_call_key(")
    text = (SOLUTIONS / f"{assignment}.py").read_text()
    text += ("\n\nimport hashlib\nimport inspect\nimport torch\n\n" + helpers + f"\n\n_PUBLIC = {sorted(public)!r}\n"
             "_PUBLIC = set(_PUBLIC)\n" + WRAPPER)
    (folder / f"{assignment}.py").write_text(text)
    return folder
