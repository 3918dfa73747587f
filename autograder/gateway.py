"""The parent's one narrow gateway to submitted code (parent side).

``Gateway`` starts a worker subprocess (``worker.py``, run as a
``worker_process.WorkerProcess``) on first use and sends it requests: call a
function, construct an object and get a ``Remote`` handle, call the handle's
methods, read an attribute, run trusted course code on a handle. Tensors go in
and come out in ``protocol.py``'s frames; each call carries its seed and
deadline. A worker that raises turns into a ``SubmissionError``; one that
exits, hangs (no reply within the call's deadline, or a request it stops reading
for as long) or dies is killed and replaced by a fresh worker on the next call
(handles from the old one are then gone). ``output`` is what all its workers
printed, capped per worker.

Workers start behind the walls ``isolation.plan`` chose and report the layers
they have; ``layers`` keeps the weakest set seen ("cgroup" included where the
worker got one).

The grader's own functions that grading runs in the middle of submitted code
(stand-ins, the smoke loss's noise step and closed forms) run here, in the
parent: while a request is in flight the worker may send callback frames, and
``_send`` answers those the request offered (``autograder.callbacks``) and
refuses any other. Refusals, and the worker's reports of refused imports of the
grader's packages, are kept in ``attempts`` for course staff.

Fail fast: a call that times out marks its function; later calls of it fail
at once, naming the item where it first timed out. Once ``hang_budget``
seconds have been lost to time-outs, every call gets ``short_timeout``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from autograder import callbacks, isolation, protocol
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
        self.current_item = ""                # set by plugin.ScoreCollector, for messages
        self.callbacks_declared = True        # whether the current item may offer callbacks (plugin.run_order)
        self.plan = (isolation.plan(self.limits.isolation, namespaces=self.limits.namespaces) if self.limits.sandbox
                     else isolation.Plan("none"))
        self.layers: list[str] | None = None  # what the workers reported (the weakest seen)
        self.attempts: list[str] = []         # uses of grading code the submission tried, for course staff

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
        function at a time. The grader's versions run here, in the parent: the worker puts proxies in their
        place, and this request answers their calls (and no other request does). Noise they draw comes from
        a generator seeded with ``seed``. The student release has no stand-ins (they are the answers): there
        the call runs the submission's own functions, which can only cost points a callee already lost."""
        if STAND_INS.is_file():
            serve = callbacks.stand_ins(names)
            generation = obj._generation if isinstance(obj, Remote) else None
            return self._request({"op": "stand_ins", "args": [obj, method, list(names), *args], "seed": seed},
                                 label or f"{method} (with the grader's {', '.join(names)})", None, generation,
                                 serve=serve)
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

    def trusted(self, target: str, *args, seed: int = 0, timeout: float | None = None, label: str = "",
                serve: dict | None = None, **kwargs):
        """Run trusted course code ``target`` ("autograder.probes:parameter_shapes") in the worker; ``serve``
        (name -> ``callbacks.Op``) is what its callbacks may ask of the parent during this request
        (``callbacks.SMOKE`` for ``autograder.smoke:train``), noise seeded with ``seed``."""
        return self._request({"op": "trusted", "target": target, "args": list(args), "kwargs": kwargs,
                              "seed": seed}, label or target, timeout, serve=serve)

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
        got = (list(reply.get("layers", [])) + (["cgroup"] if self.worker.cgroup else [])
               + [self.worker.scratch_cap.label])  # e.g. "scratch: tmpfs 256 MB" (scratch.py)
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
    def _read(self, timeout: float, call: str, shown: float | None = None, clock=None):
        """The worker's next frame before ``clock`` (the call's, started when it was sent; a fresh one when None)
        reaches ``timeout`` s of the worker's time (a time-out reads as ``shown`` s, the call's deadline)."""
        try:
            return self.worker.receive(max(timeout, 0.0), clock)
        except TimeoutError:
            self._kill()
            raise SubmissionError("timeout", f"{timeout if shown is None else shown:g} s", call=call) from None
        except (EOFError, OSError):
            raise self._crashed(call) from None
        except protocol.ProtocolError as exc:
            self._kill()
            raise SubmissionError("protocol", str(exc), call=call) from None

    def _request(self, message: dict, call: str, timeout: float | None, generation: int | None = None,
                 serve: dict | None = None):
        if serve and not self.callbacks_declared:
            raise SubmissionError("harness", f"item {self.current_item} offers callbacks but is not marked "
                                  "'callbacks', so it could run before items its callbacks answer", call=call)
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
        if self._runs_hung_code(message):  # e.g. training a model whose encode already hung: not 120 s again
            timeout = min(timeout, self.limits.call_timeout)
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
            return self._send(message, call, timeout, generation, serve)
        except SubmissionError as exc:
            if exc.kind == "timeout":
                self.hang_spent += timeout
                if module not in self.hung_modules:
                    self.hung[key] = (self.current_item or "an earlier item", timeout)
            raise

    def _send(self, message: dict, call: str, timeout: float, generation: int | None, serve: dict | None = None):
        if self.worker is not None and self.worker.exited():
            self._kill()
        if self.worker is None:
            self._start()
        if generation is not None and generation != self.generation:
            raise SubmissionError("crashed", "an earlier failure restarted it, so this object is gone", call=call)
        message = protocol.rebuild({k: v for k, v in message.items() if v is not None},
                                   lambda v: v.wire() if isinstance(v, Remote) else v)
        clock = self.worker.new_clock()  # the worker's time, not the machine's: a busy machine does not count
        self._write(message, timeout, call, timeout)
        session = callbacks.Session(serve, int(message.get("seed", 0)))
        while True:
            reply = self._read(timeout, call, shown=timeout, clock=clock)
            if not (isinstance(reply, dict) and "callback" in reply):
                break
            answer, attempt = session.answer(reply)  # the grader's function, computed here
            if attempt:
                self._attempt(attempt, call)
            self._write(answer, timeout - clock.elapsed(), call, timeout)
        if isinstance(reply, dict) and "attempts" in reply:
            for attempt in reply.pop("attempts") if isinstance(reply["attempts"], list) else []:
                self._attempt(str(attempt), call)
        if not isinstance(reply, dict) or ("value" not in reply and "error" not in reply):
            self._kill()
            raise SubmissionError("protocol", "malformed reply", call=call)
        if "error" in reply:
            err = reply["error"]
            raise SubmissionError(err["kind"], err["message"], exc_type=err["type"], where=err["where"], call=call)
        label, generation = call.removesuffix("(...)"), self.generation
        return protocol.rebuild(reply["value"], lambda v: Remote(self, v, label, generation)
                                if protocol.is_handle_ref(v) else v)

    def _runs_hung_code(self, message: dict) -> bool:
        """Whether ``message`` runs an object one of whose methods already timed out (trusted code given that
        object, a method of it): such a call gets an ordinary call's deadline at most."""
        labels = set()
        protocol.rebuild(message, lambda v: labels.add(v._label) if isinstance(v, Remote) else v)
        return any(key.startswith(label + ".") for label in labels for key in self.hung)

    def _write(self, message: dict, timeout: float, call: str, shown: float) -> None:
        """Send ``message`` to the worker within ``timeout`` seconds. A worker that stops reading (its request
        pipe stays full) is killed and the call fails as timed out after ``shown`` seconds, as when its reply
        is late; one that is gone fails the call as crashed."""
        try:
            self.worker.send(message, max(timeout, 0.0))
        except TimeoutError:
            self._kill()
            raise SubmissionError("timeout", f"{shown:g} s (it stopped reading the grader's request)",
                                  call=call) from None
        except OSError:
            raise self._crashed(call) from None

    def _attempt(self, what: str, call: str) -> None:
        """Record for course staff that the submission tried to use grading code (``what``) during ``call``."""
        entry = f"{self.current_item or 'outside the items'} ({call}): {what[:200]}"
        if entry not in self.attempts and len(self.attempts) < 100:
            self.attempts.append(entry)
