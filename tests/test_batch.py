"""python -m autograder batch: Gradescope's export, the gradebook and item tables, resuming after a re-run
or an interrupted batch. Grades three items of vae.py (A.1e, B.1a and its twin B.1a.h) to stay fast."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder import batch, gradescope_export
from tests.processes import alive_with
from tests.variants import SOLUTIONS, STUBS

pytestmark = pytest.mark.xdist_group("batch")  # one worker grades the shared batch (``graded``) once

QUICK = ["-a", "vae", "-k", "A.1e B.1a"]  # 3 + 4 + 2 points; a corrupt zip fails at once

METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '0101'
    :email: ada@example.edu
  - :name: Ben Okri
    :sid: '0102'
    :email: ben@example.edu
  :created_at: 2024-03-01 12:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.9e1
  :history: []
submission_1002:
  :submitters:
  - :name: Cy Young
    :sid: 00123
    :email: cy@example.edu
submission_1003:
  :submitters:
  - :name: Di Fox
    :sid: '0300'
    :email: di@example.edu
submission_1009:
  :submitters:
  - :name: Eve Gone
    :sid: '0900'
    :email: eve@example.edu
"""

GRADEBOOK_HEADER = ["name", "email", "sid", "submission", "vae", "note"]
ITEMS_HEADER = ["submission", "students", "total", "vae A.1e", "vae B.1a", "vae B.1a.h", "note"]


def make_export(root: Path) -> Path:
    """A Gradescope export: a group of two (the reference), the stub, a SyntaxError, plus two zips it does not
    list (the reference in a folder; bytes that are no zip) and a listed submission with no folder."""
    export = root / "export"
    for name, source in (("submission_1001", (SOLUTIONS / "vae.py").read_text()),
                         ("submission_1002", (STUBS / "vae.py").read_text()),
                         ("submission_1003", "def encode(x:\n    return x\n")):
        (export / name).mkdir(parents=True)
        (export / name / "vae.py").write_text(source)
    with zipfile.ZipFile(export / "late.zip", "w") as zf:
        zf.write(SOLUTIONS / "vae.py", "my_work/vae.py")
    (export / "corrupt.zip").write_bytes(b"these bytes are not a zip archive\n")
    (export / "submission_metadata.yml").write_text(METADATA)
    return export


def run_batch(export: Path, *more: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "batch", str(export), *QUICK, "--workers", "2", *more],
                          capture_output=True, text=True, timeout=600)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def marks(out: Path) -> dict[str, int]:
    """Each submission's done.json, by the time it was written (changes only when it is graded again)."""
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/done.json")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One uninterrupted batch: (export, its results folder)."""
    export = make_export(tmp_path_factory.mktemp("class"))
    proc = run_batch(export)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "graded 5, skipped 0" in proc.stdout
    return export, export.with_name("export_results")


def copy_of(graded, tmp_path: Path) -> tuple[Path, Path]:
    export, out = graded
    shutil.copytree(export, tmp_path / "export")
    shutil.copytree(out, tmp_path / "export_results")
    return tmp_path / "export", tmp_path / "export_results"


def test_gradebook_has_one_row_per_student(graded):
    rows = read_csv(graded[1] / "gradebook.csv")
    assert rows[0] == GRADEBOOK_HEADER
    book = {(r[0], r[1], r[2]): r for r in rows[1:]}
    assert len(book) == len(rows) - 1 == 7
    ada, ben = book["Ada Lovelace", "ada@example.edu", "0101"], book["Ben Okri", "ben@example.edu", "0102"]
    assert ada[3:] == ben[3:] == ["submission_1001", "9", ""]  # a group: each member gets its score
    assert book["Cy Young", "cy@example.edu", "00123"][3:] == ["submission_1002", "0", ""]  # sid as written
    assert book["Di Fox", "di@example.edu", "0300"][3:] == ["submission_1003", "0", ""]  # a SyntaxError is a real 0
    assert book["late", "", ""][3:] == ["late", "9", ""]  # not in the metadata: keyed by its name
    corrupt = book["corrupt", "", ""]
    assert corrupt[4] == "" and "corrupt.zip is not a readable zip archive" in corrupt[5]
    assert str(graded[0]) not in corrupt[5]
    eve = book["Eve Gone", "eve@example.edu", "0900"]
    assert eve[4] == "" and "submission_1009" in eve[5] and "submission_metadata.yml" in eve[5]
    for row in rows[1:]:  # numbers only in score columns
        assert row[4] == "" or float(row[4]) >= 0
        assert (row[4] == "") == bool(row[5])  # an empty score always says why


def test_items_table_is_keyed_by_item_id(graded):
    out = graded[1]
    rows = read_csv(out / "items.csv")
    assert rows[0] == ITEMS_HEADER  # item ids, held-out twins too
    table = {r[0]: r for r in rows[1:]}
    assert sorted(table) == ["corrupt", "late", "submission_1001", "submission_1002", "submission_1003"]
    group = table["submission_1001"]
    assert group[2:6] == ["9", "3", "4", "2"] and group[6] == ""
    assert "Ada Lovelace <ada@example.edu> [0101]" in group[1] and "Ben Okri" in group[1]
    assert table["late"][2:6] == ["9", "3", "4", "2"]
    assert table["submission_1003"][2:7] == ["0", "0", "0", "0", ""]
    assert "does not import: SyntaxError" in (out / "submission_1003" / "results.json").read_text()
    assert table["corrupt"][2:6] == ["", "", "", ""] and "not a readable zip archive" in table["corrupt"][6]
    done = json.loads((out / "corrupt" / "done.json").read_text())
    assert done["failed"] is True and done["options"][-2:] == ["-k", "A.1e B.1a"]


def test_rerun_skips_every_graded_submission(graded, tmp_path):
    export, out = copy_of(graded, tmp_path)
    before = marks(out)
    proc = run_batch(export)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 5 of 5" in proc.stdout and "graded 0, skipped 5" in proc.stdout
    assert marks(out) == before
    for table in ("gradebook.csv", "items.csv"):
        assert (out / table).read_bytes() == (graded[1] / table).read_bytes()


def test_a_changed_submission_alone_is_graded_again(graded, tmp_path):
    export, out = copy_of(graded, tmp_path)
    before = marks(out)
    shutil.copy(SOLUTIONS / "vae.py", export / "submission_1002" / "vae.py")  # Cy hands in a fix
    proc = run_batch(export)
    assert proc.returncode == 0, proc.stderr
    assert "graded 1, skipped 4" in proc.stdout
    after = marks(out)
    assert [k for k in before if after[k] != before[k]] == ["submission_1002"]
    cy = [r for r in read_csv(out / "gradebook.csv") if r[0] == "Cy Young"]
    assert cy == [["Cy Young", "cy@example.edu", "00123", "submission_1002", "9", ""]]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_an_interrupted_batch_keeps_what_it_finished(graded, tmp_path, sig):
    export = make_export(tmp_path)
    out = export.with_name("export_results")
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(export), *QUICK, "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(marks(out)) < 2:  # corrupt.zip (at once), then late.zip; killed while grading the third
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -sig if sig == signal.SIGKILL else proc.returncode == 130, err
    if sig == signal.SIGTERM:
        assert b"interrupted" in err
    deadline = time.monotonic() + 20  # no grading of this export runs on
    while alive_with(str(export)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive_with(str(export))
    finished = marks(out)
    assert 2 <= len(finished) < 5 and "gradebook.csv" not in os.listdir(out)

    again = run_batch(export)
    assert again.returncode == 0, again.stderr
    assert f"skipped {len(finished)} of 5" in again.stdout
    after = marks(out)
    assert len(after) == 5 and all(after[k] == finished[k] for k in finished)  # nothing finished is graded again
    for table in ("gradebook.csv", "items.csv"):
        assert (out / table).read_bytes() == (graded[1] / table).read_bytes()


def test_gradescope_metadata_as_ruby_writes_it(tmp_path):
    path = tmp_path / "submission_metadata.yml"
    path.write_text(METADATA + "submission_1010:\n  submitters:\n  - name: Plain Keys\n    sid: 1e5\n")
    students = gradescope_export.read_metadata(path)
    Student = gradescope_export.Student
    assert students["submission_1001"] == [Student("Ada Lovelace", "ada@example.edu", "0101"),
                                           Student("Ben Okri", "ben@example.edu", "0102")]
    assert students["submission_1002"][0].sid == "00123"  # not the octal number 83
    assert students["submission_1010"] == [Student("Plain Keys", "", "1e5")]
    nested = tmp_path / "unpacked" / "assignment_42_export"
    nested.mkdir(parents=True)
    shutil.copy(path, nested)
    assert gradescope_export.export_root(tmp_path / "unpacked") == nested  # the folder the export zip unpacks into


@pytest.mark.parametrize("text, problem", [
    ("submission_1:\n  :submitters: [\n", "is not valid YAML (line 3"),
    ("- submission_1\n", "holds a list"),
    ("submission_1:\n  :score: 3\n", "submission_1 has no ':submitters:' list"),
    ("submission_1:\n  :submitters:\n  - :score: 3\n", "submitter 1 has no :name:, :email: or :sid:"),
    ("submission_1:\n  :submitters:\n  - !!python/object:os.system {}\n", "is not valid YAML"),
])
def test_a_malformed_metadata_file_is_named_with_its_problem(tmp_path, capsys, text, problem):
    (tmp_path / "class" / "submission_1").mkdir(parents=True)
    (tmp_path / "class" / "submission_metadata.yml").write_text(text)
    assert batch.main([str(tmp_path / "class")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "class" / "submission_metadata.yml") in err and problem in err
    assert not (tmp_path / "class_results").exists()


def test_a_missing_folder_exits_2(tmp_path, capsys):
    assert batch.main([str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err


def test_dask_cluster_grades_the_same_tables(graded, tmp_path):
    """--executor dask on a local cluster of two worker processes: each submission one task, graded by the
    same sandboxed grader on its worker; both tables equal the single-machine run's."""
    distributed = pytest.importorskip("distributed")
    export = tmp_path / "export"
    shutil.copytree(graded[0], export)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster:
        proc = run_batch(export, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "graded 5, skipped 0" in proc.stdout
    for table in ("gradebook.csv", "items.csv"):
        assert read_csv(tmp_path / "export_results" / table) == read_csv(graded[1] / table), table


def test_dask_needs_a_reachable_scheduler(tmp_path):
    export = make_export(tmp_path)
    proc = run_batch(export, "--executor", "dask")
    assert proc.returncode == 2 and "--scheduler" in proc.stderr
    proc = run_batch(export, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert proc.returncode == 2 and "cannot reach the Dask scheduler" in proc.stderr
