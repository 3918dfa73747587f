"""course.runs, course.figures and the training CLI: what a run leaves in results/."""
import csv

import pytest
import torch
from PIL import Image

from course import cli, figures
from course.runs import run
from course.train import History

QUIET = {"source": "solutions", "progress": False}


def _png(path, min_side=150):
    """The file is a whole PNG, big enough to read."""
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG" and min(img.size) >= min_side, (path.name, img.size)


def test_vae_run_writes_the_handout_layout(tmp_path):
    result = run("vae", {**QUIET, "type": "vae", "images": 1497 + 1, "out": tmp_path})  # images seen: 2 passes
    out = result.out
    assert out == tmp_path / "AE-arch=vae(512)-lr=0.001-ep=2" and result.data == "the embedded digits"
    assert {p.name for p in out.iterdir()} == {
        "perf_metrics.csv", "loss_curve.png", "reconstruction_1.png", "sample_1.png",
        "manifold_digits.png", "manifold.png", "model.pt"}  # --save-every 10: the last epoch only
    rows = list(csv.reader((out / "perf_metrics.csv").read_text().splitlines()))
    assert rows[0] == ["epoch", "train_loss", "test_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1] and float(rows[2][1]) < float(rows[1][1])
    for png in out.glob("*.png"):
        _png(png)


def test_ae_run_saves_every_k_epochs(tmp_path):
    out = run("vae", {**QUIET, "type": "ae", "epochs": 3, "save_every": 2, "out": tmp_path}).out
    assert out.name == "AE-arch=ae(512)-lr=0.001-ep=3"
    names = {p.name for p in out.glob("*_[0-9]*.png")}
    assert names == {"reconstruction_1.png", "sample_1.png", "reconstruction_2.png", "sample_2.png"}


# each assignment's figures: tests/test_gallery.py (the gallery trains every one through course.runs.run)


def test_faces_run_on_generated_faces(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    result = run("faces", {**QUIET, "epochs": 1, "batch_size": 32, "subset": 64, "out": tmp_path / "results"})
    assert len(result.train[0]) + len(result.test[0]) == 64  # cut by the student's celeba_subset
    assert result.train[0].shape[1:] == (3, 64, 64)
    assert {p.name for p in result.out.glob("*.png")} == {"reconstruction_0.png", "sample_0.png", "loss_curve.png"}
    with Image.open(result.out / "sample_0.png") as img:
        assert img.mode in ("RGB", "RGBA")


def test_stub_exits_1_with_one_line_naming_the_todo(tmp_path, capsys):
    code = cli.main(["train", "vae", "--source", "assignment", "--epochs", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "Traceback" not in err and len(err.splitlines()) == 1
    assert err.startswith("vae.py: TODO A.1 is not implemented yet (") and err.endswith(").")


def test_pca_ae_stub_names_the_file_that_raised(tmp_path):
    (tmp_path / "pca_ae.py").write_text(_solution("pca_ae"))
    (tmp_path / "vae.py").write_text(_stub("vae"))  # pca_ae's run also trains vae.py's autoencoder
    with pytest.raises(NotImplementedError) as info:
        run("pca_ae", {"source": tmp_path, "progress": False, "epochs": 1, "out": tmp_path, "ks": [2]})
    assert cli.todo_message(info.value, "pca_ae.py").startswith("vae.py: TODO A.1 is not implemented yet (")


def _solution(name):
    from course.load import SHORTCUTS

    return (SHORTCUTS["solutions"] / f"{name}.py").read_text()


def _stub(name):
    from course.load import SHORTCUTS

    return (SHORTCUTS["assignment"] / f"{name}.py").read_text()


def test_figure_helpers_write_readable_pngs(tmp_path):
    history = History(list(range(12)), [300 - 5 * i for i in range(12)], [280 - 4 * i for i in range(12)])
    _png(figures.loss_curve(history, tmp_path / "loss_curve.png", "a run"))
    codes, labels = torch.randn(200, 2), torch.arange(200) % 10
    _png(figures.latent_scatter(codes, labels, tmp_path / "scatter.png", "codes"))
    images = torch.rand(100, 784)
    _png(figures.image_grid(images, tmp_path / "grid.png", nrow=10, title="grid",
                            row_labels=[str(d) for d in range(10)], xlabel="x", ylabel="class"))
    _png(figures.histogram_2d(codes[:, 0], codes[:, 1], tmp_path / "hist.png", [3, 7]))
    assert figures.after(0) == "after 1 epoch" and figures.after(99) == "after 100 epochs"
