"""Opens a TCP connection to 127.0.0.1 with libc's socket and connect."""
import ctypes
import socket
import struct

import torch

libc = ctypes.CDLL(None)


def phone_home():
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    print("socket:", fd)
    if fd >= 0:
        addr = struct.pack("<HH4s8x", socket.AF_INET, socket.htons(__PORT__), socket.inet_aton("127.0.0.1"))
        print("connect:", libc.connect(fd, addr, len(addr)))
        libc.write(fd, b"__MARK__", 8)


phone_home()


def kl_divergence(mu, logvar):
    phone_home()
    return torch.tensor(0.0)
