"""The grader as it is deployed, for tests of the wall from there: a one-homework Gradescope bundle unpacked
into a Gradescope-shaped folder, and a wheel built from its source folder installed into a fresh venv (the
venv borrows this interpreter's third-party packages through a ``.pth`` line, so torch is not installed twice).
Built once per test process (``deploy``)."""
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from autograder.distribute import gradescope

_built: dict = {}


def deploy(tmp_path_factory) -> dict:
    """{"root": the Gradescope-shaped folder, "python": the venv's interpreter, "site": its site-packages,
    "copies": the grader's package folders on disk (bundle source and installed wheel), "base": a folder
    beside them, "seed": the bundle's held-out seed}."""
    if not _built:
        _built.update(_deploy(tmp_path_factory.mktemp("deployed")))
    return _built


def _deploy(base: Path) -> dict:
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
    return {"root": root, "python": python, "site": site, "copies": copies, "base": base,
            "seed": (copies[0] / "graded" / "held_out_seed").read_text().strip()}


def tree(folder: Path) -> dict[str, tuple]:
    """(sha256, mtime) of every file under ``folder``."""
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}
