"""Import a student or reference file by path: the one place course code does it."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHORTCUTS = {"assignment": REPO / "assignment", "solutions": REPO / "solutions"}


def source_folder(source: str | Path | None = None) -> Path:
    """``"assignment"`` (default), ``"solutions"`` or a folder path."""
    if source is None:
        return SHORTCUTS["assignment"]
    return SHORTCUTS.get(str(source), Path(source))


def load_module(name: str, source: str | Path | None = None):
    """Import ``<source>/<name>.py`` under a unique module name and return the module."""
    path = source_folder(source) / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    unique = f"_course_{name}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(unique, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module
