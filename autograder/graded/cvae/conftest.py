"""Fixtures of the cvae.py items: a fresh model, the grader's digit recogniser, the smoke-trained model."""
from __future__ import annotations

import pytest

from autograder.calibration import CVAE_SMOKE


@pytest.fixture
def model(gateway):
    return gateway.new("cvae.CVAE")


class Trained:
    """The smoke-trained CVAE, trained once per worker and reused by every item (retrained after a restart)."""

    def __init__(self, gateway):
        self.gateway, self.cache = gateway, {}

    def __call__(self):
        key = self.gateway.generation
        if key not in self.cache:
            model = self.gateway.new("cvae.CVAE", seed=CVAE_SMOKE["seed"])
            history = self.gateway.trusted(
                "autograder.smoke:train", model, "cvae", epochs=CVAE_SMOKE["epochs"],
                batch_size=CVAE_SMOKE["batch_size"], lr=CVAE_SMOKE["lr"], seed=CVAE_SMOKE["seed"],
                timeout=self.gateway.limits.train_timeout, label="training your CVAE (cvae.CVAE)")
            self.cache = {key: (model, history)}
        return self.cache[key]


@pytest.fixture(scope="session")
def trained(gateway):
    return Trained(gateway)


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
