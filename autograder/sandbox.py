"""The friendly first layer in the worker: a Python audit hook, plus the
unprivileged-user drop of the Python-only mode (worker side).

The hook (``sys.addaudithook``, which cannot be removed) turns a forbidden act
into a clear ``SandboxViolation`` message: new processes, sockets, signals to
other processes, writes outside the scratch folder, reads or listings outside
what the worker may read. It is not the wall: native code never calls back
into it. Behind the kernel layers (``kernel.py``, ``isolation.py``) it refuses
only what the kernel refuses anyway and lets harmless things through
(``os.putenv``, the library loading scikit-learn's threadpoolctl does). In the
Python-only mode it is all there is, with resource limits and, when started as
root, an unprivileged user; there ``ctypes`` may load libraries of the Python
installation but not reach libc's process, socket and file functions.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types

UNPRIVILEGED_UID = 65534  # nobody
UNPRIVILEGED_GID = 65534  # nogroup

BLOCKED_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
    "pty.spawn", "os.killpg", "signal.pthread_kill", "signal.pidfd_send_signal",
    "socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "os.chmod", "os.chown", "os.setuid", "os.setgid", "resource.setrlimit", "resource.prlimit",
    "cpython.PyInterpreterState_New",  # audit hooks are per interpreter: no subinterpreters
    "webbrowser.open", "urllib.Request", "ftplib.connect", "http.client.connect", "smtplib.connect",
}
# Python-only mode: libc functions ctypes must not reach (loading a library and the rest of ctypes stay open,
# since scikit-learn's threadpoolctl needs them).
LIBC_DENIED = {"system", "popen", "fork", "vfork", "execv", "execve", "execvp", "execl", "execlp", "posix_spawn",
               "posix_spawnp", "socket", "connect", "open", "open64", "openat", "openat64", "fopen", "fopen64",
               "creat", "syscall", "kill", "ptrace", "dlopen", "mmap", "mprotect", "prlimit", "setrlimit",
               "unlink", "rename", "link", "symlink", "chmod", "chown", "mkfifo", "clone", "unshare"}
PATH_READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
PATH_WRITE_EVENTS = {"os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.symlink", "os.link",
                     "os.truncate", "shutil.rmtree", "os.utime"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxViolation(PermissionError):
    """Raised inside the worker when submitted code does what grading forbids."""


class GradingCodeImport(SandboxViolation):
    """Raised inside the worker when submitted code imports a module of the grader's own packages (not an
    ImportError: the import system takes an ImportError from an audit hook as "not found here" and goes on)."""


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


def install_audit_hook(read_roots, write_roots, deny_roots, *, kernel_walls: bool) -> None:
    """Refuse BLOCKED_EVENTS, signals to other processes and file access outside the given roots;
    without ``kernel_walls``, also ctypes' way to libc's LIBC_DENIED functions.

    The policy lives in the hook's closure as immutable values, so submitted
    code cannot empty it by editing this module's globals."""
    read_roots = tuple(os.path.realpath(r) for r in read_roots) + tuple(write_roots)
    write_roots = tuple(os.path.realpath(r) for r in write_roots)
    deny_roots = tuple(os.path.realpath(r) for r in deny_roots)
    blocked, reads, writes, libc_denied = (frozenset(BLOCKED_EVENTS), frozenset(PATH_READ_EVENTS),
                                           frozenset(PATH_WRITE_EVENTS), frozenset(LIBC_DENIED))
    realpath, fspath, pid, under = os.path.realpath, os.fspath, os.getpid(), _under

    def check_path(path, write: bool):
        if isinstance(path, int) or path is None:
            return  # an already-open descriptor
        try:
            p = realpath(fspath(path) if not isinstance(path, bytes) else path.decode(errors="replace"))
        except (TypeError, ValueError):
            return
        if write:
            if not under(p, write_roots):
                raise SandboxViolation(f"grading forbids writing {p}")
        elif under(p, deny_roots) or not under(p, read_roots):
            raise SandboxViolation(f"grading forbids reading {p}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            check_path(path, write)
        elif event in blocked:
            raise SandboxViolation(f"grading forbids {event}")
        elif event == "os.kill" and args and args[0] != pid:
            raise SandboxViolation("grading forbids signalling other processes")
        elif event in reads:
            check_path(args[0] if args else None, False)
        elif event in writes:
            check_path(args[0] if args else None, True)
        elif event == "ctypes.dlsym" and not kernel_walls and len(args) > 1 and str(args[1]) in libc_denied:
            raise SandboxViolation(f"grading forbids calling {args[1]} through ctypes")

    sys.addaudithook(hook)


def install_import_guard(packages, folders, attempts: list) -> None:
    """Refuse, from now on, every import of a module of ``packages`` ("autograder", "course") and every read
    of a file in ``folders`` (those packages' folders), with a message that names it, and note each
    attempt in ``attempts`` (the worker sends them to the parent with its next reply, for course staff; at
    most 50 are kept between replies).

    Worker side, in every mode (also without the sandbox), after the worker has imported what it needs and
    dropped those modules from ``sys.modules`` (``worker._forget_grading_modules``), so that a submitted
    import of them runs the import system again. Three checks, because each import path meets a different
    one: a finder put first on ``sys.meta_path`` gives every import of them by name (``import`` statements and
    ``importlib.import_module`` alike) a ``Refused`` module, whose functions refuse when called, so a file
    that merely imports them loses nothing but the code that uses them; and loading the source by any
    other route (the finder removed, ``importlib.util.spec_from_file_location``, ``open``) reads the
    file, whose "open" event the hook refuses by folder (silently for ``linecache``, which only shows source lines in
    tracebacks). Submitted code can empty ``attempts`` or remove the finder, like anything in the worker's
    memory; what stops a submission from borrowing answers is that none is there: the modules that hold
    them are masked from the worker and were never imported by it."""
    roots = frozenset(packages)
    folders = tuple(os.path.realpath(f).rstrip("/") + "/" for f in folders)
    realpath, fspath, getframe = os.path.realpath, os.fspath, sys._getframe

    def refuse(what: str, record: bool = True):
        if record and len(attempts) < 50:
            attempts.append(what[:120])
        return GradingCodeImport(f"grading code cannot be used from a submission: {what} refused. Write your own "
                                 "functions (torch and numpy are there); course staff see this attempt.")

    def from_linecache() -> bool:
        frame, depth = getframe(2), 0
        while frame is not None and depth < 12:
            if frame.f_code.co_filename.endswith("linecache.py"):
                return True
            frame, depth = frame.f_back, depth + 1
        return False

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            try:
                path = args[0] if not isinstance(args[0], bytes) else args[0].decode(errors="replace")
                path = realpath(fspath(path))
            except (TypeError, ValueError):
                return
            if path.startswith(folders):
                quiet = from_linecache()
                raise refuse(f"reading {path}", record=not quiet)

    class Refused(types.ModuleType):
        """What an import of the grader's packages gives: a module with nothing in it, whose every name is a
        function that refuses when called. A file that merely imports them (a notebook's training cell's
        ``from course.data import load_images``) still imports; only the code that uses them fails."""

        def __getattr__(self, attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            what = f"{self.__name__}.{attr}"

            def refused(*args, **kwargs):
                raise refuse(f"use of {what}")

            refused.__name__ = refused.__qualname__ = attr
            return refused

    class Refuser(importlib.abc.Loader):
        """First on ``sys.meta_path``: the grader's packages, by name, load as ``Refused`` modules, and the
        attempt is noted (``import`` statements and ``importlib.import_module`` alike)."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.split(".", 1)[0] not in roots:
                return None
            if len(attempts) < 50:
                attempts.append(f"import of {name}"[:120])
            return importlib.machinery.ModuleSpec(name, Refuser(), is_package=True)

        def create_module(self, spec):
            module = Refused(spec.name)
            module.__path__ = []
            return module

        def exec_module(self, module):
            pass

    sys.addaudithook(hook)
    sys.meta_path.insert(0, Refuser)
