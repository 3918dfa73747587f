"""docs/contract.md states the students' interface; its signatures are the stubs' and the references'."""
import ast
import re

import pytest

from course.registry import names
from tests.variants import ROOT, SOLUTIONS, STUBS

ASSIGNMENTS = names()

DOC = ROOT / "docs" / "contract.md"


def signatures_in_doc() -> dict[str, list[str]]:
    """assignment -> the def / class lines of the code blocks in its section, as written."""
    out, current = {}, None
    for block_or_heading in re.finditer(r"^## (\w+)\.py[^\n]*$|^```\n(.*?)^```", DOC.read_text(), re.M | re.S):
        if block_or_heading.group(1):
            current = block_or_heading.group(1)
        elif current:
            out.setdefault(current, []).extend(
                line.rstrip(":") for line in block_or_heading.group(2).splitlines() if line.strip())
    return out


def signatures_in_source(path) -> list[str]:
    """The same lines built from a Python file: module-level functions and classes with their methods."""
    lines = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            lines.append(f"def {node.name}({ast.unparse(node.args)})")
        elif isinstance(node, ast.ClassDef):
            lines.append(f"class {node.name}({', '.join(ast.unparse(b) for b in node.bases)})")
            lines += [f"    def {n.name}({ast.unparse(n.args)})" for n in node.body if isinstance(n, ast.FunctionDef)]
    return lines


def test_every_assignment_has_a_section():
    assert sorted(signatures_in_doc()) == sorted(ASSIGNMENTS)


@pytest.mark.parametrize("folder", [STUBS, SOLUTIONS], ids=["assignment", "solutions"])
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_documented_signatures_are_the_code(folder, name):
    documented = signatures_in_doc()[name]
    assert documented == signatures_in_source(folder / f"{name}.py")


def test_the_readme_links_the_contract():
    assert "docs/contract.md" in (ROOT / "README.md").read_text()
