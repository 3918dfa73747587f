"""Fixtures of the cvae.py items: a fresh model, the grader's digit recogniser, the smoke-trained model."""
from __future__ import annotations

import pytest

from autograder import specs
from autograder.calibration import CVAE_SMOKE


@pytest.fixture
def model(gateway):
    return gateway.new("cvae.CVAE")


@pytest.fixture
def recognised(gateway):
    """recognised(*sizes, any_hidden=False) -> ``recognition.Match`` of a fresh CVAE(*sizes) against the
    contract's layers with those sizes (784, 10, 256, 40 when none are given; with ``any_hidden``, the hidden
    width the model has)."""
    from autograder.recognition import recognise

    def get(*sizes, any_hidden=False):
        data, classes, hidden, code = sizes or (784, 10, 256, 40)
        sized = {"data": data, "classes": classes, "hidden": hidden, "code": code}
        spec = specs.with_model_hidden(specs.cvae, data + classes, **sized) if any_hidden else specs.cvae(**sized)
        return recognise(gateway, gateway.new("cvae.CVAE", *sizes), spec, specs.cvae_calls(data, classes, code))

    return get


@pytest.fixture(scope="session")
def trained(smoke_models):
    """trained() -> the ``evaluate.SmokeRun`` of the smoke-trained CVAE."""
    return lambda: smoke_models("cvae.CVAE", "cvae", CVAE_SMOKE, label="training your CVAE (cvae.CVAE)",
                                spec=specs.with_model_hidden(specs.cvae, 794, hidden=256),
                                calls=specs.cvae_calls())


@pytest.fixture(scope="session")
def classifier(digits):
    """The grader's digit recogniser (logistic regression on the binarized training digits), fit in the parent."""
    from course.digit_metrics import digit_classifier

    return digit_classifier(digits["x_train"], digits["y_train"])


@pytest.fixture(scope="session")
def metrics(trained, digits):
    """metrics() -> the training figures and test negative ELBO of the trained CVAE (grader's oracles)."""
    from autograder.evaluate import cvae_smoke_metrics

    cache = {}

    def get():
        run = trained()
        if id(run) not in cache:
            cache[id(run)] = cvae_smoke_metrics(run, digits, CVAE_SMOKE["seed"])
        return cache[id(run)]

    return get


@pytest.fixture(scope="session")
def recognition(trained, classifier):
    """recognition() -> how often the grader's classifier reads images the trained CVAE decodes from prior codes
    (the grader's own sampler, on the rebuilt model) as their label."""
    from autograder.evaluate import label_recognition

    cache = {}

    def get():
        run = trained()
        if id(run) not in cache:
            cache[id(run)] = label_recognition(run.after, classifier, CVAE_SMOKE["n_per_class"], CVAE_SMOKE["seed"])
        return cache[id(run)]

    return get
