"""The grading interface of docs/contract.md: inputs, results.json, exit status."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.variants import SOLUTIONS, STUBS

RESULTS_SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())

QUICK = ["-a", "vae", "-k", "test_layer_shapes or test_bad_type"]  # two fast items keep these tests short


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def validate_gradescope(data: dict) -> None:
    """results.json conforms to the JSON Schema written from Gradescope's specification, and its score is the
    sum of the scored tests."""
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert abs(sum(t.get("score", 0) for t in data["tests"]) - data["score"]) < 1e-9
    for test in data["tests"]:  # a test with no status is a manual part (no score) or output for staff (hidden)
        assert "status" in test or "manual" in test["tags"] or test["visibility"] == "hidden", test


def test_reference_folder_json_and_exit_zero(tmp_path):
    out = tmp_path / "results.json"
    proc = run(SOLUTIONS, *QUICK, "--json", out)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 8 and all(t["tags"][0] == "vae" for t in data["tests"])
    assert "PASS" in proc.stdout and "8 / 8" in proc.stdout


def test_stubs_exit_zero_and_say_not_implemented():
    proc = run(STUBS, *QUICK)
    assert proc.returncode == 0
    assert "not implemented" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_single_file_and_zip(tmp_path):
    single = run(SOLUTIONS / "vae.py", "-k", "test_bad_type")
    assert single.returncode == 0 and "vae.py" in single.stdout and "cvae.py" not in single.stdout
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(SOLUTIONS / "vae.py", "my_folder/vae.py")
    proc = run(archive, *QUICK)
    assert proc.returncode == 0 and "8 / 8" in proc.stdout


def test_missing_file_scores_zero_with_the_word_missing(tmp_path):
    (tmp_path / "cvae.py").write_text("x = 1\n")
    proc = run(tmp_path, *QUICK)
    assert proc.returncode == 0 and "missing" in proc.stdout and "0 / 8" in proc.stdout


def test_syntax_error_is_graded_not_fatal(tmp_path):
    (tmp_path / "vae.py").write_text("def broken(:\n")
    proc = run(tmp_path, *QUICK)
    assert proc.returncode == 0 and "SyntaxError" in proc.stdout and "0 / 8" in proc.stdout


@pytest.mark.parametrize("args", [["/no/such/path"], ["README.md"], [SOLUTIONS, "-a", "nope"]])
def test_grader_errors_exit_non_zero(args):
    proc = run(*args)
    assert proc.returncode != 0 and "autograder" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo", "no_folder"])
def test_a_bad_results_path_is_refused_before_grading(tmp_path, kind):
    import os

    target = tmp_path / "results.json"
    victim = tmp_path / "victim.py"
    victim.write_text("original\n")
    if kind == "symlink":
        target.symlink_to(victim)
    elif kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = tmp_path / "missing" / "results.json"
    proc = run(SOLUTIONS, *QUICK, "--json", target)
    assert proc.returncode == 2 and "PASS" not in proc.stdout, proc.stdout
    assert proc.stderr.startswith("autograder: ") and str(target) in proc.stderr
    assert victim.read_text() == "original\n"


def test_results_replace_an_old_file_atomically(tmp_path):
    out = tmp_path / "results.json"
    out.write_text("old")
    assert run(SOLUTIONS, *QUICK, "--json", out).returncode == 0
    assert json.loads(out.read_text())["score"] == 8
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "no temporary file is left behind"


def test_a_package_planted_in_the_current_folder_is_not_imported(tmp_path):
    """``python -m autograder`` run where a worker (or anyone) left a ``sklearn/`` package."""
    (tmp_path / "sklearn").mkdir()
    (tmp_path / "sklearn" / "__init__.py").write_text("raise SystemExit('planted sklearn imported')\n")
    proc = run(SOLUTIONS, "-a", "pca_ae", "-k", "test_fit_mean", cwd=tmp_path)
    assert proc.returncode == 0 and "planted" not in proc.stdout + proc.stderr, proc.stderr[-1000:]
    assert " 0 / 0" not in proc.stdout


def test_item_ids_select_items(tmp_path):
    """-k with the ids the report prints runs those items and their twins (a part names all of its items),
    across files."""
    out = tmp_path / "results.json"
    proc = run(SOLUTIONS, "-k", "B.1c, CVAE.1", "--json", out)
    assert proc.returncode == 0, proc.stderr
    tags = sorted(t["tags"][1] for t in json.loads(out.read_text())["tests"] if "manual" not in t["tags"])
    assert tags == ["B.1c", "B.1c.h", "CVAE.1a", "CVAE.1a.h", "CVAE.1b", "CVAE.1b.h", "CVAE.1c", "CVAE.1c.h"]


def test_selection_of_nothing_exits_2_and_lists_the_ids():
    proc = run(SOLUTIONS, "-a", "cvae", "-k", "Z.9")
    assert proc.returncode == 2
    assert "selects no item" in proc.stderr and "CVAE.1a" in proc.stderr and "A.1a" not in proc.stderr


def test_names_item():
    from autograder.rubric import names_item

    assert names_item("B.1c", "B.1c") and names_item("b.1", "B.1c") and names_item("B", "B.1c")
    assert names_item("CVAE", "CVAE.2a") and names_item("CVAE.2", "CVAE.2a")
    assert not names_item("B.1", "B.10a") and not names_item("C", "CVAE.2a") and not names_item("B.1c", "B.1")
    assert names_item("B.1c", "B.1c.h") and names_item("CVAE.1", "CVAE.1a.h") and names_item("B.1c.h", "B.1c.h")
    assert not names_item("B.1c.h", "B.1c") and not names_item("C.a", "C.b.h")


def test_the_readme_example_is_the_graders_own_output(tmp_path):
    """The README's example report is what the grader prints for that submission, line for line ('...' elides)."""
    from tests import catalogues
    from tests.variants import ROOT

    text = (ROOT / "README.md").read_text()
    block = text.split('`python -m autograder vae.py -k "A.1a B.1d"` prints')[1].split("\n\n")[1]
    shown = [line.strip() for line in block.splitlines() if line.strip() and line.strip() != "..."]
    bug = next(b for b in catalogues.load("vae").bugs if b.name == "kl_sign")
    proc = run(bug.write(tmp_path) / "vae.py", "-k", "A.1a B.1d")
    printed = {line.strip() for line in proc.stdout.splitlines()}
    assert len(shown) >= 10 and not [line for line in shown if line not in printed], proc.stdout
