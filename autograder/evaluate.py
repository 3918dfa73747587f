"""Parent-side evaluation of smoke-trained models with the grader's own oracles.

Which side: everything here runs in the grading parent. ``smoke_run`` has the
worker train the submitted model with the trusted trainer (the data, and the
noise step and closed forms of the grader's loss, come from here: see
``smoke_data`` and ``callbacks.SMOKE``), then pulls the
weights before and after training and rebuilds the model in the parent
(``recognition.py``); the metrics below evaluate those rebuilt models, so no
number the smoke items judge comes from code that ran next to the submission.
faces.py's architecture is free, so its model is evaluated from its encode and
decode outputs (calls into the worker), before and after training. Every loss
is computed by ``oracles``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from autograder import oracles
from autograder.checks import expect_parts, expect_tensor
from course.digit_metrics import knn_accuracy, latent_grid, mean_image_mse, nearest_mse, recognition_rates
from course.likelihood import elbo_terms

TRAIN_PROBE = 512  # training images on which the loss before and after training is measured


@dataclass
class SmokeRun:
    """One smoke training. ``before`` / ``after``: the model rebuilt in the parent from its own weights
    before and after training (``recognition.Rebuilt``), where the contract fixes the architecture.
    ``first``: what ``before(handle)`` measured on the untrained model (faces.py, no rebuild)."""

    handle: object
    before: object = None
    after: object = None
    first: object = None


def smoke_data(assignment: str, data=None):
    """What the worker's smoke training of ``assignment`` trains on: ((x_train, y_train), (x_test, y_test)),
    ``data`` or the embedded digits shaped by the assignment's registry entry (``prepare``), the labels
    one-hot (float) where the grader's loss conditions on them (``smoke.ONE_HOT``)."""
    from autograder.smoke import ONE_HOT
    from course import registry
    from course.data import load_images

    if data is None:
        entry = registry.get(assignment)
        data = tuple(entry.prepare(*load_images("digits", train=train)) for train in (True, False))
    if assignment in ONE_HOT:
        data = tuple((x, torch.nn.functional.one_hot(y, ONE_HOT[assignment]).float() if not y.is_floating_point()
                      else y) for x, y in data)
    return data


def smoke_run(gateway, target: str, assignment: str, cfg: dict, *args, label: str, data=None, spec=None,
              calls=None, before=None, **kwargs) -> SmokeRun:
    """Train ``target(*args, **kwargs)`` in the worker with ``autograder.smoke.train`` (``cfg``'s epochs,
    batch_size, lr, seed; ``data`` or the digits, as ``smoke_data`` sends them; the grader's steps of the
    loss answered here, ``callbacks.SMOKE``) and return what the parent needs to judge it.

    With ``spec`` (an ``architecture.Spec``, or a function of the parameter shapes that returns one, so that
    a width the contract does not fix costs only the layer items), the weights are pulled before and after
    training and a fresh instance is recognised with ``calls`` (method -> inputs) to read them as the
    contract's layers. A run the submission tampered with can only yield weights of that architecture,
    judged like any others. Where a method's outputs deviate from the contract's layers (the layer items judge
    that), the parent trains the contract's layers from the model's initial weights instead (``stand_in_model``),
    so that the smoke items judge training, not the same slip again.
    """
    from autograder import architecture, callbacks, recognition, stand_in_model

    model = gateway.new(target, *args, seed=cfg["seed"], **kwargs)
    run = SmokeRun(model)

    def pull():
        reply = gateway.trusted("autograder.probes:parameters", model, label=f"reading the weights ({label})")
        if not isinstance(reply, list) or not all(isinstance(t, torch.Tensor) and t.is_floating_point()
                                                  for t in reply):
            raise AssertionError(f"weights of the model ({label}): expected a list of float tensors, "
                                 f"got {type(reply).__name__}.")
        return reply

    initial = pull() if spec is not None else None
    run.first = before(model) if before is not None else None
    if spec is not None:
        if not isinstance(spec, architecture.Spec):
            spec = spec([tuple(t.shape) for t in initial])
        match = recognition.recognise(gateway, gateway.new(target, *args, **kwargs), spec, calls)
        if stand_in_model.deviating(match) and recognition.rebuild(spec, match, initial).problem == "":
            run.before, run.after = stand_in_model.train(spec, match, initial, assignment, cfg,
                                                         smoke_data(assignment, data))
            return run
    gateway.trusted("autograder.smoke:train", model, assignment, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                    lr=cfg["lr"], seed=cfg["seed"], data=smoke_data(assignment, data),
                    timeout=gateway.limits.train_timeout, label=label, serve=callbacks.SMOKE)
    if spec is not None:
        run.before = recognition.rebuild(spec, match, initial)
        run.after = recognition.rebuild(spec, match, pull())
    return run


def checked(decode, x: torch.Tensor):
    """``decode``, failing with a message unless it returns a tensor shaped like ``x`` (what ``elbo_terms`` needs)."""
    return lambda z: expect_tensor(decode(z), "the decoded codes", tuple(x.shape))


def vae_terms(model, x: torch.Tensor, seed: int = 0) -> dict:
    """``elbo_terms`` of a model with ``encode(x) -> (mu, logvar)`` and ``decode(z)``; adds "mu", "logvar"."""
    mu, logvar = model.encode(x)
    mu = expect_tensor(mu, "mu from encode", (x.shape[0], mu.shape[-1]))
    logvar = expect_tensor(logvar, "logvar from encode", tuple(mu.shape))
    return {**elbo_terms(x, mu, torch.exp(0.5 * logvar), checked(model.decode, x), seed), "mu": mu, "logvar": logvar}


def ae_terms(model, x: torch.Tensor) -> dict:
    """Per-image BCE and per-pixel MSE of the autoencoder's reconstructions of ``x`` (N, 784)."""
    recon = expect_tensor(model.decode(model.encode(x)), "decode(encode(x))", tuple(x.shape))
    n = x.shape[0]
    return {"loss": float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n,
            "mse": float(((recon - x) ** 2).mean()), "recon": recon}


def vae_smoke_metrics(run: SmokeRun, digits: dict, kind: str) -> dict:
    """Every number the vae.py smoke items judge, for a smoke-trained "ae" or "vae" (rebuilt models)."""
    x_train, x_test = digits["x_train"], digits["x_test"]
    terms = ae_terms if kind == "ae" else vae_terms
    model, probe = run.after, x_train[:TRAIN_PROBE]
    m = {"train_first": terms(run.before, probe)["loss"], "train_last": terms(model, probe)["loss"]}
    if kind == "ae":
        terms = ae_terms(model, x_test)
        m.update(test_loss=terms["loss"], mse=terms["mse"], baseline_mse=mean_image_mse(x_train, x_test))
        train_codes = expect_tensor(model.encode(x_train), "encode(x_train)", (x_train.shape[0], 2))
        test_codes = expect_tensor(model.encode(x_test), "encode(x_test)", (x_test.shape[0], 2))
    else:
        terms = vae_terms(model, x_test)
        m.update(test_loss=terms["loss"], kl=terms["kl"], recon_loss=terms["reconstruction"])
        train_codes = expect_tensor(model.encode(x_train)[0], "mu of encode(x_train)", (x_train.shape[0], 2))
        test_codes = terms["mu"]
        z = terms["mu"] + torch.exp(0.5 * terms["logvar"]) * torch.randn(
            terms["mu"].shape, generator=torch.Generator().manual_seed(1))
        m.update(code_mean_abs=float(z.mean(0).abs().max()), code_std_min=float(z.std(0).min()),
                 code_std_max=float(z.std(0).max()))
        grid = expect_tensor(model.decode(latent_grid()), "decode(z) over a 10 x 10 latent grid", (100, 784))
        m.update(grid_min=float(grid.min()), grid_max=float(grid.max()),
                 grid_pixel_std=float(grid.std(0).mean()))
        prior = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
        samples = expect_tensor(model.decode(prior), "decode(z) for z ~ N(0, I)", (64, 784))
        m.update(prior_nearest_mse=nearest_mse(samples, x_train))
    m["knn_accuracy"] = knn_accuracy(train_codes, digits["y_train"], test_codes, digits["y_test"])
    return m


def conv_vae_smoke_metrics(run: SmokeRun, x_train: torch.Tensor, x_test: torch.Tensor, seed: int = 0) -> dict:
    """Every number the conv_vae.py smoke item judges, for a smoke-trained ``VAE`` (rebuilt models).

    ``x_train`` and ``x_test`` are (N, 1, d, d); the training loss is measured on the first ``TRAIN_PROBE``.
    """
    probe = x_train[:TRAIN_PROBE]
    terms = conv_vae_terms(run.after, x_test, seed)
    return {"train_first": conv_vae_terms(run.before, probe, seed)["loss"],
            "train_last": conv_vae_terms(run.after, probe, seed)["loss"],
            "test_loss": terms["loss"], "reconstruction": terms["reconstruction"], "kl": terms["kl"]}


def conv_vae_terms(model, x_test: torch.Tensor, seed: int = 0) -> dict:
    """``elbo_terms`` of a conv ``VAE`` (``model.get("encoder")(x) -> (mu, sigma)``, ``model.get("decoder")``)
    on ``x_test`` (N, 1, d, d)."""
    n = x_test.shape[0]
    out = expect_parts(model.get("encoder")(x_test), 2, "encoder(x) of the trained VAE", "mu, sigma")
    mu = expect_tensor(out[0], "mu from the trained encoder", (n, out[0].shape[-1]))
    sigma = expect_tensor(out[1], "sigma from the trained encoder", tuple(mu.shape))
    if not bool((sigma > 0).all() & torch.isfinite(sigma).all() & torch.isfinite(mu).all()):
        raise AssertionError(f"sigma of the trained encoder: expected finite values > 0, got values in "
                             f"[{float(sigma.min()):.3g}, {float(sigma.max()):.3g}]. sigma is exp of the std head.")
    return elbo_terms(x_test, mu, sigma, checked(model.get("decoder"), x_test), seed)


def cvae_terms(model, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> dict:
    """``elbo_terms`` of a CVAE on ``x`` (N, 784) with one-hot ``y`` (N, C)."""
    mu, logvar = model.encode(x, y)
    mu = expect_tensor(mu, "mu from encode(x, y)", (x.shape[0], mu.shape[-1]))
    logvar = expect_tensor(logvar, "logvar from encode(x, y)", tuple(mu.shape))
    return elbo_terms(x, mu, torch.exp(0.5 * logvar), checked(lambda z: model.decode(z, y), x), seed)


def cvae_smoke_metrics(run: SmokeRun, digits: dict, seed: int = 0) -> dict:
    """The training figures and the grader's test negative ELBO of a smoke-trained CVAE (rebuilt models,
    binarized digits)."""
    def terms(model, x, labels):
        return cvae_terms(model, torch.round(x), torch.nn.functional.one_hot(labels, 10).float(), seed)

    x_train, y_train = digits["x_train"][:TRAIN_PROBE], digits["y_train"][:TRAIN_PROBE]
    test = terms(run.after, digits["x_test"], digits["y_test"])
    return {"train_first": terms(run.before, x_train, y_train)["loss"],
            "train_last": terms(run.after, x_train, y_train)["loss"], "test_loss": test["loss"], "kl": test["kl"]}


def cvae_prior_samples(model, labels: torch.Tensor, code: int, seed: int, n_classes: int = 10) -> torch.Tensor:
    """The grader's own sampler on a (rebuilt) CVAE: z ~ N(0, I) from a seeded generator, decoded with
    one_hot(labels); (N, 784). The submitted ``sample`` is judged by its own items."""
    z = torch.randn(labels.numel(), code, generator=torch.Generator().manual_seed(seed))
    y = torch.nn.functional.one_hot(labels, n_classes).float()
    return expect_tensor(model.decode(z, y), f"decode(z, y) for {labels.numel()} prior codes", (labels.numel(), 784))


def label_recognition(model, classifier, n_per_class: int, seed: int, code: int = 40, n_classes: int = 10) -> dict:
    """Draw ``n_per_class`` images per class from the trained (rebuilt) CVAE with ``cvae_prior_samples``
    and let ``classifier`` read them. Returns the fraction recognised as the requested class, overall and
    per class."""
    labels = torch.arange(n_classes).repeat(n_per_class)
    return recognition_rates(classifier, cvae_prior_samples(model, labels, code, seed, n_classes), labels, n_classes)
