"""Reading submissions: only the five files, safely, from folders, files and zips."""
import zipfile

import pytest

from autograder.submission import BadSubmission, materialize


def test_folder_takes_only_assignment_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "vae.py").write_text("a = 1\n")
    (src / "conftest.py").write_text("raise SystemExit\n")
    (src / "notes.txt").write_text("hi\n")
    found = materialize(src, tmp_path / "out")
    assert found == ["vae"] and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["vae.py"]


def test_nested_folder_one_level_down(tmp_path):
    (tmp_path / "src" / "inner").mkdir(parents=True)
    (tmp_path / "src" / "inner" / "pca_ae.py").write_text("a = 1\n")
    assert materialize(tmp_path / "src", tmp_path / "out") == ["pca_ae"]


def test_zip_path_traversal_is_ignored(tmp_path):
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil/vae.py", "a = 1\n")
        zf.writestr("deep/x/cvae.py", "b = 2\n")
        zf.writestr("cvae.py", "b = 3\n")
    out = tmp_path / "out"
    assert materialize(archive, out) == ["vae", "cvae"]
    assert (out / "cvae.py").read_text() == "b = 3\n"  # the shallowest copy wins
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("name", ["notes.txt", "helper.py", "missing.zip"])
def test_unusable_paths_raise(tmp_path, name):
    path = tmp_path / name
    if name != "missing.zip":
        path.write_text("x")
    with pytest.raises(BadSubmission):
        materialize(path, tmp_path / "out")


def test_broken_zip(tmp_path):
    (tmp_path / "s.zip").write_bytes(b"not a zip")
    with pytest.raises(BadSubmission, match="zip"):
        materialize(tmp_path / "s.zip", tmp_path / "out")
