"""The embedded offline data set "digits", written in MNIST's IDX format.

scikit-learn ships 1,797 handwritten digits as 8 x 8 images with values 0..16
(`sklearn.datasets.load_digits`, no network needed). We render each one the way
MNIST frames its digits: scale to 0..255, resize the 8 x 8 to a 20 x 20 box with
antialiased bilinear interpolation and centre the box in a 28 x 28 frame. A fixed,
stratified split keeps 30 images per class (300) for the test set and the other
1,497 for training. The four files go to `<root>/digits/MNIST/raw/` under MNIST's own
names, uncompressed, so `torchvision.datasets.MNIST(root=<root>/digits)` reads them as
it reads the real thing (its existence check looks for the uncompressed names).

Regenerating the files gives the same bytes: every step is deterministic on the CPU.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

FRAME = 28          # side of the MNIST frame
BOX = 20            # side of the box the digit is scaled into, as in MNIST
TEST_PER_CLASS = 30  # 10 classes x 30 = 300 test images, 1,497 for training
SPLIT_SEED = 0

IMAGE_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned byte, 1 dimension
PREFIXES = {True: "train", False: "t10k"}


def write_idx(images, labels, folder, prefix) -> tuple[Path, Path]:
    """Write `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` into `folder`.

    images: uint8 (N, H, W) (tensor or array); labels: integers (N,) in 0..255.
    The headers are big-endian as in MNIST: magic 0x00000803 then N, H, W for the images,
    magic 0x00000801 then N for the labels. Files are written uncompressed, atomically
    (a temporary name, then a rename), and the two paths are returned.
    """
    images = np.ascontiguousarray(torch.as_tensor(images).numpy(), dtype=np.uint8)
    labels = np.ascontiguousarray(torch.as_tensor(labels).numpy()).astype(np.uint8)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"expected images (N, H, W) and labels (N,), got {images.shape} and {labels.shape}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    image_path = folder / f"{prefix}-images-idx3-ubyte"
    label_path = folder / f"{prefix}-labels-idx1-ubyte"
    n, h, w = images.shape
    _write_atomic(image_path, struct.pack(">IIII", IMAGE_MAGIC, n, h, w) + images.tobytes())
    _write_atomic(label_path, struct.pack(">II", LABEL_MAGIC, n) + labels.tobytes())
    return image_path, label_path


def _write_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def render(images8) -> torch.Tensor:
    """Render 8 x 8 digits with values 0..16 into MNIST-like frames.

    images8: (N, 8, 8) numbers in 0..16. Returns uint8 (N, 28, 28): scaled to 0..255,
    resized to (N, 20, 20) with antialiased bilinear interpolation and centred with a
    4-pixel border of zeros.
    """
    x = torch.as_tensor(np.asarray(images8), dtype=torch.float32) * (255.0 / 16.0)  # (N, 8, 8)
    x = F.interpolate(x[:, None], size=(BOX, BOX), mode="bilinear", align_corners=False,
                      antialias=True)[:, 0]  # (N, 20, 20)
    x = x.round().clamp(0, 255).to(torch.uint8)
    pad = (FRAME - BOX) // 2
    return F.pad(x, (pad, pad, pad, pad))  # (N, 28, 28)


def split_indices(labels, test_per_class=TEST_PER_CLASS, seed=SPLIT_SEED):
    """A fixed stratified split: `test_per_class` images of every class go to the test set.

    labels: int64 (N,). Returns (train_idx, test_idx), int64 tensors, each in a shuffled
    order (so the first test images show several classes).
    """
    labels = torch.as_tensor(labels)
    g = torch.Generator().manual_seed(seed)
    test = []
    for c in range(int(labels.max()) + 1):
        members = torch.nonzero(labels == c).flatten()
        test.append(members[torch.randperm(len(members), generator=g)[:test_per_class]])
    test = torch.cat(test)
    is_test = torch.zeros(len(labels), dtype=torch.bool)
    is_test[test] = True
    train = torch.nonzero(~is_test).flatten()
    train = train[torch.randperm(len(train), generator=g)]
    test = test[torch.randperm(len(test), generator=g)]
    return train, test


def build_digits() -> dict[bool, tuple[torch.Tensor, torch.Tensor]]:
    """The digits set in memory: {True: (train images, labels), False: (test ...)}.

    Images uint8 (N, 28, 28), labels int64 (N,); N = 1,497 (train) and 300 (test).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = render(bunch.images)  # (1797, 28, 28)
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    train, test = split_indices(labels)
    return {True: (images[train], labels[train]), False: (images[test], labels[test])}


def raw_folder(root) -> Path:
    """Where the IDX files of the digits set live: `<root>/digits/MNIST/raw`."""
    return Path(root) / "digits" / "MNIST" / "raw"


def ensure_digits(root) -> Path:
    """Write the digits IDX files under `root` unless all four are there already.

    Returns the folder to give torchvision: `torchvision.datasets.MNIST(root=<that>)`.
    """
    folder = raw_folder(root)
    names = [f"{p}-{kind}" for p in PREFIXES.values()
             for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    if not all((folder / name).is_file() for name in names):
        for train, (images, labels) in build_digits().items():
            write_idx(images, labels, folder, PREFIXES[train])
    return Path(root) / "digits"
