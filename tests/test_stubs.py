"""Stubs and references agree outside the TODO blocks; every block has the fixed shape."""
import pytest

from course.registry import names
from tests.variants import SOLUTIONS, STUBS, split_blocks

ASSIGNMENTS = names()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_stub_matches_reference_outside_blocks(name):
    stub_out, stub_blocks = split_blocks((STUBS / f"{name}.py").read_text())
    ref_out, ref_blocks = split_blocks((SOLUTIONS / f"{name}.py").read_text())
    assert stub_out == ref_out
    assert [b[0] for b in stub_blocks] == [b[0] for b in ref_blocks]
    assert stub_blocks, f"{name}.py has no TODO block"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_stub_blocks_only_raise_not_implemented(name):
    _, blocks = split_blocks((STUBS / f"{name}.py").read_text())
    for block_id, lines in blocks:
        body = [line.strip() for line in lines if line.strip()]
        assert len(body) == 1 and body[0].startswith(f'raise NotImplementedError("TODO {block_id}'), (block_id, body)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reference_blocks_are_filled(name):
    _, blocks = split_blocks((SOLUTIONS / f"{name}.py").read_text())
    for block_id, lines in blocks:
        assert not any("NotImplementedError" in line for line in lines), block_id


def test_solutions_hold_exactly_the_registered_files():
    assert sorted(p.name for p in SOLUTIONS.glob("*.py")) == sorted(f"{a}.py" for a in ASSIGNMENTS)
