"""Fixtures of the faces.py items: fresh models, the generated faces, the smoke-trained FaceVAE."""
from __future__ import annotations

import pytest

from autograder.calibration import FACES_SMOKE


@pytest.fixture
def model(gateway):
    return gateway.new("faces.FaceVAE")


@pytest.fixture
def loss_owner(gateway):
    """A default FaceVAE() when it builds; else a bare FaceVAE instance (no layers), so loss_function
    is graded on its own even when __init__ is not written yet."""
    return gateway.new_or_bare("faces.FaceVAE")


@pytest.fixture(scope="session")
def face_data():
    """((x_train, y), (x_test, y)): generated 64 x 64 faces, x (N, 3, 64, 64) with pixels in {0, 1}."""
    from autograder.faces_smoke import faces_smoke_data

    return faces_smoke_data(FACES_SMOKE["n_train"], FACES_SMOKE["n_test"], FACES_SMOKE["data_seed"])


@pytest.fixture(scope="session")
def trained(smoke_models, face_data):
    """trained() -> the ``evaluate.SmokeRun`` of the smoke-trained FaceVAE on the generated faces; ``first`` is
    the loss on the first training faces before training (FaceVAE's architecture is free: no rebuild)."""
    from autograder.faces_smoke import FACES_PROBE, faces_terms

    def before(model):
        return faces_terms(smoke_models.gateway, model, face_data[0][0][:FACES_PROBE], FACES_SMOKE["seed"])["loss"]

    return lambda: smoke_models("faces.FaceVAE", "faces", FACES_SMOKE, data=face_data, before=before,
                                label="training your FaceVAE (faces.FaceVAE)")


@pytest.fixture(scope="session")
def smoke_metrics(gateway, trained, face_data):
    """The smoke metrics of the trained FaceVAE on the generated test faces (autograder.evaluate)."""
    from autograder.faces_smoke import faces_smoke_metrics

    return faces_smoke_metrics(gateway, trained(), face_data[0][0], face_data[1][0], seed=FACES_SMOKE["seed"])
