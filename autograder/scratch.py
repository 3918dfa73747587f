"""The worker's scratch folder, the only place it may write, and what caps its size (parent side).

Which cap a worker gets, strongest first:

- **namespaces**: bubblewrap mounts a tmpfs of ``scratch_mb`` on the folder inside the
  sandbox (``isolation.bwrap_command``); here the folder is only made and removed.
- **tmpfs** (no namespaces, the grader runs as root with the mount capability): the worker
  mounts a tmpfs of ``scratch_mb`` (and as many inodes as 4 KiB blocks) on the folder in a
  mount namespace of its own (``kernel.private_tmpfs``) before it drops its capabilities; a
  write past it fails with ENOSPC. The kernel frees the tmpfs with the worker's last process,
  so a killed grader leaves no mount behind. The parent only checks, once, that this
  machine lets it mount (``can_mount``).
- **watched** (no namespaces and no mount, e.g. an unprivileged grader where user
  namespaces are refused): a plain folder. RLIMIT_FSIZE (set in the worker) caps each
  file at ``file_mb``; a parent thread counts what the folder holds (the larger of each
  file's length and its allocated blocks, at least 4 KiB per entry, plus files the
  worker deleted but still holds open or mapped) whenever inotify reports a change in
  the folder tree, and at least every 0.2 s, and kills the worker once it exceeds
  ``scratch_mb``. The kill is not instantaneous: the worker can write past the cap what
  it writes before the kill lands (a few files of ``file_mb``).

``Scratch.label`` is the report's words for the cap ("scratch: tmpfs 256 MB").
"""
from __future__ import annotations

import ctypes
import functools
import os
import select
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

POLL_SECONDS = 0.2
ENTRY_BYTES = 4096                 # the least an entry (file, folder, link) counts for
MAX_WATCHES = 256                  # inotify watches on the folder tree; deeper trees are only polled
IN_MODIFY, IN_CREATE, IN_MOVED_TO, IN_IGNORED, IN_ONLYDIR = 0x2, 0x100, 0x80, 0x8000, 0x01000000
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC


def _libc():
    return ctypes.CDLL(None, use_errno=True)


@functools.cache
def can_mount() -> bool:
    """Whether a worker started by this process can mount its scratch tmpfs in a mount namespace of its own:
    root, and a child that tries ``kernel.private_tmpfs`` succeeds (container seccomp profiles refuse it).
    Checked once per process."""
    if os.geteuid() != 0:
        return False
    folder = tempfile.mkdtemp(prefix="autograder-scratch-probe-")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import sys; sys.path.insert(0, {root!r}); from autograder.kernel import private_tmpfs; "
            f"private_tmpfs({folder!r}, 1 << 20)")
    try:
        return subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Scratch:
    """A worker's scratch folder: ``path``, its cap (``kind``: namespaces, tmpfs or watched) and ``label``."""

    def __init__(self, limit_mb: int, file_mb: int, namespaces: bool):
        self.limit_mb, self.file_mb = limit_mb, file_mb
        self.path = tempfile.mkdtemp(prefix="autograder-scratch-")
        if namespaces:
            self.kind = "namespaces"
        else:
            self.kind = "tmpfs" if can_mount() else "watched"
        self.exceeded = 0                  # bytes counted when the watcher stopped the worker
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = (os.pipe() if self.kind == "watched" else (-1, -1))

    @property
    def label(self) -> str:
        if self.kind == "watched":
            return f"scratch: file size {self.file_mb} MB and watched total {self.limit_mb} MB"
        return f"scratch: tmpfs {self.limit_mb} MB"

    # -- the watcher (kind "watched") --------------------------------------------
    def watch(self, pids, on_exceeded) -> None:
        """Start the watcher: ``pids()`` gives the worker's processes (for files they hold open after
        deleting them), ``on_exceeded()`` kills them. Nothing to do for the other kinds."""
        if self.kind != "watched" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(pids, on_exceeded), daemon=True,
                                        name="scratch-watcher")
        self._thread.start()

    def _run(self, pids, on_exceeded) -> None:
        notify = _Notify()
        try:
            while True:
                started = time.monotonic()
                used, folders = self.usage(pids())
                if used > self.limit_mb * 2**20:
                    self.exceeded = used
                    on_exceeded()
                    return
                notify.add(folders)
                pause = min(POLL_SECONDS, 2 * (time.monotonic() - started))  # a big tree is counted less often
                if not notify.wait(self._wake_r, POLL_SECONDS, pause):
                    return
        finally:
            notify.close()

    def usage(self, pids=()) -> tuple[int, list[str]]:
        """(bytes the folder holds, its folders): every entry under it, and files under it that
        ``pids`` deleted but hold open or mapped, each file counted once."""
        seen: set[tuple[int, int]] = set()
        total, folders, stack = 0, [], [self.path]

        def count(st) -> int:
            if (st.st_dev, st.st_ino) in seen:
                return 0
            seen.add((st.st_dev, st.st_ino))
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            return max(st.st_blocks * 512, size, ENTRY_BYTES)

        while stack:
            folder = stack.pop()
            folders.append(folder)
            try:
                entries = os.scandir(folder)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += count(st)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
        prefix = self.path.rstrip("/") + "/"
        for pid in pids:
            total += self._held(pid, prefix, count, seen)
        return total, folders

    @staticmethod
    def _held(pid: int, prefix: str, count, seen) -> int:
        """Bytes of deleted scratch files that process ``pid`` still holds open or mapped."""
        total = 0
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            fds = []
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(prefix):
                    total += count(os.stat(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
        try:
            with open(f"/proc/{pid}/maps") as fh:
                maps = fh.read().splitlines()
        except OSError:
            maps = []
        for line in maps:  # "start-end perms offset major:minor inode path"
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith(prefix) and fields[5].endswith(" (deleted)"):
                major, minor = (int(x, 16) for x in fields[3].split(":"))
                key = (os.makedev(major, minor), int(fields[4]))
                if key not in seen:
                    seen.add(key)
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    total += end - start
        return total

    # -- removal ---------------------------------------------------------------
    def stop(self) -> None:
        """Stop the watcher (before the worker is reaped, so that it never signals a reused pid)."""
        if self._thread is not None:
            os.write(self._wake_w, b"x")
            self._thread.join(timeout=5)
            self._thread = None

    def remove(self) -> None:
        """Stop the watcher and remove the folder (its processes, and with them any tmpfs, are gone by now)."""
        self.stop()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        shutil.rmtree(self.path, ignore_errors=True)


class _Notify:
    """The watcher's inotify instance on the scratch tree (when inotify is available to the grader)."""

    def __init__(self):
        self.libc = _libc()
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        self.watched: dict[int, str] = {}

    def add(self, folders) -> None:
        if self.fd < 0:
            return
        have = set(self.watched.values())
        for folder in folders:
            if folder not in have and len(self.watched) < MAX_WATCHES:
                wd = self.libc.inotify_add_watch(self.fd, folder.encode(), IN_MODIFY | IN_CREATE | IN_MOVED_TO
                                                 | IN_ONLYDIR)
                if wd >= 0:
                    self.watched[wd] = folder

    def wait(self, wake_fd: int, timeout: float, pause: float) -> bool:
        """Wait for a change in the tree (then ``pause``) or ``timeout``; False when woken to stop."""
        fds = [wake_fd] + ([self.fd] if self.fd >= 0 else [])
        ready = select.select(fds, [], [], timeout)[0]
        if wake_fd in ready:
            return False
        if self.fd in ready:
            self._drain()
            if pause > 0 and select.select([wake_fd], [], [], pause)[0]:
                return False
        return True

    def _drain(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return
        offset = 0
        while offset + 16 <= len(data):
            wd, mask, _, size = struct.unpack_from("iIII", data, offset)
            if mask & IN_IGNORED:  # its folder is gone: a new one of that name is watched again
                self.watched.pop(wd, None)
            offset += 16 + size

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
