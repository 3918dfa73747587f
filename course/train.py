"""The trainer: whole data sets as tensors on the device, batches as slices.

    history = fit(model, loss_fn, (x_train, y_train), (x_test, y_test),
                  epochs=100, batch_size=128, lr=1e-3, seed=0)

``loss_fn(model, x, y)`` returns a 0-d tensor holding the SUM of the loss over
the batch; the trainer divides by the number of images, so every reported
figure is in nats per image. No DataLoader and no per-image transform: each
epoch draws one seeded permutation and slices it.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from course.device import pick_device


@dataclass
class History:
    """Per-epoch losses in nats per image."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)

    def to_csv(self, path) -> Path:
        path = Path(path)
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", "train_loss", "test_loss"])
            for row in zip(self.epoch, self.train_loss, self.test_loss):
                writer.writerow([row[0], f"{row[1]:.6f}", f"{row[2]:.6f}"])
        return path


@torch.no_grad()
def evaluate(model, loss_fn, data, batch_size: int = 1024) -> float:
    """Mean loss per image over ``data`` = (x, y), in eval mode."""
    was_training = model.training
    model.eval()
    x, y = data
    total = torch.zeros((), device=x.device, dtype=torch.float64)
    for start in range(0, x.shape[0], batch_size):
        total += loss_fn(model, x[start:start + batch_size], y[start:start + batch_size]).double()
    model.train(was_training)
    return float(total) / x.shape[0]


def make_adam(params, lr: float):
    """Adam, fused into one kernel per step where this torch build supports it (same updates, faster)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


def fit(model, loss_fn, train, test, *, epochs: int, batch_size: int, lr: float, seed: int = 0,
        device=None, progress: bool = True, on_epoch=None) -> History:
    """Train ``model`` with Adam on ``train`` = (x, y); evaluate on ``test`` after every epoch.

    Args:
        loss_fn: (model, x (B, ...), y (B,)) -> 0-d tensor, the SUM over the batch.
        on_epoch: optional callback(epoch, history) after each epoch (0-based), e.g. for figures.
        progress: show a progress bar over the epochs; a string is used as its label.
    Returns:
        History with train_loss (mean over the epoch's batches, per image) and test_loss per image.
    """
    torch.manual_seed(seed)
    device = pick_device(device)
    model.to(device)
    x_train, y_train = (t.to(device) for t in train)
    test = tuple(t.to(device) for t in test)
    optimizer = make_adam(model.parameters(), lr)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    history = History()
    n = x_train.shape[0]
    desc = progress if isinstance(progress, str) else "epochs"
    bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress, dynamic_ncols=True)
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device, dtype=torch.float64)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn(model, x_train[idx], y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach().double()
        history.epoch.append(epoch)
        history.train_loss.append(float(total) / n)
        history.test_loss.append(evaluate(model, loss_fn, test))
        bar.set_postfix(train=f"{history.train_loss[-1]:.2f}", test=f"{history.test_loss[-1]:.2f}")
        if on_epoch is not None:
            on_epoch(epoch, history)
    return history
