"""One worker subprocess as the parent holds it (parent side): its start, pipes, output and end.

``WorkerProcess`` starts ``worker.py`` as ``python -I -c ...`` in a session of
its own, with a request pipe and a reply pipe passed to it, behind the walls
``isolation.plan`` chose (bubblewrap namespaces when the machine allows them;
Landlock and seccomp are applied by the worker itself). It gets a scratch
folder of its own, size-capped (``scratch.py``), and, where the machine allows,
a cgroup (``cgroup.py``) that caps memory and tasks. Its stdout/stderr is read
to the end by a ``Drain`` thread that keeps a capped part. ``kill`` kills its process group and
everything its cgroup holds, reaps it and removes its scratch folder and
cgroup; ``death`` says how it ended. What the requests mean is ``gateway.py``'s
business; the frames themselves are ``protocol.py``'s. Both directions have
deadlines: ``send`` writes to a non-blocking pipe, so a worker that stops
reading fails the call instead of hanging the parent, and ``receive`` vets a
reply's archive before decoding it (``protocol.check_archive``).
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from autograder import isolation, protocol
from autograder.cgroup import Cgroup
from autograder.clock import WALL_FACTOR, WorkerClock
from autograder.limits import Limits
from autograder.sandbox import UNPRIVILEGED_GID, UNPRIVILEGED_UID
from autograder.scratch import Scratch

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


POLL_SECONDS = 0.25  # how often a wait for a reply looks at the worker's clock


class Drain(threading.Thread):
    """Reads a pipe to its end, keeping at most ``cap`` bytes."""

    def __init__(self, fd: int, cap: int):
        super().__init__(daemon=True)
        self.fd, self.cap, self.kept, self.dropped = fd, cap, bytearray(), 0

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            room = self.cap - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)
        os.close(self.fd)

    def text(self) -> str:
        """What was kept, with a note of how much was dropped."""
        text = self.kept.decode(errors="replace")
        return text + (f"\n[... {self.dropped} more bytes of output dropped]\n" if self.dropped else "")


class WorkerProcess:
    """A started worker: ``send`` a request, ``receive`` its reply, ``kill`` it."""

    def __init__(self, submission_dir: str, limits: Limits, plan: isolation.Plan):
        self.limits = limits
        self.cgroup: Cgroup | None = None
        self.scratch_cap = Scratch(limits.scratch_mb, limits.file_mb, namespaces=bool(plan.bwrap))
        self.scratch: str | None = self.scratch_cap.path
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        command = self._command(submission_dir, plan, req_r, rep_w)
        self.proc: subprocess.Popen | None = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, rep_w),
            start_new_session=True, cwd=self.scratch if not plan.bwrap else "/", env=limits.worker_env(),
        )
        for fd in (req_r, rep_w, out_w):
            os.close(fd)
        self.req_w, self.rep_r = req_w, rep_r
        os.set_blocking(req_w, False)  # writes wait in select, with a deadline (send)
        self.drain = Drain(out_r, limits.output_cap)
        self.drain.start()
        self.scratch_cap.watch(self._pids, self._stop_for_scratch)

    def _command(self, submission_dir: str, plan: isolation.Plan, req_r: int, rep_w: int) -> list[str]:
        """The worker's argv: under bubblewrap when planned, in a cgroup when the machine gives one."""
        config = {"submission": submission_dir, **self.limits.worker_config(), "scratch": self.scratch,
                  "kernel": plan.kernel, "outside_layers": ["namespaces"] if plan.bwrap else [],
                  "hidden": isolation.hidden_paths(),
                  "scratch_tmpfs": self.limits.scratch_mb * 2**20 if self.scratch_cap.kind == "tmpfs" else 0}
        config["read_roots"] = isolation.read_roots(submission_dir, config["data_root"])
        # First lift the parent's own ceiling (limits.limit_parent_memory), inherited: the worker has its own.
        code = ("import resource as r; r.setrlimit(r.RLIMIT_DATA, (r.getrlimit(r.RLIMIT_DATA)[1],) * 2); "
                f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); "
                f"from autograder.worker import main; main({json.dumps(config)!r}, {req_r}, {rep_w})")
        command = [sys.executable, "-I", "-B", "-u", "-c", code]  # -u: prints reach the report
        if plan.bwrap:
            command = isolation.bwrap_command(plan.bwrap, command, binds=config["read_roots"],
                                              hidden=config["hidden"], scratch=self.scratch,
                                              scratch_bytes=self.limits.scratch_mb * 2**20)
        elif os.geteuid() == 0 and not plan.kernel:
            os.chown(self.scratch, UNPRIVILEGED_UID, UNPRIVILEGED_GID)  # the worker may drop to nobody
        if self.limits.sandbox:
            memory = (self.limits.memory_mb + self.limits.scratch_mb + 1024) * 2**20  # + torch itself
            self.cgroup = Cgroup.create(memory, self.limits.max_processes)
            if self.cgroup:
                command = self.cgroup.wrap(command)
        return command

    def exited(self) -> bool:
        return self.proc is None or self.proc.poll() is not None

    def send(self, message: dict, timeout: float) -> None:
        """Write one request frame within ``timeout`` seconds. Raises TimeoutError when the worker stopped
        reading (its request pipe stays full: a thread holding the GIL in native code, a stopped process),
        OSError when it is gone. The pipe is non-blocking, so a large request (weights) cannot hang the parent."""
        deadline = time.monotonic() + timeout

        def wait(fd):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError

        protocol.write_frame(self.req_w, message, wait)

    def new_clock(self) -> WorkerClock:
        """A started clock of the time this worker is given to run (``clock.WorkerClock``)."""
        return WorkerClock(self.proc.pid).start()

    def receive(self, timeout: float, clock: WorkerClock | None = None):
        """The next reply, checked by ``protocol.check_reply``. Raises TimeoutError when none came before
        ``clock`` (a fresh one when None) reached ``timeout`` seconds: the time the worker was given, wall time
        less its waits for a CPU, so a busy machine does not shorten a deadline (and at most ``WALL_FACTOR``
        times ``timeout`` of wall time). Raises EOFError or OSError when the worker is gone, protocol.ProtocolError."""
        clock = clock or self.new_clock()

        def wait(fd):
            while True:
                left = min(timeout - clock.elapsed(), timeout * WALL_FACTOR - clock.wall())
                if left <= 0:
                    raise TimeoutError
                if select.select([fd], [], [], min(left, POLL_SECONDS))[0]:
                    return

        try:  # strict: the archive is vetted before torch.load inflates or allocates anything
            return protocol.check_reply(protocol.read_frame(self.rep_r, wait, strict=True))
        except MemoryError:  # the parent's own ceiling (limits.limit_parent_memory), reached while decoding
            raise protocol.ProtocolError("the reply did not fit in the grader's memory") from None

    def death(self) -> str:
        """How the worker ended ("killed by SIGSEGV", "exit status 3"), waiting a little for it."""
        code = self.proc.wait(timeout=5) if self.proc else None
        if self.scratch_cap.exceeded:
            return (f"it wrote {self.scratch_cap.exceeded / 2**20:.0f} MB into its scratch folder, past the scratch "
                    f"limit of {self.limits.scratch_mb} MB, so it was stopped")
        if code == -signal.SIGXCPU:
            return f"it used up its CPU-time budget of {self.limits.cpu_seconds} s"
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def kill(self) -> None:
        """Kill and reap the worker and what it started; close its pipes; remove its cgroup and scratch."""
        if self.proc is None:
            return
        self.scratch_cap.stop()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.drain.join(timeout=1)
        self.proc = None
        if self.cgroup:  # also what left the worker's session
            self.cgroup.remove()
            self.cgroup = None
        if self.scratch:
            self.scratch_cap.remove()  # a tmpfs is unmounted first
            self.scratch = None

    def _pids(self) -> set[int]:
        """The worker's processes, for the scratch watcher."""
        proc, group = self.proc, self.cgroup
        return ({proc.pid} if proc is not None else set()) | (group.pids() if group else set())

    def _stop_for_scratch(self) -> None:
        """Kill the worker and what it started (the scratch watcher's verdict); ``kill`` reaps them."""
        proc, group = self.proc, self.cgroup
        if proc is not None and proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if group:
            group.kill()
