"""The parent's one narrow gateway to submitted code.

``Gateway`` starts a worker subprocess (``worker.py``) on first use and sends it
requests: call a function, construct an object and get a ``Remote`` handle,
call the handle's methods, read an attribute, run trusted course code on a
handle. Tensors go in and come out; each call carries its seed and deadline.
A worker that raises turns into a ``SubmissionError``; one that exits, hangs or
dies is killed and replaced by a fresh worker on the next call (handles from
the old one are then gone). The worker's stdout/stderr is drained by threads
and capped.

The worker starts behind the walls ``isolation.plan`` chose (bubblewrap
namespaces when the machine allows them; Landlock and seccomp applied by the
worker itself) and reports the layers it has; ``layers`` keeps the weakest set
seen. Where the machine allows, each worker gets its own cgroup (``cgroup.py``)
that caps memory and tasks and lets ``close`` kill everything it started. Its
scratch folder and cgroup are removed when it is replaced or closed.

Fail fast: a call that times out marks its function; later calls of it fail
at once, naming the item where it first timed out. Once ``hang_budget``
seconds have been lost to time-outs, every call gets ``short_timeout``.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder import isolation, protocol
from autograder.cgroup import Cgroup
from autograder.errors import SubmissionError
from autograder.limits import Limits
from autograder.sandbox import UNPRIVILEGED_GID, UNPRIVILEGED_UID

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class _Drain(threading.Thread):
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


class Remote:
    """A handle on an object that lives in the worker (a model, a dataset)."""

    def __init__(self, gateway: "Gateway", ref: dict, label: str, generation: int):
        self._gateway, self._ref, self._label, self._generation = gateway, ref, label, generation

    @property
    def type_name(self) -> str:
        return self._ref["__type__"]

    def call(self, name: str, *args, seed: int = 0, timeout: float | None = None, grad=None, **kwargs):
        return self._gateway._request(
            {"op": "method", "handle": self._ref["__handle__"], "name": name, "args": list(args),
             "kwargs": kwargs, "seed": seed, "grad": grad},
            f"{self._label}.{name}", timeout, self._generation)

    def get(self, name: str):
        return self._gateway._request(
            {"op": "getattr", "handle": self._ref["__handle__"], "name": name},
            f"{self._label}.{name}", None, self._generation)

    def __call__(self, *args, **kwargs):
        return self.call("forward", *args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def wire(self) -> dict:
        return self._ref


class Gateway:
    def __init__(self, submission_dir: str | os.PathLike, limits: Limits | None = None):
        self.submission_dir = str(Path(submission_dir).resolve())
        self.limits = limits or Limits()
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.starts = 0
        self._drains: list[_Drain] = []
        self._old_output = ""
        self.created = time.monotonic()
        self.imported: set[tuple] = set()     # (module, worker generation) already imported
        self.hung_modules: set[str] = set()   # submitted modules whose import timed out
        self.hung: dict[str, tuple] = {}      # function -> (the item in which it timed out, its deadline)
        self.hang_spent = 0.0                 # seconds lost to time-outs so far
        self.current_item = ""                # set by the graded suite's fixture, for messages
        self.plan = (isolation.plan(self.limits.isolation, namespaces=self.limits.namespaces) if self.limits.sandbox
                     else isolation.Plan("none"))
        self.layers: list[str] | None = None  # what the workers reported (the weakest seen)
        self.scratch: str | None = None
        self.cgroup: Cgroup | None = None

    # -- public API ------------------------------------------------------------
    def call(self, target: str, *args, seed: int = 0, timeout: float | None = None, grad=None, **kwargs):
        """Call submitted function ``target`` ("vae.kl_divergence")."""
        return self._request({"op": "call", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed, "grad": grad}, target, timeout)

    def new(self, target: str, *args, seed: int = 0, timeout: float | None = None, **kwargs) -> Remote:
        """Construct submitted class ``target`` ("vae.Autoencoder"); return its handle."""
        return self._request({"op": "new", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed}, f"{target}(...)", timeout)

    def trusted(self, target: str, *args, seed: int = 0, timeout: float | None = None, label: str = "", **kwargs):
        """Run trusted course code ``target`` ("autograder.probes:parameter_shapes") in the worker."""
        return self._request({"op": "trusted", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed}, label or target, timeout)

    def output(self) -> str:
        """Everything the worker(s) printed so far, capped."""
        text = self._old_output
        for drain in self._drains:
            text += drain.kept.decode(errors="replace")
            if drain.dropped:
                text += f"\n[... {drain.dropped} more bytes of output dropped]\n"
        return text

    def close(self):
        self._kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- worker life -------------------------------------------------------------
    def _start(self):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        command, config = self._command(req_r, rep_w)
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, rep_w),
            start_new_session=True, cwd=config["scratch"] if not self.plan.bwrap else "/",
            env=self.limits.worker_env(),
        )
        for fd in (req_r, rep_w, out_w):
            os.close(fd)
        self.req_w, self.rep_r = req_w, rep_r
        drain = _Drain(out_r, self.limits.output_cap)
        drain.start()
        self._drains.append(drain)
        self.generation += 1
        self.starts += 1
        try:
            reply = self._read(self.limits.start_timeout, "starting the grader's worker")
        except SubmissionError as exc:
            raise SubmissionError("harness", f"the worker did not start ({exc.message}); it printed: "
                                  f"{self.output()[-1500:]}", call="start-up") from None
        if "ready" not in reply:
            raise SubmissionError("harness", f"worker did not start: {reply!r}", call="start-up")
        got = list(reply.get("layers", [])) + (["cgroup"] if self.cgroup else [])
        self.layers = got if self.layers is None else [x for x in self.layers if x in got]

    def _command(self, req_r: int, rep_w: int) -> tuple[list[str], dict]:
        """The worker's argv (under bubblewrap when planned) and its configuration."""
        self.scratch = tempfile.mkdtemp(prefix="autograder-scratch-")
        config = {"submission": self.submission_dir, **self.limits.worker_config(), "scratch": self.scratch,
                  "kernel": self.plan.kernel, "outside_layers": ["namespaces"] if self.plan.bwrap else [],
                  "hidden": isolation.hidden_paths()}
        config["read_roots"] = isolation.read_roots(self.submission_dir, config["data_root"])
        code = (f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); "
                f"from autograder.worker import main; main({json.dumps(config)!r}, {req_r}, {rep_w})")
        command = [sys.executable, "-I", "-B", "-u", "-c", code]  # -u: prints reach the report
        if self.plan.bwrap:
            command = isolation.bwrap_command(self.plan.bwrap, command, binds=config["read_roots"],
                                              hidden=config["hidden"], scratch=self.scratch,
                                              scratch_bytes=self.limits.scratch_mb * 2**20)
        elif os.geteuid() == 0 and not self.plan.kernel:
            os.chown(self.scratch, UNPRIVILEGED_UID, UNPRIVILEGED_GID)  # the worker may drop to nobody
        if self.limits.sandbox:
            memory = (self.limits.memory_mb + self.limits.scratch_mb + 1024) * 2**20  # + torch itself
            self.cgroup = Cgroup.create(memory, self.limits.max_processes)
            if self.cgroup:
                command = self.cgroup.wrap(command)
        return command, config

    def _kill(self):
        if self.proc is None:
            return
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
        for drain in self._drains:
            drain.join(timeout=1)
        self.proc = None
        if self.cgroup:  # also what left the worker's session
            self.cgroup.remove()
            self.cgroup = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def _died(self) -> str:
        code = self.proc.wait(timeout=5) if self.proc else None
        if code == -signal.SIGXCPU:
            return f"it used up its CPU-time budget of {self.limits.cpu_seconds} s"
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    # -- requests ----------------------------------------------------------------
    def _read(self, timeout: float, call: str):
        deadline = time.monotonic() + timeout

        def wait(fd):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError

        try:
            return protocol.check_reply(protocol.read_frame(self.rep_r, wait))
        except TimeoutError:
            self._kill()
            raise SubmissionError("timeout", f"{timeout:g} s", call=call) from None
        except (EOFError, OSError):
            how = self._died()
            self._kill()
            raise SubmissionError("crashed", how, call=call) from None
        except protocol.ProtocolError as exc:
            self._kill()
            raise SubmissionError("protocol", str(exc), call=call) from None

    def _request(self, message: dict, call: str, timeout: float | None, generation: int | None = None):
        module = _module_of(message)
        if module in self.hung_modules:
            raise SubmissionError("timeout", f"{self.limits.call_timeout:g} s (importing {module}.py already "
                                  "timed out once, so it is not run again)", call=call)
        key = call.removesuffix("(...)")
        if key in self.hung:
            item, seconds = self.hung[key]
            raise SubmissionError("timeout", f"{seconds:g} s in item {item}, so it is not run again", call=call)
        spent = time.monotonic() - self.created
        if spent > self.limits.total_budget:
            raise SubmissionError("timeout", f"the grading budget of {self.limits.total_budget:g} s "
                                  "(earlier calls used it up)", call=call)
        timeout = min(timeout or self.limits.call_timeout, self.limits.total_budget - spent + 1)
        if self.hang_spent >= self.limits.hang_budget:  # this submission hangs: stop waiting long for it
            timeout = min(timeout, self.limits.short_timeout)
        try:
            if module and (module, self.generation) not in self.imported:
                try:  # import first, alone: a module that hangs at import is not run again
                    self._send({"op": "import", "target": module}, f"importing {module}.py", timeout, None)
                except SubmissionError as exc:
                    if exc.kind == "timeout":
                        self.hung_modules.add(module)
                    raise
                self.imported.add((module, self.generation))
            return self._send(message, call, timeout, generation)
        except SubmissionError as exc:
            if exc.kind == "timeout":
                self.hang_spent += timeout
                if module not in self.hung_modules:
                    self.hung[key] = (self.current_item or "an earlier item", timeout)
            raise

    def _send(self, message: dict, call: str, timeout: float, generation: int | None):
        if self.proc is not None and self.proc.poll() is not None:
            self._kill()
        if self.proc is None:
            self._start()
        if generation is not None and generation != self.generation:
            raise SubmissionError("crashed", "an earlier failure restarted it, so this object is gone", call=call)
        message = {k: _wire(v) for k, v in message.items() if v is not None}
        try:
            protocol.write_frame(self.req_w, message)
        except OSError:
            how = self._died()
            self._kill()
            raise SubmissionError("crashed", how, call=call) from None
        reply = self._read(timeout, call)
        if not isinstance(reply, dict) or ("value" not in reply and "error" not in reply):
            self._kill()
            raise SubmissionError("protocol", "malformed reply", call=call)
        if "error" in reply:
            err = reply["error"]
            raise SubmissionError(err["kind"], err["message"], exc_type=err["type"], where=err["where"], call=call)
        return self._unwire(reply["value"], call)

    def _unwire(self, obj, label: str):
        if protocol.is_handle_ref(obj):
            return Remote(self, obj, label.removesuffix("(...)"), self.generation)
        if isinstance(obj, list):
            return [self._unwire(o, label) for o in obj]
        if isinstance(obj, tuple):
            return tuple(self._unwire(o, label) for o in obj)
        if isinstance(obj, dict):
            return {k: self._unwire(v, label) for k, v in obj.items()}
        return obj


def _module_of(message: dict) -> str | None:
    """The submitted module a request needs ("vae" for "vae.Autoencoder"), if any."""
    target = message.get("target", "")
    if message.get("op") in ("call", "new") and target and ":" not in target:
        return target.split(".")[0]
    return None


def _wire(obj):
    if isinstance(obj, Remote):
        return obj.wire()
    if isinstance(obj, list):
        return [_wire(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(_wire(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _wire(v) for k, v in obj.items()}
    return obj
