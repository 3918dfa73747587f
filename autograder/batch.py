"""Grade a whole class: every sub-folder or zip of a folder is one submission.

    python -m autograder batch DIR [--workers N] [--csv gradebook.csv] [--out DIR_results]
                                   [-a ASSIGNMENT ...] [-k ITEMS] [--force] [--retry-failed]

Each submission is graded in its own process (``python -m autograder SUB --json
...``) under a wall-clock limit, so one that hangs or crashes costs only its own
time. OUT (default ``DIR_results``, beside DIR) gets one folder per submission
holding ``results.json`` (Gradescope's format), ``report.txt`` (what the grader
printed) and ``done.json``, and two tables:

``gradebook.csv`` (``--csv``): one row per student, for an LMS gradebook import.
    ``name``, ``email``, ``sid``: the student, from ``submission_metadata.yml``
    (a student with no metadata gets the submission's folder name as ``name``
    and empty ``email`` and ``sid``); ``submission``: the folder graded; then one
    column per assignment graded (``vae``, ``cvae``, ``conv_vae``, ``pca_ae``;
    ``faces`` is the bonus, a column of its own): the points earned, all items
    (held-out ones too), as a plain number; ``note``: empty, or why the scores
    on that row are empty (grading failed). ``submission`` and ``note`` are
    text for course staff: map only the assignment columns to grade items.
    Every member of a group submission gets a row with the group's scores.

``items.csv`` (``--items``): one row per submission, for course staff.
    ``submission``, ``students`` ("name <email> [sid]; ..."), ``total`` (the
    results.json score: every item, bonus included), then one column per item
    as ``<assignment> <item id>`` (``vae B.1a``; held-out twins end in ``.h``),
    then ``note``.

A grading that failed (the grader exited non-zero, timed out, or could not run
an assignment's items) leaves its scores empty, never 0, and says why in
``note``; a student's broken code is a real 0 (each item says why in
results.json).

Gradescope's export ("Download submissions": one ``submission_<id>`` folder per
submission and ``submission_metadata.yml`` mapping each folder to
``:submitters:``, a list of ``:name:``, ``:email:``, ``:sid:``) is read as is;
DIR may also be the folder that holds the unpacked export. Without the metadata
file, students are keyed by folder name.

Resumable: ``done.json`` is written (atomically, after results.json) once a
submission is graded; it records the grader version (a hash of the autograder's
and the course package's source and the held-out seed), the submission's hash
(a folder's regular files, by relative path; a zip's bytes), the grading
options and results.json's hash. A re-run grades only submissions without a
matching done.json (``--force``: all; ``--retry-failed``: also those whose
grading failed) and always rebuilds both tables from every submission's
results.json. An interrupted batch keeps every submission it finished.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from autograder.gradebook import Graded, write_tables
from autograder.gradescope_export import METADATA, ExportError, export_root, read_metadata
from autograder.report import failed_results
from autograder.results_file import write_results

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # holds autograder/ and course/


class BatchError(Exception):
    """The batch cannot start (exit 2): a missing folder, a malformed metadata file."""


# ---------------------------------------------------------------------------------------------- submissions

def find_submissions(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Sub-folders and .zip files of ``folder``, sorted by name; hidden entries and ``exclude`` skipped."""
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith((".", "__")) and (p.is_dir() or p.suffix == ".zip")
                  and (exclude is None or p.resolve() != exclude.resolve()))


def submission_key(sub: Path) -> str:
    """The name a submission goes by in the tables and OUT: a folder's name, a zip's without .zip."""
    return sub.stem if sub.suffix == ".zip" and sub.is_file() else sub.name


# ---------------------------------------------------------------------------------------------- hashes

def _hash_files(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        rel = f.relative_to(root).as_posix().encode()
        try:
            kind, data = (b"L", os.readlink(f).encode()) if f.is_symlink() else (b"F", f.read_bytes())
        except OSError as exc:  # unreadable: the grader says so; the hash changes when it becomes readable
            kind, data = b"E", str(exc.errno).encode()
        digest.update(kind)
        digest.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def grader_version() -> str:
    """sha256 over the autograder's and the course package's .py files and the held-out seed."""
    root = PACKAGE_ROOT
    files = [*(root / "autograder").rglob("*.py"), *(root / "course").rglob("*.py")]
    seed = root / "autograder" / "graded" / "held_out_seed"
    files += [seed] if seed.is_file() else []
    return _hash_files(root, [f for f in files if "__pycache__" not in f.parts])


def submission_hash(sub: Path) -> str:
    """sha256 of a zip's bytes, or of a folder's regular files and links by relative path."""
    if sub.is_file():
        return hashlib.sha256(sub.read_bytes()).hexdigest()
    files = []
    for here, dirs, names in os.walk(sub):
        files += [Path(here) / n for n in names]
        files += [Path(here) / d for d in dirs if (Path(here) / d).is_symlink()]
    return _hash_files(sub, [f for f in files if f.is_symlink() or f.is_file()])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------- grading

class Runner:
    """Grades submissions in child processes; ``stop`` interrupts them all, recording nothing unfinished."""

    def __init__(self, timeout: float, extra: list[str], version: str):
        self.timeout, self.extra, self.version = timeout, extra, version
        self.stopping = threading.Event()
        self._children: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def record(self, sub: Path) -> dict:
        """What done.json holds for ``sub`` graded now (results.json's hash is added after grading)."""
        return {"grader": self.version, "submission": submission_hash(sub), "options": self.extra}

    def is_done(self, sub: Path, out: Path, retry_failed: bool) -> bool:
        """Whether ``out`` holds a finished grading of ``sub`` as it is now, by this grader, with these options."""
        try:
            done = json.loads((out / "done.json").read_text())
            return (all(done.get(k) == v for k, v in self.record(sub).items())
                    and done.get("results") == _sha256(out / "results.json")
                    and not (retry_failed and done.get("failed")))
        except (OSError, ValueError, AttributeError):
            return False

    def grade(self, sub: Path, out: Path) -> bool:
        """Grade ``sub`` into ``out``; True once done.json records it, False when it was interrupted."""
        if self.stopping.is_set():
            return False
        out.mkdir(parents=True, exist_ok=True)
        done, results = out / "done.json", out / "results.json"
        done.unlink(missing_ok=True)   # from here until the new done.json, this submission is not graded
        results.unlink(missing_ok=True)
        record = self.record(sub)      # the files as they are before grading starts
        ran = self.execute(sub, results)
        if ran is None or self.stopping.is_set():  # what it wrote may be the grader's reaction to the interrupt
            return False
        code, printed, timed_out = ran
        finished = not timed_out and code == 0 and results.is_file()
        # killed by an interrupt meant for the batch, or someone stopped this grading: graded again next run
        interrupted = not timed_out and (code in (-signal.SIGINT, -signal.SIGTERM, -signal.SIGHUP)
                                         or finished and _suite_interrupted(results))
        (out / "report.txt").write_bytes(printed[-200_000:])
        if timed_out:
            failure = f"grading took longer than {self.timeout:g} s"
        elif interrupted and code:
            failure = f"grading was interrupted ({signal.Signals(-code).name}); run batch again to grade it"
        elif not finished:
            failure = _exit_failure(code, printed, sub)
        else:
            failure = None
        if failure:
            write_results(results, failed_results(failure + "\n\n" + printed.decode(errors="replace")[-2000:]))
        if interrupted:
            return False
        write_results(done, {**record, "results": _sha256(results), "failed": bool(failure)})
        return True

    def execute(self, sub: Path, results: Path) -> tuple[int, bytes, bool] | None:
        """Run ``python -m autograder SUB --json RESULTS`` here; (exit status, what it printed, whether it timed
        out), or None when the batch is stopping."""
        cmd = [sys.executable, "-m", "autograder", str(sub.resolve()), "--json", str(results.resolve()), *self.extra]
        with self._lock:
            if self.stopping.is_set():
                return None
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=PACKAGE_ROOT)  # never a package planted in cwd
            self._children.add(proc)
        timed_out = False
        try:
            try:
                printed, _ = proc.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                printed = _end(proc)
        finally:
            with self._lock:
                self._children.discard(proc)
        return proc.returncode, printed, timed_out

    def stop(self) -> None:
        """Interrupt every running grading: SIGINT, so each cleans up, then SIGKILL for those left after 5 s."""
        with self._lock:
            self.stopping.set()
            children = list(self._children)
        for proc in children:
            _signal(proc, signal.SIGINT)
        deadline = time.monotonic() + 5
        for proc in children:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)


class DaskRunner(Runner):
    """Grades each submission as one task of an existing Dask cluster (``--executor dask --scheduler ADDRESS``):
    the task receives the submission's bytes, grades them on its worker with the same sandboxed
    ``python -m autograder`` as a local run, and returns results.json and what the grader printed; done.json,
    the tables and resuming stay here. Workers need this package installed (the same grader version: a task
    on another version is refused) and nothing else; no shared file system."""

    def __init__(self, timeout: float, extra: list[str], version: str, scheduler: str):
        super().__init__(timeout, extra, version)
        try:
            from distributed import Client
        except ImportError:
            raise BatchError("--executor dask needs Dask's distributed package: pip install 'dask[distributed]'") \
                from None
        try:
            self.client = Client(scheduler, timeout=10)
        except OSError as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        self._futures: set = set()

    def slots(self) -> int:
        """Tasks worth keeping in flight: the cluster's worker threads."""
        return max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def execute(self, sub: Path, results: Path) -> tuple[int, bytes, bool] | None:
        if self.stopping.is_set():
            return None
        future = self.client.submit(grade_remote, submission_bytes(sub), submission_key(sub), self.extra,
                                    self.timeout, self.version, pure=False)
        with self._lock:
            self._futures.add(future)
        try:
            code, printed, timed_out, text = future.result()
        except Exception as exc:  # noqa: BLE001 - a worker lost, or a refused grader version
            if self.stopping.is_set():
                return None
            return 1, f"the Dask task failed: {type(exc).__name__}: {exc}".encode(), False
        finally:
            with self._lock:
                self._futures.discard(future)
        if text is not None:
            results.write_text(text)
        return code, printed, timed_out

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            futures = list(self._futures)
        self.client.cancel(futures)


def submission_bytes(sub: Path) -> bytes:
    """A zip's bytes, or a folder's regular files zipped (relative paths), for a task on another machine."""
    if sub.is_file():
        return sub.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in sub.rglob("*") if p.is_file() and not p.is_symlink()):
            zf.write(path, path.relative_to(sub).as_posix())
    return buffer.getvalue()


def grade_remote(payload: bytes, key: str, extra: list[str], timeout: float, version: str):
    """A Dask task: grade one submission (``payload``, a zip) on this worker in its own sandboxed grader;
    returns (exit status, what it printed, whether it timed out, results.json's text or None)."""
    if grader_version() != version:
        raise RuntimeError(f"this worker runs another grader version ({grader_version()[:12]}, batch has "
                           f"{version[:12]}): install the same autograder on every worker")
    with tempfile.TemporaryDirectory(prefix="autograder-task-") as tmp:
        sub, results = Path(tmp) / f"{key}.zip", Path(tmp) / "results.json"
        sub.write_bytes(payload)
        code, printed, timed_out = Runner(timeout, extra, version).execute(sub, results)
        text = results.read_text() if results.is_file() else None
        here = tmp.rstrip("/") + "/"  # this worker's paths say nothing to the batch: the zip's own name stays
        return code, printed.replace(here.encode(), b""), timed_out, text and text.replace(here, "")


def _suite_interrupted(results: Path) -> bool:
    """Whether pytest stopped a graded suite on an interrupt (its exit 2) rather than the suite finishing."""
    try:
        tests = json.loads(results.read_text()).get("tests", [])
    except (OSError, ValueError, AttributeError):
        return False
    return any((t.get("tags") or [None])[0] == "harness"
               and str(t.get("output", "")).startswith("the graded suite did not run (pytest exit 2)") for t in tests)


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        proc.send_signal(sig)
    except OSError:
        pass


def _end(proc: subprocess.Popen) -> bytes:
    """Stop ``proc`` (SIGINT, then SIGKILL after 5 s) and return what it printed; only its reader calls this."""
    _signal(proc, signal.SIGINT)
    try:
        return proc.communicate(timeout=5)[0] or b""
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0] or b""


def _exit_failure(code: int, printed: bytes, sub: Path) -> str:
    """One line: how the grading process ended and the last thing it said (paths shortened)."""
    lines = [line for line in printed.decode(errors="replace").splitlines() if line.strip()]
    last = lines[-1].strip().replace(str(sub.resolve()), sub.name).replace(str(sub), sub.name) if lines else ""
    return f"grading exited with status {code}" + (f": {last}" if last else "")


# ---------------------------------------------------------------------------------------------- command

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder batch", description=__doc__.splitlines()[0],
                                     epilog="Tables, resuming and Gradescope's export: see autograder/batch.py.")
    parser.add_argument("folder", type=Path, help="one sub-folder or .zip per submission (Gradescope's export)")
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once (default 1; "
                                                                   "with Dask, the cluster's worker threads)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="where each submission is graded: child processes here (default), or one task each "
                             "on a Dask cluster (--scheduler)")
    parser.add_argument("--scheduler", default=None, help="the Dask scheduler's address, e.g. tcp://host:8786")
    parser.add_argument("--csv", type=Path, default=None, help="gradebook: one row per student "
                                                               "(default OUT/gradebook.csv)")
    parser.add_argument("--items", type=Path, default=None, help="per-item table: one row per submission "
                                                                 "(default OUT/items.csv)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default FOLDER_results)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    from course import registry

    parser.add_argument("--assignment", "-a", action="append", default=[], choices=registry.names(),
                        help="grade only this assignment (repeatable)")
    parser.add_argument("-k", dest="keyword", default=None, help="only these items (as python -m autograder -k)")
    parser.add_argument("--isolation", choices=("auto", "kernel", "python"), default="auto",
                        help="walls around submitted code (see python -m autograder --help)")
    parser.add_argument("--force", action="store_true", help="regrade every submission, even those already graded")
    parser.add_argument("--retry-failed", action="store_true", help="regrade submissions whose grading failed")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (BatchError, ExportError) as exc:
        print(f"autograder batch: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from autograder import environment

    try:
        environment.require()  # before any submission: a broken machine charges no student
    except environment.EnvironmentBroken as exc:
        print(f"autograder batch: {exc}", file=sys.stderr)
        return 3
    if not args.folder.is_dir():
        what = "does not exist" if not args.folder.exists() else "is not a folder"
        raise BatchError(f"{args.folder} {what}; give the folder holding one sub-folder or .zip per submission")
    folder = export_root(args.folder)
    if folder != args.folder:
        print(f"autograder batch: grading the export in {folder}")
    metadata = read_metadata(folder / METADATA) if (folder / METADATA).exists() else None
    out = args.out or args.folder.with_name(args.folder.name + "_results")
    subs = find_submissions(folder, exclude=out)
    keys: dict[str, Path] = {}
    for sub in subs:
        if submission_key(sub) in keys:
            raise BatchError(f"{keys[submission_key(sub)].name} and {sub.name} would share the results folder "
                             f"{submission_key(sub)}; rename one")
        keys[submission_key(sub)] = sub
    if not subs:
        raise BatchError(f"{folder} holds no sub-folder or .zip to grade")
    from autograder import isolation

    try:
        for warning in isolation.plan(args.isolation).warnings:
            print(f"autograder batch: warning: {warning}", file=sys.stderr)
    except isolation.IsolationUnavailable as exc:
        raise BatchError(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    extra = [x for a in args.assignment for x in ("-a", a)] + ["--isolation", args.isolation]
    extra += ["-k", args.keyword] if args.keyword else []
    if args.executor == "dask":
        if not args.scheduler:
            raise BatchError("--executor dask needs --scheduler ADDRESS (a running Dask scheduler, tcp://host:8786)")
        runner = DaskRunner(args.timeout, extra, grader_version(), args.scheduler)
        args.workers = args.workers or runner.slots()
    else:
        runner = Runner(args.timeout, extra, grader_version())
    todo = [s for s in subs if args.force or not runner.is_done(s, out / submission_key(s), args.retry_failed)]
    if len(todo) < len(subs):
        print(f"skipped {len(subs) - len(todo)} of {len(subs)} submissions already graded by this grader version "
              f"with the same files and options (--force regrades them)")
    if todo and not _grade_all(runner, todo, out, args.workers or 1):
        return 130

    students = metadata or {}
    if metadata is not None:
        unlisted = [k for k, s in keys.items() if s.name not in metadata]
        if unlisted:
            print(f"autograder batch: warning: {len(unlisted)} submission(s) not in {METADATA}, keyed by folder "
                  f"name: {', '.join(unlisted)}", file=sys.stderr)
    rows = [Graded.read(key, students.get(sub.name, []), out / key / "results.json") for key, sub in keys.items()]
    missing = {k: v for k, v in students.items() if k not in {s.name for s in subs}}
    gradebook, items = args.csv or out / "gradebook.csv", args.items or out / "items.csv"
    write_tables(gradebook, items, rows, missing)
    failed = [r.key for r in rows if r.failed]
    print(f"graded {len(todo)}, skipped {len(subs) - len(todo)}: {len(subs)} submissions in {out}; "
          f"gradebook {gradebook}, items {items}")
    if failed:
        print(f"grading failed for {len(failed)} (empty scores, the reason in the note column): {', '.join(failed)}")
    return 0


def _grade_all(runner: Runner, todo: list[Path], out: Path, workers: int) -> bool:
    """Grade ``todo``; False when interrupted (SIGINT, or SIGTERM): what finished before is kept."""
    def interrupt(signum, frame):
        runner.stopping.set()
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, interrupt) if main_thread else None
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    bar = tqdm(total=len(todo), unit="submission", desc="grading")
    futures = []
    try:
        futures = [pool.submit(runner.grade, s, out / submission_key(s)) for s in todo]
        for fut in as_completed(futures):
            fut.result()
            bar.update(1)
        pool.shutdown(wait=True)
        return True
    except KeyboardInterrupt:
        runner.stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        runner.stop()
        pool.shutdown(wait=True)
        bar.close()
        finished = sum(1 for f in futures if f.done() and not f.cancelled() and not f.exception() and f.result())
        print(f"\nautograder batch: interrupted; kept the {finished} submission(s) graded in this run: "
              f"run the same command again to grade the rest", file=sys.stderr)
        return False
    finally:
        bar.close()
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
