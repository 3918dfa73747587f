"""The grader's check of its own environment (autograder/environment.py): a machine that cannot grade fairly
stops before any item, with a reason for course staff, exit status 3 and a results.json without a score."""
import importlib.metadata
import json
import os
import subprocess
import sys
import time

import jsonschema
import pytest
import torch

from autograder import environment
from tests.test_cli import RESULTS_SCHEMA
from tests.variants import SOLUTIONS

# torch built for numpy 1, beside numpy 2, raises exactly this on every conversion (torch/csrc/utils/tensor_numpy.cpp)
NO_NUMPY = "import torch\n" \
           "def _gone(*args, **kwargs):\n    raise RuntimeError('Numpy is not available')\n" \
           "torch.from_numpy = _gone\ntorch.Tensor.numpy = _gone\n"


def test_this_environment_is_sound():
    assert environment.problems() == ()


def test_torch_without_numpy_is_found(monkeypatch):
    def gone(*args, **kwargs):
        raise RuntimeError("Numpy is not available")

    monkeypatch.setattr(torch, "from_numpy", gone)
    found = environment.check_numpy()
    assert len(found) == 1 and "cannot use numpy" in found[0].what and "Numpy is not available" in found[0].what
    assert "pip install" in found[0].fix


def test_torchvision_for_another_torch_is_found(monkeypatch):
    real = importlib.metadata.requires

    def requires(name):
        return ["torch==1.13.0"] if name == "torchvision" else real(name)

    monkeypatch.setattr(importlib.metadata, "requires", requires)
    found = environment.check_torchvision()
    assert len(found) == 1 and "built for torch 1.13.0" in found[0].what, found
    assert "pip install --upgrade torch torchvision" in found[0].fix


def test_a_package_below_the_declared_floor_is_found(monkeypatch):
    real = importlib.metadata.requires

    def requires(name):
        return ["torch>=99", "numpy>=1.0", "pywin32; sys_platform == 'win32'"] if name == environment.DISTRIBUTION \
            else real(name)

    monkeypatch.setattr(importlib.metadata, "requires", requires)
    found = environment.check_floors()
    assert [p.what.split()[0] for p in found] == ["torch"], found  # numpy satisfies it, pywin32 is not for Linux
    assert found[0].fix == "pip install 'torch>=99'"


def test_a_broken_environment_stops_grading_and_charges_no_student(tmp_path):
    """The command line on a machine whose torch cannot reach numpy: exit 3, the reason and its fix on stderr,
    and a results.json that says so with no score (Gradescope records none), before any item runs."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_NUMPY)
    out = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "autograder", SOLUTIONS, "-a", "vae", "--json", out],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "grading environment is broken" in proc.stderr and "Numpy is not available" in proc.stderr
    assert "fix: pip install" in proc.stderr and "not of the submission" in proc.stderr
    assert "Total" not in proc.stdout  # nothing was graded
    data = json.loads(out.read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert "score" not in data and all("score" not in t for t in data["tests"])
    assert "Numpy is not available" in data["extra_data"]["environment_error"]
    assert "problem on the grading machine" in data["output"] and "Numpy" not in data["output"]
    assert time.monotonic() - started < 60


def test_batch_refuses_a_broken_environment_before_any_submission(tmp_path):
    site, folder = tmp_path / "site", tmp_path / "class"
    for path in (site, folder / "student1"):
        path.mkdir(parents=True)
    (site / "sitecustomize.py").write_text(NO_NUMPY)
    (folder / "student1" / "vae.py").write_text((SOLUTIONS / "vae.py").read_text())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", folder], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 3 and "Numpy is not available" in proc.stderr, proc.stderr
    assert not (tmp_path / "class_results").exists()  # no student graded, no gradebook row with a zero


def test_a_results_file_without_a_score_needs_the_environment_error():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"name": "x", "tags": ["x"]}]}, RESULTS_SCHEMA)
