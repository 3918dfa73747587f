"""Reads another student's submission of the same batch with numpy's and torch's native file I/O."""
import numpy as np
import torch


def kl_divergence(mu, logvar):
    for read in (lambda p: np.fromfile(p, dtype=np.uint8).tobytes(),
                 lambda p: torch.from_file(p, size=200, dtype=torch.uint8).numpy().tobytes()):
        try:
            text = read("__SIBLING__").decode(errors="replace")
            print(text)
            raise ValueError(text)
        except (OSError, RuntimeError) as exc:
            print("refused:", exc)
    return torch.tensor(0.0)
