"""The one wire format between the grading parent and the worker; both sides import it.

Frames are an 8-byte big-endian length followed by a ``torch.save`` payload.
The parent decodes the worker's frames with ``torch.load(weights_only=True)``,
so a hostile worker can send tensors and plain containers but never objects
that run code when unpickled. ``check_reply`` then bounds what arrived before
any grading code touches it: nesting depth, number of values, elements and
bytes of every tensor as it would be once materialised (a stride-0 tensor of a
huge size is a few bytes on the wire); tensors that pass are made contiguous
copies, so no view into a forged storage reaches the oracles.

Before the parent decodes a reply, ``check_archive`` reads the frame's zip
directory without inflating anything: ``torch.load`` would expand a DEFLATE
record to whatever size it declares, so a few megabytes on the wire could
become gigabytes in the parent. A reply must be what ``torch.save`` writes:
stored (uncompressed) records that lie inside the frame, one after another,
whose local headers agree with the central directory, few of them, and a
bounded pickle. So no record of a reply that passes is larger than the frame.

A request is a dict with an ``op`` (``worker.py`` lists them); a reply is
``{"value": ...}`` or ``{"error": {"kind", "type", "message", "where"}}``, and
the worker's first frame is ``{"ready": pid, "layers": [...]}``. While a request
is in flight the worker may also send ``{"callback": name, ...}`` frames, which
the parent answers with ``{"answer": True, ...}`` on the request pipe
(``callbacks.py``: the grader's functions, computed in the parent). Values are
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
import zipfile

import torch

HEADER = struct.Struct(">Q")
# Bytes of one frame, either way; a larger announced frame is a protocol error. Measured grading all five
# reference solutions: replies reach 4.7 MB (1,497 reconstructed digits), requests 12.6 MB (256 faces sent to
# the worker). 64 MB is 13x the largest reply and 5x the largest request.
MAX_FRAME = 64 * 1024 * 1024
# Caps on one decoded reply. The largest honest replies are batches of reconstructions
# (1,797 digits x 784 pixels, or a few hundred 3 x 64 x 64 faces): a few million elements.
MAX_TENSOR_ELEMENTS = 32 * 1024 * 1024
MAX_REPLY_BYTES = 256 * 1024 * 1024   # all tensors of one reply, materialised
MAX_VALUES = 100_000                  # containers, tensors, numbers and strings in one reply
MAX_DEPTH = 32
MAX_STRING = 1024 * 1024
# Caps on one reply's archive, checked before it is decoded (check_archive). Measured on the same
# grading: at most 20 records and a data.pkl of at most 1,210 bytes.
MAX_RECORDS = 1024                    # records: torch.save writes 6 plus one per tensor storage
MAX_PICKLE = 2 * 1024 * 1024          # bytes of data.pkl (structure, numbers, strings): room for MAX_STRING


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


def encode(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getvalue()
    return HEADER.pack(len(payload)) + payload


def decode(payload: bytes, strict: bool = False):
    """The object ``payload`` (a ``torch.save`` archive) holds. With ``strict`` (the parent reading a reply)
    ``check_archive`` vets it first, so nothing is inflated or allocated beyond the frame's own size."""
    if strict:
        check_archive(payload)
    try:
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as exc:  # noqa: BLE001 - anything unreadable (MemoryError included) is a protocol error
        raise ProtocolError(f"unreadable frame: {type(exc).__name__}: {exc}") from None


# The zip structures check_archive reads (little-endian, as the zip format has them).
_EOCD = struct.Struct("<4s4H2LH")             # end of central directory: 22 bytes, then the comment
_ZIP64_LOCATOR = struct.Struct("<4sLQL")      # 20 bytes just before the end record
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")     # zip64 end of central directory: 56 bytes
_LOCAL = struct.Struct("<4s5H3L2H")           # a record's local header: 30 bytes, then its name and extra
_DESCRIPTOR = struct.Struct("<4s3L")          # crc and sizes after a record's data (flag bit 3): 16 bytes
_CENTRAL_ENTRY_MAX = 512                      # bytes of one central directory entry (46 + name + extra)


def check_archive(payload: bytes) -> None:
    """ProtocolError unless ``payload`` is a zip as ``torch.save`` writes it, with nothing to inflate.

    Read before ``torch.load`` touches the payload, from the directory only (``zipfile`` parses the central
    directory and inflates nothing until a member is read): the record count (at most ``MAX_RECORDS``, taken
    from the end record before the directory is parsed), every record STORED (compression method 0) with its
    compressed size equal to its size, no encryption, every record's local header agreeing with the central
    directory (signature, method, flags, name and, in its header or in the data descriptor after the data,
    crc and sizes), the records lying in order inside the frame without overlapping (a zip bomb's trick) and
    before the directory, one ``data.pkl`` of at most ``MAX_PICKLE`` bytes. Costs a few microseconds per
    record; allocates at most the directory's size."""
    size = len(payload)
    if size < _EOCD.size:
        raise ProtocolError(f"a reply of {size} bytes is too short for a torch.save archive")
    sig, disk, cd_disk, _, count, cd_size, cd_offset, comment = _EOCD.unpack_from(payload, size - _EOCD.size)
    if sig != b"PK\x05\x06" or comment:
        raise ProtocolError("the reply is not a torch.save archive (no zip end record at its end)")
    end = size - _EOCD.size  # where the directory (or the zip64 end record) must end
    if size >= _EOCD.size + _ZIP64_LOCATOR.size:
        lsig, _, eocd64, _ = _ZIP64_LOCATOR.unpack_from(payload, end - _ZIP64_LOCATOR.size)
        if lsig == b"PK\x06\x07":
            if eocd64 + _ZIP64_EOCD.size > end - _ZIP64_LOCATOR.size:
                raise ProtocolError("the reply's zip64 end record lies outside the archive")
            classic = (count, cd_size, cd_offset)
            (sig64, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset) = _ZIP64_EOCD.unpack_from(payload, eocd64)
            if sig64 != b"PK\x06\x06":
                raise ProtocolError("the reply's zip64 locator points at no zip64 end record")
            if any(old not in (new, 0xFFFF if i == 0 else 0xFFFFFFFF)  # torch's reader reads the classic one
                   for i, (old, new) in enumerate(zip(classic, (count, cd_size, cd_offset)))):
                raise ProtocolError("the reply's two zip end records disagree about its directory")
            end = eocd64
    if disk or cd_disk:
        raise ProtocolError("the reply is a multi-part zip archive")
    if count > MAX_RECORDS:
        raise ProtocolError(f"the reply's archive holds {count:,} records (at most {MAX_RECORDS:,} are read)")
    if cd_offset + cd_size != end or cd_size > count * _CENTRAL_ENTRY_MAX:
        raise ProtocolError(f"the reply's zip directory ({cd_size:,} bytes at {cd_offset:,}) does not end where "
                            f"its end record is ({end:,}) or is too long for {count} records")
    try:
        infos = zipfile.ZipFile(io.BytesIO(payload)).infolist()
    except Exception as exc:  # noqa: BLE001 - BadZipFile, struct and unicode errors: all unreadable
        raise ProtocolError(f"the reply's zip directory is unreadable: {type(exc).__name__}: {exc}") from None
    if len(infos) != count or len({i.filename for i in infos}) != count:
        raise ProtocolError(f"the reply's zip directory lists {len(infos)} records where its end record says "
                            f"{count}, or repeats a name")
    pickles = [i for i in infos if i.filename.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise ProtocolError(f"the reply's archive holds {len(pickles)} data.pkl records; torch.save writes one")
    if pickles[0].file_size > MAX_PICKLE:
        raise ProtocolError(f"the reply's data.pkl is {pickles[0].file_size:,} bytes (at most {MAX_PICKLE:,} are read)")
    position, total = 0, 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        name = info.filename
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise ProtocolError(f"record {name!r} of the reply is compressed (method {info.compress_type}, "
                                f"{info.compress_size:,} bytes for {info.file_size:,}); torch.save stores records")
        if info.flag_bits & 0x41:  # encrypted or strongly encrypted
            raise ProtocolError(f"record {name!r} of the reply is encrypted")
        offset = info.header_offset
        if offset < position or offset + _LOCAL.size > cd_offset:
            raise ProtocolError(f"record {name!r} of the reply starts at {offset:,}, inside an earlier record "
                                f"(which ends at {position:,}) or past the directory ({cd_offset:,})")
        lsig, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack_from(payload, offset)
        start = offset + _LOCAL.size + name_len + extra_len
        stop = start + info.file_size
        stored_name = payload[offset + _LOCAL.size: offset + _LOCAL.size + name_len]
        if (lsig != b"PK\x03\x04" or method != info.compress_type or flags != info.flag_bits
                or stored_name != info.orig_filename.encode("utf-8" if flags & 0x800 else "cp437", "replace")):
            raise ProtocolError(f"the local header of record {name!r} of the reply disagrees with the zip directory")
        if flags & 0x08:  # sizes in a data descriptor after the data, as torch.save writes them
            if stop + _DESCRIPTOR.size > cd_offset:
                raise ProtocolError(f"record {name!r} of the reply runs past the zip directory")
            dsig, crc, csize, usize = _DESCRIPTOR.unpack_from(payload, stop)
            if dsig != b"PK\x07\x08":
                raise ProtocolError(f"record {name!r} of the reply has no data descriptor where its size ends")
            stop += _DESCRIPTOR.size
        if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size) or stop > cd_offset:
            raise ProtocolError(f"record {name!r} of the reply declares {usize:,} bytes where the zip directory "
                                f"says {info.file_size:,}, or runs past the directory")
        position, total = stop, total + info.file_size
    if total > size:
        raise ProtocolError(f"the reply's records add up to {total:,} bytes, more than its {size:,}")


def write_frame(fd: int, obj, wait=None) -> None:
    """Write ``obj`` as one frame. ``wait(fd)`` blocks until ``fd`` can take more or raises (TimeoutError):
    given it, ``fd`` must be non-blocking, so that a reader that stops reading cannot hold the writer."""
    data = encode(obj)
    view = memoryview(data)
    while view:
        if wait is not None:
            wait(fd)
        try:
            n = os.write(fd, view)
        except BlockingIOError:  # the pipe filled between the wait and the write
            continue
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


def read_frame(fd: int, wait=None, strict: bool = False):
    """The next frame's object; ``strict`` (the parent reading a reply) vets the archive first (``decode``)."""
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size, wait))
    if size > MAX_FRAME:
        raise ProtocolError(f"a frame of {size:,} bytes announced (at most {MAX_FRAME:,} are read)")
    return decode(read_exact(fd, size, wait), strict)


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
            try:
                return o.detach().contiguous().clone()
            except (MemoryError, RuntimeError) as exc:  # the parent's ceiling (limits.limit_parent_memory)
                raise ProtocolError(f"a tensor of shape {tuple(o.shape)} did not fit in the grader's memory "
                                    f"({type(exc).__name__})") from None
        if isinstance(o, str) and len(o) > MAX_STRING:
            raise ProtocolError(f"a string of {len(o):,} characters")
        if isinstance(o, (list, tuple)):
            items = [walk(v, depth + 1) for v in o]
            return items if isinstance(o, list) else tuple(items)
        if isinstance(o, dict):
            return {walk(k, depth + 1): walk(v, depth + 1) for k, v in o.items()}
        return o

    return walk(obj, 0)
