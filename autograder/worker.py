"""The worker: the only process that imports and runs submitted code.

Started for ``gateway.Gateway`` by ``worker_process.WorkerProcess`` as
``python -I -c ...`` with two pipe file descriptors (requests in, replies out)
and its stdout/stderr captured by the parent. It serves one request at a time:

    {"op": "import",  "target": "vae"}                             (before a module's first call)
    {"op": "call",    "target": "vae.kl_divergence", "args": [...], "kwargs": {...}, "seed": 0}
    {"op": "new",     "target": "vae.Autoencoder", ...}           -> a handle
    {"op": "method",  "handle": 3, "name": "encode", ...}
    {"op": "getattr", "handle": 3, "name": "loss"}
    {"op": "trusted", "target": "autograder.probes:parameter_shapes", ...}  (course code run on handles)
    {"op": "stand_ins", "args": [obj, "forward", ["reparameterize"], x], "seed": 1}

Any call may carry ``"grad": {"wrt": [0, 1], "grad_output": tensor}``: the
listed positional tensor arguments then require grad and the reply holds
``{"value": out, "grads": [...]}`` from ``torch.autograd.grad``.
Results that are not plain data (tensors, numbers, strings, containers) stay
here and are sent back as handle references. Frames, replies and references
are ``protocol.py``'s.

No answer lives here. The grader's own functions that grading runs in the
middle of submitted code (the stand-ins of ``stand_ins``, the noise step and
closed forms of the smoke loss) are computed by the parent: ``Parent`` sends a
callback frame on the reply pipe and waits for the answer on the request pipe
(``autograder.callbacks`` has the frames). The parent answers only the
callbacks the request in flight offered. The worker imports only its own
modules (this one, ``protocol``, ``kernel``, ``sandbox``, ``probes``,
``smoke``, ``course.train``, ``course.device``), before any submitted code,
and then drops every ``autograder`` and ``course`` entry from ``sys.modules``
(it keeps its references in ``Worker.trusted``): a later import of the
grader's packages by submitted code then runs the import system, where the
import guard refuses it (``sandbox.install_import_guard``). A reply carries
``"attempts"`` when submitted code tried that since the last reply.
"""
from __future__ import annotations

import builtins
import importlib.util
import inspect
import json
import os
import random
import sys
import traceback
import types

GRADING_PACKAGES = ("autograder", "course")  # the grader's packages: nothing of them is imported after start-up


class Worker:
    def __init__(self, submission_dir: str, request_fd: int = -1, reply_fd: int = -1, trusted: dict | None = None):
        import torch  # imported here so start-up errors are reported as frames

        from autograder import protocol

        self.torch, self.protocol = torch, protocol
        self.submission_dir = os.path.abspath(submission_dir)
        self.handles: dict[int, object] = {}
        self.modules: dict[str, object] = {}
        self.trusted: dict[str, object] = dict(trusted or {})  # "autograder.probes" -> the module requests may name
        self.parent = Parent(torch, protocol, request_fd, reply_fd)
        self.attempts: list[str] = []  # uses of grading code refused since the last reply (the import guard's)

    # -- submitted modules ---------------------------------------------------
    def module(self, name: str):
        if name in self.modules:
            return self.modules[name]
        path = os.path.join(self.submission_dir, f"{name}.py")
        if not os.path.isfile(path):
            raise _Reported("missing", "FileNotFoundError", f"{name}.py is missing from the submission")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything
            del sys.modules[name]
            raise _Reported("import", type(exc).__name__, _describe(exc), _student_frames(exc)) from None
        self.modules[name] = module
        return module

    def resolve(self, target: str):
        if ":" in target:  # trusted course code, "package.module:attr"
            mod_name, attr = target.split(":", 1)
            obj = self.trusted.get(mod_name)
            if obj is None:
                raise _Reported("harness", "PermissionError", f"{target} is not trusted code")
        else:  # submitted code, "vae.Autoencoder"
            mod_name, _, attr = target.partition(".")
            obj = self.module(mod_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    # -- values --------------------------------------------------------------
    def unwire(self, obj):
        """``obj`` with each handle reference replaced by its object and each module reference by the module."""
        protocol = self.protocol

        def resolve(v):
            if protocol.is_handle_ref(v):
                return self.handles[v[protocol.HANDLE]]
            return self.module(v[protocol.MODULE]) if protocol.is_module_ref(v) else v

        return protocol.rebuild(obj, resolve)

    def wire(self, obj):
        torch = self.torch
        if isinstance(obj, torch.Tensor):
            return obj.detach().cpu().as_subclass(torch.Tensor).clone()
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if type(obj).__module__ == "numpy":
            import numpy as np

            return torch.from_numpy(np.array(obj)) if isinstance(obj, np.ndarray) else obj.item()
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
            return tuple(self.wire(o) for o in obj)
        if isinstance(obj, list):
            return [self.wire(o) for o in obj]
        if type(obj) is dict and all(isinstance(k, str) for k in obj):
            return {k: self.wire(v) for k, v in obj.items()}
        handle_id = len(self.handles) + 1
        self.handles[handle_id] = obj
        return self.protocol.handle_ref(handle_id, type(obj).__qualname__)

    # -- requests ------------------------------------------------------------
    def serve(self, request: dict):
        op = request["op"]
        seed = int(request.get("seed", 0))
        if op == "import":
            self.module(request["target"])
            return None
        if op == "getattr":
            return self.wire(getattr(self.handles[request["handle"]], request["name"]))
        if op == "method":
            fn = getattr(self.handles[request["handle"]], request["name"])
        elif op == "stand_ins":
            fn = self.with_stand_ins
        else:
            fn = self.resolve(request["target"])
        args = list(self.unwire(request.get("args", [])))
        kwargs = self.unwire(request.get("kwargs", {}))
        if op == "trusted" and "parent" in inspect.signature(fn).parameters:
            kwargs["parent"] = self.parent  # smoke.train: the grader's steps of its loss come from the parent
        grad = request.get("grad")
        if grad is not None:
            for i in grad["wrt"]:
                args[i] = args[i].detach().clone().requires_grad_(True)
        self.seed_all(seed)
        out = fn(*args, **kwargs)
        if grad is None:
            return self.wire(out)
        inputs = [args[i] for i in grad["wrt"]]
        grad_output = grad.get("grad_output")
        if grad_output is None:
            grad_output = self.torch.ones_like(out)
        grads = self.torch.autograd.grad(out, inputs, grad_output, allow_unused=True)
        return {"value": self.wire(out), "grads": [None if g is None else self.wire(g) for g in grads]}

    def with_stand_ins(self, obj, method: str, names: list, *args, **kwargs):
        """``obj.<method>(*args, **kwargs)`` (``obj`` an object or the submitted module) with each of ``names``
        replaced by a proxy of the grader's version for the length of the call, where the submission looks it
        up: a method on the object itself, else a function of the submitted module (a global). The proxies
        ask the parent (``Parent.function``), which answers them only while this request is in flight.
        Everything is put back afterwards."""
        module = obj if isinstance(obj, types.ModuleType) else sys.modules[type(obj).__module__]
        saved_module, saved_object = {}, {}
        for name in names:
            proxy = self.parent.function(name)
            if not isinstance(obj, types.ModuleType) and callable(getattr(type(obj), name, None)):  # a method
                saved_object[name] = obj.__dict__.get(name)
                obj.__dict__[name] = proxy
            elif hasattr(module, name):  # a function of the submitted module, looked up as a global
                saved_module[name] = getattr(module, name)
                setattr(module, name, proxy)
        try:
            return getattr(obj, method)(*args, **kwargs)
        finally:
            for name, value in saved_module.items():
                setattr(module, name, value)
            for name, value in saved_object.items():
                if value is None:
                    obj.__dict__.pop(name, None)
                else:
                    obj.__dict__[name] = value

    def seed_all(self, seed: int):
        random.seed(seed)
        self.torch.manual_seed(seed)
        try:
            import numpy as np

            np.random.seed(seed % 2**32)
        except ImportError:
            pass


class GradingCodeRefused(PermissionError):
    """Submitted code called grading code that grading does not offer it at this point (a stand-in outside
    the call it stands in for, a grading function that does not exist); the parent recorded the attempt."""


class Parent:
    """The worker's line to the grading parent for the grader's own functions (``autograder.callbacks``).

    ``function(name)`` is a proxy with the signature of the grader's ``name``: each call sends
    {"callback": name, "args", "kwargs", "grad"} on the reply pipe and reads the answer from the request
    pipe. Tensors that require grad (``grad`` lists their positions and keywords) get the answer's chains, so
    the value joins the autograd graph (``backward`` multiplies the incoming gradient by each chain, in
    order, and sums it to the input's shape). A refusal raises ``GradingCodeRefused``; an error of the
    grader's function on these arguments raises the same built-in exception type with its message.
    Arguments are tensors, numbers, strings, None and lists, tuples and dicts of them.
    """

    def __init__(self, torch, protocol, request_fd: int, reply_fd: int):
        self.torch, self.protocol, self.request_fd, self.reply_fd = torch, protocol, request_fd, reply_fd
        self.answered = _answered_function(torch)

    def function(self, name: str):
        def stand_in(*args, **kwargs):
            return self.call(name, args, kwargs)

        stand_in.__name__ = stand_in.__qualname__ = name
        return stand_in

    def call(self, name: str, args: tuple, kwargs: dict):
        torch = self.torch
        tracking = torch.is_grad_enabled()
        wrt = [i for i, a in enumerate(args) if tracking and isinstance(a, torch.Tensor) and a.requires_grad]
        wrt += [str(k) for k, a in kwargs.items() if tracking and isinstance(a, torch.Tensor) and a.requires_grad]
        frame = {"callback": name, "args": [_plain(torch, a, name) for a in args],
                 "kwargs": {str(k): _plain(torch, v, name) for k, v in kwargs.items()}, "grad": wrt}
        self.protocol.write_frame(self.reply_fd, frame)
        while True:
            answer = self.protocol.read_frame(self.request_fd)
            if isinstance(answer, dict) and answer.get("answer"):
                break
        if "error" in answer:
            err = answer["error"]
            if err.get("kind") == "refused":
                raise GradingCodeRefused(err.get("message", "grading code cannot be used from a submission"))
            exc_type = getattr(builtins, str(err.get("type", "")), None)
            if not (isinstance(exc_type, type) and issubclass(exc_type, Exception)) or issubclass(exc_type, OSError):
                exc_type = RuntimeError
            raise exc_type(err.get("message", f"the grader's {name} failed"))
        value, chains = answer.get("value"), list(answer.get("chains") or [])
        if wrt and isinstance(value, torch.Tensor) and len(chains) == len(wrt) and any(c is not None for c in chains):
            inputs = [args[i] if isinstance(i, int) else kwargs[i] for i in wrt]
            return self.answered.apply({"value": value, "chains": chains, "shapes": [t.shape for t in inputs]},
                                       *inputs)
        return value


def _answered_function(torch):
    """The autograd Function whose output is a value the parent computed, and whose backward multiplies the
    incoming gradient by each input's chain of factors (``autograder.callbacks``), summed to its shape."""

    class Answered(torch.autograd.Function):
        @staticmethod
        def forward(ctx, answer, *inputs):
            ctx.chains, ctx.shapes = answer["chains"], answer["shapes"]
            return answer["value"]

        @staticmethod
        def backward(ctx, grad):
            grads = [None]
            for chain, shape in zip(ctx.chains, ctx.shapes):
                if chain is None:
                    grads.append(None)
                    continue
                g = grad
                for factor in chain:
                    g = g * factor
                grads.append(g if tuple(g.shape) == tuple(shape) else g.sum_to_size(shape))
            return tuple(grads)

    return Answered


def _plain(torch, v, name: str):
    """``v`` as a callback argument: tensors detached on the CPU (copied when they are views, so a frame holds
    no more than the tensor), numpy values as tensors or numbers."""
    if isinstance(v, torch.Tensor):
        t = v.detach().cpu().as_subclass(torch.Tensor)
        whole = (t.is_contiguous() and t.storage_offset() == 0
                 and t.untyped_storage().nbytes() == t.numel() * t.element_size())
        return t if whole else t.clone()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if type(v).__module__ == "numpy":
        import numpy as np

        return torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v.item()
    if isinstance(v, list):
        return [_plain(torch, o, name) for o in v]
    if isinstance(v, tuple):
        return tuple(_plain(torch, o, name) for o in v)
    if isinstance(v, dict):
        return {str(k): _plain(torch, o, name) for k, o in v.items()}
    raise TypeError(f"the grader's {name} takes tensors and numbers; got a {type(v).__name__}")


class _Reported(Exception):
    def __init__(self, kind, exc_type, message, where=""):
        super().__init__(message)
        self.kind, self.exc_type, self.message, self.where = kind, exc_type, message, where


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"{exc.msg} (line {exc.lineno})"
    if isinstance(exc, SystemExit):
        return f"the code called exit({exc.code!r})"
    return str(exc)[:2000]


def _student_frames(exc: BaseException) -> str:
    """The innermost frames that lie in submitted files, as 'vae.py:42 in encode'."""
    summary = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    frames = [f for f in summary if f.filename.startswith(SUBMISSION_ROOT)]
    return "; ".join(f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in frames[-3:])


def error_reply(exc: BaseException) -> dict:
    if isinstance(exc, _Reported):
        kind, exc_type, message, where = exc.kind, exc.exc_type, exc.message, exc.where
    else:
        kind = "not_implemented" if isinstance(exc, NotImplementedError) else "raised"
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            kind = "exit"
        exc_type, message, where = type(exc).__name__, _describe(exc), _student_frames(exc)
    return {"error": {"kind": kind, "type": exc_type, "message": message, "where": where}}


SUBMISSION_ROOT = ""


def _harden(config: dict) -> list[str]:
    """Put up the walls ``config`` asks for; returns the layers in place (see isolation.label)."""
    from autograder import kernel, sandbox

    layers = list(config.get("outside_layers", []))
    scratch = config["scratch"]
    os.makedirs(scratch, exist_ok=True)
    if config.get("scratch_tmpfs"):  # root without namespaces: a tmpfs that dies with this worker
        dropping = not config["kernel"] and config.get("drop_privileges", True)
        owner = (sandbox.UNPRIVILEGED_UID, sandbox.UNPRIVILEGED_GID) if dropping else (0, 0)
        kernel.private_tmpfs(scratch, config["scratch_tmpfs"], owner)
    for name, value in (("TMPDIR", scratch), ("HOME", scratch), ("MPLCONFIGDIR", scratch)):
        os.environ[name] = value
    import tempfile

    tempfile.tempdir = scratch
    limits = (config["memory_mb"] * 2**20, config["cpu_seconds"], config["file_mb"] * 2**20, config["max_processes"])
    reads, hidden = config["read_roots"], config["hidden"]
    hidden = [d for d in hidden if not (SUBMISSION_ROOT + "/").startswith(d + "/")]  # grading solutions/ itself
    if config["kernel"]:
        kernel.hard_limits(*limits)
        if os.geteuid() == 0:
            kernel.drop_capabilities()
        kernel.restrict_syscalls()  # first: loading libseccomp looks around the file system
        layers.append("seccomp")
        kernel.restrict_filesystem(reads, [scratch], ["/dev/null"], hidden)
        layers.append("landlock")
    else:
        if config.get("drop_privileges", True) and sandbox.drop_privileges([r for r in reads if os.path.exists(r)]):
            layers.append("unprivileged user")
        kernel.hard_limits(*limits)
    sandbox.install_audit_hook(reads, [scratch], hidden, kernel_walls=config["kernel"])
    return layers


def main(config_json: str, request_fd: int, reply_fd: int) -> None:
    global SUBMISSION_ROOT
    from autograder import protocol, sandbox

    config = json.loads(config_json)
    SUBMISSION_ROOT = os.path.abspath(config["submission"])
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # grading is CPU-only and identical everywhere
    import torch

    torch.set_num_threads(int(config.get("threads", 1)))
    import torch.nn.functional  # noqa: F401 - import what grading needs before the sandbox closes
    import autograder.probes
    import autograder.smoke
    import torchvision.datasets  # noqa: F401 - loads its native library (dlopen is closed later)

    layers = _harden(config) if config.get("sandbox", True) else []
    sys.path.insert(0, SUBMISSION_ROOT)
    worker = Worker(SUBMISSION_ROOT, request_fd, reply_fd,
                    {"autograder.probes": autograder.probes, "autograder.smoke": autograder.smoke})
    folders = sorted({os.path.dirname(os.path.realpath(sys.modules[p].__file__)) for p in GRADING_PACKAGES})
    _forget_grading_modules()
    sandbox.install_import_guard(GRADING_PACKAGES, folders, worker.attempts)
    layers.append(f"uid:{os.geteuid()}")  # the user submitted code runs as, for the report's first line
    protocol.write_frame(reply_fd, {"ready": os.getpid(), "layers": layers})
    while True:
        try:
            request = protocol.read_frame(request_fd)
        except EOFError:
            return
        if not isinstance(request, dict) or "op" not in request:
            continue  # an answer to a callback no one waits for any more (submitted code wrote the callback)
        try:
            reply = {"value": worker.serve(request)}
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a reply
            reply = error_reply(exc)
        if worker.attempts:
            reply["attempts"] = [str(a)[:200] for a in worker.attempts[:20]]
            del worker.attempts[:]
        try:
            protocol.write_frame(reply_fd, reply)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value
            protocol.write_frame(reply_fd, error_reply(exc))


def _forget_grading_modules() -> None:
    """Drop every module of the grader's packages from ``sys.modules``, once the worker holds what it needs.

    The worker imported them before the audit hooks went up, so a submitted ``import autograder.smoke``
    would otherwise be served from ``sys.modules`` without an import event. With the entries gone it runs
    the import system, where the import guard (``sandbox.install_import_guard``) refuses it by name, with a
    message and an attempt recorded for course staff: the "import" audit event of an ``import`` statement
    (a hook cannot be removed), a ``sys.meta_path`` finder for ``importlib.import_module`` (which raises no
    such event), and the "open" event of the package's files for any other way to load them. The module
    objects live on in the worker's references (``Worker.trusted``, the functions' globals), and they hold
    no answer: everything that does is parent-only (``autograder.callbacks``, ``autograder.stand_ins``)."""
    for name in [n for n in sys.modules if n.split(".", 1)[0] in GRADING_PACKAGES]:
        del sys.modules[name]
