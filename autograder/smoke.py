"""Smoke training inside the worker: the trusted course trainer on the submitted model, seeded, CPU,
on data the parent sends.

Called as ``gateway.trusted("autograder.smoke:train", model_handle, "vae", data=..., serve=callbacks.SMOKE)``
(``evaluate.smoke_run`` does this). The loss is the grader's own (``course.losses.grader_*``): the
submitted layers (encode, decode) composed with the grader's noise step z = mu + std * eps and the
closed-form summed BCE and KL, so a bug in the loss, in ``reparameterize`` or in ``forward`` costs that
function's items, not the training items. Returns the per-epoch history; the trained model stays in
the worker.

Which side: this module runs in the worker, in the submission's own process, so submitted code can
reach it and its history is a report, never a verdict. It holds no closed form and imports no grader
module: the noise step and the BCE and KL are callbacks that the parent answers
(``autograder.callbacks.SMOKE``), each with the factors its gradient needs, so ``loss.backward()`` runs
through the submitted layers here. The parent draws the noise from a generator seeded with the
request's seed, in call order, which is the order and the stream ``torch.manual_seed(seed)`` and
``torch.randn_like`` gave when the loss ran here, so the same seed trains to the same weights. The
parent pulls the weights before and after training and evaluates them in its own rebuild of the
contract's architecture (``graded/conftest.py``, ``recognition.py``, ``evaluate.py``); faces.py, whose
architecture is free, is evaluated in the parent from the model's encode and decode outputs.
"""
from __future__ import annotations

import torch

from course.train import fit

ONE_HOT = {"cvae": 10}  # assignment -> classes: the parent sends its labels one-hot, float (N, classes)


def _unconditional(model, x, y, grader):
    """vae.py and faces.py: the summed BCE of ``decode(encode(x))`` when encode gives a code z (vae.py's
    "ae"); otherwise the negative ELBO of encode's (mu, logvar) with one z decoded by ``decode``. 0-d."""
    code = model.encode(x)
    if isinstance(code, torch.Tensor):  # "ae": z
        return grader("smoke.bce")(model.decode(code), x)
    mu, logvar = code
    z = grader("smoke.reparameterize")(mu, logvar)
    return grader("smoke.elbo")(model.decode(z), x, mu, logvar)


def _conditional(model, x, y, grader):
    """cvae.py: the negative ELBO of ``encode(x, y)`` and ``decode(z, y)``, ``y`` one-hot (B, 10). 0-d."""
    mu, logvar = model.encode(x, y)
    z = grader("smoke.reparameterize")(mu, logvar)
    return grader("smoke.elbo")(model.decode(z, y), x, mu, logvar)


def _convolutional(model, x, y, grader):
    """conv_vae.py: the negative ELBO of ``encoder(x) -> (mu, sigma)`` and ``decoder(z)``, x (B, 1, d, d). 0-d."""
    mu, sigma = model.encoder(x)
    z = grader("smoke.gaussian")(mu, sigma)
    return grader("smoke.elbo_sigma")(model.decoder(z), x, mu, sigma)


LOSSES = {"vae": _unconditional, "faces": _unconditional, "cvae": _conditional, "conv_vae": _convolutional}


def train(model, assignment: str, *, epochs: int, batch_size: int, lr: float, data, parent) -> dict:
    """Train ``model`` for ``epochs`` on ``data`` = ((x_train, y_train), (x_test, y_test)); returns
    {"train_loss": [...], "test_loss": [...]}, nats per image per epoch.

    The loss is ``assignment``'s grader loss (``LOSSES``), its grader steps asked of the parent through
    ``parent`` (the worker's line to the parent, which the worker passes in). The trainer's seed is the
    one the gateway sent with the call (the worker seeds torch with it before every call), the seed the
    parent draws the noise with.
    """
    if assignment not in LOSSES:
        raise ValueError(f"no smoke loss for {assignment!r}; the worker trains {', '.join(LOSSES)}")
    seed = torch.initial_seed()
    compose, steps = LOSSES[assignment], {}

    def grader(name):
        if name not in steps:
            steps[name] = parent.function(name)
        return steps[name]

    train_set, test_set = data
    history = fit(model, lambda m, x, y: compose(m, x, y, grader), train_set, test_set, epochs=epochs,
                  batch_size=batch_size, lr=lr, seed=seed, device=torch.device("cpu"), progress=False)
    model.eval()
    return {"train_loss": list(history.train_loss), "test_loss": list(history.test_loss)}
