"""The walls that hold without namespaces (Landlock + seccomp alone): the scratch folder's cap, System V
IPC, inotify and file timestamps.

Each hostile case of tests/hostile_native/ named here is graded in that mode, and what it printed (or left
on the machine) shows that the wall held; the scratch cap is also checked where the grader cannot mount a
tmpfs (the watched scratch), and honest twins that use the scratch folder keep full marks.
"""
import ctypes
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from autograder import isolation, scratch
from autograder.errors import SubmissionError
from autograder.gateway import Gateway
from autograder.limits import Limits
from tests.variants import SOLUTIONS, grade_one

ROOT = Path(__file__).resolve().parent.parent
NATIVE = Path(__file__).resolve().parent / "hostile_native"
IPC_KEY, POSIX_QUEUE = 0x4147B0B0, b"/autograder-hostile"  # sysv_ipc_left_behind.py's

missing = isolation.kernel_layers_missing()
pytestmark = pytest.mark.skipif(bool(missing), reason=f"this kernel lacks {missing}")


def case_source(case: str, tmp_path: Path) -> str:
    text = (NATIVE / f"{case}.py").read_text()
    for key, value in (("__ROOT__", str(ROOT)), ("__JSON__", str(tmp_path / "results.json")),
                       ("__SIBLING__", str(tmp_path / "sibling.py")), ("__PORT__", "9"),
                       ("__MARK__", "fallback-walls"), ("__OUT__", str(tmp_path / "out")),
                       ("__CANARY__", "canary_none.txt")):
        text = text.replace(key, value)
    return text


def grade_cli(case: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Grade a hostile case by the CLI without namespaces; returns the process and what the code printed."""
    sub, tmp = tmp_path / "sub", tmp_path / "tmp"
    for folder in (sub, tmp, tmp_path / "out"):
        folder.mkdir(parents=True)
    (sub / "vae.py").write_text(case_source(case, tmp_path))
    env = {**os.environ, "TMPDIR": str(tmp), "AUTOGRADER_ISOLATION": "kernel", "AUTOGRADER_NAMESPACES": "0",
           "AUTOGRADER_CALL_TIMEOUT": "5", "AUTOGRADER_TRAIN_TIMEOUT": "5", "AUTOGRADER_TOTAL_BUDGET": "40"}
    proc = subprocess.run([sys.executable, "-m", "autograder", str(sub), "-a", "vae", "-k", "kl", "--json",
                           str(tmp_path / "results.json")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == 0
    printed = "\n".join(t["output"] for t in data["tests"] if "printed" in t["name"]) + data["output"]
    return proc, printed


def gateway(folder: Path, **limits) -> Gateway:
    return Gateway(folder, Limits(isolation="kernel", namespaces=False, call_timeout=30, **limits))


@pytest.fixture
def watched(monkeypatch):
    """The scratch cap of a grader that may not mount: a plain folder, watched."""
    monkeypatch.setattr(scratch, "can_mount", lambda: False)


# -- the scratch cap -------------------------------------------------------------------
def test_fill_scratch_stays_under_the_cap(tmp_path):
    """The case aims at 2 GiB in 15 MB files: a tmpfs refuses writes past 256 MB; a watched folder has its
    worker stopped within a file or two past it."""
    proc, printed = grade_cli("fill_scratch", tmp_path)
    written = [int(n) for n in re.findall(r"scratch (?:bytes written|total): (\d+)", printed)]
    first, cap = proc.stdout.splitlines()[0], Limits().scratch_mb * 2**20
    if "scratch: tmpfs 256 MB" in first:
        assert written and max(written) <= cap, max(written, default=0) / 2**20
    else:
        assert "scratch: file size 16 MB and watched total 256 MB" in first, first
        assert written and max(written) <= cap + 32 * 2**20, max(written, default=0) / 2**20
    assert not [p for p in Path("/proc/self/mountinfo").read_text().splitlines() if str(tmp_path) in p]
    assert list((tmp_path / "tmp").glob("autograder-scratch-*")) == []


@pytest.mark.parametrize("case", ["fill", "held_open", "mapped"])
def test_watched_scratch_stops_the_worker(watched, tmp_path, case):
    """Without a tmpfs the parent counts the folder (and deleted files the worker holds open or mapped) and
    stops the worker past the cap; it overshoots by what the worker writes before the kill lands."""
    write = {
        "fill": "fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                "        os.write(fd, CHUNK)\n",
        "held_open": "fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                     "        os.write(fd, CHUNK)\n        os.unlink(path)\n        KEPT.append(fd)\n",
        "mapped": "fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)\n        os.ftruncate(fd, len(CHUNK))\n"
                  "        m = mmap.mmap(fd, len(CHUNK))\n        os.close(fd)\n        os.unlink(path)\n"
                  "        m[:] = CHUNK\n        KEPT.append(m)\n",
    }[case]
    (tmp_path / "vae.py").write_text(
        "import mmap, os, tempfile\nimport torch\nCHUNK, KEPT = b'x' * (15 * 2**20), []\n"
        "def kl_divergence(mu, logvar):\n    for i in range(40):\n"
        "        path = os.path.join(tempfile.gettempdir(), f'f{i}')\n"
        f"        {write}"
        "        print('scratch bytes written:', (i + 1) * len(CHUNK), flush=True)\n"
        "    return torch.tensor(0.0)\n")
    with gateway(tmp_path, scratch_mb=64) as gw:
        folder = gw.call("vae.tempfile.gettempdir")
        with pytest.raises(SubmissionError) as err:
            gw.call("vae.kl_divergence", torch.zeros(2), torch.zeros(2))
        assert err.value.kind == "crashed" and "past the scratch limit of 64 MB" in err.value.message
        assert "scratch: file size 16 MB and watched total 64 MB" in gw.layers
    written = [int(n) for n in re.findall(r"scratch bytes written: (\d+)", gw.output())]
    # Stopped within four files of the cap (the case aims at 600 MB): the kill lands after what the worker
    # writes meanwhile, one or two files when the machine is idle, three (105 MB) seen with a busy core.
    assert 48 * 2**20 <= max(written) <= 128 * 2**20, max(written) / 2**20
    assert not os.path.exists(folder)


def test_tmpfs_scratch_lives_in_the_workers_mount_namespace(tmp_path):
    """The worker's tmpfs is mounted in a mount namespace of its own: the grader's namespace never holds it,
    so a grader killed by SIGKILL leaves no mount behind (the kernel frees it with the worker)."""
    if os.geteuid() != 0:
        pytest.skip("a tmpfs scratch needs root")
    (tmp_path / "vae.py").write_text("import os, tempfile\n")
    with gateway(tmp_path, scratch_mb=32) as gw:
        folder = gw.call("vae.tempfile.gettempdir")
        if "scratch: tmpfs 32 MB" not in gw.layers:
            pytest.skip(f"this machine refuses the mount ({gw.layers})")
        assert gw.call("vae.os.getcwd") == folder  # relative paths land in the tmpfs, not the folder under it
        worker = Path(f"/proc/{gw.worker.proc.pid}/mountinfo").read_text().splitlines()
        assert any(f" {folder} " in line and "tmpfs" in line for line in worker), worker[-3:]
        assert not any(f" {folder} " in line for line in Path("/proc/self/mountinfo").read_text().splitlines())
    assert not os.path.exists(folder)


# -- System V IPC, inotify, timestamps ---------------------------------------------------
def _sysv_keys() -> dict[str, list[str]]:
    found = {}
    for kind in ("shm", "msg", "sem"):
        path = Path(f"/proc/sysvipc/{kind}")
        rows = path.read_text().splitlines()[1:] if path.exists() else []
        found[kind] = [row for row in rows if row.split() and int(row.split()[0]) == IPC_KEY]
    return found


def _posix_queue_exists() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.mq_open(POSIX_QUEUE, os.O_RDONLY)
    if fd >= 0:
        libc.mq_close(fd)
    return fd >= 0


def test_sysv_ipc_leaves_nothing_behind(tmp_path):
    libc, rmid = ctypes.CDLL(None, use_errno=True), 0  # IPC_RMID
    shm, msg, sem = libc.shmget(IPC_KEY, 0, 0), libc.msgget(IPC_KEY, 0), libc.semget(IPC_KEY, 0, 0)
    if shm >= 0:  # left by an earlier grader that lacked the wall
        libc.shmctl(shm, rmid, None)
    if msg >= 0:
        libc.msgctl(msg, rmid, None)
    if sem >= 0:
        libc.semctl(sem, 0, rmid)
    libc.mq_unlink(POSIX_QUEUE)
    assert not any(_sysv_keys().values())
    _, printed = grade_cli("sysv_ipc_left_behind", tmp_path)
    assert "refused: shmget" in printed and "created:" not in printed, printed[-1500:]
    assert not any(_sysv_keys().values()), _sysv_keys()
    assert not _posix_queue_exists()


def test_inotify_on_the_grader_tree_is_refused(tmp_path):
    _, printed = grade_cli("inotify_grader_tree", tmp_path)
    assert "refused: inotify_init1" in printed, printed[-1500:]
    assert "watching" not in printed and "event:" not in printed


def test_grader_timestamps_stay(tmp_path):
    targets = [ROOT / "autograder/oracles.py", ROOT / "autograder/graded/vae/test_b1_loss.py",
               ROOT / "autograder/graded/held_out_seed", ROOT / "solutions/vae.py"]
    before = {p: p.stat().st_mtime_ns for p in targets if p.exists()}
    _, printed = grade_cli("touch_grader_files", tmp_path)
    assert "refused: utimensat" in printed and "touched:" not in printed, printed[-1500:]
    assert {p: p.stat().st_mtime_ns for p in before} == before


# -- honest twins ------------------------------------------------------------------------
HONEST_SCRATCH = '''

def _use_scratch():  # a few small files in the scratch folder: a figure, a checkpoint, a log
    import tempfile
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    folder = tempfile.mkdtemp()
    plt.plot([0, 1], [1, 0])
    plt.savefig(os.path.join(folder, "curve.png"))
    plt.close("all")
    torch.save({"w": torch.ones(64, 64)}, os.path.join(folder, "checkpoint.pt"))
    assert torch.load(os.path.join(folder, "checkpoint.pt"))["w"].sum() == 64 * 64
    return os.path.join(folder, "log.txt")


_LOG = _use_scratch()
_kl = kl_divergence


def kl_divergence(mu, logvar):
    with open(_LOG, "a") as fh:
        fh.write("kl\\n")
    return _kl(mu, logvar)
'''


@pytest.mark.parametrize("cap", ["tmpfs", "watched"])
def test_honest_scratch_use_keeps_full_marks(tmp_path, monkeypatch, cap):
    if cap == "watched":
        monkeypatch.setattr(scratch, "can_mount", lambda: False)
    source = (SOLUTIONS / "vae.py").read_text()
    (tmp_path / "vae.py").write_text(source + ("" if "import os\n" in source else "\nimport os\n") + HONEST_SCRATCH)
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "kernel")
    monkeypatch.setenv("AUTOGRADER_NAMESPACES", "0")
    report = grade_one(tmp_path, "vae", f"honest-scratch-{cap}", keyword="kl")
    items = report.of("vae")
    assert items and all(i.passed for i in items), [(i.item_id, i.message) for i in items if not i.passed]
    expected = "scratch: tmpfs 256 MB" if cap == "tmpfs" and os.geteuid() == 0 else "watched total 256 MB"
    assert expected in report.isolation or cap == "tmpfs" and "watched total" in report.isolation, report.isolation
