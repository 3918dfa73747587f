"""One cgroup per worker, where the machine lets the grader make one (parent side).

The cgroup caps the memory (resident pages and the scratch tmpfs together) and
the number of tasks of everything the worker starts, and lets the parent kill
all of it at once, also processes that left the worker's session. It is made
under the grader's own cgroup: cgroup v2 when the memory and pids controllers
are delegated to it, else the v1 memory and pids hierarchies when they are
writable (as root in many containers). Where neither works, ``create`` returns
None and the hard rlimits set in the worker (``kernel.hard_limits``) remain.

The worker is placed in it before it runs anything: ``wrap`` puts a tiny
``/bin/sh`` in front of the command that writes its own pid into the cgroup and
then execs the command, so every process of the sandbox starts inside.
"""
from __future__ import annotations

import os
import secrets
import shlex
import signal
import time
from pathlib import Path


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, file system type, options) of every cgroup mount."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        sep = fields.index("-")
        fstype, super_opts = fields[sep + 1], fields[sep + 3] if len(fields) > sep + 3 else ""
        if fstype in ("cgroup", "cgroup2"):
            out.append((fields[4], fstype, set(super_opts.split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per controller ('' for v2)."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _candidate_parents() -> list[list[Path]]:
    """Folders under which one child each would hold memory and pids: [v2 folder] or [v1 memory, v1 pids]."""
    mounts, own = _mounts(), _own_paths()
    found = []
    for point, fstype, _ in mounts:
        if fstype == "cgroup2" and "" in own:
            folder = Path(point + own[""])
            enabled = (folder / "cgroup.subtree_control").read_text().split() if folder.is_dir() else []
            if {"memory", "pids"} <= set(enabled):
                found.append([folder])
    v1 = {}
    for point, fstype, opts in mounts:
        for controller in ("memory", "pids"):
            if fstype == "cgroup" and controller in opts and controller in own:
                v1[controller] = Path(point + own[controller])
    if len(v1) == 2:
        found.append([v1["memory"], v1["pids"]])
    return found


def available() -> bool:
    """Whether this machine gives the grader a cgroup (made and removed again to find out)."""
    group = Cgroup.create(1 << 30, 64)
    if group is not None:
        group.remove()
    return group is not None


class Cgroup:
    """A worker's cgroup: one folder (v2) or two (v1 memory and pids)."""

    def __init__(self, folders: list[Path]):
        self.folders = folders

    @classmethod
    def create(cls, memory_bytes: int, max_tasks: int) -> "Cgroup | None":
        """A fresh cgroup with these caps, or None where the machine gives none."""
        try:
            parents = _candidate_parents()
        except (OSError, ValueError):
            return None
        name = f"autograder-{os.getpid()}-{secrets.token_hex(4)}"
        for candidate in parents:
            made: list[Path] = []
            try:
                for parent in candidate:
                    (parent / name).mkdir()
                    made.append(parent / name)
                group = cls(made)
                group._limit(memory_bytes, max_tasks)
                return group
            except OSError:
                cls(made).remove()
        return None

    def _limit(self, memory_bytes: int, max_tasks: int) -> None:
        for folder in self.folders:
            settings = {"memory.max": memory_bytes, "memory.swap.max": 0, "pids.max": max_tasks,  # v2
                        "memory.limit_in_bytes": memory_bytes, "memory.memsw.limit_in_bytes": memory_bytes}  # v1
            for key, value in settings.items():
                if (folder / key).exists():
                    try:
                        (folder / key).write_text(str(value))
                    except OSError:
                        if key in ("memory.max", "pids.max", "memory.limit_in_bytes"):
                            raise
        if not any((f / "pids.max").exists() for f in self.folders):
            raise OSError("no pids controller")

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started inside this cgroup."""
        joins = " && ".join(f"echo $$ > {shlex.quote(str(f / 'cgroup.procs'))}" for f in self.folders)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *command]

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, until none is left (at most about 2 s)."""
        for folder in self.folders:
            if (folder / "cgroup.kill").exists():
                try:
                    (folder / "cgroup.kill").write_text("1")
                except OSError:
                    pass
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # the last task is still leaving
