"""Trusted stand-ins for the submitted functions that another submitted function calls, so that an item
judges one function at a time: ``loss_function`` with the grader's losses in place of the student's
``reconstruction_loss`` and ``kl_divergence``, ``forward`` with the grader's ``reparameterize``, cvae's
``sample`` with the grader's ``one_hot``, conv_vae's ``forward`` with the grader's ``gaussian``, ``r_loss``
and ``kl_loss``, pca_ae's ``pca_error_curve`` with the grader's PCA and MSE. A slip
in a callee then costs the callee's items only.

    gateway.with_stand_ins(model, "loss_function", ["reconstruction_loss", "kl_divergence"],
                           recon_x, x, mu, logvar)

For the length of the call each named function is replaced where the submission looks it up: a
function of the submitted module in the module's namespace, a method on the object itself. A
submission that computes the callee's work inline is judged on its own code, as before.

Which side: runs in the worker, like ``probes.py``; it only ever removes a callee's influence, and the
parent judges the returned values with its own oracles. Grading only: the student release leaves this
file out (its functions are TODO answers), and ``Gateway.with_stand_ins`` then calls the submission's
own functions.
"""
from __future__ import annotations

import sys
import types

import torch
import torch.nn.functional as F

from course.losses import bce_sum, kl_sum


def _reconstruction_loss(recon_x, x):
    return bce_sum(recon_x, x)  # clamped: a decoder without its Sigmoid costs the decoder's items only


def _reparameterize(mu, logvar):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def _one_hot(labels, n_classes=10):
    return F.one_hot(labels, n_classes).float()


def _r_loss(x_hat, x):
    return bce_sum(x_hat, x)


def _kl_loss(mu, sigma):
    # sigma is the standard deviation; the KL depends on sigma^2 only, so an encoder that lets sigma go
    # negative (CONV.2d) does not turn forward's and backward's items into NaN
    return kl_sum(mu, torch.log(sigma.pow(2)))


def _gaussian(mu, sigma):
    return mu + sigma * torch.randn_like(sigma)


def _pca_fit(x, n_components):
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
    "reconstruction_loss": _reconstruction_loss,
    "kl_divergence": kl_sum,  # the grader's KL of the smoke losses
    "reparameterize": _reparameterize,
    "one_hot": _one_hot,
    "r_loss": _r_loss,  # conv_vae.py's VAE methods
    "kl_loss": _kl_loss,
    "gaussian": _gaussian,
    "pca_fit": _pca_fit,  # pca_ae.py's functions
    "pca_encode": _pca_encode,
    "pca_decode": _pca_decode,
    "reconstruction_mse": _reconstruction_mse,
}


def call(obj, method: str, names: list, *args, **kwargs):
    """``obj.<method>(*args, **kwargs)`` (``obj`` an object or the submitted module) with each of ``names``
    (keys of ``STAND_INS``) replaced by the grader's version for the length of the call; everything is put
    back afterwards."""
    module = obj if isinstance(obj, types.ModuleType) else sys.modules[type(obj).__module__]
    saved_module, saved_object = {}, {}
    for name in names:
        stand_in = STAND_INS[name]
        if not isinstance(obj, types.ModuleType) and callable(getattr(type(obj), name, None)):  # a method
            saved_object[name] = obj.__dict__.get(name)
            obj.__dict__[name] = stand_in
        elif hasattr(module, name):  # a function of the submitted module, looked up as a global
            saved_module[name] = getattr(module, name)
            setattr(module, name, stand_in)
    try:
        return getattr(obj, method)(*args, **kwargs)
    finally:
        for name, value in saved_module.items():
            setattr(module, name, value)
        for name, value in saved_object.items():
            if value is None:
                obj.__dict__.pop(name, None)
            else:
                obj.__dict__[name] = value
