"""The one wire format between the grading parent and the worker; both sides import it.

Frames are an 8-byte big-endian length followed by a ``torch.save`` payload.
The parent decodes the worker's frames with ``torch.load(weights_only=True)``,
so a hostile worker can send tensors and plain containers but never objects
that run code when unpickled. ``check_reply`` then bounds what arrived before
any grading code touches it: nesting depth, number of values, elements and
bytes of every tensor as it would be once materialised (a stride-0 tensor of a
huge size is a few bytes on the wire); tensors that pass are made contiguous
copies, so no view into a forged storage reaches the oracles.

A request is a dict with an ``op`` (``worker.py`` lists them); a reply is
``{"value": ...}`` or ``{"error": {"kind", "type", "message", "where"}}``, and
the worker's first frame is ``{"ready": pid, "layers": [...]}``. Values are
tensors, numbers, strings and lists, tuples and dicts of them, plus two
references: ``handle_ref`` names an object that stays in the worker (the
parent holds it as ``gateway.Remote``) and ``module_ref`` a submitted module,
which trusted course code receives as the module itself. ``rebuild`` is the
one walk both sides use to swap references for what they stand for.
"""
from __future__ import annotations

import io
import os
import struct

import torch

HEADER = struct.Struct(">Q")
MAX_FRAME = 512 * 1024 * 1024  # bytes; a larger announced frame is a protocol error
# Caps on one decoded reply. The largest honest replies are batches of reconstructions
# (1,797 digits x 784 pixels, or a few hundred 3 x 64 x 64 faces): a few million elements.
MAX_TENSOR_ELEMENTS = 32 * 1024 * 1024
MAX_REPLY_BYTES = 256 * 1024 * 1024   # all tensors of one reply, materialised
MAX_VALUES = 100_000                  # containers, tensors, numbers and strings in one reply
MAX_DEPTH = 32
MAX_STRING = 1024 * 1024


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


def encode(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getvalue()
    return HEADER.pack(len(payload)) + payload


def decode(payload: bytes):
    try:
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as exc:  # noqa: BLE001 - anything unreadable is a protocol error
        raise ProtocolError(f"unreadable frame: {type(exc).__name__}: {exc}") from None


def write_frame(fd: int, obj) -> None:
    data = encode(obj)
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int, wait=None) -> bytes:
    """Read exactly ``n`` bytes; ``wait(fd)`` blocks until readable or raises."""
    chunks, got = [], 0
    while got < n:
        if wait is not None:
            wait(fd)
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, wait=None):
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size, wait))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes announced")
    return decode(read_exact(fd, size, wait))


HANDLE, TYPE, MODULE = "__handle__", "__type__", "__module__"  # the keys of the two references


def handle_ref(handle_id: int, type_name: str) -> dict:
    """The reference to worker object number ``handle_id`` of class ``type_name``."""
    return {HANDLE: handle_id, TYPE: type_name}


def is_handle_ref(obj) -> bool:
    return isinstance(obj, dict) and HANDLE in obj


def module_ref(name: str) -> dict:
    """The reference to submitted module ``name`` ("vae"), for trusted course code run in the worker."""
    return {MODULE: name}


def is_module_ref(obj) -> bool:
    return isinstance(obj, dict) and MODULE in obj and not is_handle_ref(obj)


def rebuild(obj, visit):
    """``obj`` with its lists, tuples and dicts rebuilt and every other value ``v`` replaced by
    ``visit(v)``; a handle or module reference counts as one value, not as a dict."""
    if is_handle_ref(obj) or is_module_ref(obj):
        return visit(obj)
    if isinstance(obj, list):
        return [rebuild(o, visit) for o in obj]
    if isinstance(obj, tuple):
        return tuple(rebuild(o, visit) for o in obj)
    if isinstance(obj, dict):
        return {k: rebuild(v, visit) for k, v in obj.items()}
    return visit(obj)


def submitted_module(request: dict) -> str | None:
    """The submitted module a ``call`` or ``new`` request runs ("vae" for "vae.Autoencoder"); None for
    trusted course code ("package.module:attr") and for requests on handles."""
    target = request.get("target", "")
    if request.get("op") in ("call", "new") and target and ":" not in target:
        return target.partition(".")[0]
    return None


def check_reply(obj):
    """``obj`` with every tensor materialised as a contiguous copy; ProtocolError when it exceeds the caps."""
    budget = {"values": 0, "bytes": 0}

    def walk(o, depth: int):
        budget["values"] += 1
        if budget["values"] > MAX_VALUES:
            raise ProtocolError(f"the reply holds more than {MAX_VALUES:,} values")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"the reply is nested more than {MAX_DEPTH} levels deep")
        if isinstance(o, torch.Tensor):
            numel = o.numel()
            size = numel * o.element_size()
            budget["bytes"] += size
            if numel > MAX_TENSOR_ELEMENTS:
                raise ProtocolError(f"a tensor of shape {tuple(o.shape)} ({numel:,} elements; the limit is "
                                    f"{MAX_TENSOR_ELEMENTS:,})")
            if budget["bytes"] > MAX_REPLY_BYTES:
                raise ProtocolError(f"tensors of more than {MAX_REPLY_BYTES // 2**20} MB in one reply")
            return o.detach().contiguous().clone()
        if isinstance(o, str) and len(o) > MAX_STRING:
            raise ProtocolError(f"a string of {len(o):,} characters")
        if isinstance(o, (list, tuple)):
            items = [walk(v, depth + 1) for v in o]
            return items if isinstance(o, list) else tuple(items)
        if isinstance(o, dict):
            return {walk(k, depth + 1): walk(v, depth + 1) for k, v in o.items()}
        return o

    return walk(obj, 0)
