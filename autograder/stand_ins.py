"""The grader's versions of the submitted functions that another submitted function calls (parent side),
so that an item judges one function at a time: ``loss_function`` with the grader's losses in place of
the student's ``reconstruction_loss`` and ``kl_divergence``, ``forward`` with the grader's
``reparameterize``, cvae's ``sample`` with the grader's ``one_hot``, conv_vae's ``forward`` with the
grader's ``gaussian``, ``r_loss`` and ``kl_loss``, pca_ae's ``pca_error_curve`` with the grader's PCA and
MSE. A slip in a callee then costs the callee's items only.

    gateway.with_stand_ins(model, "loss_function", ["reconstruction_loss", "kl_divergence"],
                           recon_x, x, mu, logvar)

Which side: imported by the grading parent only, never by the worker (its functions are the answers).
For the length of that one request the worker puts proxies where the submission looks the named
functions up (a function of the submitted module in the module's namespace, a method on the object
itself); a proxy sends its arguments to the parent, which computes the grader's version here and
answers (``autograder.callbacks``). Outside that request the parent refuses such a call and records
the attempt. Gradients flow back through the losses (their gradient comes with the value) and the
noise steps (their elementwise factors), so conv_vae.py's ``backward`` after ``forward`` still fills
every parameter's gradient; the PCA functions and ``one_hot`` return values without gradients. A
submission that computes the callee's work inline is judged on its own code, as before.

Grading only: the student release leaves this file out (its functions are TODO answers), and
``Gateway.with_stand_ins`` then calls the submission's own functions.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.callbacks import Op, gaussian, reparameterize
from course.losses import bce_sum, kl_sum

PCA_WORK_MAX = 4e9  # n * d * min(n, d) of one pca_fit: the digits (1,497 x 784) need 9e8


def _reconstruction_loss(recon_x, x):
    return bce_sum(recon_x, x)  # clamped: a decoder without its Sigmoid costs the decoder's items only


def _one_hot(labels, n_classes=10):
    return F.one_hot(labels, n_classes).float()


def _r_loss(x_hat, x):
    return bce_sum(x_hat, x)


def _kl_loss(mu, sigma):
    # sigma is the standard deviation; the KL depends on sigma^2 only, so an encoder that lets sigma go
    # negative (CONV.2d) does not turn forward's and backward's items into NaN
    return kl_sum(mu, torch.log(sigma.pow(2)))


def _pca_fit(x, n_components):
    """(mean (D,), components (k, D), variance (k,)) of x (N, D); variance with the unbiased N - 1."""
    if x.dim() == 2 and x.shape[0] * x.shape[1] * min(x.shape) > PCA_WORK_MAX:
        raise ValueError(f"x of shape {tuple(x.shape)} is too large for the grader's pca_fit")
    x64 = x.double()
    mean = x64.mean(dim=0)
    _, s, vh = torch.linalg.svd(x64 - mean, full_matrices=False)
    variance = s[:n_components].pow(2) / (x.shape[0] - 1)
    return mean.to(x.dtype), vh[:n_components].to(x.dtype), variance.to(x.dtype)


def _pca_encode(x, mean, components):
    return (x - mean) @ components.T


def _pca_decode(z, mean, components):
    return z @ components + mean


def _reconstruction_mse(x, x_hat):
    return float((x - x_hat).pow(2).mean())


STAND_INS = {  # the contract's name -> the grader's own version, same signature and reduction
    "reconstruction_loss": Op(_reconstruction_loss, "scalar"),
    "kl_divergence": Op(kl_sum, "scalar"),  # the grader's KL of the smoke losses
    "reparameterize": Op(reparameterize, "noise", noise_like=0),  # eps shaped like mu
    "one_hot": Op(_one_hot),
    "r_loss": Op(_r_loss, "scalar"),  # conv_vae.py's VAE methods
    "kl_loss": Op(_kl_loss, "scalar"),
    "gaussian": Op(gaussian, "noise", noise_like=1),  # eps shaped like sigma
    "pca_fit": Op(_pca_fit),  # pca_ae.py's functions
    "pca_encode": Op(_pca_encode),
    "pca_decode": Op(_pca_decode),
    "reconstruction_mse": Op(_reconstruction_mse),
}
