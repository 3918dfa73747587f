"""One adapter per assignment: the handout's settings, how to build the model
from a student module, how to shape the data, and the student's own loss.

Every loss returned here is the SUM over the batch (the trainer divides by the
number of images).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from course.data import binarize


@dataclass(frozen=True)
class Task:
    name: str
    lr: float
    batch_size: int
    epochs: int
    real_dataset: str                          # what --dataset means with a network
    build: Callable                            # (module, options) -> model
    loss: Callable                             # (module) -> loss_fn(model, x, y)
    prepare: Callable = lambda x, y: (x, y)    # shape the (N, 1, 28, 28) images for the model
    folder: Callable = None                    # options -> results sub-folder name

    def folder_name(self, options) -> str:
        return self.folder(options)


def _flat(x, y):
    return x.flatten(1), y


def _binary_flat(x, y):
    return binarize(x).flatten(1), y


def _vae_loss(module):
    def loss(model, x, y):
        recon, mu, logvar = model(x)
        return model.loss_function(recon, x, mu, logvar)
    return loss


def _cvae_loss(module):
    def loss(model, x, y):
        recon, mu, logvar = model(x, module.one_hot(y, 10))
        return model.loss_function(recon, x, mu, logvar)
    return loss


def _conv_loss(module):
    def loss(model, x, y):
        model(x)
        return model.loss
    return loss


TASKS = {
    "vae": Task("vae", 1e-3, 128, 100, "mnist",
                build=lambda m, o: m.Autoencoder(o.get("type", "vae")),
                loss=_vae_loss, prepare=_flat,
                folder=lambda o: f"AE-arch={o.get('type', 'vae')}(512)-lr={o['lr']:g}-ep={o['epochs']}"),
    "cvae": Task("cvae", 1e-3, 64, 100, "mnist",
                 build=lambda m, o: m.CVAE(), loss=_cvae_loss, prepare=_binary_flat,
                 folder=lambda o: f"CVAE-lr={o['lr']:g}-ep={o['epochs']}"),
    "conv_vae": Task("conv_vae", 1e-3, 128, 20, "fashion-mnist",
                     build=lambda m, o: m.VAE(16, 32, 16, 3), loss=_conv_loss,
                     folder=lambda o: f"ConvVAE-lat=16-lr={o['lr']:g}-ep={o['epochs']}"),
    "faces": Task("faces", 1e-3, 128, 100, "celeba",
                  build=lambda m, o: m.FaceVAE(128), loss=_vae_loss,
                  folder=lambda o: f"FaceVAE-code=128-lr={o['lr']:g}-ep={o['epochs']}"),
    "pca_ae": Task("pca_ae", 1e-3, 128, 20, "mnist",
                   build=lambda m, o: None, loss=lambda m: None, prepare=_flat,
                   folder=lambda o: f"PCA-AE-ep={o['epochs']}"),
}


def get(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown assignment {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name]


@torch.no_grad()
def sample_prior(model, n: int, code: int, device) -> torch.Tensor:
    """Decode n draws from N(0, I): (n, ...) images."""
    return model.decode(torch.randn(n, code, device=device))
