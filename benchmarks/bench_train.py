"""One training epoch of each reference model: our trainer against a
pytorch/examples-style loop, side by side in one run, on a 60,000-image IDX set.

    python benchmarks/bench_train.py [--models vae,cvae,conv_vae] [--images 60000]

The examples-style loop reads the IDX files through torchvision's MNIST class
with a per-image ToTensor transform and a DataLoader (batch 128, shuffled), and
evaluates on the test split after the epoch, as pytorch/examples' vae/main.py
does. Our loop is course.train.fit (tensors resident, slices of a permutation).
Both train the same model from the same initial weights with the student's own
loss. Also prints the fraction of the CPU's measured float32 matmul throughput
that our training reaches (FLOPs counted for the Linear and conv layers).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms

from course import registry
from course.data import load_images
from course.digits import write_idx
from course.load import load_module
from course.train import fit


def build_idx(root: Path, n_train: int, n_test: int) -> Path:
    """A 60,000 / 10,000 MNIST-format set: the digits tiled with small random shifts."""
    x, y = load_images("digits", train=True)
    images = (x[:, 0] * 255).round().to(torch.uint8)
    gen = torch.Generator().manual_seed(0)

    def tile(n):
        idx = torch.randint(0, len(images), (n,), generator=gen)
        shifts = torch.randint(-2, 3, (n, 2), generator=gen)
        out = torch.stack([torch.roll(images[i], (int(s[0]), int(s[1])), (0, 1)) for i, s in zip(idx, shifts)])
        return out, y[idx]

    raw = root / "MNIST" / "raw"
    write_idx(*tile(n_train), raw, "train")
    write_idx(*tile(n_test), raw, "t10k")
    return root


def examples_epoch(model, loss_fn, task, root: Path, batch_size: int, lr: float) -> float:
    """pytorch/examples-style: DataLoader over torchvision MNIST with ToTensor, then a test pass."""
    train_set = torchvision.datasets.MNIST(root, train=True, transform=transforms.ToTensor())
    test_set = torchvision.datasets.MNIST(root, train=False, transform=transforms.ToTensor())
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    model.train()
    for data, target in train_loader:
        data, target = task.prepare(data, target)
        optimizer.zero_grad()
        loss = loss_fn(model, data, target)
        loss.backward()
        optimizer.step()
        loss.item()
    model.eval()
    with torch.no_grad():
        for data, target in test_loader:
            data, target = task.prepare(data, target)
            loss_fn(model, data, target).item()
    return time.perf_counter() - start


def our_epoch(model, loss_fn, task, root: Path, batch_size: int, lr: float) -> float:
    """course.train.fit for one epoch, including reading the set into tensors."""
    start = time.perf_counter()
    train = task.prepare(*_read(root, True))
    test = task.prepare(*_read(root, False))
    fit(model, loss_fn, train, test, epochs=1, batch_size=batch_size, lr=lr, seed=0,
        device=torch.device("cpu"), progress=False)
    return time.perf_counter() - start


def _read(root: Path, train: bool):
    ds = torchvision.datasets.MNIST(root, train=train)
    return ds.data.unsqueeze(1).float().div_(255), ds.targets


def matmul_gflops(n: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def training_flops(model, example: torch.Tensor, n_images: int) -> float:
    """Forward + backward FLOPs (3x forward) of Linear and conv layers for n_images."""
    flops = []

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Linear):
            flops.append(2 * module.in_features * module.out_features * output.shape[0])
        elif isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            k = module.kernel_size[0] * module.kernel_size[1]
            inner = module.in_channels if isinstance(module, torch.nn.Conv2d) else module.out_channels
            pixels = output.shape[-1] * output.shape[-2] if isinstance(module, torch.nn.Conv2d) else \
                inputs[0].shape[-1] * inputs[0].shape[-2]
            outer = module.out_channels if isinstance(module, torch.nn.Conv2d) else module.in_channels
            flops.append(2 * k * inner * outer * pixels * output.shape[0])

    hooks = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(*example) if isinstance(example, tuple) else model(example)
    for h in hooks:
        h.remove()
    return 3 * sum(flops) / example_batch(example) * n_images


def example_batch(example) -> int:
    return (example[0] if isinstance(example, tuple) else example).shape[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="vae,cvae,conv_vae")
    parser.add_argument("--images", type=int, default=60_000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    peak = matmul_gflops()
    print(f"torch {torch.__version__}, {args.threads} threads; float32 matmul {peak:.1f} GFLOP/s")
    with tempfile.TemporaryDirectory() as tmp:
        root = build_idx(Path(tmp), args.images, args.images // 6)
        for name in args.models.split(","):
            task = registry.get(name)
            module = load_module(name, "solutions")
            loss_fn = task.loss(module)
            results = {}
            for label, epoch in (("examples", examples_epoch), ("ours", our_epoch)):
                torch.manual_seed(0)
                model = task.build(module, {"type": "vae"})
                results[label] = epoch(model, loss_fn, task, root, task.batch_size, task.lr)
            x, y = task.prepare(*_read(root, False))
            example = (x[:64], module.one_hot(y[:64], 10)) if name == "cvae" else x[:64]
            flops = training_flops(model, example, args.images)
            fraction = flops / results["ours"] / 1e9 / peak
            print(f"{name:9s} examples-style {results['examples']:7.2f} s   ours {results['ours']:7.2f} s   "
                  f"speed-up {results['examples'] / results['ours']:4.2f}x   "
                  f"{flops / 1e9:6.0f} GFLOP/epoch = {fraction:5.1%} of matmul peak")


if __name__ == "__main__":
    main()
