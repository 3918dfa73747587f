"""The parent's one narrow gateway to submitted code (parent side).

``Gateway`` starts a worker subprocess (``worker.py``, run as a
``worker_process.WorkerProcess``) on first use and sends it requests: call a
function, construct an object and get a ``Remote`` handle, call the handle's
methods, read an attribute, run trusted course code on a handle. Tensors go in
and come out in ``protocol.py``'s frames; each call carries its seed and
deadline. A worker that raises turns into a ``SubmissionError``; one that
exits, hangs or dies is killed and replaced by a fresh worker on the next call
(handles from the old one are then gone). ``output`` is what all its workers
printed, capped per worker.

Workers start behind the walls ``isolation.plan`` chose and report the layers
they have; ``layers`` keeps the weakest set seen ("cgroup" included where the
worker got one).

Fail fast: a call that times out marks its function; later calls of it fail
at once, naming the item where it first timed out. Once ``hang_budget``
seconds have been lost to time-outs, every call gets ``short_timeout``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from autograder import isolation, protocol
from autograder.errors import SubmissionError
from autograder.limits import Limits
from autograder.worker_process import Drain, WorkerProcess

STAND_INS = Path(__file__).resolve().parent / "stand_ins.py"  # grading only: left out of the student release


class Remote:
    """A handle on an object that lives in the worker (a model, a dataset)."""

    def __init__(self, gateway: "Gateway", ref: dict, label: str, generation: int):
        self._gateway, self._ref, self._label, self._generation = gateway, ref, label, generation

    @property
    def type_name(self) -> str:
        return self._ref[protocol.TYPE]

    def call(self, name: str, *args, seed: int = 0, timeout: float | None = None, grad=None, **kwargs):
        return self._gateway._request(
            {"op": "method", "handle": self._ref[protocol.HANDLE], "name": name, "args": list(args),
             "kwargs": kwargs, "seed": seed, "grad": grad},
            f"{self._label}.{name}", timeout, self._generation)

    def get(self, name: str):
        return self._gateway._request(
            {"op": "getattr", "handle": self._ref[protocol.HANDLE], "name": name},
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
    """Submitted code of one folder, reached through a worker that is restarted when it dies."""

    def __init__(self, submission_dir: str | os.PathLike, limits: Limits | None = None):
        self.submission_dir = str(Path(submission_dir).resolve())
        self.limits = limits or Limits()
        self.worker: WorkerProcess | None = None
        self.generation = 0                   # counts the workers started; a Remote belongs to one
        self._drains: list[Drain] = []        # the output of every worker so far
        self.created = time.monotonic()
        self.imported: set[tuple] = set()     # (module, worker generation) already imported
        self.hung_modules: set[str] = set()   # submitted modules whose import timed out
        self.hung: dict[str, tuple] = {}      # function -> (the item in which it timed out, its deadline)
        self.hang_spent = 0.0                 # seconds lost to time-outs so far
        self.current_item = ""                # set by the graded suite's fixture, for messages
        self.plan = (isolation.plan(self.limits.isolation, namespaces=self.limits.namespaces) if self.limits.sandbox
                     else isolation.Plan("none"))
        self.layers: list[str] | None = None  # what the workers reported (the weakest seen)

    # -- public API ------------------------------------------------------------
    def call(self, target: str, *args, seed: int = 0, timeout: float | None = None, grad=None, **kwargs):
        """Call submitted function ``target`` ("vae.kl_divergence")."""
        return self._request({"op": "call", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed, "grad": grad}, target, timeout)

    def new(self, target: str, *args, seed: int = 0, timeout: float | None = None, **kwargs) -> Remote:
        """Construct submitted class ``target`` ("vae.Autoencoder"); return its handle."""
        return self._request({"op": "new", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed}, f"{target}(...)", timeout)

    def with_stand_ins(self, obj, method: str, names: list, *args, seed: int = 0, label: str = ""):
        """``obj.<method>(*args)`` (``obj`` a handle or ``protocol.module_ref``) with the grader's versions of the
        submitted functions ``names`` standing in for them (``stand_ins.py``), so that an item judges one
        function at a time. The student release has no stand-ins (they are the answers): there the call runs
        the submission's own functions, which can only cost points a callee already lost."""
        if STAND_INS.is_file():
            return self.trusted("autograder.stand_ins:call", obj, method, names, *args, seed=seed, label=label)
        if protocol.is_module_ref(obj):
            return self.call(f"{obj[protocol.MODULE]}.{method}", *args, seed=seed)
        return obj.call(method, *args, seed=seed)

    def new_or_bare(self, target: str) -> Remote:
        """``new(target)`` when the class builds; when its ``__init__`` raises or is not written yet, a bare
        instance (``__init__`` skipped, no layers), so items on its other methods grade those methods alone."""
        try:
            return self.new(target)
        except SubmissionError as err:
            if err.kind not in ("raised", "not_implemented"):
                raise
            module, cls = target.split(".")
            return self.trusted("autograder.probes:bare_instance", protocol.module_ref(module), cls, label=target)

    def trusted(self, target: str, *args, seed: int = 0, timeout: float | None = None, label: str = "", **kwargs):
        """Run trusted course code ``target`` ("autograder.probes:parameter_shapes") in the worker."""
        return self._request({"op": "trusted", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed}, label or target, timeout)

    def output(self) -> str:
        """Everything the worker(s) printed so far, capped."""
        return "".join(drain.text() for drain in self._drains)

    def close(self):
        self._kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- worker life -------------------------------------------------------------
    def _start(self):
        self.worker = WorkerProcess(self.submission_dir, self.limits, self.plan)
        self._drains.append(self.worker.drain)
        self.generation += 1
        try:
            reply = self._read(self.limits.start_timeout, "starting the grader's worker")
        except SubmissionError as exc:
            raise SubmissionError("harness", f"the worker did not start ({exc.message}); it printed: "
                                  f"{self.output()[-1500:]}", call="start-up") from None
        if "ready" not in reply:
            raise SubmissionError("harness", f"worker did not start: {reply!r}", call="start-up")
        got = list(reply.get("layers", [])) + (["cgroup"] if self.worker.cgroup else [])
        self.layers = got if self.layers is None else [x for x in self.layers if x in got]

    def _kill(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def _crashed(self, call: str) -> SubmissionError:
        """The error for a worker found gone, after reaping it."""
        how = self.worker.death()
        self._kill()
        return SubmissionError("crashed", how, call=call)

    # -- requests ----------------------------------------------------------------
    def _read(self, timeout: float, call: str):
        try:
            return self.worker.receive(timeout)
        except TimeoutError:
            self._kill()
            raise SubmissionError("timeout", f"{timeout:g} s", call=call) from None
        except (EOFError, OSError):
            raise self._crashed(call) from None
        except protocol.ProtocolError as exc:
            self._kill()
            raise SubmissionError("protocol", str(exc), call=call) from None

    def _request(self, message: dict, call: str, timeout: float | None, generation: int | None = None):
        module = protocol.submitted_module(message)
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
        if self.worker is not None and self.worker.exited():
            self._kill()
        if self.worker is None:
            self._start()
        if generation is not None and generation != self.generation:
            raise SubmissionError("crashed", "an earlier failure restarted it, so this object is gone", call=call)
        message = protocol.rebuild({k: v for k, v in message.items() if v is not None},
                                   lambda v: v.wire() if isinstance(v, Remote) else v)
        try:
            self.worker.send(message)
        except OSError:
            raise self._crashed(call) from None
        reply = self._read(timeout, call)
        if not isinstance(reply, dict) or ("value" not in reply and "error" not in reply):
            self._kill()
            raise SubmissionError("protocol", "malformed reply", call=call)
        if "error" in reply:
            err = reply["error"]
            raise SubmissionError(err["kind"], err["message"], exc_type=err["type"], where=err["where"], call=call)
        label, generation = call.removesuffix("(...)"), self.generation
        return protocol.rebuild(reply["value"], lambda v: Remote(self, v, label, generation)
                                if protocol.is_handle_ref(v) else v)
