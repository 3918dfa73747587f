"""Reads hidden items and writes into the checkout with sqlite3, torchvision.io and torch.save."""
import sqlite3

import torch
import torchvision.io


def attack():
    try:
        print(torchvision.io.read_file("__ROOT__/autograder/graded/vae/__CANARY__"))
    except Exception as exc:
        print("refused:", exc)
    for write in (lambda: torchvision.io.write_file("__ROOT__/autograder/pwn.py", torch.tensor(list(b"x=1"),
                                                                                                    dtype=torch.uint8)),
                  lambda: torch.save({"x": 1}, "__ROOT__/course/pwn.pt"),
                  lambda: sqlite3.connect("__ROOT__/autograder/pwn.db").execute("create table t(x)"),
                  lambda: sqlite3.connect("file:__ROOT__/solutions/vae.py?mode=ro", uri=True).execute("select 1")):
        try:
            write()
        except Exception as exc:
            print("refused:", exc)


attack()


def kl_divergence(mu, logvar):
    attack()
    return torch.tensor(0.0)
