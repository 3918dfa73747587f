"""What leaves the staff's hands: the student hand-out and the Gradescope bundle."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.distribute import gradescope, release
from autograder.hidden import SEED_FILE
from autograder.rubric import declared_items, hidden_files
from tests.test_cli import validate_gradescope
from tests.variants import ROOT, SOLUTIONS, STUBS, split_blocks


def solution_bodies() -> list[str]:
    """Every reference TODO block of two or more code lines, whitespace-normalised.

    One-line blocks are left out: most restate a formula that the contract and
    the stub's docstring already give (``d - n_layers * (k - 1)``)."""
    bodies = []
    for path in SOLUTIONS.glob("*.py"):
        for _, block in split_blocks(path.read_text())[1]:
            code = [ln.strip() for ln in block if ln.strip() and not ln.strip().startswith("#")]
            if len(code) >= 2:
                bodies.append("\n".join(code))
    return bodies


def all_text(folder: Path) -> str:
    """Every file of ``folder``, each line stripped, so indentation cannot hide a copy."""
    return "\n".join("\n".join(ln.strip() for ln in p.read_text(errors="replace").splitlines() if ln.strip())
                     for p in folder.rglob("*") if p.is_file())


def test_release_has_no_solution_and_no_hidden_item(tmp_path):
    out = release(tmp_path / "handout")
    assert (out / "assignment" / "vae.py").is_file() and (out / "README.md").is_file()
    assert (out / "docs" / "contract.md").read_text() == (ROOT / "docs" / "contract.md").read_text()
    assert not (out / "solutions").exists() and not (out / "tests").exists()
    assert not list(out.rglob("*_hidden.py"))
    shipped = [i for f in (out / "autograder" / "graded").glob("*/test_*.py") for i in declared_items(f, twins=False)]
    assert shipped and all(visibility == "visible" for _, _, visibility in shipped)
    assert not (out / "autograder" / "graded" / "held_out_seed").exists()  # so no twins: their seed is secret
    text = all_text(out)
    bodies = solution_bodies()
    assert len(bodies) >= 10
    leaked = [body for body in bodies if body in text]
    assert not leaked, leaked[:3]


def test_hidden_items_are_found_by_their_markers(tmp_path):
    """Not by file name: a hidden item in a file of any name stays out of the release; a file that
    mixes hidden and visible items is refused."""
    folder = tmp_path / "graded" / "vae"
    folder.mkdir(parents=True)
    (folder / "test_any_name.py").write_text('@item("X.1", 2, visibility="hidden")\ndef test_a(gateway):\n    pass\n')
    (folder / "test_public.py").write_text('@item("X.2", 3)\ndef test_b(gateway):\n    pass\n')
    assert declared_items(folder / "test_public.py") == [("X.2", 3, "visible")]
    assert hidden_files(tmp_path / "graded") == [folder / "test_any_name.py"]
    (folder / "test_mixed.py").write_text('@item("X.3", 1)\ndef test_c(gateway):\n    pass\n\n\n'
                                          '@item("X.4", 1, visibility="hidden")\ndef test_d(gateway):\n    pass\n')
    with pytest.raises(ValueError, match="mixes hidden and visible"):
        hidden_files(tmp_path / "graded")
    real = hidden_files(ROOT / "autograder" / "graded")
    assert real and all(p.name.endswith("_hidden.py") for p in real)


def run_bundle(bundle: Path, files: dict, tmp_path: Path) -> dict:
    """Grade ``files`` (name -> text) with ``bundle`` in a Gradescope-shaped folder (source/, submission/,
    results/); returns results.json."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    run = root / "source" / "run_autograder"
    run.chmod(0o755)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "COURSE_DATA": str(tmp_path / "data")}
    proc = subprocess.run([run], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(data)
    return data


def test_gradescope_bundle_grades_a_submission(tmp_path):
    """A bundle of every assignment: vae.py alone earns its 100 points, the other four are missing."""
    bundle = gradescope(tmp_path / "autograder.zip")
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "pyproject.toml"} <= set(names)
        assert not any(n.startswith("solutions/") for n in names)
        assert any(n.endswith("_hidden.py") for n in names)
    data = run_bundle(bundle, {"vae.py": (SOLUTIONS / "vae.py").read_text()}, tmp_path)
    assert data["score"] == 100  # vae.py full marks, hidden items included; the other four missing
    assert any("missing" in t.get("output", "") for t in data["tests"])
    assert sum(t.get("max_score", 0) for t in data["tests"] if "faces" not in t["tags"]) == 400
    twins = [t for t in data["tests"] if t["tags"][1].endswith(".h")]
    assert twins and all(t["visibility"] == "after_published" for t in twins)
    shown = [t for t in data["tests"] if t.get("visibility") == "visible" and "faces" not in t["tags"]]
    earned, possible = sum(t.get("score", 0) for t in shown), sum(t.get("max_score", 0) for t in shown)
    assert f"Score on the items shown now: {earned:g} / {possible:g};" in data["output"]
    assert earned < 100 and possible < 400  # the held-out points are not in the line
    # the bundle's own held-out seed: not the checkout's, and another one in the next bundle
    seed = (tmp_path / "autograder" / "source" / "autograder" / "graded" / "held_out_seed").read_text()
    with zipfile.ZipFile(gradescope(tmp_path / "again.zip")) as zf:
        again = zf.read("autograder/graded/held_out_seed").decode()
    assert int(seed) != int(again) and seed != SEED_FILE.read_text()


def test_one_homework_bundle_grades_only_its_file(tmp_path):
    """A vae-only homework: x / 100, no other assignment's items, no bonus; manual parts carry no score."""
    cvae = (SOLUTIONS / "cvae.py").read_text()
    data = run_bundle(gradescope(tmp_path / "vae.zip", ["vae"]), {"vae.py": (STUBS / "vae.py").read_text(),
                                                                   "cvae.py": cvae}, tmp_path)
    assert {t["tags"][0] for t in data["tests"]} == {"vae"}
    assert data["score"] == 0 and sum(t.get("max_score", 0) for t in data["tests"]) == 100
    manual = [t for t in data["tests"] if "manual" in t["tags"]]
    assert manual and all("status" not in t and "score" not in t for t in manual)
    with pytest.raises(ValueError, match="unknown assignment"):
        gradescope(tmp_path / "x.zip", ["vea"])


def test_setup_refuses_an_old_python_with_a_clear_message(tmp_path):
    """setup.sh's version check (the requires-python of pyproject.toml) on an image whose python3 is too old."""
    from autograder.distribute import setup_sh

    text = setup_sh()
    check = text[text.index("if ! python3"):text.index("fi\n") + 3]
    old = tmp_path / "bin" / "python3"
    old.parent.mkdir()
    old.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.8.10"; exit 0; fi\nexit 1\n')
    old.chmod(0o755)
    proc = subprocess.run(["bash", "-c", check], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{old.parent}:{os.environ['PATH']}"})
    assert proc.returncode == 1 and "needs Python >= 3.10" in proc.stderr and "Python 3.8.10" in proc.stderr
    fine = subprocess.run(["bash", "-c", check], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert fine.returncode == 0, fine.stderr


def test_setup_installs_the_cpu_only_torch_build():
    """The worker sees no GPU, so setup.sh asks uv for torch's CPU-only build and stops if a CUDA one came."""
    from autograder.distribute import setup_sh

    install = [line for line in setup_sh().splitlines() if "/autograder/source" in line and "install" in line]
    assert install and all("--torch-backend cpu" in line for line in install)
    assert "assert torch.version.cuda is None" in setup_sh()
