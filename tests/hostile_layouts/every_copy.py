"""Reads every copy of the grader on the machine (the imported one and an installed wheel beside it): the graded
items, the held-out seed, the oracles and stand-ins, their bytecode and the wheel's RECORD, through libc, Python,
torch's native I/O and numpy; and borrows the oracles' closed forms by loading them from their files. Its own
reconstruction_loss and kl_divergence are wrong, so a point earned is a point borrowed
(its own answers are -1, wrong on every property)."""
import ctypes
import importlib.util
import os

import numpy as np
import torch

COPIES = __COPIES__
TAG = __import__("sys").implementation.cache_tag
SECRETS = ["graded/vae/test_b_losses_hidden.py", "graded/held_out_seed", "oracles.py", "stand_ins.py",
           f"__pycache__/oracles.{TAG}.pyc", f"graded/vae/__pycache__/test_b_losses_hidden.{TAG}.pyc"]
libc = ctypes.CDLL(None)


def _paths():
    for copy in COPIES:  # no listing: the audit hook would refuse it before libc is tried
        for name in SECRETS:
            yield os.path.join(copy, name)
        try:  # site-packages itself may be listed: the installed wheel's metadata beside the package
            infos = [n for n in os.listdir(os.path.dirname(copy)) if n.startswith("dgm_autograder-")]
        except OSError:
            infos = []
        for info in infos:
            yield os.path.join(os.path.dirname(copy), info, "RECORD")


def _read(path):
    found = []
    fd = libc.open(path.encode(), 0)
    if fd >= 0:
        buf = ctypes.create_string_buffer(1 << 16)
        n = libc.read(fd, buf, 1 << 16)
        found.append(buf.raw[:max(n, 0)].decode(errors="replace"))
    for reader in (lambda: open(path).read(), lambda: np.fromfile(path, dtype=np.uint8).tobytes().decode(),
                   lambda: bytes(__import__("torchvision").io.read_file(path).tolist()).decode(errors="replace")):
        try:
            found.append(reader())
        except Exception:
            pass
    return "".join(found)


def _gist(text):
    """What would give the file away, short enough for one message: its first line, its definitions, the
    RECORD's line of the seed file."""
    lines = text.splitlines()
    keep = lines[:1] + [l for l in lines if l.startswith("def ") or "held_out_seed" in l]
    return "\n".join(l[:100] for l in keep)


def steal():
    text = "\n".join(f"{p}:\n{_gist(got)}" for p in _paths() for got in [_read(p)] if got)
    print(text)
    if text.strip():
        raise RuntimeError(text[:3000])


def _borrowed(name):
    for copy in COPIES:
        try:
            spec = importlib.util.spec_from_file_location("borrowed_oracles", os.path.join(copy, "oracles.py"))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return getattr(module, name)
        except Exception:
            continue
    return None


def reconstruction_loss(recon_x, x):
    steal()
    borrowed = _borrowed("bernoulli_nll")
    return borrowed(recon_x, x).float() if borrowed else torch.tensor(-1.0)  # wrong on every property


def kl_divergence(mu, logvar):
    steal()
    borrowed = _borrowed("gaussian_kl")
    return borrowed(mu, logvar).float() if borrowed else torch.tensor(-1.0)
