

# --- attack: a 256-unit hidden layer reported as the contract's 512 ------------------------------------------
import gc as _gc  # noqa: E402
import types as _types  # noqa: E402


def _held(name):
    """A module of the grader's that the worker holds, found in memory (importing it is refused)."""
    return next(o for o in _gc.get_objects() if isinstance(o, _types.ModuleType) and o.__name__ == name)


_probes = _held("autograder.probes")

_WIDE = {256: 512}


def _widen(shape):
    return tuple(_WIDE.get(n, n) for n in shape)


def _fake_shapes(model):
    return [_widen(tuple(p.shape)) for p in model.parameters()]


def _fake_load(model, tensors):
    with torch.no_grad():
        for p, t in zip(model.parameters(), tensors):
            p.copy_(t[tuple(slice(0, n) for n in p.shape)])
    return len(tensors)


def _fake_describe(model):
    return {"n_params": 807_700, "linear": [(784, 512), (512, 2), (512, 2), (2, 512), (512, 784)], "conv": [],
            "is_module": True}


_probes.parameter_shapes, _probes.load_parameters, _probes.describe = _fake_shapes, _fake_load, _fake_describe
