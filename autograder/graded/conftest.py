"""Fixtures shared by every graded item.

The submission folder comes from ``AUTOGRADER_SUBMISSION`` (the CLI sets it;
plain ``pytest autograder`` grades the checkout's ``assignment/`` folder).
"""
from __future__ import annotations

import os
from pathlib import Path

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, settings

from autograder.errors import SubmissionError
from autograder.gateway import Gateway
from autograder.hidden import Draw, secret_seed
from autograder.limits import Limits
from autograder.plugin import ScoreCollector
from autograder.rubric import assignment_of

# One hypothesis profile for grading: derandomized (same examples every run),
# no example database, no per-example deadline (the gateway has its own), and
# no shrinking: the first failing example is reported as is, which keeps a
# failing item as fast as a passing one.
settings.register_profile(
    "grading", derandomize=True, database=None, deadline=None, max_examples=25, print_blob=False,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
settings.load_profile("grading")

DEFAULT_SUBMISSION = Path(__file__).resolve().parents[2] / "assignment"


def pytest_configure(config):
    config.addinivalue_line("markers", "rubric(id, points, visibility): a graded rubric item")
    config.addinivalue_line("markers", "callbacks: the item calls Gateway.with_stand_ins (plugin.run_order)")
    if not any(isinstance(p, ScoreCollector) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(ScoreCollector(), "autograder-score")


def _collector(config) -> ScoreCollector | None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ScoreCollector):
            return plugin
    return None


@pytest.fixture(scope="session")
def submission_dir() -> Path:
    return Path(os.environ.get("AUTOGRADER_SUBMISSION", DEFAULT_SUBMISSION)).resolve()


@pytest.fixture(scope="session")
def gateway(submission_dir, pytestconfig):
    gw = Gateway(submission_dir, Limits.from_env())
    collector = _collector(pytestconfig)
    if collector is not None:
        collector.add_gateway(gw)
    yield gw
    gw.close()


def pytest_generate_tests(metafunc):
    """An item with held-out points runs twice where a held-out seed exists: on its published inputs, then
    as its hidden twin on inputs drawn from the seed (``autograder.hidden``)."""
    mark = metafunc.definition.get_closest_marker("rubric")
    if mark is None or not mark.kwargs.get("held_out"):
        return
    if "draw" not in metafunc.fixturenames:
        raise TypeError(f"{metafunc.function.__name__} has held-out points but draws no input through the "
                        "'draw' fixture, so its twin would repeat the published inputs")
    runs = ["published", "twin"] if secret_seed() is not None else ["published"]
    metafunc.parametrize("draw", runs, indirect=True)


@pytest.fixture
def draw(request):
    """The item's source of inputs (``hidden.Draw``): published seeds on a public run; seeds derived from
    the held-out seed on a twin or a hidden item. A hypothesis item's examples follow the same rule."""
    mark = request.node.get_closest_marker("rubric")
    held = getattr(request, "param", "published") == "twin" or mark.kwargs.get("visibility") == "hidden"
    source = Draw(mark.kwargs["id"], secret_seed() if held else None)
    if source.held_out and hasattr(request.function, "hypothesis"):  # a @given item: its examples too
        hypothesis.seed(source.seed(0))(request.function)
        request.addfinalizer(lambda: hypothesis.seed(None)(request.function))
    return source


@pytest.fixture(autouse=True)
def _assignment_present(request, submission_dir):
    """Every item of a missing file fails with the word 'missing'."""
    name = assignment_of(request.node.path)
    if not (submission_dir / f"{name}.py").is_file():
        raise SubmissionError("missing", f"{name}.py is missing from the submission")


@pytest.fixture(scope="session")
def digits():
    """The embedded digits set as flat tensors: dict of x_train (N, 784), y_train, x_test, y_test."""
    from course.data import load_images

    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    return {"x_train": x_train.flatten(1), "y_train": y_train, "x_test": x_test.flatten(1), "y_test": y_test}


class SmokeModels:
    """Smoke-trained models (``evaluate.smoke_run``), trained once per worker and reused by every item.

    A worker restart (after a crash elsewhere) drops them; the next item that
    asks retrains, so one failure does not cascade into unrelated items.
    """

    def __init__(self, gateway):
        self.gateway, self.cache = gateway, {}

    def __call__(self, target: str, assignment: str, cfg: dict, *args, label: str, **kwargs):
        """The ``evaluate.SmokeRun`` of ``target(*args, **kwargs)``; keywords as ``evaluate.smoke_run``."""
        from autograder.evaluate import smoke_run

        spec = (target, args, tuple(sorted((k, v) for k, v in kwargs.items()
                                           if k not in ("data", "spec", "calls", "before"))))
        if (spec, self.gateway.generation) not in self.cache:
            run = smoke_run(self.gateway, target, assignment, cfg, *args, label=label, **kwargs)
            self.cache = {k: v for k, v in self.cache.items() if k[1] == self.gateway.generation}
            self.cache[(spec, self.gateway.generation)] = run
        return self.cache[(spec, self.gateway.generation)]


@pytest.fixture(scope="session")
def smoke_models(gateway):
    return SmokeModels(gateway)
