"""Stubs and references agree outside the TODO blocks; every block has the fixed shape."""
import re

import pytest

from course.registry import names
from tests.variants import SOLUTIONS, STUBS

ASSIGNMENTS = names()

START = re.compile(r"^(\s*)# >>> START OF YOUR CODE \((?P<id>[^)]+)\)\s*$")
END = re.compile(r"^\s*# <<< END OF YOUR CODE \((?P<id>[^)]+)\)\s*$")


def split_blocks(text: str):
    """(outside lines, [(block id, inside lines)]) of a student file."""
    outside, blocks, current = [], [], None
    for line in text.splitlines():
        if current is None:
            outside.append(line)
            m = START.match(line)
            if m:
                current = (m["id"], [])
        else:
            m = END.match(line)
            if m:
                assert m["id"] == current[0], f"block {current[0]} closed as {m['id']}"
                blocks.append(current)
                outside.append(line)
                current = None
            else:
                current[1].append(line)
    assert current is None, f"block {current[0]} is never closed"
    return outside, blocks


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
