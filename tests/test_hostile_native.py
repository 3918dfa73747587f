"""Hostile submissions that act below Python (tests/hostile_native/): only the kernel stops them.

Every case is graded by the CLI, as a student's vae.py, under kernel isolation,
once with bubblewrap's namespaces and once with Landlock and seccomp alone (the
fallback where user namespaces are refused). The cases that aim at the grader's
files (those that name ``__ROOT__``) are graded again, in both modes, from a wheel
installed into a fresh venv (``tests/deployed.py``), where ``__ROOT__`` is the venv's
site-packages and the canary lies among the installed graded items. For each: grading ends in bounded
time with exit 0 and no point earned; the grader's files are byte-identical
afterwards; canary tokens planted in solutions/ and among the graded items, and
another submission's file, appear in no output; nothing reaches a listening
socket or a folder outside the sandbox; no process it started is alive 5 s after
the grader exits; results.json is unchanged 10 s after exit.
"""
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder import isolation
from tests.deployed import deploy, tree
from tests.processes import alive_with, native_spawn_source
from tests.variants import grader_files

ROOT = Path(__file__).resolve().parent.parent
NATIVE = Path(__file__).resolve().parent / "hostile_native"
CASES = sorted(p.stem for p in NATIVE.glob("*.py"))
GRADER_CASES = [c for c in CASES if "__ROOT__" in (NATIVE / f"{c}.py").read_text()]  # graded from a wheel too
HIDDEN_LINE = next(line for line in (ROOT / "autograder/graded/vae/test_b_losses_hidden.py").read_text().splitlines()
                   if line.startswith("def test_"))
# The wheel runs share the install-layout tests' group, so one worker builds the deployed grader once.
MODES = [pytest.param((m, layout), id=f"{m}-{layout}",
                      marks=pytest.mark.xdist_group(f"hostile-native-{m}" if layout == "checkout" else "install-layouts"))
         for layout in ("checkout", "wheel") for m in ("namespaces", "landlock")]

missing = isolation.kernel_layers_missing()
pytestmark = pytest.mark.skipif(bool(missing), reason=f"this kernel lacks {missing}")


class Listener(threading.Thread):
    """Counts connections to a port on 127.0.0.1."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.sock.getsockname()[1], 0

    def run(self):
        while True:
            try:
                self.sock.accept()[0].close()
                self.connections += 1
            except OSError:
                return


@pytest.fixture(scope="module", params=MODES)
def outcomes(request, tmp_path_factory):
    """Grade every case once in this mode and layout; returns {case: what happened}."""
    mode, layout = request.param
    plan = isolation.plan("kernel")
    if mode == "namespaces" and not plan.bwrap:
        pytest.skip(f"this machine gives no namespaces ({'; '.join(plan.warnings)})")
    if layout == "checkout":
        root, python, cases, env_extra = ROOT, sys.executable, CASES, {}
        trees = grader_files
        planted_in = [ROOT / "solutions", ROOT / "autograder/graded/vae"]
    else:
        deployed = deploy(tmp_path_factory)
        root, python, cases = deployed["site"], str(deployed["python"]), GRADER_CASES
        env_extra = {"COURSE_DATA": str(deployed["base"] / "data")}
        folders = [*deployed["copies"], deployed["site"] / "course"]

        def trees():
            return {k: v for folder in folders for k, v in tree(folder).items() if "canary_" not in k}
        planted_in = [deployed["site"] / "autograder/graded/vae"]
    token = f"CANARY-{secrets.token_hex(8)}"
    canary = f"canary_{mode}_{os.getpid()}.txt"
    planted = [folder / canary for folder in planted_in]
    for path in planted:
        path.write_text(token + "\n")
    listener = Listener()
    listener.start()
    base = tmp_path_factory.mktemp(f"native-{mode}-{layout}")
    sibling = base / "other_student" / "vae.py"
    sibling.parent.mkdir()
    sibling.write_text(f"# {token}\n")
    before = trees()
    results = {}
    try:
        for case in cases:
            case_dir = base / case
            sub, out, tmp = case_dir / "sub", case_dir / "out", case_dir / "tmp"
            for folder in (sub, out, tmp):
                folder.mkdir(parents=True)
            json_path = case_dir / "results.json"
            mark = f"hostile-{secrets.token_hex(6)}"
            text = (NATIVE / f"{case}.py").read_text()
            for key, value in (("__ROOT__", str(root)), ("__JSON__", str(json_path)), ("__SIBLING__", str(sibling)),
                               ("__PORT__", str(listener.port)), ("__MARK__", mark), ("__OUT__", str(out)),
                               ("__CANARY__", canary)):
                text = text.replace(key, value)
            (sub / "vae.py").write_text(text)
            env = {**os.environ, "TMPDIR": str(tmp), "AUTOGRADER_ISOLATION": "kernel",
                   "AUTOGRADER_NAMESPACES": "1" if mode == "namespaces" else "0", "AUTOGRADER_CALL_TIMEOUT": "5",
                   "AUTOGRADER_TRAIN_TIMEOUT": "5", "AUTOGRADER_TOTAL_BUDGET": "40", **env_extra}
            if layout == "wheel":
                env.pop("PYTHONPATH", None)
            started = time.monotonic()
            proc = subprocess.run([python, "-m", "autograder", str(sub), "-a", "vae", "-k", "kl",
                                   "--json", str(json_path)], capture_output=True, text=True, timeout=300,
                                  cwd=case_dir, env=env)
            ended = time.monotonic()
            results[case] = {"proc": proc, "seconds": ended - started, "ended": ended, "json": json_path,
                             "json_text": json_path.read_text() if json_path.is_file() else None,
                             "out": out, "markers": (mark, str(tmp)), "changed": _diff(before, trees())}
        yield {"token": token, "results": results, "listener": listener, "mode": mode, "layout": layout}
    finally:
        listener.sock.close()
        for path in planted:
            path.unlink(missing_ok=True)


def _diff(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


@pytest.mark.parametrize("case", CASES)
def test_native_attack_is_contained(outcomes, case):
    if case not in outcomes["results"]:
        pytest.skip(f"{case} aims at nothing that differs in the {outcomes['layout']} layout")
    got = outcomes["results"][case]
    proc = got["proc"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert got["seconds"] < 120, f"grading took {got['seconds']:.0f} s"
    data = json.loads(got["json_text"])
    assert data["score"] == 0, [t["name"] for t in data["tests"] if t["score"]]
    assert "Isolation: kernel: " in proc.stdout
    assert ("namespaces" in proc.stdout.splitlines()[0]) == (outcomes["mode"] == "namespaces")
    assert not got["changed"], f"the grader's files changed: {got['changed']}"
    for text in (proc.stdout, proc.stderr, got["json_text"]):
        assert outcomes["token"] not in text, "a canary (solutions/, graded items or a sibling) leaked"
        assert HIDDEN_LINE not in text, "a hidden item's source leaked"
    assert not any(got["out"].iterdir()), f"files escaped the sandbox: {list(got['out'].iterdir())}"
    assert outcomes["listener"].connections == 0, "a socket reached 127.0.0.1"
    _wait_until(got["ended"] + 5)
    for marker in got["markers"]:
        assert not alive_with(marker), f"processes outlived grading: {alive_with(marker)}"
    _wait_until(got["ended"] + 10)
    assert got["json"].read_text() == got["json_text"], "results.json changed after the grader exited"


def test_catalogue_is_large_enough():
    assert len(CASES) >= 10


def test_python_mode_is_only_a_first_layer(tmp_path):
    """The control: with the audit hook alone, a native spawn does escape (so the checks above can fail)."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "vae.py").write_text(native_spawn_source(f"touch {out}/escaped"))
    env = {**os.environ, "AUTOGRADER_ISOLATION": "python"}
    proc = subprocess.run([sys.executable, "-m", "autograder", str(tmp_path / "vae.py"), "-k", "kl"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0 and "python audit hook only" in proc.stdout
    time.sleep(1)
    assert (out / "escaped").exists()
