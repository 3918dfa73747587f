"""Smoke training inside the worker: the trusted course trainer on the
submitted model, seeded, CPU, on the embedded digits.

Called as ``gateway.trusted("autograder.smoke:train", model_handle, "vae", ...)``.
The loss is the grader's own (closed-form BCE and KL of the model's outputs),
so a loss bug costs the loss items, not the training items. Returns the
per-epoch history; the trained model stays in the worker for the parent to
evaluate with its own oracles.

Which side: this module runs in the worker, in the submission's own process,
so submitted code can reach it and its history is a report, not a verdict.
The test losses the smoke items judge are computed in the parent
(``evaluate.py``) from the model's outputs; the falling-training-loss check
still reads this history.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course.data import binarize, load_images
from course.train import fit


def bce_sum(p, x):
    return F.binary_cross_entropy(p.clamp(0, 1), x, reduction="sum")


def kl_sum(mu, logvar):
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar)


def _mlp_loss(model, x, y):
    recon, a, b = model(x)
    return bce_sum(recon, x) + (kl_sum(a, b) if b is not None else 0.0)


def _cvae_loss(model, x, y):
    recon, mu, logvar = model(x, F.one_hot(y, 10).float())
    return bce_sum(recon, x) + kl_sum(mu, logvar)


def _conv_loss(model, x, y):
    mu, sigma = model.encoder(x)
    z = mu + sigma * torch.randn_like(sigma)
    return bce_sum(model.decoder(z), x) + kl_sum(mu, 2 * torch.log(sigma))


def _mse_loss(model, x, y):
    return F.mse_loss(model(x)[0], x, reduction="sum")


LOSSES = {"vae": _mlp_loss, "cvae": _cvae_loss, "conv_vae": _conv_loss, "mse_ae": _mse_loss}


def digits(assignment: str, train: bool):
    """The digits shaped for ``assignment``: (x, y) with x (N, 784) or (N, 1, 28, 28)."""
    x, y = load_images("digits", train=train)
    if assignment == "cvae":
        x = binarize(x)
    if assignment != "conv_vae":
        x = x.flatten(1)
    return x, y


def train(model, assignment: str, *, epochs: int, batch_size: int, lr: float, seed: int | None = None,
          loss: str | None = None, data=None) -> dict:
    """Train ``model`` for ``epochs``; returns {"train_loss": [...], "test_loss": [...]} per image.

    ``data`` is ((x_train, y_train), (x_test, y_test)); the digits shaped for
    ``assignment`` when omitted. ``seed`` defaults to the seed the gateway sent
    with the call (the worker seeds torch with it before every call).
    """
    seed = torch.initial_seed() if seed is None else seed
    train_set, test_set = data if data is not None else (digits(assignment, True), digits(assignment, False))
    history = fit(model, LOSSES[loss or assignment], train_set, test_set, epochs=epochs, batch_size=batch_size,
                  lr=lr, seed=seed, device=torch.device("cpu"), progress=False)
    model.eval()
    return {"train_loss": list(history.train_loss), "test_loss": list(history.test_loss)}


def _faces_loss(model, x, y):
    """faces.py: the negative ELBO of FaceVAE's forward, (B, 3, 64, 64) images, summed."""
    recon, mu, logvar = model(x)
    return bce_sum(recon, x) + kl_sum(mu, logvar)


LOSSES["faces"] = _faces_loss
