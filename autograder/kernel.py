"""Kernel-enforced walls the worker puts up around itself, after torch is
imported and before any submitted code runs (worker side; trusted code).

- ``hard_limits``: rlimits with soft = hard, so nothing can raise them again;
- ``drop_capabilities``: a root worker keeps its uid but loses every capability;
- ``restrict_filesystem``: Landlock (``landlock`` package), an allow-list of
  folders to read and to write; everything else on disk is out of reach, also
  for native code (C extensions, torch's C++ file I/O, sqlite3, ...);
- ``restrict_syscalls``: a seccomp filter (libseccomp through ``pyseccomp``)
  that refuses new processes and programs, sockets, tracing and signalling
  other processes, re-limiting anything, mounts and namespaces, System V IPC
  and POSIX message queues, inotify and changing file timestamps.

Each returns quietly or raises ``LayerUnavailable``; the worker reports which
layers it applied and the parent decides whether that is enough.
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource

class LayerUnavailable(RuntimeError):
    """This kernel (or machine) cannot provide the requested wall."""


# -- limits and privileges ---------------------------------------------------------
def vm_bytes() -> int:
    """Address space mapped by this process now, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def hard_limits(memory_bytes: int, cpu_seconds: int, file_bytes: int, max_processes: int) -> None:
    """Set soft = hard for address space (mapped now + ``memory_bytes``), CPU, file size, cores, processes."""
    for kind, value in ((resource.RLIMIT_AS, vm_bytes() + memory_bytes), (resource.RLIMIT_CPU, cpu_seconds),
                        (resource.RLIMIT_FSIZE, file_bytes), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NPROC, max_processes)):
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty this process's capability sets (a root worker stays uid 0 with no powers)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):  # the bounding set, so nothing gained later by exec (exec is refused anyway)
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; EINVAL past the last capability
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise LayerUnavailable(f"capset: {os.strerror(ctypes.get_errno())}")


# -- the scratch folder's tmpfs (no namespaces, root) ------------------------------
CLONE_NEWNS, MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x20000, 2, 4, 0x4000, 0x40000


def private_tmpfs(path: str, size_bytes: int, owner: tuple[int, int] = (0, 0)) -> None:
    """Mount a tmpfs of ``size_bytes`` on ``path``, owned by ``owner`` (uid, gid), in a mount namespace of
    this process's own: the kernel frees it when the last process in the namespace is gone, also when the
    grader is killed. Needs CAP_SYS_ADMIN (a root worker before ``drop_capabilities``)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def check(result: int, what: str) -> None:
        if result != 0:
            raise LayerUnavailable(f"{what}: {os.strerror(ctypes.get_errno())}")

    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    options = (f"size={size_bytes},nr_inodes={max(size_bytes // 4096, 64)},mode=0700,"
               f"uid={owner[0]},gid={owner[1]}").encode()
    check(libc.mount(b"autograder-scratch", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
          f"mount tmpfs on {path}")
    os.chdir(path)  # the old working directory is the folder underneath, which the tmpfs caps nothing of


# -- Landlock ----------------------------------------------------------------------
def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when absent."""
    try:
        import landlock

        ctypes.set_errno(0)  # the bindings read errno, not the return value: clear what an earlier call left
        return int(landlock.landlock_abi_version())
    except Exception:  # noqa: BLE001 - no package, no syscall, disabled at boot
        return 0


def grants(roots, denied) -> list[str]:
    """The folders to grant so that every path under ``roots`` is reachable except those under ``denied``.

    Landlock rules only add access, so a root that holds a denied folder is
    granted child by child, leaving the denied branch out."""
    denied = [os.path.realpath(d) for d in denied]
    out: list[str] = []

    def walk(path: str):
        if any(path == d or path.startswith(d + "/") for d in denied):
            return
        if not any(d.startswith(path.rstrip("/") + "/") for d in denied):
            out.append(path)
            return
        try:
            names = os.listdir(path)
        except OSError:
            return
        for name in names:  # by real path: a symlink (a venv's lib64 -> lib) must not grant a denied branch
            walk(os.path.realpath(os.path.join(path, name)))

    for root in roots:
        if os.path.exists(root):
            walk(os.path.realpath(root))
    return sorted(set(out))


def restrict_filesystem(read_roots, write_roots, write_files, denied) -> None:
    """Landlock: read under ``read_roots`` (minus ``denied``), read and write under ``write_roots``,
    write the single files ``write_files`` (/dev/null); nothing else, not even for native code."""
    if landlock_abi() < 1:
        raise LayerUnavailable("Landlock is not available in this kernel")
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:  # a ruleset binds the calling thread and the threads it starts later, no others
        raise LayerUnavailable(f"Landlock must be applied while the worker has one thread (it has {threads})")
    from landlock import FSAccess, Ruleset

    read_file, read_dir = FSAccess.READ_FILE, FSAccess.READ_DIR
    write = (FSAccess.WRITE_FILE | FSAccess.REMOVE_FILE | FSAccess.REMOVE_DIR | FSAccess.MAKE_REG
             | FSAccess.MAKE_DIR | (FSAccess.TRUNCATE if landlock_abi() >= 3 else 0)
             | (FSAccess.REFER if landlock_abi() >= 2 else 0))
    rules = [(p, read_file | (read_dir if os.path.isdir(p) else 0)) for p in grants(read_roots, denied)]
    rules += [(p, read_file | read_dir | write) for p in write_roots]
    rules += [(p, read_file | FSAccess.WRITE_FILE) for p in write_files if os.path.exists(p)]
    ctypes.set_errno(0)  # the bindings read errno, not the return value: each call starts from 0
    ruleset = Ruleset()
    for path, access in rules:
        ctypes.set_errno(0)
        ruleset.allow(path, rules=access)
    ctypes.set_errno(0)
    ruleset.apply()


# -- seccomp -----------------------------------------------------------------------
REFUSED_SYSCALLS = (
    # new programs and processes (threads are allowed: clone with CLONE_THREAD, below)
    "execve", "execveat", "fork", "vfork",
    # networking; socketpair stays (an anonymous pair reaches nobody)
    "socket",
    # other processes: tracing, memory, handles
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "kcmp", "tkill",
    # limits, privileges, files by handle
    "setrlimit", "open_by_handle_at", "name_to_handle_at", "chown", "fchown", "lchown", "fchownat",
    "chmod", "fchmod", "fchmodat", "fchmodat2", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr",
    # the machine and its file systems
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "acct", "quotactl", "syslog", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "fanotify_init",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "lookup_dcookie", "vhangup", "personality", "setpriority",
    # System V IPC and POSIX message queues: they outlive the worker where it has no IPC namespace
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "semctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
    # watching files (inotify sees the grader open its files, even those Landlock hides) and changing their
    # timestamps (Landlock has no right for it)
    "inotify_init", "inotify_init1", "inotify_add_watch", "utime", "utimes", "utimensat", "utimensat_time64",
    "futimesat",
)
FALLOC_FL_KEEP_SIZE = 0x01
PR_SET_DUMPABLE = 4
CLONE_THREAD = 0x00010000
SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}


def load_pyseccomp():
    """Import ``pyseccomp`` with libc's and libseccomp's sonames given, so that its import neither
    runs ldconfig or gcc (there are none in the sandbox) nor spends time looking."""
    import ctypes.util

    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: SONAMES.get(name) or original(name)
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = original
    return pyseccomp


def restrict_syscalls() -> None:
    """seccomp: refuse REFUSED_SYSCALLS with EPERM, clone without CLONE_THREAD, clone3 (ENOSYS, so
    libc falls back to clone), and signals, rlimit changes or scheduling aimed at other processes.
    Applied to every thread of the process (TSYNC)."""
    try:
        seccomp = load_pyseccomp()
        filt = seccomp.SyscallFilter(seccomp.ALLOW)
    except Exception as exc:  # noqa: BLE001 - no libseccomp on this machine
        raise LayerUnavailable(f"seccomp is not available ({type(exc).__name__}: {exc})") from None
    eperm, arg = seccomp.ERRNO(errno.EPERM), seccomp.Arg
    pid = os.getpid()
    for name in REFUSED_SYSCALLS:
        try:
            filt.add_rule(eperm, name)
        except Exception:  # noqa: BLE001 - a syscall this architecture or libseccomp does not know
            pass
    filt.add_rule(eperm, "clone", arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    filt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for name, index in (("kill", 0), ("tgkill", 0), ("rt_sigqueueinfo", 0), ("rt_tgsigqueueinfo", 0)):
        filt.add_rule(eperm, name, arg(index, seccomp.NE, pid))  # only this process may be signalled
    # blocks reserved past the end of a file escape RLIMIT_FSIZE; a process that is not dumpable hides
    # its open files from the parent (scratch.py counts deleted files the worker holds open)
    filt.add_rule(eperm, "fallocate", arg(1, seccomp.MASKED_EQ, FALLOC_FL_KEEP_SIZE, FALLOC_FL_KEEP_SIZE))
    filt.add_rule(eperm, "prctl", arg(0, seccomp.EQ, PR_SET_DUMPABLE))
    filt.add_rule(eperm, "prlimit64", arg(2, seccomp.NE, 0))     # reading limits is fine, setting is not
    filt.add_rule(eperm, "prlimit64", arg(0, seccomp.NE, 0))
    for name in ("sched_setaffinity", "sched_setscheduler", "sched_setparam", "migrate_pages", "move_pages"):
        filt.add_rule(eperm, name, arg(0, seccomp.NE, 0))
    filt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    filt.set_attr(seccomp.Attr.CTL_NNP, 1)
    try:
        filt.load()
    except OSError as exc:
        raise LayerUnavailable(f"seccomp filter refused: {exc}") from None
