"""Trusted inspection code that runs inside the worker, on submitted objects.

Called as ``gateway.trusted("autograder.probes:<name>", handle, ...)``. These
look at behaviour (which layers ran on which inputs), never at attribute names.
"""
from __future__ import annotations

import torch
from torch import nn


def describe(model: nn.Module) -> dict:
    """Parameter count and the (in, out) widths of every Linear / conv layer, in registration order."""
    linear, conv = [], []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            linear.append((m.in_features, m.out_features))
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            conv.append((type(m).__name__, m.in_channels, m.out_channels, m.kernel_size[0]))
    return {"n_params": sum(p.numel() for p in model.parameters()), "linear": linear, "conv": conv,
            "is_module": isinstance(model, nn.Module)}


def trace(model: nn.Module, method: str, *args) -> list:
    """Run ``model.<method>(*args)`` and record every leaf module call in order:
    [{"type": class name, "shape": (in, out) for Linear, "input": tensor, "output": tensor}]."""
    calls, hooks = [], []

    def hook(module, inputs, output):
        x = inputs[0] if inputs else None
        calls.append({"type": type(module).__name__,
                      "shape": (module.in_features, module.out_features) if isinstance(module, nn.Linear) else None,
                      "input": x.detach().clone() if isinstance(x, torch.Tensor) else None,
                      "output": output.detach().clone() if isinstance(output, torch.Tensor) else None})

    for m in model.modules():
        if not list(m.children()):
            hooks.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            getattr(model, method)(*args)
    finally:
        for h in hooks:
            h.remove()
    return calls


def call_twice(obj, method: str, *args) -> tuple:
    """Two calls of ``obj.<method>(*args)`` in a row, without reseeding in between."""
    fn = getattr(obj, method)
    return fn(*args), fn(*args)


def param_grads(model: nn.Module) -> list:
    """For each parameter: True if its .grad is filled and finite, False otherwise."""
    return [p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in model.parameters()]
