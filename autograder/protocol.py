"""Wire format between the grading parent and the worker.

Frames are an 8-byte big-endian length followed by a ``torch.save`` payload.
The parent decodes the worker's frames with ``torch.load(weights_only=True)``,
so a hostile worker can send tensors and plain containers but never objects
that run code when unpickled.
"""
from __future__ import annotations

import io
import os
import struct

import torch

HEADER = struct.Struct(">Q")
MAX_FRAME = 512 * 1024 * 1024  # bytes; a larger announced frame is a protocol error


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


def handle_ref(handle_id: int, type_name: str) -> dict:
    return {"__handle__": handle_id, "__type__": type_name}


def is_handle_ref(obj) -> bool:
    return isinstance(obj, dict) and "__handle__" in obj
