"""The grader's functions that run for the worker, answered in the parent (parent side).

Some grading needs one of the grader's own functions in the middle of submitted code: a stand-in for
a callee (``Gateway.with_stand_ins``: the grader's ``kl_divergence`` while the submitted
``loss_function`` runs) or a step of the grader's smoke loss (``autograder.smoke``: the noise draw
z = mu + std * eps and the closed-form BCE and KL, around the submitted encode and decode). Those
functions hold answers, so they never run in the worker, where submitted code could call them: the
worker sends a callback frame on its reply pipe and waits for the answer on its request pipe, and the
gateway answers it here while, and only while, the request that offered it is in flight.

    worker -> parent   {"callback": name, "args": [...], "kwargs": {...}, "grad": [positions]}
    parent -> worker   {"answer": True, "value": v, "chains": [...]}
                       {"answer": True, "error": {"kind": "refused" | "raised", "type": ..., "message": ...}}

``grad`` lists the tensors that require grad in the worker, by position or by keyword (the parent binds
keywords to the grader's parameters of the same names). For each of them the answer
holds a chain of factors: the worker's backward multiplies the incoming gradient by them in order and
sums the result to the input's shape, so gradients flow through the grader's function without a
second round trip, also in a later request (conv_vae.py's ``backward`` after ``forward``). A 0-d
value (a loss) gives a one-factor chain, its gradient with respect to that input (autograd here); a
noise step gives the elementwise factors in the order autograd would apply them, so training through
a callback gives the same floats as training with the step computed in place. Noise comes from a
generator seeded with the request's seed, one per request, in call order: what
``torch.manual_seed(seed)`` and ``torch.randn_like`` give a reference that draws nothing else.

A callback the request did not offer is refused, with a message that says grading code cannot be
used from a submission, and the gateway records it for course staff (``Gateway.attempts``).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch

from course.losses import bce_sum, kl_sum

MAX_ELEMENTS = 8 * 1024 * 1024  # tensor elements in one callback's arguments (the largest honest: ~1.6 M)
REFUSED = "grading code cannot be used from a submission"


@dataclass(frozen=True)
class Op:
    """One function the parent computes for the worker.

    ``grads``: "scalar" (``fn`` returns a 0-d tensor; the chain of each input is its gradient),
    "noise" (``fn(*args, eps=...)`` returns (value, (chain of argument 0, chain of argument 1)), eps drawn
    shaped like argument ``noise_like``) or "" (no gradient: the value comes back detached)."""

    fn: Callable
    grads: str = ""
    noise_like: int = 0

    def run(self, args: list, kwargs: dict, wrt: list[int], generator: torch.Generator):
        """(value, one chain or None per position of ``wrt``)."""
        if self.grads == "noise":
            like = args[self.noise_like]
            if not isinstance(like, torch.Tensor):
                raise TypeError(f"expected a tensor as argument {self.noise_like + 1}, got {type(like).__name__}")
            eps = torch.randn(like.shape, generator=generator, dtype=like.dtype)
            with torch.no_grad():
                value, chains = self.fn(*args, eps=eps, **kwargs)
            return value, [list(chains[i]) if i < len(chains) else None for i in wrt]
        if self.grads == "scalar" and wrt:
            args = list(args)
            inputs = {}
            for i in wrt:
                if isinstance(args[i], torch.Tensor) and args[i].is_floating_point():
                    args[i] = inputs[i] = args[i].detach().requires_grad_(True)
            with torch.enable_grad():
                value = self.fn(*args, **kwargs)
                tracked = [i for i in wrt if i in inputs]
                grads = (torch.autograd.grad(value, [inputs[i] for i in tracked], allow_unused=True)
                         if isinstance(value, torch.Tensor) and value.dim() == 0 and value.requires_grad and tracked
                         else [None] * len(tracked))
            by_position = dict(zip(tracked, grads))
            return value, [None if by_position.get(i) is None else [by_position[i]] for i in wrt]
        with torch.no_grad():
            value = self.fn(*args, **kwargs)
        return value, [None] * len(wrt)


def reparameterize(mu, logvar, *, eps):
    """z = mu + exp(0.5 * logvar) * eps, shaped like mu; the chains of (mu, logvar) as autograd would
    apply them: d z / d mu = 1, d z / d logvar = eps * std * 0.5."""
    std = torch.exp(0.5 * logvar)
    return mu + std * eps, ([], [eps, std, 0.5])


def gaussian(mu, sigma, *, eps):
    """z = mu + sigma * eps, eps shaped like sigma; the chains of (mu, sigma): 1 and eps."""
    return mu + sigma * eps, ([], [eps])


def _elbo(p, x, mu, logvar):
    """Summed BCE of ``x`` under pixel means ``p`` plus KL(N(mu, exp(logvar)) || N(0, I)): 0-d."""
    return bce_sum(p, x) + kl_sum(mu, logvar)


def _elbo_sigma(p, x, mu, sigma):
    """As ``_elbo`` with the standard deviation ``sigma`` (conv_vae.py's encoder) in place of logvar."""
    return bce_sum(p, x) + kl_sum(mu, 2 * torch.log(sigma))


# The steps of the grader's smoke loss (course.losses.grader_*) that ``autograder.smoke`` asks for.
SMOKE = {
    "smoke.bce": Op(bce_sum, "scalar"),
    "smoke.reparameterize": Op(reparameterize, "noise", noise_like=0),
    "smoke.elbo": Op(_elbo, "scalar"),
    "smoke.gaussian": Op(gaussian, "noise", noise_like=1),
    "smoke.elbo_sigma": Op(_elbo_sigma, "scalar"),
}


def stand_ins(names) -> dict[str, Op]:
    """The grader's versions of ``names`` (``autograder.stand_ins``, present only where grading runs)."""
    from autograder.stand_ins import STAND_INS

    unknown = [n for n in names if n not in STAND_INS]
    if unknown:
        raise KeyError(f"no stand-in for {', '.join(unknown)}; the grader has {', '.join(STAND_INS)}")
    return {n: STAND_INS[n] for n in names}


def known_names() -> set[str]:
    """Every callback name the grader ever offers (to tell a late call from a made-up one)."""
    try:
        from autograder.stand_ins import STAND_INS
    except ImportError:
        STAND_INS = {}
    return set(SMOKE) | set(STAND_INS)


class Session:
    """The callbacks one request may make (``ops``, by name) and its noise, seeded with the request's seed."""

    def __init__(self, ops: dict[str, Op] | None = None, seed: int = 0, purpose: str = ""):
        self.ops, self.seed, self.purpose = dict(ops or {}), seed, purpose
        self._generator: torch.Generator | None = None
        self.count = 0  # callbacks answered

    @property
    def generator(self) -> torch.Generator:
        if self._generator is None:
            self._generator = torch.Generator().manual_seed(self.seed)
        return self._generator

    def answer(self, frame: dict) -> tuple[dict, str]:
        """(the answer frame, an attempt to record for course staff or "")."""
        name = frame.get("callback")
        op = self.ops.get(name) if isinstance(name, str) else None
        if op is None:
            return _refusal(name)
        args, kwargs, wrt = frame.get("args", []), frame.get("kwargs", {}), frame.get("grad") or []
        problem = _malformed(args, kwargs, wrt)
        if not problem:
            args, kwargs, wrt, problem = _bound(op.fn, args, kwargs, wrt)
        if problem:
            return {"answer": True, "error": {"kind": "raised", "type": "TypeError",
                                              "message": f"the grader's {name}: {problem}"}}, ""
        self.count += 1
        try:
            value, chains = op.run(args, kwargs, wrt, self.generator)
        except Exception as exc:  # noqa: BLE001 - the submission called it with arguments it cannot take
            return {"answer": True, "error": {"kind": "raised", "type": type(exc).__name__,
                                              "message": f"the grader's {name} raised {type(exc).__name__}: "
                                                         f"{str(exc)[:500]}"}}, ""
        return {"answer": True, "value": _detached(value), "chains": chains}, ""


def _refusal(name) -> tuple[dict, str]:
    shown = name if isinstance(name, str) else repr(name)
    shown = shown[:60]
    if isinstance(name, str) and name in known_names():
        what = f"the grader's {shown} answers only during the call it was offered for"
        attempt = f"called the grader's {shown} outside the call it stands in for"
    else:
        what = f"there is no grading function {shown!r} to call"
        attempt = f"sent a call for grading function {shown!r}, which the grader does not offer"
    message = f"{REFUSED}: {what}. Write and call your own functions; course staff see this attempt."
    return {"answer": True, "error": {"kind": "refused", "type": "PermissionError", "message": message}}, attempt


def _malformed(args, kwargs, wrt) -> str:
    """Why a callback's arguments cannot be taken ("" when they can)."""
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        return "arguments must be a list and keywords a dict"
    if not isinstance(wrt, (list, tuple)) or len(set(wrt)) != len(wrt) or not all(
            (isinstance(i, int) and 0 <= i < len(args)) or (isinstance(i, str) and i in kwargs) for i in wrt):
        return "grad must list distinct argument positions or keywords"
    elements = 0

    def count(v):
        nonlocal elements
        if isinstance(v, torch.Tensor):
            elements += v.numel()
        elif isinstance(v, (list, tuple)):
            for o in v:
                count(o)
        elif isinstance(v, dict):
            for o in v.values():
                count(o)

    count(list(args) + list(kwargs.values()))
    if elements > MAX_ELEMENTS:
        return f"arguments of {elements:,} tensor elements (the grader takes at most {MAX_ELEMENTS:,})"
    return ""


def _bound(fn, args, kwargs, wrt):
    """(positional arguments, keyword-only arguments, ``wrt`` as positions, problem) of a call of ``fn``:
    keywords that name ``fn``'s positional parameters become positional, as the call would bind them."""
    signature = inspect.signature(fn)
    try:
        bound = signature.bind_partial(*args, **kwargs)
    except TypeError as exc:
        return args, kwargs, wrt, str(exc)
    names = list(signature.parameters)
    positional, keywords = list(bound.args), dict(bound.kwargs)
    positions = []
    for w in wrt:
        if isinstance(w, str):
            if w not in names or names.index(w) >= len(positional):
                return args, kwargs, wrt, f"no gradient can flow through its argument {w!r}"
            w = names.index(w)
        positions.append(w)
    return positional, keywords, positions, ""


def _detached(value):
    """``value`` with every tensor detached (lists and tuples rebuilt as plain ones)."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, list):
        return [_detached(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_detached(v) for v in value)
    return value
