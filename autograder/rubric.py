"""Rubric items: how a graded test declares its id, points and visibility.

    @item("A.1a", 5)
    def test_layer_shapes(gateway):
        '''Autoencoder layers: shapes and parameter count'''   # the title students see

The assignment is the folder the test lives in (``graded/<assignment>/``).
Parts that need a human reader are listed in ``MANUAL`` and reported as
manual review, with no automatic points.
"""
from __future__ import annotations

import pytest

VISIBILITIES = ("visible", "hidden")

MANUAL = {
    "vae": [
        ("B.1", "Written derivation of the ELBO estimator (eq. 4-5 of the handout)"),
        ("C", "Written answers: what the latent grid code does; AE against VAE latent spaces and samples"),
    ],
    "cvae": [("CVAE", "Written derivation of the conditional ELBO")],
    "conv_vae": [("CONV", "Written answer: why the ELBO is a lower bound on log p(x)")],
    "pca_ae": [("PCA", "Written comparison of PCA and the autoencoder")],
    "faces": [("FACES", "Attached samples and loss curve of a 100-epoch CelebA run")],
}


def item(item_id: str, points: float, *, visibility: str = "visible"):
    """Mark a test as rubric item ``item_id`` worth ``points``."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    return pytest.mark.rubric(id=item_id, points=points, visibility=visibility)


def assignment_of(path) -> str:
    """The assignment a graded test module belongs to: its parent folder's name."""
    from pathlib import Path

    return Path(path).parent.name
