"""Fixtures of the cvae.py items: a fresh model, the grader's digit recogniser, the smoke-trained model."""
from __future__ import annotations

import pytest

from autograder.calibration import CVAE_SMOKE


@pytest.fixture
def model(gateway):
    return gateway.new("cvae.CVAE")


@pytest.fixture(scope="session")
def trained(smoke_models):
    """trained() -> (handle, history) of the smoke-trained CVAE."""
    return lambda: smoke_models("cvae.CVAE", "cvae", CVAE_SMOKE, label="training your CVAE (cvae.CVAE)")


@pytest.fixture(scope="session")
def classifier(digits):
    """The grader's digit recogniser (logistic regression on the binarized training digits), fit in the parent."""
    from autograder.evaluate import digit_classifier

    return digit_classifier(digits["x_train"], digits["y_train"])


@pytest.fixture(scope="session")
def metrics(trained, digits):
    """metrics() -> the training figures and test negative ELBO of the trained CVAE (grader's oracles)."""
    from autograder.evaluate import cvae_smoke_metrics

    cache = {}

    def get():
        model, history = trained()
        if id(model) not in cache:
            cache[id(model)] = cvae_smoke_metrics(model, history, digits, CVAE_SMOKE["seed"])
        return cache[id(model)]

    return get


@pytest.fixture(scope="session")
def recognition(trained, classifier):
    """recognition() -> how often the grader's classifier reads the trained CVAE's samples as their label."""
    from autograder.evaluate import label_recognition

    cache = {}

    def get():
        model, _ = trained()
        if id(model) not in cache:
            cache[id(model)] = label_recognition(model, classifier, CVAE_SMOKE["n_per_class"], CVAE_SMOKE["seed"])
        return cache[id(model)]

    return get
