"""Stops reading requests: from the moment the next request starts to arrive, a thread holds the GIL in
libc's sleep (ctypes.PyDLL does not release it), so the worker's main thread cannot read on. A request larger
than the pipe (A.1a's weights, 1.6 MB) then fills it and, without a deadline on writes, blocks the grader for
good; the KL items' requests (2 KB) fit in the pipe, so under ``-k kl`` it is their reply that never comes."""
import ctypes
import select
import sys
import threading

import torch
import torch.nn as nn

STARTED = []


def request_fd():
    """The worker's request pipe: the ``request_fd`` argument of its ``main``, found on the stack."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and "request_fd" in frame.f_locals:
            return frame.f_locals["request_fd"]
        frame = frame.f_back
    return 0


def stall(fd):
    select.select([fd], [], [])           # the GIL is released here: the reply to this call goes out
    ctypes.PyDLL(None).sleep(1000)        # ...and held here: the main thread can no longer read


def start():
    if not STARTED:
        STARTED.append(threading.Thread(target=stall, args=(request_fd(),), daemon=True))
        STARTED[0].start()


def kl_divergence(mu, logvar):
    start()
    return torch.tensor(0.0)


def reconstruction_loss(recon_x, x):
    start()
    return torch.tensor(0.0)


class Autoencoder(nn.Module):
    """The contract's layers, so that the grader draws weights for them and sends them over."""

    def __init__(self, autoencoder_type="ae", n_dims_data=784, n_dims_hidden=512, n_dims_code=2):
        super().__init__()
        self.encoder_hidden = nn.Sequential(nn.Linear(n_dims_data, n_dims_hidden), nn.ReLU())
        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code)
        if autoencoder_type == "vae":
            self.encoder_logvar = nn.Linear(n_dims_hidden, n_dims_code)
        self.decoder = nn.Sequential(nn.Linear(n_dims_code, n_dims_hidden), nn.ReLU(),
                                     nn.Linear(n_dims_hidden, n_dims_data), nn.Sigmoid())

    def parameters(self, recurse=True):
        start()  # the grader lists the shapes first; the weights follow
        return super().parameters(recurse)

    def encode(self, x):
        return torch.zeros(x.shape[0], 2)

    def decode(self, z):
        return torch.zeros(z.shape[0], 784)

    def forward(self, x):
        return self.decode(self.encode(x))
