"""Parent-side evaluation of smoke-trained models with the grader's own oracles.

Which side: everything here runs in the grading parent. ``smoke_run`` has the
worker train the submitted model with the trusted trainer, then pulls the
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
from autograder.checks import expect_tensor

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


def smoke_run(gateway, target: str, assignment: str, cfg: dict, *args, label: str, data=None, spec=None,
              calls=None, before=None, **kwargs) -> SmokeRun:
    """Train ``target(*args, **kwargs)`` in the worker with ``autograder.smoke.train`` (``cfg``'s epochs,
    batch_size, lr, seed; ``data`` or the digits) and return what the parent needs to judge it.

    With ``spec`` (an ``architecture.Spec``, or a function of the parameter shapes that returns one, so that
    a width the contract does not fix costs only the layer items), the weights are pulled before and after
    training and a fresh instance is recognised with ``calls`` (method -> inputs) to read them as the contract's layers. A run
    the submission tampered with can only yield weights of that architecture, judged like any others.
    """
    from autograder import architecture, recognition

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
    gateway.trusted("autograder.smoke:train", model, assignment, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                    lr=cfg["lr"], seed=cfg["seed"], data=data, timeout=gateway.limits.train_timeout, label=label)
    if spec is not None:
        final = pull()
        if not isinstance(spec, architecture.Spec):
            spec = spec([tuple(t.shape) for t in initial])
        match = recognition.recognise(gateway, gateway.new(target, *args, **kwargs), spec, calls)
        run.before = recognition.rebuild(spec, match, initial)
        run.after = recognition.rebuild(spec, match, final)
    return run


def vae_terms(model, x: torch.Tensor, seed: int = 0) -> dict:
    """Per-image reconstruction and KL terms of the negative ELBO on ``x`` (N, 784), one z per image."""
    mu, logvar = model.encode(x)
    mu = expect_tensor(mu, "mu from encode", (x.shape[0], mu.shape[-1]))
    logvar = expect_tensor(logvar, "logvar from encode", tuple(mu.shape))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
    recon = expect_tensor(model.decode(mu + torch.exp(0.5 * logvar) * eps), "decode(z)", tuple(x.shape))
    n = x.shape[0]
    rec = float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n
    kl = float(oracles.gaussian_kl(mu, logvar)) / n
    return {"reconstruction": rec, "kl": kl, "loss": rec + kl, "mu": mu, "logvar": logvar, "recon": recon}


def ae_terms(model, x: torch.Tensor) -> dict:
    """Per-image BCE and per-pixel MSE of the autoencoder's reconstructions of ``x`` (N, 784)."""
    recon = expect_tensor(model.decode(model.encode(x)), "decode(encode(x))", tuple(x.shape))
    n = x.shape[0]
    return {"loss": float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n,
            "mse": float(((recon - x) ** 2).mean()), "recon": recon}


def mean_image_mse(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Per-pixel MSE of predicting every test image by the mean training image (the baseline)."""
    return float(((x_test - x_train.mean(0)) ** 2).mean())


def knn_accuracy(train_codes: torch.Tensor, y_train: torch.Tensor, test_codes: torch.Tensor,
                 y_test: torch.Tensor, k: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour classifier (scikit-learn) on latent codes."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(train_codes.double().numpy(), y_train.numpy())
    return float(clf.score(test_codes.double().numpy(), y_test.numpy()))


def latent_grid(n: int = 10) -> torch.Tensor:
    """(n*n, 2) standard-normal quantiles of an evenly spaced grid of probabilities in [0.05, 0.95]."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))
    return torch.cartesian_prod(q, q)


def nearest_mse(images: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean over ``images`` of the per-pixel MSE to the nearest ``reference`` image."""
    d = torch.cdist(images.double(), reference.double()) ** 2 / images.shape[1]
    return float(d.min(dim=1).values.mean())


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
    """Per-image negative ELBO of a conv ``VAE`` on ``x_test`` (N, 1, d, d), one z = mu + sigma * eps per image
    with eps from the grader's own seeded generator, and the grader's BCE and KL oracles."""
    n = x_test.shape[0]
    out = model.get("encoder")(x_test)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError(f"encoder(x): expected a tuple (mu, sigma), got {type(out).__name__}. "
                             "Return mu and sigma, in that order.")
    mu = expect_tensor(out[0], "mu from the trained encoder", (n, out[0].shape[-1]))
    sigma = expect_tensor(out[1], "sigma from the trained encoder", tuple(mu.shape))
    if not bool((sigma > 0).all() & torch.isfinite(sigma).all() & torch.isfinite(mu).all()):
        raise AssertionError(f"sigma of the trained encoder: expected finite values > 0, got values in "
                             f"[{float(sigma.min()):.3g}, {float(sigma.max()):.3g}]. sigma is exp of the std head.")
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
    x_hat = expect_tensor(model.get("decoder")(mu + sigma * eps), "decoder(z) of the trained VAE", tuple(x_test.shape))
    rec = float(oracles.bernoulli_nll(x_hat.clamp(0, 1), x_test)) / n
    kl = float(oracles.gaussian_kl_from_sigma(mu, sigma)) / n
    return {"loss": rec + kl, "reconstruction": rec, "kl": kl}


_FACES_DATA: dict = {}


def faces_smoke_data(n_train: int, n_test: int, seed: int = 0):
    """The generated faces of the faces.py smoke run: ((x_train, y_train), (x_test, y_test)).

    x is float32 (N, 3, 64, 64), pixels rounded to {0, 1}: grey pixels leave an entropy floor of ~7,800 of
    the ~8,500 nats per image an untrained model scores, so a run of seconds could gain only ~100 nats, no more
    than the KL of some architectures; binary pixels let it gain ~1,000. y is int64 zeros (unused).

    ``course.faces_data.make_fake_faces`` writes the n_train + n_test faces once into
    ``<data root>/cache/fake-faces-n<N>-seed<seed>/`` (through a temporary folder renamed into place, so a
    parallel grader never reads half a set) and ``load_faces`` reads them; the first n_train are the
    training set. Kept in memory for the rest of the process.
    """
    import shutil
    import tempfile
    from pathlib import Path

    from course.data import binarize, data_root
    from course.faces_data import load_faces, make_fake_faces

    key = (n_train, n_test, seed)
    if key not in _FACES_DATA:
        n = n_train + n_test
        folder = data_root() / "cache" / f"fake-faces-n{n}-seed{seed}"
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
            make_fake_faces(tmp, n, seed)
            try:
                tmp.rename(folder)
            except OSError:  # another grader finished the same set first
                shutil.rmtree(tmp, ignore_errors=True)
        x = binarize(load_faces(folder))  # (n, 3, 64, 64) in {0, 1}
        y = torch.zeros(n, dtype=torch.long)
        _FACES_DATA[key] = ((x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]))
    return _FACES_DATA[key]


FACES_PROBE = 64  # training faces on which faces.py's loss before and after training is measured


def faces_terms(gateway, model, x: torch.Tensor, seed: int = 0) -> dict:
    """Per-image negative ELBO terms of a ``FaceVAE`` handle on ``x`` (N, 3, 64, 64), the lower of eval and
    training mode ("mode" says which): after a few dozen steps BatchNorm's running averages still lag behind
    the weights, so a correct model with BatchNorm can look untrained in eval mode (KL of hundreds of nats)
    while its batch statistics are fine. One z per image from the model's own encode and decode, eps from the
    grader's seeded generator, the grader's BCE and KL oracles."""
    by_mode = {}
    for mode in ("eval", "train"):
        gateway.trusted("autograder.probes:set_training", model, mode == "train", label="switching your FaceVAE's mode")
        by_mode[mode] = vae_terms(model, x, seed)
    gateway.trusted("autograder.probes:set_training", model, False, label="switching your FaceVAE's mode")
    mode = min(by_mode, key=lambda k: (by_mode[k]["loss"] != by_mode[k]["loss"], by_mode[k]["loss"]))  # NaN last
    return {**by_mode[mode], "mode": mode, "eval_loss": by_mode["eval"]["loss"],
            "train_mode_loss": by_mode["train"]["loss"]}


def faces_smoke_metrics(gateway, run: SmokeRun, x_train: torch.Tensor, x_test: torch.Tensor, seed: int = 0) -> dict:
    """Every number the faces.py smoke item judges, for a smoke-trained ``FaceVAE`` (``run.first``: the loss
    ``faces_terms`` gave on ``x_train[:FACES_PROBE]`` before training)."""
    terms = faces_terms(gateway, run.handle, x_test, seed)
    return {"train_first": run.first, "train_last": faces_terms(gateway, run.handle, x_train[:FACES_PROBE], seed)["loss"],
            "test_loss": terms["loss"], "reconstruction": terms["reconstruction"], "kl": terms["kl"],
            "mode": terms["mode"], "eval_loss": terms["eval_loss"], "train_mode_loss": terms["train_mode_loss"]}


def reference_ae_mse(x_train: torch.Tensor, x_test: torch.Tensor, k: int, *, epochs: int, batch_size: int,
                     lr: float, seed: int) -> float:
    """Per-pixel MSE on ``x_train`` (N, 784) of the grader's own k-D autoencoder after MSE smoke training.

    Trusted code only, in this process: ``reference_models.MLPAutoencoder``
    trained by ``smoke.train(..., loss="mse_ae")`` on one thread with its
    seeds fixed, so the value is the same on every run and for every student.
    The caller's thread count and random state are restored afterwards.
    """
    from autograder.reference_models import MLPAutoencoder
    from autograder.smoke import train

    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        try:
            torch.manual_seed(seed)
            model = MLPAutoencoder(k, n_dims_data=x_train.shape[1])
            data = ((x_train, torch.zeros(len(x_train), dtype=torch.int64)),
                    (x_test, torch.zeros(len(x_test), dtype=torch.int64)))
            train(model, "pca_ae", epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, loss="mse_ae", data=data)
            with torch.no_grad():
                return float(((model(x_train)[0] - x_train) ** 2).mean())
        finally:
            torch.set_num_threads(threads)


# -- reparameterize checks shared by models with reparameterize(mu, logvar) (cvae.py; vae.py's B.2 items do
# the same inline) and the conditional VAE's evaluation -------------------------------------------------------

REPARAM_HINT = "z = mu + exp(0.5 * logvar) * eps with eps = torch.randn_like(mu): logvar is log sigma^2."


def check_reparameterize_gradients(model, shape: tuple, seed: int = 22) -> None:
    """``model.reparameterize`` has exact float64 gradients: dz/dmu = 1 and dz/dlogvar = (z - mu) / 2."""
    from autograder.checks import assert_close, expect

    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(shape, generator=gen, dtype=torch.float64)
    logvar = torch.randn(shape, generator=gen, dtype=torch.float64)
    out = model.call("reparameterize", mu, logvar, seed=3, grad={"wrt": [0, 1]})
    z, (d_mu, d_logvar) = out["value"], out["grads"]
    expect_tensor(z, "reparameterize(mu, logvar)", shape)
    expect(d_mu is not None and d_logvar is not None, "gradients of z w.r.t. mu and logvar", "both present",
           f"d/dmu {'missing' if d_mu is None else 'ok'}, d/dlogvar {'missing' if d_logvar is None else 'ok'}",
           "Do not detach mu, logvar or the standard deviation: gradients must flow through both.")
    assert_close(d_mu, torch.ones_like(mu), "dz/dmu", REPARAM_HINT)
    assert_close(d_logvar, (z - mu) / 2, "dz/dlogvar against (z - mu) / 2", REPARAM_HINT)


def check_reparameterize_distribution(model, code: int, draws: int, p_min: float, seed: int) -> None:
    """``model.reparameterize`` draws z ~ N(mu, exp(logvar)): a Kolmogorov-Smirnov test of ``draws`` values."""
    from scipy import stats

    from autograder.checks import expect

    mu = torch.full((draws // code, code), 1.5)
    logvar = torch.full((draws // code, code), float(torch.log(torch.tensor(0.25))))
    z = expect_tensor(model.reparameterize(mu, logvar, seed=seed), "reparameterize(mu, logvar)", tuple(mu.shape))
    result = stats.kstest(((z - 1.5) / 0.5).flatten().double().numpy(), "norm")
    expect(result.pvalue > p_min, f"distribution of {mu.numel():,} draws with mu = 1.5, sigma = 0.5",
           f"N(1.5, 0.25): KS p-value > {p_min}",
           f"p = {result.pvalue:.2g}; sample mean {float(z.mean()):.3f}, std {float(z.std()):.3f}", REPARAM_HINT,
           f"model.reparameterize(torch.full({tuple(mu.shape)}, 1.5), torch.full({tuple(mu.shape)}, math.log(0.25)))")


def check_reparameterize_noise(gateway, model, code: int) -> None:
    """``model.reparameterize`` draws fresh noise on every call and repeats under torch.manual_seed."""
    from autograder.checks import expect

    mu, logvar = torch.zeros(8, code), torch.zeros(8, code)
    first, second = gateway.trusted("autograder.probes:call_twice", model, "reparameterize", mu, logvar)
    expect_tensor(first, "reparameterize(mu, logvar)", tuple(mu.shape))
    expect(not torch.equal(first, second), "two calls of reparameterize in a row", "different samples",
           "the same sample twice", "Draw new eps on every call (torch.randn_like), never store or reseed it.")
    again = model.reparameterize(mu, logvar, seed=0)
    expect(torch.equal(model.reparameterize(mu, logvar, seed=0), again),
           "reparameterize after the same torch.manual_seed", "identical samples", "different samples",
           "Use torch's default generator (torch.randn_like), not numpy or a private Generator.")


def cvae_terms(model, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> dict:
    """Per-image reconstruction and KL terms of the negative ELBO of a CVAE on ``x`` (N, 784) with one-hot
    ``y`` (N, C), one z per image drawn with the grader's own generator; the losses are the oracles'."""
    mu, logvar = model.encode(x, y)
    mu = expect_tensor(mu, "mu from encode(x, y)", (x.shape[0], mu.shape[-1]))
    logvar = expect_tensor(logvar, "logvar from encode(x, y)", tuple(mu.shape))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
    recon = expect_tensor(model.decode(mu + torch.exp(0.5 * logvar) * eps, y), "decode(z, y)", tuple(x.shape))
    n = x.shape[0]
    rec = float(oracles.bernoulli_nll(recon.clamp(0, 1), x)) / n
    kl = float(oracles.gaussian_kl(mu, logvar)) / n
    return {"reconstruction": rec, "kl": kl, "loss": rec + kl}


def digit_classifier(x_train: torch.Tensor, y_train: torch.Tensor, c: float = 0.1):
    """The grader's own digit recogniser: scikit-learn's LogisticRegression on binarized (N, 784) digits.

    About 1 s on the embedded set (single-threaded BLAS: two BLAS threads on a busy machine take 20x
    longer); 97% accuracy on the binarized test digits."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    x = torch.round(x_train).double().numpy()
    with threadpool_limits(1, user_api="blas"):
        return LogisticRegression(C=c, max_iter=300).fit(x, y_train.numpy())


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
    images = cvae_prior_samples(model, labels, code, seed, n_classes)
    predicted = torch.from_numpy(classifier.predict(images.clamp(0, 1).double().numpy()))
    hit = (predicted == labels).double()
    return {"rate": float(hit.mean()), "per_class": [float(hit[labels == k].mean()) for k in range(n_classes)]}


def cvae_smoke_metrics(run: SmokeRun, digits: dict, seed: int = 0) -> dict:
    """The training figures and the grader's test negative ELBO of a smoke-trained CVAE (rebuilt models,
    binarized digits)."""
    def terms(model, x, labels):
        return cvae_terms(model, torch.round(x), torch.nn.functional.one_hot(labels, 10).float(), seed)

    x_train, y_train = digits["x_train"][:TRAIN_PROBE], digits["y_train"][:TRAIN_PROBE]
    test = terms(run.after, digits["x_test"], digits["y_test"])
    return {"train_first": terms(run.before, x_train, y_train)["loss"],
            "train_last": terms(run.after, x_train, y_train)["loss"], "test_loss": test["loss"], "kl": test["kl"]}
