"""Turn what a student hands in (folder, single file or zip) into a clean
folder holding only the five assignment files, nothing else."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from course.registry import names

ASSIGNMENTS = names()

MAX_FILE_BYTES = 2 * 1024 * 1024     # a student file larger than this is not source code
MAX_ZIP_MEMBERS = 10_000


class BadSubmission(Exception):
    """The submission path cannot be graded at all (the CLI exits non-zero)."""


def materialize(path: str | Path, dest: Path) -> list[str]:
    """Copy the assignment files of ``path`` into ``dest``; return the names found (e.g. ["vae"])."""
    path = Path(path)
    if not path.exists():
        raise BadSubmission(f"{path} does not exist")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if path.is_dir():
            found = _from_folder(path, dest)
        elif path.suffix == ".zip":
            found = _from_zip(path, dest)
        elif path.suffix == ".py":
            if path.stem not in ASSIGNMENTS:
                raise BadSubmission(f"{path.name} is not one of the assignment files "
                                    f"({', '.join(a + '.py' for a in ASSIGNMENTS)})")
            _copy(path, dest / path.name)
            found = [path.stem]
        else:
            raise BadSubmission(f"{path} is neither a folder, a .py file nor a .zip archive")
    except PermissionError as exc:
        raise BadSubmission(f"cannot read {exc.filename or path}") from None
    return found


def _regular(src: Path) -> os.stat_result:
    """``src``'s own status; a symbolic link or a special file is refused, never followed or read."""
    info = os.lstat(src)
    if stat.S_ISLNK(info.st_mode):
        raise BadSubmission(f"{src} is a symbolic link; hand in the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise BadSubmission(f"{src} is not a regular file (a FIFO, socket or device); hand in the source file")
    return info


def _copy(src: Path, dst: Path) -> None:
    if _regular(src).st_size > MAX_FILE_BYTES:
        dst.write_text(f"raise ImportError('{src.name} is larger than {MAX_FILE_BYTES // 1024} KiB')\n")
        return
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # the entry checked above, not a swapped one
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise BadSubmission(f"{src} changed while it was read; hand it in again")
        dst.write_bytes(fh.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES])


def _from_folder(folder: Path, dest: Path) -> list[str]:
    found = []
    for name in ASSIGNMENTS:
        src = folder / f"{name}.py"
        if src.is_symlink() or src.exists():
            _copy(src, dest / src.name)
            found.append(name)
    if not found:  # Gradescope and zips often add one folder level: look one level down
        subdirs = [d for d in sorted(folder.iterdir())
                   if d.is_dir() and not d.is_symlink() and not d.name.startswith((".", "__"))]
        for sub in subdirs:
            found = _from_folder(sub, dest) if any((sub / f"{a}.py").is_file() for a in ASSIGNMENTS) else []
            if found:
                break
    return found


def _from_zip(archive: Path, dest: Path) -> list[str]:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise BadSubmission(f"{archive} is not a readable zip archive") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise BadSubmission(f"{archive} holds more than {MAX_ZIP_MEMBERS} entries")
        best: dict[str, zipfile.ZipInfo] = {}
        for info in members:
            p = PurePosixPath(info.filename)
            if info.is_dir() or p.stem not in ASSIGNMENTS or p.suffix != ".py" or "__MACOSX" in p.parts:
                continue
            if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG):
                raise BadSubmission(f"{info.filename} in {archive.name} is a symbolic link or special file; "
                                    "zip the source file itself")
            if p.stem not in best or len(p.parts) < len(PurePosixPath(best[p.stem].filename).parts):
                best[p.stem] = info  # the shallowest copy of each file wins
        for name, info in best.items():
            target = dest / f"{name}.py"  # never the archive's own path: no traversal
            if info.file_size > MAX_FILE_BYTES:
                target.write_text(f"raise ImportError('{name}.py is larger than {MAX_FILE_BYTES // 1024} KiB')\n")
            else:
                target.write_bytes(zf.read(info))
        return sorted(best, key=ASSIGNMENTS.index)
