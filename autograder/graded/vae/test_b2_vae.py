"""B.2 (25 points): the VAE's logvar head, reparameterize, forward, and a training run."""
import pytest
import torch

from autograder.calibration import KS_TEST, VAE_SMOKE
from autograder.checks import assert_close, expect, expect_learns, expect_parts, expect_tensor
from autograder.recognition import expect_layers
from autograder.reparameterize_checks import (
    check_reparameterize_distribution,
    check_reparameterize_gradients,
    check_reparameterize_noise,
)
from autograder.rubric import item


@item("B.2a", 2)
def test_vae_head(recognised):
    """VAE encoder: a second 512 -> 2 head gives logvar (807,700 parameters), both heads without activation"""
    match = recognised("vae")
    expect_layers(match, "Autoencoder('vae')", "Add one Linear(n_dims_hidden, n_dims_code) head for logvar on top "
                  "of the AE layers (or one Linear(n_dims_hidden, 2 * n_dims_code) split in two); encode returns "
                  "(mu, logvar), each from its own head.", methods=("encode",))
    heads = match.variant("encode")["heads"]
    expect(heads == "identity", "mu and logvar from encode", "the heads' Linear outputs, unchanged",
           f"outputs that match {heads} of the heads",
           "No activation on mu or logvar: logvar must reach any real number, mu must match the N(0, I) prior.")


@item("B.2b", 5, held_out=2)
def test_reparameterize_gradients(gateway, vae, draw):
    """reparameterize has exact gradients: dz/dmu = 1, dz/dlogvar = (z - mu) / 2 (float64)"""
    check_reparameterize_gradients(vae, (64, 2), draw)


@item("B.2c", 4, held_out=1)
def test_reparameterize_distribution(gateway, vae, draw):
    """reparameterize draws z ~ N(mu, exp(logvar)) (Kolmogorov-Smirnov test)"""
    check_reparameterize_distribution(vae, 2, KS_TEST["draws"], KS_TEST["seed"], draw)


@item("B.2d", 3, held_out=1)
def test_reparameterize_noise(gateway, vae, draw):
    """reparameterize draws fresh noise on every call and repeats under torch.manual_seed"""
    check_reparameterize_noise(gateway, vae, 2, draw)


@item("B.2e", 4, held_out=1)
@pytest.mark.callbacks
def test_forward_samples(gateway, vae, draw):
    """VAE forward decodes a sampled z and returns (recon, mu, logvar) from encode"""
    X = torch.rand(32, 784, generator=draw.generator(21))
    recon, mu, logvar = expect_parts(forward(gateway, vae, X, 1), 3, "Autoencoder('vae').forward(x)",
                                     "recon, mu, logvar")
    expect_tensor(recon, "recon from forward", (32, 784))
    mu_e, logvar_e = vae.encode(X)
    assert_close(mu, mu_e, "mu returned by forward, against your own encode(x)",
                 "Return the mu and logvar that your encode gives for x.")
    assert_close(logvar, logvar_e, "logvar returned by forward, against your own encode(x)",
                 "Return the mu and logvar that your encode gives for x.")
    at_mean = vae.decode(mu_e)
    gap = float((recon - at_mean).abs().max())
    expect(gap > 1e-5, "recon of forward against decode(mu)", "a reconstruction of a sampled z != mu",
           f"decode(mu) (largest difference {gap:.2g})", "forward must decode z = reparameterize(mu, logvar).")
    expect(not torch.equal(forward(gateway, vae, X, 2)[0], recon), "forward under two seeds",
           "different reconstructions", "identical ones", "Sample a new z on every forward call.")


def forward(gateway, vae, X, seed: int):
    """``vae.forward(X)`` under ``seed`` with the grader's reparameterize in place of the submitted one (B.2b-B.2d
    judge that), so that B.2e judges forward's own composition."""
    return gateway.with_stand_ins(vae, "forward", ["reparameterize"], X, seed=seed,
                           label="Autoencoder('vae').forward")


@item("B.2f", 5)
def test_vae_learns(metrics):
    """The VAE learns: loss falls, test ELBO beats the calibrated bound, KL neither zero nor exploding"""
    m = metrics("vae")
    expect_learns(m, "the VAE", "Check that forward decodes z = mu + std * eps and that gradients reach mu and logvar.",
                  VAE_SMOKE["vae_test_loss_max"],
                  "negative ELBO of the smoke-trained VAE on the test digits (grader's oracle)",
                  "The architecture or forward pass keeps the VAE from learning; compare with A.1 and B.2b-e.")
    lo, hi = VAE_SMOKE["vae_kl_range"]
    expect(lo < m["kl"] < hi, "KL term per test image after training", f"between {lo} and {hi} nats",
           f"{m['kl']:.2f}", "A KL near 0 means the codes ignore x (posterior collapse or logvar misuse); "
           "a huge KL means logvar or the prior are off.")
