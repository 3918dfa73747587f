"""course.train, course.load, course.device and course.registry: the trainer and what feeds it."""
import csv

import pytest
import torch

from course import registry
from course.data import load_images
from course.device import DeviceUnavailable, pick_device
from course.load import load_module
from course.train import History, fit
from tests.variants import ROOT


@pytest.fixture(scope="module")
def digits_flat():
    """The digits as the MLP models take them: ((x (N, 784), y), (x_test, y_test))."""
    return tuple(registry.get("vae").prepare(*load_images("digits", train=t)) for t in (True, False))


def _vae_fit(train, test, seed, epochs=3):
    vae = load_module("vae", "solutions")
    torch.manual_seed(seed)
    model = vae.Autoencoder("vae")
    return fit(model, registry.get("vae").loss(vae), train, test, epochs=epochs, batch_size=128, lr=1e-3,
               seed=seed, progress=False)


def test_vae_loss_falls_on_digits_and_is_reproducible(digits_flat):
    first, again, other = (_vae_fit(*digits_flat, seed) for seed in (0, 0, 1))
    assert first.epoch == [0, 1, 2]
    assert first.train_loss[-1] < 0.75 * first.train_loss[0] and first.test_loss[-1] < first.test_loss[0]
    assert 100 < first.test_loss[-1] < 400  # nats per image, not per batch nor per pixel
    assert (first.train_loss, first.test_loss) == (again.train_loss, again.test_loss)
    assert first.train_loss != other.train_loss


class Probe(torch.nn.Module):
    """Records what the trainer hands the loss: labels seen, train/eval mode, grad mode."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))
        self.calls = []

    def loss(self, model, x, y):
        self.calls.append((y.clone(), model.training, torch.is_grad_enabled()))
        return model.w * 0 + x.shape[0] * 2.0  # 2 nats per image, summed over the batch


def test_batches_cover_a_fresh_permutation_and_losses_are_per_image():
    n, batch = 100, 32  # a short last batch of 4
    x, y = torch.zeros(n, 3), torch.arange(n)
    probe = Probe()
    seen = []
    history = fit(probe, probe.loss, (x, y), (x[:10], y[:10]), epochs=2, batch_size=batch, lr=1e-3,
                  progress=False, on_epoch=lambda e, h: seen.append((e, len(h.train_loss))))
    assert seen == [(0, 1), (1, 2)]
    assert history.train_loss == [2.0, 2.0] and history.test_loss == [2.0, 2.0]
    train_calls = [c for c in probe.calls if c[1]]
    assert all(grad for _, _, grad in train_calls) and len(train_calls) == 2 * 4
    epochs = [torch.cat([c[0] for c in train_calls[:4]]), torch.cat([c[0] for c in train_calls[4:]])]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(n))
    assert not torch.equal(epochs[0], epochs[1]) and not torch.equal(epochs[0], y)
    test_calls = [c for c in probe.calls if not c[1]]
    assert test_calls and not any(grad for _, _, grad in test_calls)  # eval mode, no grad
    assert probe.training  # back in train mode after each evaluation


def test_history_csv(tmp_path):
    history = History([0, 1], [200.5, 180.25], [190.0, 175.125])
    path = history.to_csv(tmp_path / "perf_metrics.csv")
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "train_loss", "test_loss"]
    assert [[int(r[0]), float(r[1]), float(r[2])] for r in rows[1:]] == [[0, 200.5, 190.0], [1, 180.25, 175.125]]


def test_progress_bar_off_is_silent(capsys):
    probe = Probe()
    fit(probe, probe.loss, (torch.zeros(8, 1), torch.arange(8)), (torch.zeros(2, 1), torch.arange(2)),
        epochs=1, batch_size=4, lr=1e-3, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_load_module_shortcuts_and_unique_modules(tmp_path):
    a, b = load_module("vae", "solutions"), load_module("vae", ROOT / "solutions")
    assert a.__file__ == b.__file__ == str(ROOT / "solutions" / "vae.py")
    stub = load_module("vae")  # default: the assignment folder
    assert stub.__file__ == str(ROOT / "assignment" / "vae.py") and stub.__name__ != a.__name__
    (tmp_path / "vae.py").write_text("ANSWER = 42\n")
    assert load_module("vae", tmp_path).ANSWER == 42
    with pytest.raises(FileNotFoundError, match="cvae.py"):
        load_module("cvae", tmp_path)


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceUnavailable, match="--device cpu"):
            pick_device("cuda")


def test_every_assignment_has_an_entry_with_the_handout_settings():
    assert set(registry.names()) == {p.stem for p in (ROOT / "solutions").glob("*.py")}
    vae = registry.get("vae")
    assert (vae.lr, vae.batch_size, vae.epochs) == (1e-3, 128, 100)
    assert vae.folder_name({"type": "vae", "lr": 1e-3, "epochs": 100}) == "AE-arch=vae(512)-lr=0.001-ep=100"
    assert (registry.get("cvae").batch_size, registry.get("conv_vae").epochs) == (64, 20)
    with pytest.raises(ValueError, match="vae"):
        registry.get("gan")


def test_schedules_count_images_seen():
    """An epoch of the registry is one of the real data set: the same images seen on the embedded digits."""
    from course.runs import passes

    vae, faces = registry.get("vae"), registry.get("faces")
    assert vae.images(vae.epochs) == 100 * 60_000 and passes(vae.images(vae.epochs), 60_000) == vae.epochs
    assert passes(vae.images(2.5), 1497) == 101  # 150,000 images: 101 passes over the embedded digits
    assert faces.images(0.6) == 30_000 and passes(faces.images(0.6), 461) == 66 and passes(1, 1497) == 1
    assert all("epochs" in spec.quick and spec.images(spec.quick["epochs"]) < spec.images(spec.epochs)
               for spec in registry.ASSIGNMENTS)
