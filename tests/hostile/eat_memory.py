"""Allocates until something gives."""
import torch


def kl_divergence(mu, logvar):
    hog = []
    while True:
        hog.append(torch.ones(256, 1024, 1024))  # 1 GiB a step


def reconstruction_loss(recon_x, x):
    return bytearray(64 * 2**30)
