"""Face images for the faces bonus: CelebA, a plain folder of images, or generated fakes.

Where `load_faces(root)` looks, in order:
1. torchvision's CelebA layout, complete, under `root/celeba/` (read through
   `torchvision.datasets.CelebA` for its file list);
2. a plain folder of images: `root/celeba/img_align_celeba/`, `root/img_align_celeba/`,
   or `root` itself;
otherwise it raises `DataUnavailable`. Every image is centre-cropped to a square (178 x 178
for CelebA's 178 x 218 aligned faces, as is usual; smaller images to their short side)
and resized to `image_size` with antialiasing. Decoded tensors are cached as uint8 under
`<data root>/cache/` so the second load of the same files skips the JPEG decoding.

`make_fake_faces(folder)` writes small deterministic cartoon faces (smooth ellipses) as
64 x 64 PNGs: the offline default for training and the test fixture.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from course.data import DataUnavailable, data_root

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
CELEBA_CROP = 178


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def face_files(root) -> list[Path]:
    """The image files of the face set under `root` (see the module docstring), sorted."""
    root = Path(root)
    if (root / "celeba").is_dir():
        import torchvision.datasets as tvd

        try:
            ds = tvd.CelebA(root=str(root), split="all", target_type=[], download=False)
            return [root / "celeba" / "img_align_celeba" / name for name in ds.filename]
        except RuntimeError:  # annotation files missing or corrupt: fall back to the folder
            pass
    for folder in (root / "celeba" / "img_align_celeba", root / "img_align_celeba", root):
        files = _images_in(folder)
        if files:
            return files
    raise DataUnavailable(
        f"No face images under {root}/ (neither torchvision's celeba/ layout nor a folder "
        "img_align_celeba/ of images); pass --data PATH to such a folder, or leave --data "
        "out to train on generated fake faces.")


def read_face(path, image_size: int = 64) -> torch.Tensor:
    """One image file -> uint8 (3, image_size, image_size): centre square crop, then resize."""
    from PIL import Image

    with Image.open(path) as pil:
        rgb = np.asarray(pil.convert("RGB"))  # (H, W, 3) uint8
    img = torch.from_numpy(rgb.copy()).permute(2, 0, 1)  # (3, H, W)
    h, w = img.shape[-2:]
    side = min(CELEBA_CROP, h, w)
    top, left = (h - side) // 2, (w - side) // 2
    img = img[:, top:top + side, left:left + side]
    if side != image_size:
        img = F.interpolate(img[None].float(), size=(image_size, image_size), mode="bilinear",
                            align_corners=False, antialias=True)[0]
        img = img.round().clamp(0, 255).to(torch.uint8)
    return img


class FaceImages(torch.utils.data.Dataset):
    """A face set as a torch Dataset: item i is (image float32 (3, S, S) in [0, 1], 0).

    Used to hand students' `celeba_subset(dataset, n, seed)` a real Dataset; the trainer
    itself reads the chosen images at once with `load_faces`.
    """

    def __init__(self, root, image_size: int = 64):
        self.root = Path(root)
        self.files = face_files(root)
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):
        return read_face(self.files[i], self.image_size).float() / 255.0, 0


def _cache_key(files: list[Path], image_size: int) -> str:
    h = hashlib.sha1(str(image_size).encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def load_faces(root, image_size: int = 64, indices=None) -> torch.Tensor:
    """Face images as one tensor: float32 (N, 3, image_size, image_size) in [0, 1].

    indices: optional sequence of positions into the sorted file list (e.g. the indices of
    a `torch.utils.data.Subset`); all files when None. Raises DataUnavailable when no
    face images are found.
    """
    files = face_files(root)
    if indices is not None:
        files = [files[int(i)] for i in indices]
    cache = data_root() / "cache" / f"faces-{_cache_key(files, image_size)}.pt"
    if cache.is_file():
        images = torch.load(cache, weights_only=True)
    else:
        with ThreadPoolExecutor() as pool:
            images = torch.stack(list(pool.map(lambda p: read_face(p, image_size), files)))
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        torch.save(images, tmp)
        tmp.replace(cache)
    return images.float().div_(255.0)  # (N, 3, S, S)


def _soft(inside: np.ndarray, edge: float = 1.5) -> np.ndarray:
    """A signed 'how far inside' map (pixels) -> a smooth mask in [0, 1]."""
    return 1.0 / (1.0 + np.exp(-inside / edge))


def _ellipse(yy, xx, cy, cx, ry, rx) -> np.ndarray:
    """Smooth mask of an axis-aligned ellipse centred at (cy, cx) with radii (ry, rx)."""
    r = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    return _soft((1.0 - r) * min(ry, rx))


def fake_face(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """One cartoon face: uint8 (size, size, 3). Background gradient, hair, face, eyes, mouth."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    s = size / 64.0
    top, bottom = rng.uniform(0.2, 0.9, 3), rng.uniform(0.1, 0.8, 3)
    img = top + (bottom - top) * (yy / size)[..., None]              # (size, size, 3)
    cy, cx = size * rng.uniform(0.5, 0.58), size * rng.uniform(0.44, 0.56)
    ry, rx = s * rng.uniform(19, 24), s * rng.uniform(14, 18)
    skin = np.array([0.93, 0.76, 0.62]) * rng.uniform(0.55, 1.05) + rng.uniform(-0.05, 0.05, 3)
    hair = rng.uniform(0.05, 0.6) * np.array([1.0, rng.uniform(0.6, 0.9), rng.uniform(0.3, 0.7)])
    layers = [
        (_ellipse(yy, xx, cy - 0.35 * ry, cx, 0.85 * ry, 1.15 * rx), hair),      # hair
        (_ellipse(yy, xx, cy, cx, ry, rx), skin),                              # face
    ]
    eye_dy, eye_dx = 0.18 * ry, rng.uniform(0.35, 0.45) * rx
    for side in (-1, 1):
        layers.append((_ellipse(yy, xx, cy - eye_dy, cx + side * eye_dx, 2.2 * s, 3.0 * s),
                       np.array([0.97, 0.97, 0.97])))
        layers.append((_ellipse(yy, xx, cy - eye_dy, cx + side * eye_dx, 1.6 * s, 1.6 * s),
                       rng.uniform(0.0, 0.35, 3)))
    layers.append((_ellipse(yy, xx, cy + 0.45 * ry, cx, rng.uniform(1.2, 2.5) * s,
                            rng.uniform(0.25, 0.4) * rx), np.array([0.7, 0.2, 0.25])))
    for mask, colour in layers:
        img = img * (1 - mask[..., None]) + mask[..., None] * np.clip(colour, 0, 1)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def make_fake_faces(folder, n: int = 256, seed: int = 0) -> Path:
    """Write n deterministic 64 x 64 RGB cartoon faces as `000001.png` ... into `folder`.

    The same (n, seed) gives the same images. Each file appears whole (written under a
    temporary name, then renamed), so a reader running beside the writer never sees half a
    PNG. Returns the folder.
    """
    import os

    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        path = folder / f"{i + 1:06d}.png"
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
        Image.fromarray(fake_face(rng)).save(tmp, format="PNG")
        os.replace(tmp, path)
    return folder
