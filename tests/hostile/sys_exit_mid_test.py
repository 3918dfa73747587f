"""Calls sys.exit(0) inside every graded function."""
import sys


def reconstruction_loss(recon_x, x):
    sys.exit(0)


def kl_divergence(mu, logvar):
    sys.exit(0)


class Autoencoder:
    def __init__(self, *args, **kwargs):
        sys.exit(0)
