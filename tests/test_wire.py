"""The wire between the grading parent and the worker, from the parent's side: what it decodes, how long it
writes, how much memory it may take.

A reply is vetted before ``torch.load`` sees it (``protocol.check_archive``): only an archive as
``torch.save`` writes it, with stored records that lie inside the frame, passes, so nothing is inflated or
allocated beyond the frame's own size. Writes to the worker have a deadline (``WorkerProcess.send``), so a
worker that stops reading cannot hang the grader. The parent has a memory ceiling of its own
(``limits.limit_parent_memory``), and a reply that does not fit under it is a failed item, not a crash.
The honest twin of ``tests/hostile_native/stalled_pipe.py`` keeps full marks: a background thread that waits
with the GIL released costs nothing.
"""
import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import torch

from autograder import isolation, protocol
from autograder.worker_process import WorkerProcess

ROOT = Path(__file__).resolve().parent.parent
DEFLATE_CASE = ROOT / "tests/hostile_native/deflate_reply.py"


def payload_of(obj) -> bytes:
    """``obj`` as torch.save writes it: the payload of a frame (no length header)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


REPLY = {"value": [torch.randn(784, 512), torch.arange(10), 3.5, "text", {"mu": torch.zeros(16, 2)}]}


def central_entry(payload: bytes, name: str) -> int:
    """The offset of record ``name``'s entry in the zip directory of ``payload``."""
    at = payload.index(b"PK\x01\x02")
    while True:
        name_len, extra_len, comment_len = struct.unpack_from("<3H", payload, at + 28)
        if payload[at + 46: at + 46 + name_len].decode().endswith(name):
            return at
        at += 46 + name_len + extra_len + comment_len


def patched(payload: bytes, at: int, fmt: str, *values) -> bytes:
    data = bytearray(payload)
    struct.pack_into(fmt, data, at, *values)
    return bytes(data)


@pytest.fixture
def no_torch_load(monkeypatch):
    """Fail the test if a payload reaches torch.load: a refused archive must be refused before decoding."""
    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was reached: the archive check let the payload through")

    monkeypatch.setattr(protocol.torch, "load", refuse)


def refused(payload: bytes, match: str | None) -> str:
    """The ProtocolError message for ``payload``, checking that the check allocated little on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(protocol.ProtocolError, match=match) as info:
            protocol.decode(payload, strict=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"the check allocated {peak:,} bytes before refusing; expected under 1 MiB"
    return str(info.value)


# -- the archive check -------------------------------------------------------------------------------


def test_a_stored_reply_passes_and_decodes():
    payload = payload_of(REPLY)
    protocol.check_archive(payload)
    got = protocol.decode(payload, strict=True)["value"]
    assert torch.equal(got[0], REPLY["value"][0]) and got[2:4] == [3.5, "text"]


def test_a_deflated_bomb_is_refused_before_inflating(no_torch_load):
    """The hostile case's frame: 3.5 MB declaring a 3.6 GB record of zeros."""
    spec = importlib.util.spec_from_file_location("deflate_reply", DEFLATE_CASE)
    case = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(case)
    frame = case.forged_frame()
    assert len(frame) < 8 * 2**20, f"the forged frame is {len(frame):,} bytes; expected a few MB"
    message = refused(frame[protocol.HEADER.size:], "compressed")
    assert "3,600,000,000" in message, message


def test_an_honest_payload_rezipped_with_deflate_is_refused(no_torch_load):
    source = zipfile.ZipFile(io.BytesIO(payload_of(REPLY)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as rezipped:
        for info in source.infolist():
            rezipped.writestr(info.filename, source.read(info))
    refused(out.getvalue(), "compressed")


@pytest.mark.parametrize("keep", [lambda n: n // 2, lambda n: n - 1, lambda n: 100], ids=["half", "but-one", "100"])
def test_a_truncated_payload_is_refused(no_torch_load, keep):
    payload = payload_of(REPLY)
    refused(payload[: keep(len(payload))], None)


def test_bytes_before_the_archive_are_refused(no_torch_load):
    """A prefix shifts every offset (zipfile would accept it as a self-extracting archive)."""
    refused(b"\0" * 64 + payload_of(REPLY), None)


def test_a_directory_that_lies_about_sizes_is_refused(no_torch_load):
    payload = payload_of(REPLY)
    at = central_entry(payload, "data/0")
    refused(patched(payload, at + 20, "<2L", 2**31, 2**31), None)  # compressed and uncompressed size
    refused(patched(payload, at + 24, "<L", 2**31), "compressed")  # uncompressed size only


def test_a_local_header_that_disagrees_with_the_directory_is_refused(no_torch_load):
    payload = payload_of(REPLY)
    offset = zipfile.ZipFile(io.BytesIO(payload)).getinfo("archive/data/0").header_offset
    refused(patched(payload, offset + 8, "<H", 8), "local header")  # method DEFLATE in the local header only
    refused(patched(payload, offset + 30, "<4s", b"ARCH"), "local header")  # another name


def test_two_entries_on_one_record_are_refused(no_torch_load):
    """Overlapping records, the way zip bombs reuse one compressed stream many times."""
    payload = payload_of(REPLY)
    first = zipfile.ZipFile(io.BytesIO(payload)).getinfo("archive/data/0").header_offset
    refused(patched(payload, central_entry(payload, "data/1") + 42, "<L", first), None)


def test_too_many_records_are_refused(no_torch_load):
    payload = payload_of({"value": [torch.full((1,), float(i)) for i in range(protocol.MAX_RECORDS)]})
    refused(payload, "records")


def test_end_records_that_undercount_or_disagree_are_refused(no_torch_load):
    """zipfile reads the zip64 end record, torch's reader the classic one first: the two must agree."""
    payload = payload_of(REPLY)
    end = len(payload) - 22
    refused(patched(payload, end + 8, "<2H", 2, 2), "disagree")  # the classic end record only
    zip64 = payload.rindex(b"PK\x06\x06")
    refused(patched(payload, zip64 + 24, "<2Q", 2, 2), None)  # the zip64 one only
    refused(patched(patched(payload, end + 8, "<2H", 2, 2), zip64 + 24, "<2Q", 2, 2), "lists")  # both


def test_a_huge_pickle_is_refused(no_torch_load):
    refused(payload_of({"value": "x" * (protocol.MAX_PICKLE + 1)}), "data.pkl")


def test_something_else_than_a_zip_is_refused(no_torch_load):
    refused(b"\x80\x04K\x01." + b"\0" * 40, "not a torch.save archive")


# -- the write deadline --------------------------------------------------------------------------------


def test_a_write_nobody_reads_times_out():
    """A pipe whose reader stopped: the write raises TimeoutError once its deadline passes, not later."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    worker = object.__new__(WorkerProcess)  # only its request pipe is needed
    worker.req_w = w
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            worker.send({"op": "call", "args": [torch.zeros(2**20)]}, timeout=0.5)  # 4 MB, the pipe takes 64 KB
        took = time.monotonic() - started
        assert 0.45 < took < 2.5, f"the write gave up after {took:.2f} s; expected about its 0.5 s deadline"
    finally:
        os.close(r)
        os.close(w)


def test_a_write_to_a_reader_finishes():
    """The control: the same write to a pipe that is read completes, frame intact."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    worker = object.__new__(WorkerProcess)
    worker.req_w = w
    got = {}
    reader = threading.Thread(target=lambda: got.update(frame=protocol.read_frame(r)))
    reader.start()
    try:
        worker.send({"op": "call", "args": [torch.arange(2**20)]}, timeout=30)
        reader.join(30)
        assert torch.equal(got["frame"]["args"][0], torch.arange(2**20))
    finally:
        os.close(r)
        os.close(w)


# -- the parent's memory ceiling -----------------------------------------------------------------------


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_the_parent_limit_is_set_and_holds():
    proc = run_python("""
        import resource
        from autograder.limits import Limits, limit_parent_memory
        hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
        value = limit_parent_memory(Limits(parent_memory_mb=256))
        print(value, resource.getrlimit(resource.RLIMIT_DATA) == (256 * 2**20, hard))
        small = bytearray(64 * 2**20)
        try:
            large = bytearray(512 * 2**20)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        print(limit_parent_memory())  # the default, or AUTOGRADER_PARENT_MEMORY_MB
    """, AUTOGRADER_PARENT_MEMORY_MB="3000")
    assert proc.stdout.split() == [str(256 * 2**20), "True", "MemoryError", str(3000 * 2**20)], proc.stdout


def test_a_reply_too_large_for_the_ceiling_is_a_protocol_error():
    """Under a ceiling just above what it holds, the parent reading a 40 MB reply fails the item
    (ProtocolError) instead of dying."""
    proc = run_python("""
        import os, threading, torch
        from autograder import protocol
        from autograder.limits import Limits, limit_parent_memory
        from autograder.clock import WorkerClock
        from autograder.worker_process import WorkerProcess
        frame = protocol.encode({"value": torch.ones(10 * 2**20)})
        r, w = os.pipe()
        writer = threading.Thread(target=lambda: os.write(w, frame) and None, daemon=True)
        data = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmData:")))
        limit_parent_memory(Limits(parent_memory_mb=data // 1024 + 48))
        writer.start()
        worker = object.__new__(WorkerProcess)
        worker.rep_r = r
        try:
            worker.receive(60, WorkerClock(os.getpid()).start())
            print("decoded")
        except protocol.ProtocolError as exc:
            print("ProtocolError:", exc)
    """)
    assert proc.stdout.startswith("ProtocolError:"), proc.stdout + proc.stderr[-2000:]


def test_workers_lift_the_parents_ceiling(tmp_path):
    """The worker inherits the parent's RLIMIT_DATA and resets it: its own limits are the ones that hold."""
    (tmp_path / "probe.py").write_text("import resource\n\ndef data_limit():\n"
                                       "    return list(resource.getrlimit(resource.RLIMIT_DATA))\n")
    proc = run_python(f"""
        import json, resource
        from autograder.gateway import Gateway
        from autograder.limits import Limits, limit_parent_memory
        limits = Limits()
        limit_parent_memory(Limits(parent_memory_mb=4000))
        with Gateway({str(tmp_path)!r}, limits) as gateway:
            print(json.dumps([gateway.call("probe.data_limit"), resource.getrlimit(resource.RLIMIT_DATA)]))
    """)
    worker, parent = json.loads(proc.stdout.splitlines()[-1])
    assert parent[0] == 4000 * 2**20, f"the parent's soft limit is {parent[0]}; expected 4000 MB"
    assert worker[0] == worker[1], f"the worker kept a soft limit below its hard one: {worker}; expected it lifted"


# -- the honest twin of stalled_pipe ---------------------------------------------------------------------

TWIN = '''

# A background thread that waits, with the GIL released: the honest twin of a stalled pipe.
import ctypes as _ctypes
import select as _select
import sys as _sys
import threading as _threading

_STARTED = []


def _request_fd():
    frame = _sys._getframe()
    while frame is not None and not (frame.f_code.co_name == "main" and "request_fd" in frame.f_locals):
        frame = frame.f_back
    return frame.f_locals["request_fd"] if frame is not None else None


def _wait(fd):
    if fd is not None:
        _select.select([fd], [], [])
    _ctypes.CDLL(None).sleep(1000)  # CDLL releases the GIL


def _start():
    if not _STARTED:
        _STARTED.append(_threading.Thread(target=_wait, args=(_request_fd(),), daemon=True))
        _STARTED[0].start()


_kl_divergence = kl_divergence


def kl_divergence(mu, logvar):
    _start()
    return _kl_divergence(mu, logvar)


_parameters = Autoencoder.parameters


def _parameters_with_thread(self, recurse=True):
    _start()
    return _parameters(self, recurse)


Autoencoder.parameters = _parameters_with_thread
'''


@pytest.mark.skipif(bool(isolation.kernel_layers_missing()), reason="this kernel lacks Landlock or seccomp")
def test_a_background_thread_that_releases_the_gil_keeps_full_marks(tmp_path):
    """The reference vae.py plus the stalled case's thread, waiting with the GIL released: every item run (the
    KL items and A.1a, which sends weights) keeps its points."""
    (tmp_path / "vae.py").write_text((ROOT / "solutions/vae.py").read_text() + TWIN)
    results = tmp_path / "results.json"
    env = {**os.environ, "AUTOGRADER_ISOLATION": "kernel"}
    proc = subprocess.run([sys.executable, "-m", "autograder", str(tmp_path), "-a", "vae", "-k", "kl or layer_shapes",
                           "--json", str(results)], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    graded = [t for t in json.loads(results.read_text())["tests"] if "max_score" in t]
    assert {t["tags"][1] for t in graded} >= {"A.1a", "B.1c", "B.1d", "B.1e"}, [t["name"] for t in graded]
    lost = [(t["name"], t.get("output", None)[:300]) for t in graded if t["score"] != t["max_score"]]
    assert not lost, f"the honest twin lost points: {lost}"


@pytest.mark.skipif(bool(isolation.kernel_layers_missing()), reason="this kernel lacks Landlock or seccomp")
def test_a_thread_holding_the_gil_while_weights_are_sent_cannot_hang_the_grader(tmp_path):
    """The same thread holding the GIL in its native sleep (PyDLL keeps it): the parent is sending A.1a's
    1.6 MB of weights when the worker stops reading. Grading ends, results.json is written, the stalled
    items earn nothing (before the write had a deadline, the parent blocked in it for good)."""
    hostile = TWIN.replace("_ctypes.CDLL(None).sleep(1000)  # CDLL releases the GIL",
                           "_ctypes.PyDLL(None).sleep(1000)  # PyDLL holds the GIL")
    assert hostile != TWIN
    (tmp_path / "vae.py").write_text((ROOT / "solutions/vae.py").read_text() + hostile)
    results = tmp_path / "results.json"
    env = {**os.environ, "AUTOGRADER_ISOLATION": "kernel", "AUTOGRADER_CALL_TIMEOUT": "5"}
    proc = subprocess.run([sys.executable, "-m", "autograder", str(tmp_path), "-a", "vae", "-k", "A.1a",
                           "--json", str(results)], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "stopped reading" in results.read_text(), data
