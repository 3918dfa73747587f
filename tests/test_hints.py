"""No hint, title or message hands over a line that solves a TODO (``tests/solution_lines.py``): the grader's own
strings (every literal of its modules, item titles and hints included), and every file of the student release.
The messages of every catalogued bug are checked where they are graded (``tests/variants.assert_bug_caught``)."""
import ast
from pathlib import Path

import pytest

from autograder.distribute import release
from tests.solution_lines import fragments, leaked
from tests.variants import ROOT

# Parent-only modules that compute the answers; their strings are code documentation, never a student message.
ANSWER_MODULES = {"oracles.py", "stand_ins.py", "reference_models.py", "callbacks.py", "specs.py"}


def strings_of(path: Path) -> list[str]:
    """The string literals of a Python file (its messages, hints, titles and docstrings)."""
    return [node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def grader_strings() -> dict[str, list[str]]:
    return {str(path.relative_to(ROOT)): strings_of(path) for path in sorted((ROOT / "autograder").rglob("*.py"))
            if path.name not in ANSWER_MODULES}


def test_the_fragments_are_found_where_they_are():
    """The control: the references hold their own fragments, and a known leaked hint is caught."""
    for name in ("vae", "cvae", "conv_vae", "pca_ae", "faces"):
        assert len(fragments(name)) >= 10
        assert leaked((ROOT / "solutions" / f"{name}.py").read_text(), [name])
    assert leaked("largest first: torch.argsort(var, descending = True, stable=True)[:k].") or \
        leaked("one_hot(labels, n_classes) is F.one_hot(labels, n_classes).float()")


@pytest.mark.parametrize("path, strings", grader_strings().items(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_grader_string_holds_a_solution_line(path, strings):
    found = {s[:120]: leaked(s) for s in strings if leaked(s)}
    assert not found, f"{path}: {found}"


def test_no_released_file_holds_a_solution_line(tmp_path):
    """Every text a student receives: the hand-out's documents and notebooks whole, and the strings of its
    Python files. (The public grader's code computes the same mathematics as the references, as any local
    grader must; its messages and documentation are what must not hand a line over.)"""
    out = release(tmp_path / "handout", notebooks=True)
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".md", ".ipynb", ".txt", ".toml"):
            texts = strings_of(path) if path.suffix == ".py" else [path.read_text(errors="replace")]
            hits = sorted({h for text in texts for h in leaked(text)})
            if hits:
                found[str(path.relative_to(out))] = hits
    assert not found, found
