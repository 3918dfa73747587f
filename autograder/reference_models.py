"""Models the grader trains itself, as yardsticks for submitted code.

They are the grader's own: written from the contract's architecture, never
taken from a submission or from the reference solutions, and trained in the
parent process (no submitted code is involved).
"""
from __future__ import annotations

from torch import nn


class MLPAutoencoder(nn.Module):
    """data -> hidden (ReLU) -> k -> hidden (ReLU) -> data (Sigmoid), as one chain of layers.

    forward(x) returns (recon, code, None), the shape the trusted trainer's
    "mse_ae" loss reads (model(x)[0]).
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
