"""Helpers for tests about processes that submitted code starts."""
from __future__ import annotations

import os
from pathlib import Path


def alive_with(marker: str) -> list[str]:
    """'pid: command line' of every live process (other than this one) whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def native_spawn_source(shell: str, function: str = "") -> str:
    """A vae.py that starts ``/bin/sh -c shell`` in a new session through ``_posixsubprocess.fork_exec``
    (no audit event on Python 3.11): at import, or in ``function()`` when a name is given."""
    spawn = ("_posixsubprocess.fork_exec([b'/bin/sh', b'-c', " + repr(shell.encode()) + "], [b'/bin/sh'], True, (), "
             "None, None, -1, -1, -1, -1, -1, -1, r, w, True, True, -1, -1, None, -1, -1, None, False)")
    if function:
        return f"import _posixsubprocess, os\ndef {function}():\n    r, w = os.pipe()\n    return {spawn}\n"
    return f"import _posixsubprocess, os\nr, w = os.pipe()\n{spawn}\n"
