"""What CVAE_SMOKE's thresholds are calibrated on: the reference CVAE trained with the trusted smoke trainer
(loss "cvae") through the gateway (a copy of cvae.py, as in grading; a fresh worker per seed), judged on the
model rebuilt in the parent by ``evaluate.cvae_smoke_metrics`` (CVAE.2j) and by the grader's classifier
reading decoded prior samples as their label (``evaluate.label_recognition``, CVAE.4e).
``contrasts``: a label bug (the decoder ignoring y) that recognition must fail.

Used by ``python scripts/calibrate.py cvae [--contrasts]``.
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

METRICS = ("train_first", "train_last", "test_loss", "kl", "recognition")
BUGS = {  # label bugs recognition must catch: (old, new) edits of the reference
    "decoder_ignores_label": ("torch.cat([z, y], dim=1)", "torch.cat([z, torch.zeros_like(y)], dim=1)"),
}


def _digits():
    from course.digit_metrics import digit_classifier
    from course.data import load_images

    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    digits = {"x_train": x_train.flatten(1), "y_train": y_train, "x_test": x_test.flatten(1), "y_test": y_test}
    return digits, digit_classifier(digits["x_train"], y_train)


def _measure(folder: Path, settings: dict, seed: int, digits: dict, classifier) -> dict[str, float]:
    from autograder import specs
    from autograder.evaluate import label_recognition
    from autograder.evaluate import cvae_smoke_metrics, smoke_run
    from autograder.gateway import Gateway

    with Gateway(folder) as gateway:  # a fresh worker per seed, as in grading
        run = smoke_run(gateway, "cvae.CVAE", "cvae", {**settings, "seed": seed}, label=f"seed {seed}",
                        spec=specs.cvae(), calls=specs.cvae_calls())
        m = cvae_smoke_metrics(run, digits, seed)
        m["recognition"] = label_recognition(run.after, classifier, settings["n_per_class"], seed)["rate"]
    return {key: float(m[key]) for key in METRICS}


@contextmanager
def measuring(folder: Path, settings: dict):
    """Yields (measure, fixed figures): measure(seed) -> {metric: value} trains ``folder``/cvae.py's CVAE with
    ``settings`` and that seed; the figure: the classifier's accuracy on the binarized test digits."""
    digits, classifier = _digits()
    accuracy = classifier.score(digits["x_test"].round().double().numpy(), digits["y_test"].numpy())
    yield (lambda seed: _measure(folder, settings, seed, digits, classifier)), {"classifier_accuracy": accuracy}


def contrasts(folder: Path, settings: dict) -> dict[str, dict[str, float]]:
    """The metrics, at the graded seed, of each label bug of ``BUGS`` applied to ``folder``/cvae.py."""
    digits, classifier = _digits()
    source = (folder / "cvae.py").read_text()
    out = {}
    for name, (old, new) in BUGS.items():
        assert source.count(old) == 1, name
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "cvae.py").write_text(source.replace(old, new))
            out[name] = _measure(Path(tmp), settings, settings["seed"], digits, classifier)
    return out
