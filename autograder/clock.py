"""The time a worker was given to run, for its deadlines (parent side).

A deadline on wall time punishes a correct submission on a busy machine: graded beside another
grading on two cores, the worker waits for a CPU half of the time and its calls look twice as slow.
The kernel counts, for every thread, the time it spent runnable but waiting on a run queue
(``/proc/PID/schedstat``, second field, in ns). ``WorkerClock.elapsed`` is the wall time since
``start`` minus that wait of the worker's main thread: the CPU time of a busy loop, the wall time of a
sleep or a blocked read, whatever else the machine runs. Where the kernel keeps no such count (or the
worker's process cannot be found yet), it is the wall time. ``WALL_FACTOR`` bounds the wall time a
deadline may stretch to, so a starved machine still ends a call.
"""
from __future__ import annotations

import time
from pathlib import Path

WALL_FACTOR = 4.0       # a call's wall time may reach this many times its deadline on a busy machine
LAUNCHERS = ("bwrap", "sh", "dash", "bash")  # what stands between the started process and the worker


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def worker_pid(started: int) -> int | None:
    """The worker's own process under ``started`` (the cgroup's shell and bubblewrap exec or fork it)."""
    pid = started
    for _ in range(6):
        name = _comm(pid)
        if not name:
            return None
        if name not in LAUNCHERS:
            return pid
        children = _children(pid)
        if not children:
            return None
        pid = children[-1]
    return None


def run_queue_wait(pid: int) -> float | None:
    """Seconds the main thread of ``pid`` has waited for a CPU so far; None when the kernel does not say."""
    try:
        fields = Path(f"/proc/{pid}/schedstat").read_text().split()
        return int(fields[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class WorkerClock:
    """Measures one call: ``start()``, then ``elapsed()`` (wall minus run-queue wait) and ``wall()``."""

    def __init__(self, started_pid: int):
        self.started_pid = started_pid
        self.pid: int | None = None

    def start(self) -> "WorkerClock":
        self._t0 = time.monotonic()
        self._credit = 0.0
        self._last_wait = self._wait()
        return self

    def _wait(self) -> float | None:
        if self.pid is None:
            self.pid = worker_pid(self.started_pid)
        return None if self.pid is None else run_queue_wait(self.pid)

    def elapsed(self) -> float:
        """Seconds the worker had since ``start``: wall time less the time it waited for a CPU."""
        now, wait = time.monotonic(), self._wait()
        if wait is not None and self._last_wait is not None:
            self._credit += max(0.0, wait - self._last_wait)
        self._last_wait = wait
        return max(0.0, now - self._t0 - self._credit)

    def wall(self) -> float:
        return time.monotonic() - self._t0
