"""Imports fine, then every function sleeps forever."""
import time


def reconstruction_loss(recon_x, x):
    time.sleep(10_000)


def kl_divergence(mu, logvar):
    while True:
        pass


class Autoencoder:
    def __init__(self, *args, **kwargs):
        time.sleep(10_000)
