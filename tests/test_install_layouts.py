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
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder import isolation
from tests.deployed import deploy, tree

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


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    return deploy(tmp_path_factory)


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
    trees = {c: tree(c) for c in deployed["copies"]}
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)
    return {"proc": proc, "json": results.read_text() if results.is_file() else None,
            "changed": [str(c) for c in deployed["copies"] if tree(c) != trees[c]]}


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
