"""Resource limits for the worker process, and the grading parent's own memory ceiling (configurable,
with sane defaults)."""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass


@dataclass
class Limits:
    call_timeout: float = 20.0       # seconds of wall time for one ordinary call
    train_timeout: float = 120.0     # seconds for one smoke-training call
    start_timeout: float = 60.0      # seconds for the worker to import torch and report ready
    total_budget: float = 300.0      # seconds of wall time for all calls of one assignment's session
    output_cap: int = 64 * 1024      # bytes of worker stdout+stderr kept per worker
    threads: int = 1                 # torch intra-op threads in the worker
    memory_mb: int = 2048            # address space the worker may add after importing torch
    cpu_seconds: int = 300           # CPU time of one worker (it serves many items)
    file_mb: int = 16                # largest file the worker may write (scratch folder only)
    max_processes: int = 64          # RLIMIT_NPROC once unprivileged (threads count too)
    hang_budget: float = 30.0        # seconds of timed-out calls, after which calls get short deadlines
    short_timeout: float = 2.0       # the deadline of a call once the hang budget is spent
    scratch_mb: int = 256            # the worker's writable scratch folder (a tmpfs under namespaces)
    sandbox: bool = True             # the walls of isolation.py; off only for the grader's own debugging
    isolation: str = "auto"          # auto | kernel | python (see isolation.py)
    namespaces: bool = True          # bubblewrap when the machine allows it (off: Landlock + seccomp alone)
    # The grading parent's own data (RLIMIT_DATA), a backstop should decoding a reply ever go wrong. Measured:
    # grading all five reference solutions peaks at 1.32 GiB of data (1.02 GiB resident); about 3x that.
    parent_memory_mb: int = 4096

    def worker_config(self) -> dict:
        from course.data import data_root

        return {"threads": self.threads, "memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "file_mb": self.file_mb, "max_processes": self.max_processes, "sandbox": self.sandbox,
                "data_root": str(data_root())}

    def worker_env(self) -> dict:
        keep = ("PATH", "LANG", "LC_ALL", "COURSE_DATA", "SYSTEMROOT")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update(OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        return env

    @classmethod
    def from_env(cls) -> "Limits":
        """Limits overridden by ``AUTOGRADER_<FIELD>`` environment variables (e.g. AUTOGRADER_CALL_TIMEOUT=30)."""
        limits = cls()
        for name, default in vars(cls()).items():
            raw = os.environ.get(f"AUTOGRADER_{name.upper()}")
            if raw is not None:
                value = raw.strip().lower() not in ("0", "false", "no", "off", "") if isinstance(default, bool) \
                    else type(default)(raw)
                setattr(limits, name, value)
        return limits


def limit_parent_memory(limits: Limits | None = None) -> int:
    """Cap this process's data at ``limits.parent_memory_mb`` (the soft RLIMIT_DATA; never above the hard
    limit); returns the limit in bytes.

    For the grading parent only, once, at the start of grading: a reply that decoded into gigabytes would
    then end in a MemoryError (``WorkerProcess.receive`` makes it a ProtocolError: a failed item) instead of
    taking the machine. RLIMIT_DATA, not RLIMIT_AS: it counts the private writable memory a decoding bug
    would fill, while the address space is mostly torch's libraries and reserved, unused allocator arenas
    (3.1 GiB right after ``import torch`` with a CUDA build, against 0.77 GiB of data), which vary with the
    build and the number of cores. Workers reset the soft limit to the hard one as they start
    (``worker_process``), so their own ceilings (``memory_mb``, the cgroup) are the ones that hold there."""
    limits = limits or Limits.from_env()
    want = limits.parent_memory_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    value = want if hard == resource.RLIM_INFINITY else min(want, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (value, hard))
    return value
