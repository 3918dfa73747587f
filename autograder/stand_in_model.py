"""The contract's layers trained in the parent: the grader's stand-in for a submitted architecture whose methods
compute something other than the contract's layers.

The smoke items (training loss, latent codes, samples) judge what training makes of the model. Where the
parent recognises the model's layers (``recognition.recognise``) but a method deviates from the contract (a
missing Sigmoid, an activation on the heads, ``encode`` returning ``(mu, mu)``), the method's own layer items
already take its points. Training the deviating model would take them again from every smoke item, so the
parent trains the contract's layers instead, from the model's own initial weights, with the same trusted
trainer, loss, data, seed and noise stream as the worker would have used (``autograder.smoke``); the smoke
items then judge that training. A method that raised, or returned no tensors of the right batch, is not
stood in for: nothing of it can be read, and the smoke items fail, saying so.

Which side: the grading parent only. Nothing here runs submitted code: the weights are tensors the parent
pulled and checked, computed on with the parent's rebuild of the contract (``specs.py``).
"""
from __future__ import annotations

import torch

from autograder.architecture import Spec, Variant
from autograder.recognition import Match, Rebuilt
from autograder.threads import one_thread


def deviating(match: Match) -> list[str]:
    """The methods whose outputs the parent read but could not reproduce with the contract's layers: those to
    stand in for. Empty when the layers are not recognised or a method gave no tensors (nothing to stand in)."""
    if match.layout is None or any(got is None for got in match.got.values()):
        return []
    return [method for method in match.got if not match.ok(method)]


def contract_variant(spec: Spec, match: Match, method: str) -> Variant:
    """The variant recognised for ``method`` with every choice the contract does not accept set to the contract's
    option (the contract itself when none was recognised)."""
    found = match.variant(method)
    if found is None:
        return spec.contract
    fixes = {c: spec.choices[c][0] for c in spec.uses[method]
             if found[c] != spec.choices[c][0] and found[c] not in spec.accepted.get(c, ())}
    return found.replace(**fixes)


class ContractModel(torch.nn.Module):
    """The spec's layers on trainable copies of ``weights`` (float32), each method run with ``variants[method]``:
    ``encode``/``decode`` (vae.py, cvae.py) and ``encoder``/``decoder`` (conv_vae.py), as the smoke losses call
    them. One output comes back as a tensor, several as a tuple, as from the submitted model."""

    def __init__(self, spec: Spec, weights: dict, variants: dict):
        super().__init__()
        self.spec, self.variants, self.names = spec, variants, list(weights)
        self.tensors = torch.nn.ParameterList(torch.nn.Parameter(weights[n].detach().float().clone())
                                              for n in self.names)

    def run(self, method: str, *inputs):
        out = self.spec.forward[method](dict(zip(self.names, self.tensors)), self.variants[method],
                                        *(t.float() for t in inputs))
        return out[0] if len(out) == 1 else out

    def encode(self, *inputs):
        return self.run("encode", *inputs)

    def decode(self, *inputs):
        return self.run("decode", *inputs)

    def encoder(self, x):
        return self.run("encoder.forward", x)

    def decoder(self, z):
        return self.run("decoder.forward", z)

    def rebuilt(self) -> Rebuilt:
        """The model as the smoke metrics read it (``recognition.Rebuilt``), on its current weights."""
        weights = {n: t.detach().to(self.spec.dtype, copy=True) for n, t in zip(self.names, self.tensors)}
        return Rebuilt(self.spec, weights, dict(self.variants))


def _local_steps(seed: int):
    """The grader's steps of the smoke loss (``callbacks.SMOKE``) computed here with autograd, the noise drawn
    from a generator seeded with ``seed`` in call order, as the parent answers the worker's calls."""
    from autograder.callbacks import SMOKE

    generator = torch.Generator().manual_seed(seed)

    def step(name):
        op = SMOKE[name]
        if op.grads != "noise":
            return op.fn

        def noisy(*args):
            like = args[op.noise_like]
            return op.fn(*args, eps=torch.randn(like.shape, generator=generator, dtype=like.dtype))[0]
        return noisy
    return step


def train(spec: Spec, match: Match, initial: list, assignment: str, cfg: dict, data) -> tuple[Rebuilt, Rebuilt]:
    """(before, after): the contract's layers on the model's ``initial`` tensors (read through the recognised
    layout), before and after the smoke training of ``assignment`` with ``cfg``'s epochs, batch size, lr and
    seed on ``data`` (what ``evaluate.smoke_data`` gives)."""
    from autograder.smoke import LOSSES
    from course.train import fit

    variants = {method: contract_variant(spec, match, method) for method in spec.forward}
    model = ContractModel(spec, match.layout.weights(initial, torch.float32), variants)
    before = model.rebuilt()
    compose, steps = LOSSES[assignment], _local_steps(cfg["seed"])
    with one_thread(), torch.random.fork_rng():
        fit(model, lambda m, x, y: compose(m, x, y, steps), *data, epochs=cfg["epochs"],
            batch_size=cfg["batch_size"], lr=cfg["lr"], seed=cfg["seed"], device=torch.device("cpu"), progress=False)
    return before, model.rebuilt()
