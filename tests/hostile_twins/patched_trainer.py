

# --- attack: the trainer replaced by one that reports a falling loss and trains three times as long ----------
import gc as _gc  # noqa: E402
import types as _types  # noqa: E402


def _held(name):
    """A module of the grader's that the worker holds, found in memory (importing it is refused)."""
    return next(o for o in _gc.get_objects() if isinstance(o, _types.ModuleType) and o.__name__ == name)


_smoke = _held("autograder.smoke")
_train = _smoke.train


def _longer(model, assignment, *, epochs, parent, **kwargs):
    _train(model, assignment, epochs=3 * epochs, parent=parent, **kwargs)
    return {"train_loss": [1e9, 0.0], "test_loss": [0.0]}


_smoke.train = _longer
