"""Autograder for the deep generative model assignments.

The submission's code only ever runs in a worker subprocess (``worker.py``);
graded tests run in the parent and reach it through ``gateway.Gateway``.
Graded items live in ``graded/<assignment>/test_*.py`` and carry a
``rubric`` marker (see ``rubric.py``). What each assignment is (file, points,
bonus, manual parts, smoke runs) is its entry in ``course.registry``.
"""
