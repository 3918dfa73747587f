

# --- attack: the trainer replaced by one that reports a falling loss and trains three times as long ----------
import autograder.smoke as _smoke  # noqa: E402

_train = _smoke.train


def _longer(model, assignment, *, epochs, **kwargs):
    _train(model, assignment, epochs=3 * epochs, **kwargs)
    return {"train_loss": [1e9, 0.0], "test_loss": [0.0]}


_smoke.train = _longer
