"""The gateway and worker: values in and out, every failure mode bounded and named."""
import textwrap
import time

import pytest
import torch

from autograder.errors import SubmissionError
from autograder.gateway import Gateway
from autograder.limits import Limits

CODE = textwrap.dedent('''
    import os, sys, time
    import torch

    def add(a, b):
        return a + b

    def todo():
        raise NotImplementedError("TODO X.1: write me")

    def boom():
        return 1 / 0

    def hang():
        while True:
            pass

    def hang_too():
        time.sleep(1000)

    def hard_exit():
        os._exit(3)

    def soft_exit():
        sys.exit(0)

    def loud():
        print("x" * 1_000_000)
        return 7

    def noise(n):
        return torch.randn(n)

    def pair():
        return {"a": torch.ones(2), "b": (1, "two", None)}

    def scale(x, s):
        return x * s

    class Box(torch.nn.Module):
        def __init__(self, n):
            super().__init__()
            self.lin = torch.nn.Linear(n, 1)

        def forward(self, x):
            return self.lin(x)
''')


@pytest.fixture
def gateway(tmp_path):
    (tmp_path / "vae.py").write_text(CODE)
    with Gateway(tmp_path, Limits(call_timeout=5)) as gw:
        yield gw


def test_values_round_trip(gateway):
    assert torch.equal(gateway.call("vae.add", torch.ones(3), torch.ones(3)), torch.full((3,), 2.0))
    out = gateway.call("vae.pair")
    assert torch.equal(out["a"], torch.ones(2)) and out["b"] == (1, "two", None)


def test_handles_and_methods(gateway):
    box = gateway.new("vae.Box", 4)
    assert box.type_name == "Box"
    assert box(torch.zeros(2, 4)).shape == (2, 1)
    assert gateway.trusted("autograder.probes:parameter_shapes", box) == [(1, 4), (1,)]


def test_seed_per_call(gateway):
    assert torch.equal(gateway.call("vae.noise", 5, seed=3), gateway.call("vae.noise", 5, seed=3))
    assert not torch.equal(gateway.call("vae.noise", 5, seed=3), gateway.call("vae.noise", 5, seed=4))


def test_gradients(gateway):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    out = gateway.call("vae.scale", x, 3.0, grad={"wrt": [0]})
    assert torch.equal(out["grads"][0], torch.full((2,), 3.0, dtype=torch.float64))


@pytest.mark.parametrize("target, kind", [
    ("vae.todo", "not_implemented"), ("vae.boom", "raised"), ("vae.hang", "timeout"),
    ("vae.hard_exit", "crashed"), ("vae.soft_exit", "exit"), ("vae.missing_name", "raised"),
])
def test_failures_are_named_and_the_next_call_works(gateway, target, kind):
    with pytest.raises(SubmissionError) as info:
        gateway.call(target)
    assert info.value.kind == kind
    assert info.value.student_message()
    assert torch.equal(gateway.call("vae.add", torch.ones(1), torch.ones(1)), torch.full((1,), 2.0))


def test_handles_die_with_their_worker(gateway):
    box = gateway.new("vae.Box", 2)
    with pytest.raises(SubmissionError):
        gateway.call("vae.hard_exit")
    with pytest.raises(SubmissionError, match="gone"):
        box(torch.zeros(1, 2))


def test_output_is_captured_and_capped(gateway):
    assert gateway.call("vae.loud") == 7
    text = gateway.output()
    assert len(text) < gateway.limits.output_cap + 200 and "dropped" in text


def test_missing_and_broken_files(tmp_path):
    (tmp_path / "cvae.py").write_text("def f(:\n")
    with Gateway(tmp_path) as gw:
        with pytest.raises(SubmissionError) as info:
            gw.call("vae.f")
        assert info.value.kind == "missing"
        with pytest.raises(SubmissionError) as info:
            gw.call("cvae.f")
        assert info.value.kind == "import" and "SyntaxError" in info.value.student_message()


def test_untrusted_targets_are_refused(gateway):
    with pytest.raises(SubmissionError, match="not trusted"):
        gateway.trusted("os:system", "true")


def test_a_timed_out_function_fails_fast_and_names_the_item(tmp_path):
    (tmp_path / "vae.py").write_text(CODE)
    with Gateway(tmp_path, Limits(call_timeout=2, hang_budget=3, short_timeout=0.5)) as gw:
        gw.current_item = "B.1c"
        with pytest.raises(SubmissionError) as first:
            gw.call("vae.hang")
        assert first.value.kind == "timeout"
        gw.current_item = "B.1d"
        started = time.monotonic()
        with pytest.raises(SubmissionError, match="in item B.1c, so it is not run again"):
            gw.call("vae.hang")
        assert time.monotonic() - started < 0.5, "a known hang must not be waited for again"
        assert torch.equal(gw.call("vae.add", torch.ones(1), torch.ones(1)), torch.full((1,), 2.0))
        gw.hang_spent = 3  # the budget for time-outs is spent: later calls get the short deadline
        started = time.monotonic()
        with pytest.raises(SubmissionError, match="0.5 s"):
            gw.call("vae.hang_too")
        assert time.monotonic() - started < 5


def test_the_worker_reports_its_walls(gateway):
    gateway.call("vae.add", 1, 2)
    assert gateway.layers is not None
    walls = {x for x in gateway.layers if not x.startswith(("uid:", "scratch: "))}
    assert set(gateway.plan.expected()) <= walls <= set(gateway.plan.expected()) | {"cgroup"}
    assert len([x for x in gateway.layers if x.startswith("uid:")]) == 1  # the one user submitted code ran as
    assert len([x for x in gateway.layers if x.startswith("scratch: ")]) == 1  # and the cap on its scratch


def test_replies_are_bounded_and_materialised():
    from autograder import protocol

    view = torch.zeros(1).expand(8, 8)
    out = protocol.check_reply({"a": [view]})
    assert out["a"][0].is_contiguous() and out["a"][0].stride() == (8, 1)
    nested = []
    for _ in range(protocol.MAX_DEPTH + 2):
        nested = [nested]
    for bad, words in ((torch.zeros(1).expand(10**5, 10**5), "elements"), (nested, "nested"),
                       ([0] * (protocol.MAX_VALUES + 1), "values"), ("x" * (protocol.MAX_STRING + 1), "string")):
        with pytest.raises(protocol.ProtocolError, match=words):
            protocol.check_reply(bad)


def test_an_item_that_offers_callbacks_undeclared_is_a_grader_error(tmp_path):
    """Items that offer the grader's functions to submitted code run after the rest (plugin.run_order), which
    only holds if they say so: an undeclared one fails loudly as a grader error, before anything runs."""
    from autograder import protocol

    (tmp_path / "vae.py").write_text(CODE)
    with Gateway(tmp_path, Limits()) as gw:
        gw.current_item, gw.callbacks_declared = "B.1f", False
        with pytest.raises(SubmissionError) as err:
            gw.with_stand_ins(protocol.module_ref("vae"), "add", ["kl_divergence"], 1, 2)
        assert err.value.kind == "harness" and "B.1f" in err.value.message and "'callbacks'" in err.value.message
        assert gw.worker is None  # refused before any worker started
