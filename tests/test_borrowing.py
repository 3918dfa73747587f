"""Submitted code cannot borrow the grader's answers: none is in the worker's process.

The grader's functions that grading runs in the middle of submitted code (the stand-ins of
``Gateway.with_stand_ins``, the noise step and closed forms of the smoke loss) are computed by the
parent (``autograder/callbacks.py``), which answers the worker's callbacks only during the request that
offered them; the worker imports only its own modules and refuses, by name, every later import of the
grader's packages. Each refusal is recorded in ``Gateway.attempts`` for course staff.

The borrowing twins below are honest bugs with an attempt to borrow the grader's answer appended; each
must score no more than its honest bug.
"""
from __future__ import annotations

import contextlib
import importlib.util
import textwrap
from pathlib import Path

import pytest
import torch

from autograder.errors import SubmissionError
from autograder.gateway import Gateway
from autograder.limits import Limits
from tests.variants import SOLUTIONS, grade_one, lost_items, messages

# Modules that hold answers, thresholds or the graded items: never in the worker (prefixes match submodules).
FORBIDDEN = ("autograder.stand_ins", "autograder.callbacks", "autograder.oracles", "autograder.specs",
             "autograder.reference_models", "autograder.calibration", "autograder.graded", "course.losses",
             "course.registry", "course.lessons", "course.data")
# Everything of the grader's packages the worker holds (the files isolation.WORKER_MODULES must leave readable).
WORKER_MODULES = {"autograder", "autograder.worker", "autograder.protocol", "autograder.kernel",
                  "autograder.sandbox", "autograder.probes", "autograder.smoke",
                  "course", "course.train", "course.device"}
REFUSED = "grading code cannot be used from a submission"

LISTER = '''

def _loaded_modules():
    """Every module this process holds: sys.modules, and every module and module namespace the garbage
    collector reaches."""
    import gc
    import sys
    import types

    objects = gc.get_objects()
    modules = {m.__name__ for m in objects if isinstance(m, types.ModuleType)}
    namespaces = {d["__name__"] for d in objects  # a module's globals outlive it in its functions
                  if isinstance(d, dict) and "__spec__" in d and isinstance(d.get("__name__"), str)}
    return sorted(set(sys.modules) | modules | namespaces)
'''


def grading_modules(names) -> set[str]:
    return {n for n in names if n.split(".", 1)[0] in ("autograder", "course")}


def forbidden_in(names) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))


@contextlib.contextmanager
def watched_gateways(module: str | None = None):
    """Yields a list that gets, for every gateway closed meanwhile, {"attempts": [...], "modules": [...] or
    None}; with ``module``, the modules its worker held at the end (``<module>._loaded_modules``)."""
    seen, close = [], Gateway.close

    def watching_close(self):
        modules = None
        if module and self.worker is not None and not self.worker.exited():
            try:
                modules = self.call(f"{module}._loaded_modules")
            except SubmissionError:
                modules = None
        seen.append({"attempts": list(self.attempts), "modules": modules,
                     "assignment": Path(self.submission_dir).name})
        close(self)

    Gateway.close = watching_close
    try:
        yield seen
    finally:
        Gateway.close = close


@pytest.fixture
def folder(tmp_path):
    tmp_path.chmod(0o755)
    return tmp_path


# -- what the worker holds -------------------------------------------------------------------------


def test_the_worker_imports_no_answer(folder):
    """After start-up the worker holds its own modules only: none with an answer, threshold or graded item."""
    (folder / "vae.py").write_text(LISTER)
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        names = gateway.call("vae._loaded_modules")
    assert not forbidden_in(names), f"expected no answer module in the worker, got {forbidden_in(names)}"
    assert {"autograder.worker", "autograder.probes", "autograder.smoke"} <= grading_modules(names), (
        f"the listing misses the worker's own modules: {sorted(grading_modules(names))}")
    assert grading_modules(names) <= WORKER_MODULES, (
        f"the grader's modules in the worker: expected some of {sorted(WORKER_MODULES)}, got also "
        f"{sorted(grading_modules(names) - WORKER_MODULES)}. A new one must be worker-side code with no answer "
        "in it, and be named in isolation.WORKER_MODULES and here.")


BORROWER = textwrap.dedent('''
    import torch


    def borrow(name):
        import importlib

        try:
            importlib.import_module(name).anything(1)
        except Exception as exc:  # noqa: BLE001 - the refusal
            return str(exc)
        return "used"


    def from_import():
        from course.losses import kl_sum

        return kl_sum(torch.zeros(1), torch.zeros(1))


    def steal(name, *args):
        """The worker's line to the parent, found in memory, asked for a grader's function."""
        import gc

        parent = next(o for o in gc.get_objects() if type(o).__name__ == "Parent" and hasattr(o, "function"))
        return parent.function(name)(*args)
''')


@pytest.mark.parametrize("name", ["course.losses", "course.registry", "autograder.stand_ins", "autograder.oracles",
                                  "autograder.probes", "autograder.smoke", "course.train", "autograder"])
def test_importing_grading_code_is_refused_and_recorded(folder, name):
    """Also the worker's own modules, which it loaded before the audit hook went up."""
    (folder / "vae.py").write_text(BORROWER)
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        message = gateway.call("vae.borrow", name)
        package = name.split(".")[0]
        assert REFUSED in message and f"use of {name}.anything" in message, (
            f"import of {name}: expected a refusal naming {name}, got {message!r}")
        assert any(f"import of {package}" in a for a in gateway.attempts), gateway.attempts
        with pytest.raises(SubmissionError, match=REFUSED):
            gateway.call("vae.from_import")


def test_a_file_that_imports_grading_code_loses_only_what_uses_it(folder):
    """A notebook's kept import (``from course.data import ...`` for its training cells) costs nothing; the
    function that is the grader's own refuses when called, naming it."""
    (folder / "vae.py").write_text("from course.losses import kl_sum as kl_divergence\nimport course.data\n\n"
                                   "def add(a, b):\n    return a + b\n")
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        assert gateway.call("vae.add", 1, 2) == 3
        with pytest.raises(SubmissionError) as info:
            gateway.call("vae.kl_divergence", torch.zeros(2, 2), torch.zeros(2, 2))
        assert info.value.kind == "raised" and REFUSED in info.value.message, info.value.student_message()
        assert "course.losses.kl_sum" in info.value.message
        assert gateway.attempts and "import of course" in gateway.attempts[0], gateway.attempts


def test_callbacks_outside_their_request_are_refused_and_recorded(folder):
    (folder / "vae.py").write_text(BORROWER)
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        for name in ("kl_divergence", "smoke.elbo", "oracles.gaussian_kl"):
            with pytest.raises(SubmissionError, match=REFUSED) as info:
                gateway.call("vae.steal", name, torch.zeros(2, 2), torch.zeros(2, 2))
            assert info.value.exc_type == "GradingCodeRefused", info.value.student_message()
        assert any("kl_divergence outside the call it stands in for" in a for a in gateway.attempts), gateway.attempts
        assert any("'oracles.gaussian_kl', which the grader does not offer" in a for a in gateway.attempts)


STANDS_IN = textwrap.dedent('''
    import torch


    def kl_divergence(mu, logvar):
        return torch.tensor(-1.0)


    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 3)

        def reparameterize(self, mu, logvar):
            return mu

        def forward(self, x, logvar):
            mu = self.lin(x)
            z = self.reparameterize(mu, logvar)
            self.loss = kl_divergence(z, logvar) + kl_divergence(mu=mu, logvar=logvar)  # keywords too
            return mu, z, self.loss

        def backward(self):
            self.loss.backward()
''')


def test_stand_ins_answer_in_the_parent_for_one_call_only(folder):
    """The grader's reparameterize and kl_divergence stand in for one request: their values are the parent's
    (noise from the request's seed), gradients flow through them in a later request, and afterwards the
    submission's own functions are back."""
    from course.losses import kl_sum

    (folder / "vae.py").write_text(STANDS_IN)
    x, logvar = torch.randn(500, 3, generator=torch.Generator().manual_seed(1)), torch.full((500, 3), -0.5)
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        model = gateway.new("vae.Model")
        mu, z, loss = gateway.with_stand_ins(model, "forward", ["reparameterize", "kl_divergence"], x, logvar,
                                             seed=3)
        eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
        torch.testing.assert_close(z, mu + torch.exp(0.5 * logvar) * eps, rtol=0, atol=0)
        torch.testing.assert_close(loss, kl_sum(z, logvar) + kl_sum(mu, logvar))
        model.backward()  # a later request: the stand-ins' gradients came with their values
        assert gateway.trusted("autograder.probes:param_grads", model) == [True, True]
        _, z_own, loss_own = model(x, logvar)
        assert float(loss_own) == -2.0 and torch.equal(z_own, mu), "the submission's own functions are back"
        assert gateway.attempts == []


def test_stand_in_gradients_equal_autograd_in_place(folder):
    """Gradients through the stand-ins are the ones autograd gives with the grader's functions in the process."""
    from course.losses import kl_sum

    (folder / "vae.py").write_text(STANDS_IN + textwrap.indent(textwrap.dedent('''

        def grads(self, x, logvar):
            self(x, logvar)
            self.backward()
            return [p.grad for p in self.parameters()], [p.detach() for p in self.parameters()]
    '''), "    "))
    x, logvar = torch.randn(7, 3, generator=torch.Generator().manual_seed(2)), torch.randn(7, 3)
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        model = gateway.new("vae.Model")
        got, (w, b) = gateway.with_stand_ins(model, "grads", ["reparameterize", "kl_divergence"], x, logvar, seed=5)
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    mu = x @ w.T + b
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
    z = mu + torch.exp(0.5 * logvar) * eps
    (kl_sum(z, logvar) + kl_sum(mu, logvar)).backward()
    torch.testing.assert_close(got[0], w.grad)
    torch.testing.assert_close(got[1], b.grad)


# -- the smoke loss, composed in the worker, computed in part by the parent --------------------------


class _InProcess:
    """``protocol`` for a worker ``Parent`` in this process: each callback frame goes through the wire format
    and is answered at once by a ``callbacks.Session``, as the gateway answers it."""

    def __init__(self, session):
        self.session, self.pending = session, None

    def write_frame(self, fd, frame):
        from autograder import protocol

        frame = protocol.check_reply(protocol.decode(protocol.encode(frame)[protocol.HEADER.size:]))
        answer, attempt = self.session.answer(frame)
        assert not attempt, attempt
        self.pending = protocol.decode(protocol.encode(answer)[protocol.HEADER.size:])

    def read_frame(self, fd):
        return self.pending


def _reference(name: str):
    spec = importlib.util.spec_from_file_location(f"reference_{name}", SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("assignment, build, n", [
    ("vae", lambda m: m.Autoencoder("ae"), 256), ("vae", lambda m: m.Autoencoder("vae"), 256),
    ("cvae", lambda m: m.CVAE(), 256), ("conv_vae", lambda m: m.VAE(4, 8, 4, 3), 96),
    ("faces", lambda m: m.FaceVAE(128), 16),
])
def test_smoke_training_trains_as_the_grader_loss_in_place(assignment, build, n):
    """The smoke loss as the worker composes it (autograder.smoke), its noise step and BCE and KL answered by
    the parent, trains a reference to the same floats as the grader's loss computed in one process
    (course.losses.grader_*, the registry entry's grader_loss), seed for seed."""
    from autograder import callbacks, smoke
    from autograder.evaluate import smoke_data
    from autograder.worker import Parent
    from course import registry
    from course.train import fit

    module = _reference(assignment)
    if assignment == "faces":
        g = torch.Generator().manual_seed(0)
        data = tuple(((torch.rand(n, 3, 64, 64, generator=g) > 0.5).float(), torch.zeros(n, dtype=torch.long))
                     for _ in range(2))
    else:
        data = smoke_data(assignment)
        data = tuple((x[:n], y[:n]) for x, y in data)
    raw = tuple((x, y.argmax(1) if y.dim() == 2 else y) for x, y in data)  # the grader's loss one-hots itself
    settings = {"epochs": 2, "batch_size": 32 if assignment != "faces" else 8, "lr": 2e-3}
    seed = 7

    torch.manual_seed(seed)
    in_place = build(module)
    expected = fit(in_place, registry.get(assignment).grader_loss, *raw, seed=seed, device="cpu", progress=False,
                   **settings)

    torch.manual_seed(seed)
    composed = build(module)
    parent = Parent(torch, _InProcess(callbacks.Session(callbacks.SMOKE, seed)), -1, -1)
    torch.manual_seed(seed)  # what the worker does before every request
    got = smoke.train(composed, assignment, data=data, parent=parent, **settings)

    assert got == {"train_loss": expected.train_loss, "test_loss": expected.test_loss}, (
        f"{assignment}: per-epoch losses expected {expected.train_loss} / {expected.test_loss}, got {got}")
    for (name, a), b in zip(in_place.named_parameters(), composed.parameters()):
        assert torch.equal(a, b), f"{assignment}: parameter {name} differs by {float((a - b).abs().max()):.3g}"


# -- borrowing twins: no more than the honest bug -------------------------------------------------------


def _variant(name: str, assignment: str):
    from tests.catalogues import pca_ae, vae

    return next(b for b in {"vae": vae, "pca_ae": pca_ae}[assignment].BUGS if b.name == name)


KL_BORROWING = '''

# --- attempt: the grader's closed-form KL instead of the buggy one ------------------------------------
_buggy_kl = kl_divergence


def kl_divergence(mu, logvar):
    try:
        from course.losses import kl_sum
    except Exception:  # noqa: BLE001 - refused
        return _buggy_kl(mu, logvar)
    return kl_sum(mu, logvar)
'''

KL_PROXY_THEFT = '''

# --- attempt: the grader's kl_divergence proxy, kept from a stand-in call or found in memory ------------
_buggy_kl, _stolen = kl_divergence, []
_loss_function = Autoencoder.loss_function


def _keeping_loss_function(self, *args):
    if kl_divergence is not _buggy_kl:  # the stand-in's proxy stands here during the grader's call
        _stolen.append(kl_divergence)
    return _loss_function(self, *args)


Autoencoder.loss_function = _keeping_loss_function


def kl_divergence(mu, logvar):
    import gc

    proxies = list(_stolen) + [o.function("kl_divergence") for o in gc.get_objects()
                               if type(o).__name__ == "Parent" and hasattr(o, "function")]
    for proxy in proxies:
        try:
            return proxy(mu, logvar)
        except Exception:  # noqa: BLE001 - refused
            pass
    return _buggy_kl(mu, logvar)
'''

PCA_BORROWING = '''

# --- attempt: the grader's own pca_fit (its stand-in), imported, kept from the curve's call, found in memory --
_buggy_fit, _stolen = pca_fit, []
_curve = pca_error_curve


def pca_error_curve(x, dims):
    if pca_fit is not _buggy_fit:
        _stolen.append(pca_fit)
    return _curve(x, dims)


def pca_fit(x, n_components):
    import gc

    try:
        from autograder.stand_ins import _pca_fit
        return _pca_fit(x, n_components)
    except Exception:  # noqa: BLE001 - refused
        pass
    proxies = list(_stolen) + [o.function("pca_fit") for o in gc.get_objects()
                               if type(o).__name__ == "Parent" and hasattr(o, "function")]
    for proxy in proxies:
        try:
            return proxy(x, n_components)
        except Exception:  # noqa: BLE001 - refused
            pass
    return _buggy_fit(x, n_components)
'''

TWINS = {  # twin -> (honest bug, assignment, appended attempt, what course staff must see)
    "kl_from_course_losses": ("kl_missing_half", "vae", KL_BORROWING, "import of course"),
    "kl_proxy_kept": ("kl_missing_half", "vae", KL_PROXY_THEFT, "called the grader's kl_divergence outside"),
    "pca_fit_borrowed": ("biased_variance", "pca_ae", PCA_BORROWING, "called the grader's pca_fit outside"),
}


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_borrowing_twin_earns_nothing(twin, tmp_path):
    bug_name, assignment, attempt, staff_see = TWINS[twin]
    bug = _variant(bug_name, assignment)
    honest = grade_one(bug.write(tmp_path / "honest"), assignment, bug.name)
    twin_dir = tmp_path / "twin"
    twin_dir.mkdir()
    (twin_dir / f"{assignment}.py").write_text(bug.source() + attempt)
    with watched_gateways() as seen:
        report = grade_one(twin_dir, assignment, twin)
    assert not report.of("harness"), messages(report, "harness")
    assert report.score <= honest.score, (
        f"{twin}: expected at most the honest bug's {honest.score}, got {report.score}; items won back: "
        f"{sorted(lost_items(honest, assignment) - lost_items(report, assignment))}")
    assert bug.lose <= lost_items(report, assignment), messages(report, assignment)
    attempts = [a for g in seen for a in g["attempts"]]
    assert any(staff_see in a for a in attempts), (
        f"{twin}: expected an attempt saying {staff_see!r} for course staff, got {attempts}")


def test_references_keep_full_marks_and_the_worker_never_holds_an_answer(tmp_path):
    """The reference solutions, each with a function that lists its worker's modules appended, keep every
    point; after each assignment's full grading its worker holds no answer module, and nothing was refused."""
    from course import registry

    (tmp_path / "sub").mkdir()
    for name in registry.names():
        (tmp_path / "sub" / f"{name}.py").write_text((SOLUTIONS / f"{name}.py").read_text() + LISTER)
    seen = []
    for name in registry.names():
        with watched_gateways(name) as one:
            report = grade_one(tmp_path / "sub", name, f"reference {name}")
        entry = registry.get(name)
        assert report.score == entry.points, messages(report, name)
        assert not report.of("harness"), messages(report, "harness")
        seen += [(name, g) for g in one]
    assert seen, "no gateway was closed"
    for name, g in seen:
        assert g["attempts"] == [], f"{name}: the reference was recorded as borrowing: {g['attempts']}"
        assert g["modules"] is not None, f"{name}: the worker's module list could not be read"
        assert not forbidden_in(g["modules"]), f"{name}: expected no answer module, got {forbidden_in(g['modules'])}"
        assert grading_modules(g["modules"]) <= WORKER_MODULES, sorted(grading_modules(g["modules"]) - WORKER_MODULES)


def test_reading_or_loading_grading_code_by_path_is_refused(folder):
    """Without the import system's names: the source of a worker module, opened or loaded from its file."""
    (folder / "vae.py").write_text(textwrap.dedent('''
        def load(path):
            import importlib.util

            try:
                spec = importlib.util.spec_from_file_location("borrowed", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            except Exception as exc:  # noqa: BLE001 - the refusal
                return str(exc)
            return "loaded"


        def read(path):
            try:
                with open(path) as fh:
                    return fh.read()[:20]
            except Exception as exc:  # noqa: BLE001 - the refusal
                return str(exc)
    '''))
    smoke = str(Path(__file__).resolve().parent.parent / "autograder" / "smoke.py")
    with Gateway(folder, Limits(call_timeout=30)) as gateway:
        for how in ("load", "read"):
            message = gateway.call(f"vae.{how}", smoke)
            assert REFUSED in message, f"{how} {smoke}: expected a refusal, got {message!r}"
        assert any("reading" in a and "smoke.py" in a for a in gateway.attempts), gateway.attempts


def test_flagged_attempts_reach_course_staff_only():
    """What the gateways recorded ends up in the report: a line of the text report, and in results.json a
    hidden (staff-only) test and extra_data, never a visible field."""
    from autograder.report import ItemResult, Report, render_text, to_gradescope
    from tests.test_cli import validate_gradescope

    flag = "vae.py: B.1d (vae.kl_divergence): import of course.losses"
    report = Report(items=[ItemResult("vae", "B.1d", "KL", 3, 0, "refused")], assignments=["vae"], flags=[flag])
    assert flag in " ".join(render_text(report).split())  # wrapped to the report's width
    data = to_gradescope(report)
    validate_gradescope(data)
    assert data["extra_data"]["flags"] == [flag]
    shown = [t for t in data["tests"] if flag in t.get("output", "")]
    assert [t["visibility"] for t in shown] == ["hidden"] and flag not in data["output"]
