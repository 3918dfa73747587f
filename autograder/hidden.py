"""Held-out inputs: the secret seed, the inputs items draw from it, and failures that do not leak them.

An item declared with held-out points (``@item("B.1a", 6, held_out=2)``) runs twice where a held-out
seed exists: once on its published inputs (4 points; a failure prints them so the student can
reproduce it) and once as its *twin* ("B.1a.h", 2 points, hidden) on inputs drawn from the seed. Both
draw every input through the ``draw`` fixture (a ``Draw``), so the twin checks the same property on
inputs nobody outside the bundle can know; its failure names the function to revisit and nothing else,
and withdraws the public item's points too (a function right only on the printed inputs is wrong; see
``plugin.ScoreCollector.void_memorised``). Held-out work runs after every visible item of its assignment,
so the worker that saw held-out inputs never serves a visible item.

The seed lives in ``graded/held_out_seed`` (the graded folder is masked from the submission's worker
and readable by root only on Gradescope). ``python -m autograder gradescope`` writes a fresh random
seed into each bundle; the student release leaves the file out (and so has no twins); the checkout's
own file holds a development seed. ``AUTOGRADER_HELD_OUT_SEED`` overrides it (to try other seeds).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from autograder.errors import SubmissionError

SEED_FILE = Path(__file__).resolve().parent / "graded" / "held_out_seed"
TWIN_SUFFIX = ".h"  # "B.1a" -> its twin "B.1a.h"


def secret_seed() -> int | None:
    """The held-out seed: ``AUTOGRADER_HELD_OUT_SEED``, else the graded folder's ``held_out_seed`` file,
    else None (a student release: no twins)."""
    text = os.environ.get("AUTOGRADER_HELD_OUT_SEED") or (SEED_FILE.read_text() if SEED_FILE.is_file() else "")
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"the held-out seed must be an integer; got {text[:40]!r} "
                         f"(from AUTOGRADER_HELD_OUT_SEED or {SEED_FILE.name})") from None


def twin_id(item_id: str) -> str:
    return item_id + TWIN_SUFFIX


def is_twin(item_id: str) -> bool:
    return item_id.endswith(TWIN_SUFFIX)


def public_of(item_id: str) -> str:
    """The public item a twin re-runs ("B.1a.h" -> "B.1a")."""
    return item_id.removesuffix(TWIN_SUFFIX)


class Draw:
    """Where an item's inputs come from: ``seed(n)``/``generator(n)`` give the item's published seed ``n``
    on its public run, and a seed derived from (secret, item id, n) on a held-out run."""

    def __init__(self, item_id: str, secret: int | None):
        self.item_id, self.secret = item_id, secret

    @property
    def held_out(self) -> bool:
        return self.secret is not None

    def seed(self, public: int) -> int:
        if self.secret is None:
            return public
        digest = hashlib.sha256(f"{self.secret}:{self.item_id}:{public}".encode()).digest()
        return int.from_bytes(digest[:8], "little") >> 1  # 63 bits: torch and numpy both accept it

    def generator(self, public: int):
        import torch

        return torch.Generator().manual_seed(self.seed(public))


def twin_message(public_id: str, public_passed: bool | None) -> str:
    """The failure text of a twin: which item to revisit, never the inputs or the numbers."""
    first = (f"{public_id} passes on its published inputs but fails on held-out ones" if public_passed
             else "Fails on held-out inputs too")
    return (f"{first}: compute the result for any input, not the printed values ({public_id}'s hints apply; "
            "the held-out inputs are not shown).")


def voided_message(public_id: str, twin: str) -> str:
    """The message of a public item that passed while its twin failed (its points are withdrawn)."""
    return (f"Passes on its published inputs but fails on held-out ones ({twin}), so it earns no point: a "
            "function must be right for any input, not for the printed ones. Compute the result from the "
            f"inputs; {public_id}'s description says what is checked.")


@contextlib.contextmanager
def held_out(what: str):
    """Turn any failed check into one sentence naming ``what`` to revisit, without inputs or numbers."""
    try:
        yield
    except SubmissionError:
        raise
    except Exception:  # noqa: BLE001 - AssertionError and wrong-type errors alike
        raise AssertionError(f"Failed on held-out inputs: revisit {what}. "
                             "The public items' hints apply; the held-out inputs are not shown.") from None
