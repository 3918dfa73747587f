"""The wall where the grader is deployed: a wheel installed into a venv, and the Gradescope bundle (its
source folder imported, the same grader also installed as a wheel in the venv, as ``setup.sh`` does).

A one-homework bundle is built and unpacked into a Gradescope-shaped folder; a wheel is built from its
source folder and installed into a fresh venv (the venv borrows this interpreter's third-party packages
through a ``.pth`` line, so torch is not installed twice). In each layout, with namespaces and without,
``tests/hostile_layouts/every_copy.py`` is graded as vae.py: it reads every copy of the grader (graded
items, held-out seed, oracles, stand-ins, bytecode, the wheel's RECORD) through libc, Python, numpy and
torch's native I/O, and loads the oracles from their files to borrow their closed forms. Grading must
exit 0, write results.json, earn nothing, show none of those files' contents anywhere, and leave every
copy byte-identical.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from autograder import isolation
from autograder.distribute import gradescope

ROOT = Path(__file__).resolve().parent.parent
ATTACK = Path(__file__).resolve().parent / "hostile_layouts" / "every_copy.py"
HIDDEN_LINE = next(line for line in (ROOT / "autograder/graded/vae/test_b_losses_hidden.py").read_text().splitlines()
                   if line.startswith("def test_"))
ORACLE_LINE = "def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:"
STAND_IN_LINE = "def _pca_fit(x, n_components):"
MODES = ("namespaces", "landlock")

missing = isolation.kernel_layers_missing()
pytestmark = [pytest.mark.skipif(bool(missing), reason=f"this kernel lacks {missing}"),
              pytest.mark.xdist_group("install-layouts")]


def _tree(folder: Path) -> dict[str, tuple]:
    """(sha256, mtime) of every file under ``folder``."""
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """{"root": the Gradescope-shaped folder, "python": the venv's interpreter, "copies": the grader's
    package folders on disk (bundle source and installed wheel), "seed": the bundle's held-out seed}."""
    base = tmp_path_factory.mktemp("layouts")
    root = base / "autograder"
    with zipfile.ZipFile(gradescope(base / "vae.zip", ["vae"])) as zf:
        zf.extractall(root / "source")
    build = base / "build-src"  # setuptools writes build/ beside the sources: keep the bundle's folder as shipped
    shutil.copytree(root / "source", build)
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(base / "dist"), str(build)], capture_output=True, text=True, timeout=300)
    assert wheel.returncode == 0, wheel.stderr[-2000:]
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-index", "-q", *map(str, (base / "dist").glob("*.whl"))],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after the wheel's own
    copies = [root / "source" / "autograder", site / "autograder"]
    imported = subprocess.run([python, "-c", "import autograder; print(autograder.__file__)"], cwd=base,
                              capture_output=True, text=True, check=True).stdout.strip()
    assert Path(imported).parent == copies[1], f"the wheel layout imports the grader from {imported}"
    assert all((c / "graded" / "held_out_seed").is_file() for c in copies)
    return {"root": root, "python": python, "copies": copies, "base": base,
            "seed": (copies[0] / "graded" / "held_out_seed").read_text().strip()}


def _grade(deployed, layout: str, mode: str) -> dict:
    root, base = deployed["root"], deployed["base"]
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    (submission / "vae.py").write_text(ATTACK.read_text().replace("__COPIES__", repr([str(c) for c in
                                                                                         deployed["copies"]])))
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    env = {**os.environ, "AUTOGRADER_ISOLATION": "kernel", "AUTOGRADER_NAMESPACES": "1" if mode == "namespaces"
           else "0", "COURSE_DATA": str(base / "data"), "AUTOGRADER_CALL_TIMEOUT": "10"}
    env.pop("PYTHONPATH", None)
    if layout == "bundle":  # Gradescope: run_autograder imports the grader from source/
        (root / "source" / "run_autograder").chmod(0o755)
        command, cwd = [str(root / "source" / "run_autograder")], root
        env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(deployed["python"]))
    else:  # the installed wheel, run from a folder that holds no grader
        results.parent.mkdir(exist_ok=True)
        command = [str(deployed["python"]), "-m", "autograder", str(submission), "-a", "vae", "--json", str(results)]
        cwd = base
    trees = {c: _tree(c) for c in deployed["copies"]}
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)
    return {"proc": proc, "json": results.read_text() if results.is_file() else None,
            "changed": [str(c) for c in deployed["copies"] if _tree(c) != trees[c]]}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layout", ["wheel", "bundle"])
def test_no_copy_of_the_grader_is_readable_or_borrowable(deployed, layout, mode):
    if mode == "namespaces" and not isolation.plan("kernel").bwrap:
        pytest.skip("this machine gives no namespaces")
    got = _grade(deployed, layout, mode)
    proc = got["proc"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert got["json"] is not None, f"no results.json; stderr: {proc.stderr[-2000:]}"
    data = json.loads(got["json"])
    assert data["score"] == 0, [(t["name"], t.get("output", "")[:300]) for t in data["tests"] if t.get("score")]
    for text in (proc.stdout, proc.stderr, got["json"]):
        for secret in (deployed["seed"], HIDDEN_LINE, ORACLE_LINE, STAND_IN_LINE, "held_out_seed,sha256"):
            assert secret not in text, f"{secret[:40]!r} leaked in the {layout} layout ({mode})"
    assert not got["changed"], f"the grader's files changed: {got['changed']}"
