"""The losses the course trains with, each ``loss(model, x, y) -> 0-d tensor``, the SUM over the batch
(the trainer divides by the number of images).

Two kinds, named in each assignment's registry entry (``course.registry``):

- the student's own loss (``student_*``): what ``python -m course train`` and the gallery optimise,
  built from the submitted ``loss_function`` / ``loss``;
- the grader's loss (``grader_*``): what the autograder's smoke runs optimise, composed from the
  submitted layers only (encode, the grader's own reparameterization, decode; closed-form BCE and
  KL), so that a bug in the student's loss, ``reparameterize`` or ``forward`` costs that function's
  items and not the training items.

Which side: the closed forms here are answers, so the grader imports this module in the grading
parent only, never in the worker that runs submitted code. The worker's smoke training composes the
same loss (``autograder/smoke.py``) and asks the parent for these closed forms and the noise step
(``autograder/callbacks.py``), which trains to the same floats as ``grader_*`` computed in one process.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def bce_sum(p, x):
    """Summed binary cross-entropy of targets ``x`` under pixel means ``p`` (clamped to [0, 1])."""
    return F.binary_cross_entropy(p.clamp(0, 1), x, reduction="sum")


def kl_sum(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)), summed over the batch and the latent dimensions."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar)


def _elbo(x, mu, logvar, decode):
    """The summed negative ELBO of ``x`` with one z = mu + exp(0.5 logvar) * eps, decoded by ``decode``."""
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    return bce_sum(decode(z), x) + kl_sum(mu, logvar)


# ---- the student's losses: module -> loss(model, x, y)

def student_forward_loss(module):
    """``model.loss_function(*model(x))`` of an unconditional model (vae.py, faces.py)."""
    def loss(model, x, y):
        recon, mu, logvar = model(x)
        return model.loss_function(recon, x, mu, logvar)
    return loss


def student_cvae_loss(module):
    """``model.loss_function`` of ``model(x, one_hot(y, 10))`` (cvae.py)."""
    def loss(model, x, y):
        recon, mu, logvar = model(x, module.one_hot(y, 10))
        return model.loss_function(recon, x, mu, logvar)
    return loss


def student_conv_loss(module):
    """The loss the conv VAE's forward stores in ``model.loss`` (conv_vae.py)."""
    def loss(model, x, y):
        model(x)
        return model.loss
    return loss


# ---- the grader's losses: loss(model, x, y)

def grader_vae_loss(model, x, y):
    """vae.py and faces.py: BCE of ``decode(encode(x))`` when encode gives a code z (vae.py's "ae"); the
    negative ELBO of encode's (mu, logvar), one z decoded by ``decode``, otherwise."""
    code = model.encode(x)
    if isinstance(code, torch.Tensor):  # "ae": z
        return bce_sum(model.decode(code), x)
    return _elbo(x, *code, model.decode)


def grader_cvae_loss(model, x, y):
    """cvae.py: the negative ELBO of ``encode(x, one_hot(y))`` and ``decode(z, one_hot(y))``."""
    y = F.one_hot(y, 10).float()
    return _elbo(x, *model.encode(x, y), lambda z: model.decode(z, y))


def grader_conv_loss(model, x, y):
    """conv_vae.py: the negative ELBO of ``encoder(x) -> (mu, sigma)`` and ``decoder(z)``."""
    mu, sigma = model.encoder(x)
    z = mu + sigma * torch.randn_like(sigma)
    return bce_sum(model.decoder(z), x) + kl_sum(mu, 2 * torch.log(sigma))


def mse_sum(model, x, y):
    """Summed squared error of ``model(x)[0]`` against ``x`` (the grader's yardstick autoencoder of pca_ae.py)."""
    return F.mse_loss(model(x)[0], x, reduction="sum")
