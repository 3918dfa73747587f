"""Choosing the device to train on: one home for the rule."""

from __future__ import annotations

import torch


class DeviceUnavailable(RuntimeError):
    """The requested device cannot be used here; the message is one sentence."""


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """CUDA when it is available, else the CPU; `requested` ("cpu", "cuda", "cuda:1") overrides.

    Raises DeviceUnavailable when CUDA is requested on a machine without it.
    """
    if requested is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("CUDA was requested but no CUDA GPU is available here; use --device cpu.")
    return device
