"""Hardening of the worker, applied after torch is imported and before any
submitted code runs.

- resource limits: address space (what is mapped now plus a budget), CPU time,
  file size, core dumps, number of processes;
- when started as root (as on Gradescope): drop to an unprivileged user;
- a Python audit hook (``sys.addaudithook``, which cannot be removed) that
  refuses new processes, sockets, ctypes, signals to other processes, file
  writes outside the worker's scratch folder, and reads or listings outside
  the submission, the trusted course code, the data cache and the Python
  installation.

What the audit hook cannot stop: native code that never calls back into the
interpreter (a C extension calling open(2) or socket(2) directly, e.g. numpy's
``fromfile`` in some paths). Only the operating system stops that, which is
why the worker also runs as an unprivileged user with resource limits, and
why hidden items must not be readable by that user in production.
"""
from __future__ import annotations

import os
import resource
import sys

UNPRIVILEGED_UID = 65534  # nobody
UNPRIVILEGED_GID = 65534  # nogroup

BLOCKED_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
    "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
    "socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function",
    "os.chmod", "os.chown", "os.setuid", "os.setgid", "os.putenv", "os.unsetenv",
    "webbrowser.open", "urllib.Request", "ftplib.connect", "http.client.connect", "smtplib.connect",
}
PATH_READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
PATH_WRITE_EVENTS = {"os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.symlink", "os.link",
                     "os.truncate", "shutil.rmtree", "os.utime"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxViolation(PermissionError):
    """Raised inside the worker when submitted code does what grading forbids."""


def _vm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(memory_bytes: int, cpu_seconds: int, file_bytes: int, max_processes: int) -> None:
    def lower(kind, value):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, hard))

    lower(resource.RLIMIT_AS, _vm_bytes() + memory_bytes)
    lower(resource.RLIMIT_CPU, cpu_seconds)
    lower(resource.RLIMIT_FSIZE, file_bytes)
    lower(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # root ignores RLIMIT_NPROC; we drop root first when we can
        lower(resource.RLIMIT_NPROC, max_processes)


def reachable_by_others(path: str) -> bool:
    """Whether every folder on the way to ``path`` lets other users through (o+x)."""
    path = os.path.realpath(path)
    parts = path.split("/")
    for i in range(2, len(parts) + 1):
        folder = "/".join(parts[:i]) or "/"
        if os.path.isdir(folder) and not os.stat(folder).st_mode & 0o001:
            return False
    return True


def drop_privileges(needed_paths) -> bool:
    """setuid to nobody when running as root and every path in ``needed_paths``
    (the Python installation, the course code, the submission) stays reachable;
    returns whether it happened."""
    if os.geteuid() != 0 or not all(reachable_by_others(p) for p in needed_paths):
        return False
    os.setgroups([])
    os.setgid(UNPRIVILEGED_GID)
    os.setuid(UNPRIVILEGED_UID)
    return True


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def install_audit_hook(read_roots, write_roots, deny_roots) -> None:
    """Refuse everything in BLOCKED_EVENTS and file access outside the given roots."""
    read_roots = tuple(os.path.realpath(r) for r in read_roots) + tuple(write_roots)
    write_roots = tuple(os.path.realpath(r) for r in write_roots)
    deny_roots = tuple(os.path.realpath(r) for r in deny_roots)
    realpath, fspath = os.path.realpath, os.fspath

    def check_path(path, write: bool):
        if isinstance(path, int) or path is None:
            return  # an already-open descriptor
        try:
            p = realpath(fspath(path) if not isinstance(path, bytes) else path.decode(errors="replace"))
        except (TypeError, ValueError):
            return
        if write:
            if not _under(p, write_roots):
                raise SandboxViolation(f"grading forbids writing {p}")
        elif _under(p, deny_roots) or not _under(p, read_roots):
            raise SandboxViolation(f"grading forbids reading {p}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            check_path(path, write)
        elif event in BLOCKED_EVENTS:
            raise SandboxViolation(f"grading forbids {event}")
        elif event in PATH_READ_EVENTS:
            check_path(args[0] if args else None, False)
        elif event in PATH_WRITE_EVENTS:
            check_path(args[0] if args else None, True)

    sys.addaudithook(hook)


def python_roots() -> list[str]:
    """Folders of the Python installation and its packages."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    import site
    import sysconfig

    roots.update(site.getsitepackages())
    roots.update(v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib"))
    return sorted(r for r in roots if r)
