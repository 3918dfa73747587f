"""Smoke training inside the worker: the trusted course trainer on the
submitted model, seeded, CPU, on the embedded digits.

Called as ``gateway.trusted("autograder.smoke:train", model_handle, "vae", ...)``.
The loss is the grader's own (``course.losses.grader_*``, named by the
assignment's registry entry), composed from the submitted layers only
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

from course import registry
from course.data import load_images
from course.train import fit


def digits(assignment: str, train: bool):
    """The embedded digits shaped for ``assignment`` by its registry entry: (x, y), x (N, 784) or (N, 1, 28, 28)."""
    return registry.get(assignment).prepare(*load_images("digits", train=train))


def train(model, assignment: str, *, epochs: int, batch_size: int, lr: float, seed: int | None = None,
          data=None) -> dict:
    """Train ``model`` for ``epochs``; returns {"train_loss": [...], "test_loss": [...]} per image.

    The loss is ``assignment``'s grader loss (``course.registry``). ``data`` is
    ((x_train, y_train), (x_test, y_test)); the digits shaped for
    ``assignment`` when omitted. ``seed`` defaults to the seed the gateway sent
    with the call (the worker seeds torch with it before every call).
    """
    seed = torch.initial_seed() if seed is None else seed
    train_set, test_set = data if data is not None else (digits(assignment, True), digits(assignment, False))
    history = fit(model, registry.get(assignment).grader_loss, train_set, test_set, epochs=epochs,
                  batch_size=batch_size, lr=lr, seed=seed, device=torch.device("cpu"), progress=False)
    model.eval()
    return {"train_loss": list(history.train_loss), "test_loss": list(history.test_loss)}
