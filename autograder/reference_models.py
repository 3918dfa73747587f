"""Models the grader trains itself, as yardsticks for submitted code.

They are the grader's own: written from the contract's architecture, never
taken from a submission or from the reference solutions, and trained in the
parent process (no submitted code is involved).
"""
from __future__ import annotations

import torch
from torch import nn

from autograder.threads import one_thread


class MLPAutoencoder(nn.Module):
    """data -> hidden (ReLU) -> k -> hidden (ReLU) -> data (Sigmoid), as one chain of layers.

    forward(x) returns (recon, code, None), the shape pca_ae's grader loss
    (``course.losses.mse_sum``) reads: model(x)[0].
    """

    CODE_LAYER = 3  # the chain's output after this many layers is the code

    def __init__(self, n_dims_code: int, n_dims_data: int = 784, n_dims_hidden: int = 512):
        super().__init__()
        widths = [n_dims_data, n_dims_hidden, n_dims_code, n_dims_hidden, n_dims_data]
        layers = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(a, b))
            layers.append(nn.ReLU() if i in (0, 2) else nn.Sigmoid() if i == 3 else nn.Identity())
        self.chain = nn.ModuleList(layers)

    def forward(self, x):
        code = x
        for layer in self.chain[: self.CODE_LAYER]:
            code = layer(code)                       # (B, k)
        out = code
        for layer in self.chain[self.CODE_LAYER:]:
            out = layer(out)                         # (B, data) in [0, 1]
        return out, code, None


def reference_ae_mse(x_train: torch.Tensor, x_test: torch.Tensor, k: int, *, epochs: int, batch_size: int,
                     lr: float, seed: int) -> float:
    """Per-pixel MSE on ``x_train`` (N, 784) of the grader's own k-D autoencoder after MSE smoke training.

    Trusted code only, in this process: ``reference_models.MLPAutoencoder``
    trained by the course trainer (``course.train.fit``) with pca_ae's grader
    loss (``course.losses.mse_sum``, summed MSE) on one thread with its seeds
    fixed, so the value is the same on every run and for every student.
    The caller's thread count and random state are restored afterwards.
    """
    from course.losses import mse_sum
    from course.train import fit

    with torch.random.fork_rng(devices=[]), one_thread():
        torch.manual_seed(seed)
        model = MLPAutoencoder(k, n_dims_data=x_train.shape[1])
        data = ((x_train, torch.zeros(len(x_train), dtype=torch.int64)),
                (x_test, torch.zeros(len(x_test), dtype=torch.int64)))
        fit(model, mse_sum, *data, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
            device=torch.device("cpu"), progress=False)
        model.eval()
        with torch.no_grad():
            return float(((model(x_train)[0] - x_train) ** 2).mean())
