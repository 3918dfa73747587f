"""C (20 points): the latent spaces of the trained AE and VAE."""
from autograder.calibration import VAE_SMOKE
from autograder.checks import expect
from autograder.rubric import item


@item("C.a", 5)
def test_latent_grid(metrics):
    """Decoding a grid over the VAE's 2-D latent space gives images in [0, 1] that vary across it"""
    m = metrics("vae")
    expect(m["grid_min"] >= 0 and m["grid_max"] <= 1, "decoded latent grid (manifold_digits.png)",
           "pixel values in [0, 1]", f"[{m['grid_min']:.3g}, {m['grid_max']:.3g}]", "End the decoder with a Sigmoid.")
    lo = VAE_SMOKE["grid_pixel_std_min"]
    expect(m["grid_pixel_std"] > lo, "variation of the decoded images across the latent grid",
           f"a mean pixel std above {lo}", f"{m['grid_pixel_std']:.4f}",
           "The decoder ignores z: check that decode uses its input and that the KL does not swamp the data term.")


@item("C.b", 5)
def test_codes_follow_prior(metrics):
    """The VAE's test codes are spread like the prior N(0, I)"""
    m = metrics("vae")
    mean_max, (std_lo, std_hi) = VAE_SMOKE["code_mean_abs_max"], VAE_SMOKE["code_std_range"]
    expect(m["code_mean_abs"] < mean_max and std_lo < m["code_std_min"] and m["code_std_max"] < std_hi,
           "sampled codes z of the test digits (manifold.png)",
           f"per-dimension |mean| < {mean_max} and std in ({std_lo}, {std_hi})",
           f"|mean| up to {m['code_mean_abs']:.2f}, std {m['code_std_min']:.2f} to {m['code_std_max']:.2f}",
           "The KL term pulls codes towards N(0, I): check its sign, its 0.5 and that logvar is log sigma^2.")


@item("C.c", 5)
def test_codes_separate_digits(metrics):
    """Test codes of the AE and the VAE separate the digits (5-nearest-neighbour accuracy)"""
    for kind in ("ae", "vae"):
        m = metrics(kind)
        lo = VAE_SMOKE[f"{kind}_knn_min"]
        expect(m["knn_accuracy"] > lo, f"5-NN accuracy of the {kind.upper()}'s 2-D test codes",
               f"above {lo:.2f}", f"{m['knn_accuracy']:.2f}",
               "The codes carry little information about the digit: check encode (for 'vae', mu).")


@item("C.d", 5)
def test_prior_samples(metrics):
    """Decoded samples from the prior look like digits (close to some training image)"""
    m = metrics("vae")
    hi = VAE_SMOKE["prior_nearest_mse_max"]
    expect(m["prior_nearest_mse"] < hi, "per-pixel MSE of decoded N(0, I) samples to their nearest training digit",
           f"below {hi:.4f}", f"{m['prior_nearest_mse']:.4f}",
           "Samples far from every digit mean the latent space is not matched to the prior.")
