"""The lines that solve the TODOs, to check that no message, hint or released file hands one over.

A *fragment* is a line of a reference's TODO block (between its ``>>> START`` and ``<<< END`` markers, comments
left out), or the expression of one (what an assignment assigns, what a return returns), with all white space
and quotes removed. Only fragments with a call or an operator and at least ``MIN_CHARS`` characters count:
``return z`` or ``mu, logvar`` solve nothing on their own. What the students already have is no leak: a fragment found in the
stub files (their signatures and hints) or in the contract (``docs/contract.md``) does not count, nor does a
line that a statement continues on the next (unbalanced brackets).
"""
from __future__ import annotations

import functools
import re

from tests.variants import ROOT, SOLUTIONS, STUBS, split_blocks

MIN_CHARS = 14


KEEP = {"torch", "F", "nn", "self", "math", "np", "True", "False", "None", "and", "or", "not", "in", "for", "if",
        "else", "return", "lambda", "is"}


def normalise(text: str) -> str:
    """``text`` without white space, quotes or module prefixes (``torch.``, ``F.``, ``np.``), each local name (not an
    attribute, a callee or a keyword) replaced by ``_``: ``torch.argsort(var, descending=True)[:k]`` reads as
    ``argsort(_,descending=True)[:_]``."""
    text = re.sub(r"[\s'\"`]+", " ", text)
    text = re.sub(r"\b(?:torch\.nn\.functional|torch|np|numpy|F)\.", "", text)  # torch.exp is exp: spelling
    text = re.sub(r"(?<![\w.])([A-Za-z_]\w*)(?!\w|\s*[(=])", lambda m: m.group(1) if m.group(1) in KEEP else "_", text)
    return text.replace(" ", "")


@functools.cache
def fragments(name: str) -> frozenset[str]:
    """The normalised solution fragments of ``name``.py."""
    found = set()
    for raw in (line for _, block in split_blocks((SOLUTIONS / f"{name}.py").read_text())[1] for line in block):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [line]
        if line.startswith("return "):
            parts.append(line[len("return "):])
        elif re.match(r"^[\w.\[\], ]+\s*[+\-*/]?=\s*", line) and "==" not in line.split("=", 1)[0]:
            parts.append(line.split("=", 1)[1])
        for part in parts:
            balanced = part.count("(") == part.count(")") and part.count("[") == part.count("]")
            if balanced and re.search(r"[(@*/+-]", part) and len(re.sub(r"\s", "", part)) >= MIN_CHARS:
                found.add(normalise(part).rstrip(":"))
    return frozenset(f for f in found if f not in _given())


@functools.cache
def _given() -> str:
    """What every student has, normalised: the five stub files and the contract."""
    return normalise("\n".join(p.read_text() for p in sorted(STUBS.glob("*.py")))
                     + (ROOT / "docs" / "contract.md").read_text())


def leaked(text: str, names=("vae", "cvae", "conv_vae", "pca_ae", "faces")) -> list[str]:
    """The solution fragments of ``names`` that ``text`` contains (normalised), as they read in the reference."""
    flat = normalise(text)
    return sorted(f for name in names for f in fragments(name) if f in flat)
