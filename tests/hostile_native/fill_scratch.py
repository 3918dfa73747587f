"""Fills its scratch folder with 15 MB files (each under the per-file limit) until refused, aiming at 2 GiB."""
import os
import tempfile

import torch

CHUNK = b"\xa5" * 2**20
FILLED = []


def fill():
    if FILLED:  # once per worker: its scratch stays full
        return
    FILLED.append(True)
    folder, total, refused = tempfile.gettempdir(), 0, 0
    for index in range(140):  # 140 x 15 MiB = 2.05 GiB
        try:
            fd = os.open(os.path.join(folder, f"fill-{os.getpid()}-{index}.bin"), os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            print("refused:", exc)
            break
        try:
            for _ in range(15):
                total += os.write(fd, CHUNK)
        except OSError as exc:
            refused += 1
            print("refused:", exc)
        finally:
            os.close(fd)
        print(f"scratch bytes written: {total}", flush=True)
        if refused >= 3:
            break
    print(f"scratch total: {total}", flush=True)


fill()


def kl_divergence(mu, logvar):
    fill()
    return torch.tensor(0.0)
