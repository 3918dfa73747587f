"""The grading parent's thread count for its own tensor work."""
from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread inside the block, then restore the count. The parent's work (oracles,
    rebuilt models, the yardstick autoencoder) is small linear algebra: one thread is fastest and gives
    the same bits on every machine, while two threads on cores the worker is using take ~10x longer."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
