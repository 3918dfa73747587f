"""The isolation plan: which walls a machine gives, what --isolation does without them, and the
bubblewrap view of the file system."""
import json
import os
import time
from pathlib import Path

import pytest

from autograder import isolation, kernel
from autograder import cgroup
from autograder.cli import main as cli_main
from autograder.gateway import Gateway
from autograder.limits import Limits
from tests.processes import alive_with, native_spawn_source


@pytest.fixture
def no_kernel_layers(monkeypatch):
    monkeypatch.setattr(isolation, "kernel_layers_missing", lambda: "Landlock (test)")


def test_kernel_mode_refuses_without_the_kernel_layers(no_kernel_layers, capsys, tmp_path):
    with pytest.raises(isolation.IsolationUnavailable, match="Landlock"):
        isolation.plan("kernel")
    (tmp_path / "vae.py").write_text("")
    results = tmp_path / "results.json"
    # a machine that cannot put up the walls asked for is the grading environment's problem: exit 3, and
    # results.json says so without a score (autograder/environment.py)
    assert cli_main([str(tmp_path), "--isolation", "kernel", "--json", str(results)]) == 3
    assert "lacks Landlock" in capsys.readouterr().err
    data = json.loads(results.read_text())
    assert "score" not in data and "lacks Landlock" in data["extra_data"]["environment_error"]


def test_auto_falls_back_with_a_warning(no_kernel_layers):
    plan = isolation.plan("auto", namespaces=False)
    assert not plan.kernel and plan.bwrap is None
    assert any("falling back to the Python audit hook" in w for w in plan.warnings)
    assert isolation.label(plan.expected()) == "python audit hook only"


def test_python_mode_asks_for_no_kernel_layer():
    plan = isolation.plan("python")
    assert plan.expected() == [] and not plan.warnings


def test_labels_name_the_layers():
    assert isolation.label(["namespaces", "seccomp", "landlock"]) == "kernel: namespaces + landlock + seccomp"
    assert isolation.label(["landlock", "seccomp"]) == "kernel: landlock + seccomp"
    assert isolation.label(["unprivileged user"]) == "python audit hook only"
    assert isolation.label(["landlock", "seccomp", "uid:65534"]).endswith("submitted code ran as nobody (uid 65534)")
    assert "did not happen" in isolation.label(["landlock", "seccomp", "uid:0"])
    assert isolation.label(["landlock", "seccomp", "cgroup", "scratch: tmpfs 256 MB", "uid:65534"]) == \
        "kernel: landlock + seccomp + cgroup; scratch: tmpfs 256 MB; submitted code ran as nobody (uid 65534)"
    assert isolation.label(["unprivileged user", "scratch: file size 16 MB and watched total 256 MB"]) == \
        "python audit hook only; scratch: file size 16 MB and watched total 256 MB"


def test_grants_leave_out_denied_branches(tmp_path):
    for sub in ("pkg/graded/vae", "pkg/course", "other"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "pkg" / "oracles.py").write_text("")
    granted = kernel.grants([tmp_path], [tmp_path / "pkg" / "graded"])
    assert str(tmp_path / "other") in granted and str(tmp_path / "pkg" / "oracles.py") in granted
    assert not any("graded" in g for g in granted) and str(tmp_path) not in granted


def test_bwrap_view_masks_hidden_folders_and_drops_everything(tmp_path):
    (tmp_path / "pkg" / "graded").mkdir(parents=True)
    argv = isolation.bwrap_command("bwrap", ["python"], binds=[str(tmp_path / "pkg"), "/usr"],
                                   hidden=[str(tmp_path / "pkg" / "graded"), "/nowhere"], scratch="/tmp/s",
                                   scratch_bytes=1 << 20)
    joined = " ".join(argv)
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--cap-drop ALL", "--proc /proc",
                 f"--ro-bind {tmp_path / 'pkg'} {tmp_path / 'pkg'}", f"--tmpfs {tmp_path / 'pkg' / 'graded'}"):
        assert flag in joined
    assert "/nowhere" not in joined and argv[-1] == "python"
    assert argv.index(f"{tmp_path / 'pkg' / 'graded'}") > argv.index(f"{tmp_path / 'pkg'}")


def test_hidden_paths_cover_the_installed_package():
    import autograder

    package = Path(autograder.__file__).resolve().parent
    hidden = isolation.hidden_paths()
    assert str(package / "graded") in hidden and str(package / "oracles.py") in hidden
    assert str(package / "worker.py") not in hidden


def test_every_copy_of_the_grader_is_masked_but_its_worker_modules(tmp_path, monkeypatch):
    """A second copy on the Python path (a wheel in site-packages beside the checkout) is masked too, and a
    module nobody listed in WORKER_MODULES is parent-only by default."""
    copy = tmp_path / "site-packages" / "autograder"
    (copy / "graded").mkdir(parents=True)
    for name in ("__init__.py", "worker.py", "oracles.py", "a_module_added_later.py"):
        (copy / name).write_text("")
    info = tmp_path / "site-packages" / "dgm_autograder-9.9.dist-info"
    info.mkdir()
    monkeypatch.setattr("sys.path", [*__import__("sys").path, str(copy.parent)])
    hidden = isolation.hidden_paths()
    for name in ("graded", "oracles.py", "a_module_added_later.py"):
        assert str(copy / name) in hidden
    assert str(info) in hidden
    assert str(copy / "worker.py") not in hidden and str(copy / "__init__.py") not in hidden


@pytest.mark.skipif(not cgroup.available(), reason="this machine gives the grader no cgroup")
def test_cgroup_kills_what_left_the_session_even_with_the_python_hook_only(tmp_path):
    """With the audit hook alone a native spawn escapes the worker's session; its cgroup still ends it."""
    marker = f"cgroup-test-{os.getpid()}"
    (tmp_path / "vae.py").write_text(native_spawn_source(f"sleep 60 # {marker}", function="spawn"))
    with Gateway(tmp_path, Limits(isolation="python")) as gw:
        gw.call("vae.spawn")
        assert "cgroup" in gw.layers
        time.sleep(0.3)
        assert alive_with(marker), "the control: the spawned process runs while the worker does"
    time.sleep(0.2)
    assert not alive_with(marker)
