"""Trusted course code: data, training loop, figures and the `python -m course` CLI.

Students never edit this package; the autograder never takes it from a submission.
Modules: `digits` (the embedded offline data set), `data` (loading image sets as
tensors), `load` (importing a student or reference file), `device`, `train` (the
trainer), `tasks` (one adapter per assignment), `figures*` (plots), `runs` (a whole
training run), `cli` (argument parsing).
"""
