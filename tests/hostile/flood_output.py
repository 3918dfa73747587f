"""Prints without end."""
import sys

for _ in range(200_000):
    print("spam " * 200)
    sys.stderr.write("more spam " * 100 + "\n")


def kl_divergence(mu, logvar):
    while True:
        print("x" * 10_000)
