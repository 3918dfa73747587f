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

Any call may carry ``"grad": {"wrt": [0, 1], "grad_output": tensor}``: the
listed positional tensor arguments then require grad and the reply holds
``{"value": out, "grads": [...]}`` from ``torch.autograd.grad``.
Results that are not plain data (tensors, numbers, strings, containers) stay
here and are sent back as handle references. Frames, replies and references
are ``protocol.py``'s.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import sys
import traceback

TRUSTED_PREFIXES = ("autograder.probes:", "autograder.smoke:", "autograder.stand_ins:", "course.")


class Worker:
    def __init__(self, submission_dir: str):
        import torch  # imported here so start-up errors are reported as frames

        from autograder import protocol

        self.torch, self.protocol = torch, protocol
        self.submission_dir = os.path.abspath(submission_dir)
        self.handles: dict[int, object] = {}
        self.modules: dict[str, object] = {}

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
            if not target.startswith(TRUSTED_PREFIXES):
                raise _Reported("harness", "PermissionError", f"{target} is not trusted code")
            mod_name, attr = target.split(":", 1)
            obj = importlib.import_module(mod_name)
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
        else:
            fn = self.resolve(request["target"])
        args = list(self.unwire(request.get("args", [])))
        kwargs = self.unwire(request.get("kwargs", {}))
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

    def seed_all(self, seed: int):
        random.seed(seed)
        self.torch.manual_seed(seed)
        try:
            import numpy as np

            np.random.seed(seed % 2**32)
        except ImportError:
            pass


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
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(SUBMISSION_ROOT)]
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
    from autograder import protocol

    config = json.loads(config_json)
    SUBMISSION_ROOT = os.path.abspath(config["submission"])
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # grading is CPU-only and identical everywhere
    import torch

    torch.set_num_threads(int(config.get("threads", 1)))
    import torch.nn.functional  # noqa: F401 - import what grading needs before the sandbox closes
    import autograder.probes  # noqa: F401
    import autograder.smoke  # noqa: F401
    import torchvision.datasets  # noqa: F401 - loads its native library (dlopen is closed later)

    import course.data

    course.data.pin_data_root(config["data_root"])  # the parent built it; here it is only read
    layers = _harden(config) if config.get("sandbox", True) else []
    sys.path.insert(0, SUBMISSION_ROOT)
    worker = Worker(SUBMISSION_ROOT)
    layers.append(f"uid:{os.geteuid()}")  # the user submitted code runs as, for the report's first line
    protocol.write_frame(reply_fd, {"ready": os.getpid(), "layers": layers})
    while True:
        try:
            request = protocol.read_frame(request_fd)
        except EOFError:
            return
        try:
            reply = {"value": worker.serve(request)}
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a reply
            reply = error_reply(exc)
        try:
            protocol.write_frame(reply_fd, reply)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value
            protocol.write_frame(reply_fd, error_reply(exc))
