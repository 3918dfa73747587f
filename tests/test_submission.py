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


@pytest.mark.parametrize("kind", ["symlink", "fifo", "symlinked_folder"])
def test_links_and_special_files_are_refused_not_followed(tmp_path, kind):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    src = tmp_path / "src"
    src.mkdir()
    if kind == "symlink":
        (src / "vae.py").symlink_to(secret)
    elif kind == "fifo":
        import os

        os.mkfifo(src / "vae.py")
    else:
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "vae.py").write_text("SECRET = 1\n")
        (src / "inner").symlink_to(tmp_path / "elsewhere")
    if kind == "symlinked_folder":
        assert materialize(src, tmp_path / "out") == []  # the linked folder is not looked into
    else:
        with pytest.raises(BadSubmission, match="symbolic link|not a regular file"):
            materialize(src, tmp_path / "out")
        with pytest.raises(BadSubmission, match="symbolic link|not a regular file"):
            materialize(src / "vae.py", tmp_path / "out2")
    assert "SECRET" not in "".join(p.read_text() for p in (tmp_path / "out").glob("*.py"))


def test_zipped_symlink_is_refused(tmp_path):
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("vae.py")
        info.external_attr = (0o120777 << 16)  # a symbolic link entry
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(BadSubmission, match="symbolic link"):
        materialize(archive, tmp_path / "out")
