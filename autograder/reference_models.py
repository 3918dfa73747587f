"""Models the grader trains itself, as yardsticks for submitted code.

They are the grader's own, written from the contract's architecture, never
taken from a submission or from the reference solutions. They run in the
parent process (no submitted code is involved).
"""
from __future__ import annotations

from torch import nn


class MLPAutoencoder(nn.Module):
    """The plain autoencoder of vae.py's family: 784 -> 512 -> k -> 512 -> 784, ReLU hidden, Sigmoid output.

    forward(x) returns (recon, z, None) like vae.py's Autoencoder("ae"), so the
    trusted trainer's "mse_ae" loss (which reads model(x)[0]) applies.
    """

    def __init__(self, n_dims_code: int, n_dims_data: int = 784, n_dims_hidden: int = 512):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_dims_data, n_dims_hidden), nn.ReLU(),
                                     nn.Linear(n_dims_hidden, n_dims_code))
        self.decoder = nn.Sequential(nn.Linear(n_dims_code, n_dims_hidden), nn.ReLU(),
                                     nn.Linear(n_dims_hidden, n_dims_data), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)            # (B, k)

    def decode(self, z):
        return self.decoder(z)            # (B, 784) in [0, 1]

    def forward(self, x):
        z = self.encode(x)
        return self.decode(z), z, None
