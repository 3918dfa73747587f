"""Writing results.json safely (parent side).

The path is checked before grading starts, so a bad one is a clear error
(exit 2) and no grading time is spent: its folder must exist, and the path
itself must be absent or a regular file, never a symbolic link, a folder or a
FIFO that something planted there. The file is then written under a fresh,
exclusively created name in the same folder (``O_EXCL | O_NOFOLLOW``) and
renamed over the path in one step, which replaces whatever entry is there
without following it: readers see the old file or the whole new one.
"""
from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path


class BadResultsPath(ValueError):
    """The --json path cannot safely receive results."""


def check_results_path(path: str | os.PathLike) -> Path:
    """The absolute path results will be written to; raises BadResultsPath with what is wrong."""
    target = Path(os.path.abspath(path))
    if not target.parent.is_dir():
        raise BadResultsPath(f"cannot write results to {target}: the folder {target.parent} does not exist")
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    if stat.S_ISLNK(mode):
        raise BadResultsPath(f"{target} is a symbolic link; give the path of a new or regular file")
    if stat.S_ISDIR(mode):
        raise BadResultsPath(f"{target} is a folder; give the path of a file, e.g. {target / 'results.json'}")
    if not stat.S_ISREG(mode):
        raise BadResultsPath(f"{target} is not a regular file (a FIFO, socket or device); remove it first")
    return target


def write_results(target: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``target`` atomically, following no link."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
