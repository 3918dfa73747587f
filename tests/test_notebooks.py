"""Notebook submissions and the notebook hand-out.

A notebook is graded like the .py it stands for, from its imports, definitions and constants
only (a training loop in it never runs); a cell with a syntax error is named; the .py wins over
its notebook. The released notebooks, executed top to bottom by a real Jupyter kernel in a fresh
environment holding only the installed hand-out, show every check passing with the reference
pasted into their TODO cells and "not implemented" with the stubs.
"""
import ast
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.api import grade
from autograder.distribute import release
from autograder.notebook_release import code_cells, notebook, parts
from autograder.notebooks import cells_source, notebook_source
from autograder.submission import Intake, materialize
from course import registry
from tests.variants import ROOT, SOLUTIONS

pytestmark = pytest.mark.xdist_group("handout")  # one worker installs the hand-out once (handout_venv)

README = (ROOT / "assignment" / "README.md").read_text()
GRADED = ROOT / "autograder" / "graded"
# a cell that must never run when grading: it would leave a file behind, then stop the module
TRAINING = ("model = Autoencoder('vae')\nimport pathlib\npathlib.Path({marker!r}).write_text('ran')\n"
            "for epoch in range(10**9):\n    pass\n")


def reference_notebook(name: str):
    """The notebook hand-out of ``name`` built from the reference instead of the stub."""
    return notebook(name, (SOLUTIONS / f"{name}.py").read_text(), README, GRADED / name)


def definitions(source: str) -> list[str]:
    """Every import, def and class of ``source`` as an AST dump, in order."""
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    return [ast.dump(s) for s in ast.parse(source).body if isinstance(s, keep)]


@pytest.mark.parametrize("name", registry.names())
def test_a_notebook_holds_the_same_module_as_its_file(name):
    """Each reference notebook converts back to the reference's imports and definitions, unchanged, and every
    graded part has a check cell after the code it grades."""
    nb = reference_notebook(name)
    source, note, _ = notebook_source(nbformat.writes(nb).encode(), f"{name}.ipynb")
    assert definitions(source) == definitions((SOLUTIONS / f"{name}.py").read_text())
    checks = [c.source.splitlines()[-1] for c in nb.cells if c.cell_type == "code" and "check(" in c.source]
    assert checks == [f'check("{p}")' for p in _in_notebook_order(nb, parts(GRADED / name))]
    assert note == f"{name}.ipynb: graded its imports, definitions and constants."  # check cells go unmentioned


def _in_notebook_order(nb, every: list[str]) -> list[str]:
    text = [c.source for c in nb.cells if c.cell_type == "code"]
    return sorted(every, key=lambda p: next((i for i, t in enumerate(text) if f'check("{p}")' in t), len(text)))


def test_a_reference_notebook_with_a_training_loop_and_a_broken_cell_gets_full_marks(tmp_path):
    """Graded as vae.py: full marks; the training cell never ran; the report names the broken cell."""
    nb = reference_notebook("vae")
    marker = tmp_path / "training_ran"
    nb.cells += [new_code_cell(TRAINING.format(marker=str(marker))),
                 new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2]\n"),  # a syntax error
                 new_code_cell("!pip install torch\n%matplotlib inline")]
    nbformat.write(nb, tmp_path / "vae.ipynb")
    report = grade(tmp_path / "vae.ipynb")
    assert report.score == report.possible == 100, [(i.item_id, i.message) for i in report.items if not i.passed]
    assert not marker.exists()
    broken, training = len(nb.cells) - 1, len(nb.cells) - 2
    note = " ".join(report.notes)
    assert f"cell {broken} (syntax error at its line 2" in note and f"{training}" in note, note


def test_a_syntax_error_names_its_cell_and_costs_only_what_it_defines(tmp_path):
    cells = [("markdown", "# mine"), ("code", "import torch"),
             ("code", "def kl_divergence(mu, logvar):\n    return -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())"),
             ("code", "def reconstruction_loss(r, x):\n    return torch.sum(r - x"), ]
    source, note, where = cells_source(cells, "vae.ipynb")
    assert "def kl_divergence" in source and "reconstruction_loss" not in source
    assert "cell 4 (syntax error" in note and "what it defines is missing" in note
    line = source.splitlines().index("def kl_divergence(mu, logvar):")
    assert where[line] == (3, 1)  # the module's line -> (cell 3, its line 1)


def test_shell_magics_and_uninstalled_imports_are_left_out():
    cells = [("code", "!pip install x\nfrom google.colab import drive\nimport torch\nDEVICE = torch.device('cpu')\n"
                      "if True:\n    %time 1 + 1\nN = len([1, 2])\nmodel = torch.nn.Linear(2, 2)"),
             ("code", "%%time\nimport os\nos.system('true')")]
    source, note, _ = cells_source(cells, "vae.ipynb")
    assert "import torch" in source and "DEVICE = torch.device('cpu')" in source and "N = len" in source
    assert "google" not in source and "Linear" not in source and "os" not in source.split()
    assert "import google.colab (cell 1; not installed" in note and "shell/magic lines of cells 1, 2" in note


def test_notebooks_in_folders_and_zips_and_the_py_wins(tmp_path):
    nb = nbformat.writes(new_notebook(cells=[new_markdown_cell("x"), new_code_cell("A = 1")]))
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "cvae.ipynb").write_text(nb)
    (folder / "vae.ipynb").write_text(nb)
    (folder / "vae.py").write_text("B = 2\n")
    intake = Intake()
    assert materialize(folder, tmp_path / "out1", intake) == ["vae", "cvae"]
    assert (tmp_path / "out1" / "vae.py").read_text() == "B = 2\n"
    assert "A = 1" in (tmp_path / "out1" / "cvae.py").read_text()
    assert any("vae.py and vae.ipynb were both handed in: vae.py was graded" in n for n in intake.notes)
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("work/pca_ae.ipynb", nb)
        zf.writestr("work/.ipynb_checkpoints/vae-checkpoint.ipynb", nb)
    assert materialize(archive, tmp_path / "out2", Intake()) == ["pca_ae"]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "faces.ipynb").write_text("{not json")
    intake = Intake()
    materialize(tmp_path / "bad", tmp_path / "out3", intake)
    assert "raise ImportError" in (tmp_path / "out3" / "faces.py").read_text()
    assert "faces.ipynb is not a readable Jupyter notebook" in intake.notes[0]


# -------------------------------------------- the released hand-out in a fresh venv, its notebooks in a kernel

@pytest.fixture(scope="module")
def handout_venv(tmp_path_factory):
    """The hand-out with its notebooks, released and installed with one pip install into a fresh venv (which sees this
    one's site-packages through a .pth file, so nothing is downloaded); (venv's python, hand-out folder)."""
    tmp = tmp_path_factory.mktemp("handout")
    out = release(tmp / "handout", notebooks=True)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", out], check=True)
    return py, out


EXECUTE = """
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], 4)
NotebookClient(nb, timeout=600, kernel_name="python3").execute()
shown = {}
for cell in nb.cells:
    if cell.cell_type == "code" and ("check(" in cell.source or "__file__" in cell.source):
        shown[cell.source.splitlines()[-1]] = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                                                      for o in cell.outputs)
print(json.dumps(shown))
"""


def execute(py: Path, path: Path, tmp: Path) -> dict:
    """{last line of each check cell (or ``__file__`` cell): what it showed} after running notebook ``path`` top to
    bottom in a Jupyter kernel of ``py``."""
    proc = subprocess.run([py, "-c", EXECUTE, path], capture_output=True, text=True, timeout=900, cwd=tmp,
                          env={**os.environ, "COURSE_DATA": str(tmp / "data")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_released_stub_notebook_says_not_implemented(handout_venv, tmp_path):
    py, out = handout_venv
    path = out / "notebooks" / "vae.ipynb"
    nb = nbformat.read(path, 4)
    nb.cells.insert(3, new_code_cell("import autograder\nprint(autograder.__file__)"))
    nbformat.write(nb, tmp_path / "vae.ipynb")
    shown = execute(py, tmp_path / "vae.ipynb", tmp_path)
    assert str(py.parent.parent) in shown.pop("print(autograder.__file__)")  # the installed hand-out's grader
    assert set(shown) == {f'check("{p}")' for p in parts(out / "autograder" / "graded" / "vae")}
    for call in ('check("A.1")', 'check("B.1")', 'check("B.2")'):
        assert "not implemented" in shown[call] and "Traceback" not in shown[call], shown[call]
        assert "public items" in shown[call] and ".h " not in shown[call]  # no seed in the hand-out, no twins
    assert "(at In [" in shown['check("B.1")']  # a position names the kernel's cell, not the exported file


def test_the_released_notebook_with_the_reference_pasted_in_passes_every_check(handout_venv, tmp_path):
    py, out = handout_venv
    path = out / "notebooks" / "vae.ipynb"
    nb = nbformat.read(path, 4)
    todo = [c for c in nb.cells if c.cell_type == "code" and "check(" not in c.source and "Checker" not in c.source]
    reference = code_cells((SOLUTIONS / "vae.py").read_text())
    assert len(todo) == len(reference) and all("TODO" in c.source for c in todo[1:])
    for cell, text in zip(todo, reference):
        cell.source = text
    nbformat.write(nb, tmp_path / "vae.ipynb")
    shown = execute(py, tmp_path / "vae.ipynb", tmp_path)
    for call, text in shown.items():
        total = text.strip().splitlines()[-1]
        assert "FAIL" not in text and total.endswith(tuple(f"{n} / {n}" for n in range(1, 101))), (call, text)


def test_the_installed_hand_out_grades_its_stubs_from_the_command_line(handout_venv, tmp_path):
    py, out = handout_venv
    proc = subprocess.run([py, "-m", "autograder", "-a", "vae"], cwd=out, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "COURSE_DATA": str(tmp_path / "data")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0 / " in proc.stdout and "public items" in proc.stdout and "Traceback" not in proc.stdout
    assert "B.1a " in proc.stdout and "B.1a.h" not in proc.stdout  # no seed in the hand-out, so no twins


def test_hostile_notebooks_run_nothing_in_the_grader(tmp_path):
    """Conversion happens in the trusted parent and runs nothing: a call hidden in a 'constant' is left out, a
    deeply nested or oversized notebook becomes an ImportError in the worker, never a crash of the parent."""
    marker = tmp_path / "ran"
    source, _, _ = cells_source([("code", f"X = __import__('os').system('touch {marker}')\n"
                                          f"Y = [open({str(marker)!r}, 'w')]\nZ = 3")], "vae.ipynb")
    assert source.strip().endswith("Z = 3") and "system" not in source and "open(" not in source
    assert not marker.exists()
    nested = ('{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    source, note, _ = notebook_source(nested.encode(), "vae.ipynb")
    assert source.startswith("raise ImportError") and "not a readable Jupyter notebook" in note
    import autograder.submission as submission

    big = tmp_path / "big"
    big.mkdir()
    (big / "vae.ipynb").write_bytes(b" " * (submission.MAX_NOTEBOOK_BYTES + 1))
    materialize(big, tmp_path / "out", Intake())
    assert "is larger than" in (tmp_path / "out" / "vae.py").read_text()
