

# --- attack: a 256-unit hidden layer reported as the contract's 512 ------------------------------------------
import autograder.probes as _probes  # noqa: E402

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
