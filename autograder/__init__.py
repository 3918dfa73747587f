"""Autograder for the deep generative model assignments.

The submission's code only ever runs in a worker subprocess (``worker.py``);
graded tests run in the parent and reach it through ``gateway.Gateway``.
Graded items live in ``graded/<assignment>/test_*.py`` and carry a
``rubric`` marker (see ``rubric.py``).
"""

ASSIGNMENTS = ("vae", "cvae", "conv_vae", "pca_ae", "faces")
