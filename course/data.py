"""Image data sets as whole tensors: the embedded "digits", MNIST and Fashion-MNIST.

    x, y = load_images("digits", train=True)   # x float32 (N, 1, 28, 28) in [0, 1], y int64 (N,)

A set is read once through torchvision's own dataset class, straight from its `.data` and
`.targets` tensors (no per-image PIL transform), and kept in memory for the rest of the
process; reading the IDX files again costs about one file read, so no second copy is
saved to disk. The data root is `$COURSE_DATA` when set, else `<repo>/data`, else (when
that is not writable) a folder in the system's temp dir. A real set that is missing and
cannot be downloaded raises `DataUnavailable`, whose message is one sentence naming the
embedded alternative. The faces data (`load_faces`, `make_fake_faces`, `FaceImages`)
live in `course.faces_data`, which builds on this module.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.error import URLError

import torch

from course.digits import ensure_digits

REPO = Path(__file__).resolve().parent.parent
DATASETS = ("digits", "mnist", "fashion-mnist")
_DISPLAY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
_MEMO: dict[tuple[str, bool, str], tuple[torch.Tensor, torch.Tensor]] = {}


class DataUnavailable(RuntimeError):
    """A data set is neither on disk nor downloadable; str(error) is one sentence for the user."""


_PINNED_ROOT: Path | None = None


def pin_data_root(path) -> None:
    """Read data from ``path`` from now on, writable or not (the grader's worker reads a cache
    that the grading process built and that the worker may only read)."""
    global _PINNED_ROOT
    _PINNED_ROOT = Path(path)


def data_root(root=None) -> Path:
    """The folder data sets live in (created if needed).

    `root` when given, else the pinned folder (``pin_data_root``), else `$COURSE_DATA`, else
    `<repo>/data`; when that folder cannot be created or written, `<tempdir>/course-data` instead.
    """
    if root is None and _PINNED_ROOT is not None:
        return _PINNED_ROOT
    if root is not None:
        path = Path(root)
    elif os.environ.get("COURSE_DATA"):
        path = Path(os.environ["COURSE_DATA"])
    else:
        path = REPO / "data"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / "course-data"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def canonical_name(name: str) -> str:
    """"Fashion_MNIST", "fashionmnist", "fashion-mnist" -> "fashion-mnist"; "MNIST" -> "mnist"."""
    key = name.strip().lower().replace("_", "-")
    key = {"fashionmnist": "fashion-mnist"}.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return key


def _show(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return f"{path.resolve().relative_to(Path.cwd().resolve())}/"
    except ValueError:
        return f"{path}/"


def _read(name: str, train: bool, root: Path, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 28, 28) and int64 labels (N,) from torchvision's dataset class."""
    import torchvision.datasets as tvd

    if name == "digits":
        ds = tvd.MNIST(root=ensure_digits(root), train=train, download=False)
        return ds.data, ds.targets.long()
    cls = tvd.MNIST if name == "mnist" else tvd.FashionMNIST
    try:
        ds = cls(root=root, train=train, download=False)
    except RuntimeError:  # not on disk yet
        if not download:
            raise DataUnavailable(f"{_DISPLAY[name]} is not in {_show(root)} and downloading is off; "
                                  "use --dataset digits for the embedded offline set.") from None
        try:
            ds = cls(root=root, train=train, download=True)
        except (RuntimeError, URLError, OSError) as error:
            raise DataUnavailable(f"{_DISPLAY[name]} is not in {_show(root)} and could not be downloaded "
                                  "(no network?); use --dataset digits for the embedded offline set.") from error
    return ds.data, ds.targets.long()


def load_images(name: str, train: bool, root=None, download: bool = True):
    """Load a whole image set as tensors.

    name: "digits" (embedded, written into the data root on first use), "mnist" or
    "fashion-mnist" (downloaded by torchvision into the data root when missing).
    Returns (x, y): x float32 (N, 1, 28, 28) in [0, 1], y int64 (N,). Each call returns
    fresh tensors (the uint8 originals are cached in memory for the process).
    Raises DataUnavailable when a real set is missing and cannot be downloaded.
    """
    name = canonical_name(name)
    root = data_root(root)
    key = (name, bool(train), str(root.resolve()))
    if key not in _MEMO:
        _MEMO[key] = _read(name, bool(train), root, download)
    images, labels = _MEMO[key]
    x = images.to(torch.float32).div_(255.0).unsqueeze(1)  # (N, 28, 28) -> (N, 1, 28, 28)
    return x, labels.clone()


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Round pixel intensities to {0, 1} (the binarized MNIST of the cvae assignment); same shape."""
    return torch.round(x)

