"""Turn what a student hands in (folder, single file or zip) into a clean
folder holding only the five assignment files, nothing else.

A notebook (``vae.ipynb``) stands for its ``.py``: its imports, definitions and constants become
``vae.py`` (``autograder.notebooks``), and a note for the report says which cells were left out.
When both are handed in, the ``.py`` is graded and a note says so."""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from course.registry import names

ASSIGNMENTS = names()

MAX_FILE_BYTES = 2 * 1024 * 1024     # a student file larger than this is not source code
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # notebooks carry their outputs (images): more room, then the code's limit
MAX_BYTES = {".py": MAX_FILE_BYTES, ".ipynb": MAX_NOTEBOOK_BYTES}  # each suffix's size limit
SUFFIXES = tuple(MAX_BYTES)
MAX_ZIP_MEMBERS = 10_000


class BadSubmission(Exception):
    """The submission path cannot be graded at all (the CLI exits non-zero)."""


@dataclass
class Intake:
    """What grading should know about the files handed in beyond their code: the report's notes (notebooks
    converted, a .py preferred to its notebook) and, per notebook, where each line of its module came from."""

    notes: list[str] = field(default_factory=list)
    line_maps: dict[str, list] = field(default_factory=dict)  # assignment -> autograder.notebooks.LineMap

    def relocate(self, text: str) -> str:
        """``text`` with each ``vae.py:LINE`` of a converted notebook naming its cell instead."""
        from autograder.notebooks import relocate

        for name, where in self.line_maps.items():
            text = relocate(text, name, where)
        return text


def materialize(path: str | Path, dest: Path, intake: Intake | None = None) -> list[str]:
    """Copy the assignment files of ``path`` into ``dest`` as ``<name>.py``; return the names found (e.g.
    ["vae"]). What the report should say about them is recorded in ``intake``."""
    path = Path(path)
    intake = Intake() if intake is None else intake
    if not path.exists():
        raise BadSubmission(f"{path} does not exist")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if path.is_dir():
            found = _from_folder(path, dest, intake)
        elif path.suffix == ".zip":
            found = _from_zip(path, dest, intake)
        elif path.suffix in SUFFIXES:
            if path.stem not in ASSIGNMENTS:
                raise BadSubmission(f"{path.name} is not one of the assignment files "
                                    f"({', '.join(a + '.py' for a in ASSIGNMENTS)}, or the same names as .ipynb)")
            _place(path.stem, {path.suffix: _read(path)}, dest, intake)
            found = [path.stem]
        else:
            raise BadSubmission(f"{path} is neither a folder, a .py file, a .ipynb notebook nor a .zip archive")
    except PermissionError as exc:
        raise BadSubmission(f"cannot read {exc.filename or path}") from None
    return found


def _place(name: str, versions: dict[str, bytes | None], dest: Path, intake: Intake) -> None:
    """Write ``dest/<name>.py`` from the versions handed in (suffix -> bytes, None when over its size limit)."""
    suffix = ".py" if ".py" in versions else ".ipynb"
    if len(versions) > 1:
        intake.notes.append(f"{name}.py and {name}.ipynb were both handed in: {name}.py was graded.")
    raw = versions[suffix]
    if raw is not None and suffix == ".ipynb":
        from autograder.notebooks import notebook_source

        source, note, intake.line_maps[name] = notebook_source(raw, f"{name}.ipynb")
        intake.notes.append(note)
        raw = source.encode()
        raw = raw if len(raw) <= MAX_FILE_BYTES else None
    if raw is None:
        raw = (f"raise ImportError('{name}{suffix} (or its code) is larger than "
               f"{MAX_BYTES[suffix] // 1024} KiB')\n").encode()
    (dest / f"{name}.py").write_bytes(raw)


def _regular(src: Path) -> os.stat_result:
    """``src``'s own status; a symbolic link or a special file is refused, never followed or read."""
    info = os.lstat(src)
    if stat.S_ISLNK(info.st_mode):
        raise BadSubmission(f"{src} is a symbolic link; hand in the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise BadSubmission(f"{src} is not a regular file (a FIFO, socket or device); hand in the source file")
    return info


def _read(src: Path) -> bytes | None:
    """The bytes of the regular file ``src``, or None when it is over its size limit."""
    limit = MAX_BYTES[src.suffix]
    if _regular(src).st_size > limit:
        return None
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # the entry checked above, not a swapped one
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise BadSubmission(f"{src} changed while it was read; hand it in again")
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


def _from_folder(folder: Path, dest: Path, intake: Intake) -> list[str]:
    found = []
    for name in ASSIGNMENTS:
        versions = {suffix: _read(src) for suffix in SUFFIXES
                    if (src := folder / f"{name}{suffix}").is_symlink() or src.exists()}
        if versions:
            _place(name, versions, dest, intake)
            found.append(name)
    if not found:  # Gradescope and zips often add one folder level: look one level down
        subdirs = [d for d in sorted(folder.iterdir())
                   if d.is_dir() and not d.is_symlink() and not d.name.startswith((".", "__"))]
        for sub in subdirs:
            if any((sub / f"{a}{suffix}").is_file() for a in ASSIGNMENTS for suffix in SUFFIXES):
                found = _from_folder(sub, dest, intake)
                if found:
                    break
    return found


def _from_zip(archive: Path, dest: Path, intake: Intake) -> list[str]:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise BadSubmission(f"{archive} is not a readable zip archive") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise BadSubmission(f"{archive} holds more than {MAX_ZIP_MEMBERS} entries")
        best: dict[tuple[str, str], zipfile.ZipInfo] = {}
        for info in members:
            p = PurePosixPath(info.filename)
            if (info.is_dir() or p.stem not in ASSIGNMENTS or p.suffix not in SUFFIXES or "__MACOSX" in p.parts
                    or ".ipynb_checkpoints" in p.parts):
                continue
            if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG):
                raise BadSubmission(f"{info.filename} in {archive.name} is a symbolic link or special file; "
                                    "zip the source file itself")
            key = (p.stem, p.suffix)
            if key not in best or len(p.parts) < len(PurePosixPath(best[key].filename).parts):
                best[key] = info  # the shallowest copy of each file wins
        found = sorted({name for name, _ in best}, key=ASSIGNMENTS.index)
        for name in found:  # never the archive's own path: no traversal
            versions = {}
            for suffix in SUFFIXES:
                info = best.get((name, suffix))
                if info is not None:
                    versions[suffix] = zf.read(info) if info.file_size <= MAX_BYTES[suffix] else None
            _place(name, versions, dest, intake)
        return found
