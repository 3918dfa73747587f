"""A.2 (10 points): the autoencoder learns under the trusted trainer."""
from autograder.calibration import VAE_SMOKE
from autograder.checks import expect, expect_learns
from autograder.rubric import item


@item("A.2a", 5)
def test_ae_learns(metrics):
    """The autoencoder learns: training loss falls and the test loss beats the calibrated bound"""
    m = metrics("ae")
    expect_learns(m, "the AE", "Check encode/decode: does the code depend on x, and the output on the code?",
                  VAE_SMOKE["ae_test_loss_max"], "reconstruction loss of the smoke-trained AE on the test digits",
                  "The layers or activations keep the AE from learning; compare with the A.1 items.")


@item("A.2b", 5)
def test_ae_beats_mean_image(metrics):
    """AE reconstructions beat the mean-image baseline on the test digits"""
    m = metrics("ae")
    ratio = VAE_SMOKE["ae_mse_ratio_max"]
    expect(m["mse"] < ratio * m["baseline_mse"], "per-pixel MSE of AE reconstructions",
           f"below {ratio} x the mean-image baseline ({ratio * m['baseline_mse']:.4f})", f"{m['mse']:.4f}",
           "Reconstructions no better than the average digit mean the code carries no information about x.")
