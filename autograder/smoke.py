"""Smoke training inside the worker: the trusted course trainer on the
submitted model, seeded, CPU, on the embedded digits.

Called as ``gateway.trusted("autograder.smoke:train", model_handle, "vae", ...)``.
The loss is the grader's own, composed from the submitted layers only
(encode, the grader's own reparameterization, decode; closed-form BCE and KL),
so a bug in the loss, in ``reparameterize`` or in ``forward`` costs that
function's items, not the training items. Returns the per-epoch history; the
trained model stays in the worker.

Which side: for submitted models this module runs in the worker, in the
submission's own process, so submitted code can reach it and its history is a
report, never a verdict. (The grader's own yardstick autoencoder of pca_ae.py,
``reference_models.reference_ae_mse``, trains with it in the parent.)
The parent pulls the weights before and after training and evaluates them in
its own rebuild of the contract's architecture (``graded/conftest.py``,
``recognition.py``, ``evaluate.py``); faces.py, whose architecture is free,
is evaluated in the parent from the model's encode and decode outputs.
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


def _elbo(x, mu, logvar, decode):
    """The summed negative ELBO of ``x`` with one z = mu + exp(0.5 logvar) * eps, decoded by ``decode``."""
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    return bce_sum(decode(z), x) + kl_sum(mu, logvar)


def _mlp_loss(model, x, y):
    code = model.encode(x)
    if isinstance(code, torch.Tensor):  # "ae": z
        return bce_sum(model.decode(code), x)
    return _elbo(x, *code, model.decode)


def _cvae_loss(model, x, y):
    y = F.one_hot(y, 10).float()
    return _elbo(x, *model.encode(x, y), lambda z: model.decode(z, y))


def _conv_loss(model, x, y):
    mu, sigma = model.encoder(x)
    z = mu + sigma * torch.randn_like(sigma)
    return bce_sum(model.decoder(z), x) + kl_sum(mu, 2 * torch.log(sigma))


def _mse_loss(model, x, y):
    return F.mse_loss(model(x)[0], x, reduction="sum")


def _faces_loss(model, x, y):
    """faces.py: the negative ELBO of FaceVAE's forward, (B, 3, 64, 64) images, summed."""
    recon, mu, logvar = model(x)
    return bce_sum(recon, x) + kl_sum(mu, logvar)


LOSSES = {"vae": _mlp_loss, "cvae": _cvae_loss, "conv_vae": _conv_loss, "faces": _faces_loss, "mse_ae": _mse_loss}


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
