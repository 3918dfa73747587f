"""Trusted course code: data, training loop, figures and the `python -m course` CLI.

Students never edit this package; the autograder never takes it from a submission.
Modules: `digits` (the embedded offline data set), `data` (loading image sets as
tensors), `faces_data` (CelebA, a folder of faces, or generated fakes), `load`
(importing a student or reference file), `device`, `train` (the trainer), `registry` (one
entry per assignment: what it is, how it trains, what it draws), `losses` (the student's and
the grader's losses), `run_hooks` (each assignment's data, figures and own runs), `figures`
(plots), `runs` (a whole training run), `gallery`
and `likelihood` (every reference model's figures and numbers), `cli` (argument parsing).
"""
