"""Trusted course code: the embedded digits, the loaders, the trainer, a training run's layout."""
import csv

import pytest
import torch
import torchvision

from course import data, digits
from course.runs import run
from course.tasks import TASKS
from course.train import fit
from tests.variants import ROOT


def test_digits_idx_load_through_torchvision_mnist(tmp_path):
    folder = digits.ensure_digits(tmp_path)
    train = torchvision.datasets.MNIST(root=folder, train=True, download=False)
    test = torchvision.datasets.MNIST(root=folder, train=False, download=False)
    assert train.data.shape == (1497, 28, 28) and test.data.shape == (300, 28, 28)
    assert train.data.dtype == torch.uint8 and set(train.targets.tolist()) == set(range(10))
    assert int(train.data.max()) == 255 and int(train.data[:, :2].max()) == 0  # MNIST-like empty border
    first = {p.name: p.read_bytes() for p in digits.raw_folder(tmp_path).iterdir()}
    again = digits.ensure_digits(tmp_path / "again")
    assert {p.name: p.read_bytes() for p in digits.raw_folder(tmp_path / "again").iterdir()} == first
    assert again.name == "digits"


def test_load_images_shapes():
    x, y = data.load_images("digits", train=False)
    assert x.shape == (300, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == torch.int64


def test_missing_real_set_offline_is_one_clear_sentence(tmp_path, monkeypatch):
    def no_network(self, *args, **kwargs):
        raise RuntimeError("network unreachable")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(data.DataUnavailable) as info:
        data.load_images("mnist", train=True, root=tmp_path)
    message = str(info.value)
    assert "--dataset digits" in message and message.count(".") <= 3 and "\n" not in message


def test_trainer_learns_and_is_reproducible():
    x, y = data.load_images("digits", train=True)
    x = x.flatten(1)[:256]
    y = y[:256]

    def model_and_loss():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 784),
                                    torch.nn.Sigmoid())
        return model, lambda m, xb, yb: torch.nn.functional.binary_cross_entropy(m(xb), xb, reduction="sum")

    runs = [fit(*model_and_loss(), (x, y), (x[:64], y[:64]), epochs=3, batch_size=32, lr=1e-3, seed=1,
                progress=False) for _ in range(2)]
    assert runs[0].train_loss == runs[1].train_loss
    assert runs[0].train_loss[-1] < runs[0].train_loss[0]


def test_vae_run_writes_the_handout_layout(tmp_path):
    out = run("vae", {"type": "ae", "source": "solutions", "epochs": 2, "save_every": 1, "out": tmp_path,
                      "progress": False}).out
    assert out.name == "AE-arch=ae(512)-lr=0.001-ep=2"
    names = {p.name for p in out.iterdir()}
    assert {"perf_metrics.csv", "loss_curve.png", "manifold_digits.png", "manifold.png",
            "reconstruction_0.png", "reconstruction_1.png", "sample_0.png", "sample_1.png"} <= names
    rows = list(csv.reader(open(out / "perf_metrics.csv")))
    assert rows[0] == ["epoch", "train_loss", "test_loss"] and len(rows) == 3
    assert float(rows[2][1]) < float(rows[1][1])


def test_every_assignment_has_a_task():
    assert set(TASKS) == {p.stem for p in (ROOT / "solutions").glob("*.py")}
