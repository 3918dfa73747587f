"""course.digits, course.data and course.faces_data: the data every run and the grader train on."""
import struct

import pytest
import torch
import torchvision
from torchvision.datasets.mnist import read_image_file, read_label_file

from course import cli, data, digits, faces_data

RAW_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


@pytest.fixture(scope="module")
def digits_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    digits.ensure_digits(root)
    return root


def test_digits_idx_files_load_through_torchvision_mnist(digits_root):
    folder = digits.raw_folder(digits_root)
    assert sorted(p.name for p in folder.iterdir()) == sorted(RAW_NAMES)  # uncompressed, MNIST's names
    train = torchvision.datasets.MNIST(root=digits_root / "digits", train=True, download=False)
    test = torchvision.datasets.MNIST(root=digits_root / "digits", train=False, download=False)
    assert train._check_exists() and test._check_exists()
    assert train.data.shape == (1497, 28, 28) and test.data.shape == (300, 28, 28)
    assert train.data.dtype == torch.uint8 and train.targets.dtype == torch.int64
    assert test.targets.bincount().tolist() == [30] * 10
    assert train.targets.bincount().sum() == 1497 and train.targets.bincount().min() >= 140
    assert int(train.data.max()) == 255 and int(train.data[:, :4].max()) == 0 and int(train.data[:, :, -4:].max()) == 0
    image, label = test[0]  # the dataset's own per-item path works too: a PIL image and an int
    assert image.size == (28, 28) and isinstance(label, int)


def test_digits_headers_are_mnist_big_endian(digits_root):
    folder = digits.raw_folder(digits_root)
    head = (folder / "train-images-idx3-ubyte").read_bytes()[:16]
    assert struct.unpack(">IIII", head) == (0x00000803, 1497, 28, 28)
    head = (folder / "t10k-labels-idx1-ubyte").read_bytes()[:8]
    assert struct.unpack(">II", head) == (0x00000801, 300)
    assert (folder / "t10k-images-idx3-ubyte").stat().st_size == 16 + 300 * 28 * 28


def test_digits_regenerate_byte_identical(digits_root, tmp_path):
    digits.ensure_digits(tmp_path)
    for name in RAW_NAMES:
        again = (digits.raw_folder(tmp_path) / name).read_bytes()
        assert again == (digits.raw_folder(digits_root) / name).read_bytes(), name


def test_ensure_digits_writes_once(digits_root):
    path = digits.raw_folder(digits_root) / RAW_NAMES[0]
    before = path.stat().st_mtime_ns
    digits.ensure_digits(digits_root)
    assert path.stat().st_mtime_ns == before


def test_write_idx_round_trips_and_checks_shapes(tmp_path):
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (5, 28, 28), generator=gen, dtype=torch.uint8)
    labels = torch.tensor([3, 1, 4, 1, 5])
    image_path, label_path = digits.write_idx(images, labels, tmp_path / "raw", "train")
    assert torch.equal(read_image_file(str(image_path)), images)
    assert torch.equal(read_label_file(str(label_path)), labels)
    with pytest.raises(ValueError):
        digits.write_idx(images[0], labels, tmp_path, "bad")


def test_load_images_digits_shapes_and_fresh_tensors(digits_root):
    x, y = data.load_images("digits", train=False, root=digits_root)
    assert x.shape == (300, 1, 28, 28) and x.dtype == torch.float32 and y.shape == (300,) and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    x.zero_()
    y.zero_()
    again, y_again = data.load_images("Digits", train=False, root=digits_root)  # names are case-insensitive
    assert float(again.max()) == 1.0 and int(y_again.max()) == 9  # the cache is never handed out


def test_dataset_names():
    assert data.canonical_name("Fashion_MNIST") == data.canonical_name("fashionmnist") == "fashion-mnist"
    with pytest.raises(ValueError, match="digits"):
        data.canonical_name("cifar10")


@pytest.mark.parametrize("name, shown", [("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST")])
def test_missing_real_set_offline_is_one_sentence(tmp_path, monkeypatch, name, shown):
    def no_network(self, *args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://..., got: <urlopen error>")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)  # FashionMNIST inherits it
    with pytest.raises(data.DataUnavailable) as info:
        data.load_images(name, train=True, root=tmp_path)
    message = str(info.value).replace(str(tmp_path), "ROOT")
    assert message.startswith(f"{shown} is not in ROOT/ ") and "could not be downloaded" in message
    assert "--dataset digits" in message and "\n" not in message and message.endswith(".")
    assert message.count("; ") == 1 and message.rstrip(".").count(".") == 0  # one sentence


def test_download_off_never_downloads(tmp_path, monkeypatch):
    def forbidden(self, *args, **kwargs):
        raise AssertionError("download was called")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", forbidden)
    with pytest.raises(data.DataUnavailable, match="--dataset digits"):
        data.load_images("mnist", train=False, root=tmp_path, download=False)


def test_cli_prints_the_sentence_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", lambda self: (_ for _ in ()).throw(RuntimeError("x")))
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    code = cli.main(["train", "vae", "--source", "solutions", "--dataset", "mnist", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "MNIST is not in" in err and "--dataset digits" in err


def test_data_root_env_and_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "here"))
    assert data.data_root() == tmp_path / "here" and (tmp_path / "here").is_dir()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    fallback = data.data_root(blocker / "data")  # cannot be created: falls back to the temp dir
    assert fallback != blocker / "data" and fallback.is_dir()


def test_binarize():
    x = torch.tensor([0.0, 0.2, 0.49, 0.51, 1.0])
    assert data.binarize(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_fake_faces_load_as_images(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))  # the decoded-faces cache goes here
    folder = faces_data.make_fake_faces(tmp_path / "faces", n=12, seed=0)
    x = faces_data.load_faces(folder)
    assert x.shape == (12, 3, 64, 64) and x.dtype == torch.float32 and 0 <= float(x.min()) < float(x.max()) <= 1
    assert torch.equal(faces_data.load_faces(folder), x)  # second load: from the cache, same values
    assert torch.equal(faces_data.load_faces(folder, indices=[3, 0]), x[[3, 0]])
    again = faces_data.make_fake_faces(tmp_path / "again", n=12, seed=0)
    assert [p.read_bytes() for p in sorted(again.iterdir())] == [p.read_bytes() for p in sorted(folder.iterdir())]
    other = faces_data.make_fake_faces(tmp_path / "other", n=12, seed=1)
    assert (other / "000001.png").read_bytes() != (folder / "000001.png").read_bytes()
    dataset = faces_data.FaceImages(folder)
    image, label = dataset[5]
    assert len(dataset) == 12 and image.shape == (3, 64, 64) and label == 0


def test_celeba_sized_folder_is_centre_cropped(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    folder = tmp_path / "celeba_root" / "img_align_celeba"
    folder.mkdir(parents=True)
    pixels = torch.zeros(218, 178, 3, dtype=torch.uint8)
    pixels[20:198] = 255  # white exactly where the 178 x 178 centre crop lands, black bands above and below
    Image.fromarray(pixels.numpy()).save(folder / "000001.png")
    x = faces_data.load_faces(tmp_path / "celeba_root")
    assert x.shape == (1, 3, 64, 64) and float(x.min()) > 0.95


def test_no_faces_is_one_sentence(tmp_path):
    with pytest.raises(data.DataUnavailable) as info:
        faces_data.load_faces(tmp_path)
    assert "--data PATH" in str(info.value) and "\n" not in str(info.value)
