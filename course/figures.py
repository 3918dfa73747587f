"""Plotting primitives for every figure the handouts ask for.

Each function takes tensors on any device and writes one PNG (Agg backend):
titles, labelled axes and legends, nothing clipped.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

DIGIT_COLORS = plt.get_cmap("tab10")


def _as_images(x: torch.Tensor, side: int = 28) -> torch.Tensor:
    """(N, 784) or (N, C, H, W) -> (N, C, H, W) on the CPU, clamped to [0, 1]."""
    x = x.detach().float().cpu()
    if x.dim() == 2:
        x = x.view(-1, 1, side, side)
    return x.clamp(0, 1)


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def image_grid(images, path, nrow: int, title: str, row_labels=None, col_labels=None,
               xlabel: str | None = None, ylabel: str | None = None) -> Path:
    """Images (N, 784) or (N, C, H, W) in a grid of ``nrow`` per row, with optional row/column labels
    (one per row / column) and axis names."""
    x = _as_images(images)
    grid = make_grid(x, nrow=nrow, padding=2, pad_value=1.0).permute(1, 2, 0).numpy()
    rows = (x.shape[0] + nrow - 1) // nrow
    fig, ax = plt.subplots(figsize=(max(3.0, 0.55 * nrow + 0.8), max(2.0, 0.55 * rows + 0.6)))
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    step_y, step_x = grid.shape[0] / rows, grid.shape[1] / nrow
    ax.set_yticks([step_y * (i + 0.5) for i in range(rows)] if row_labels is not None else [])
    ax.set_yticklabels(row_labels if row_labels is not None else [])
    ax.set_xticks([step_x * (j + 0.5) for j in range(nrow)] if col_labels is not None else [])
    ax.set_xticklabels(col_labels if col_labels is not None else [], rotation=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return _save(fig, path)


def after(epoch: int) -> str:
    """Title words for the figures of the 0-based ``epoch``: "after 1 epoch", "after 100 epochs"."""
    return f"after {epoch + 1} epoch{'' if epoch == 0 else 's'}"


def reconstructions(originals, recon, path, epoch: int) -> Path:
    """Top row: 8 test images; bottom row: their reconstructions. ``epoch`` is 0-based, as in the file name."""
    both = torch.cat([_as_images(originals[:8], _side(originals)), _as_images(recon[:8], _side(recon))])
    return image_grid(both, path, nrow=8, title=f"Test images and reconstructions, {after(epoch)}",
                      row_labels=["original", "reconstruction"])


def samples(images, path, epoch: int, what: str = "Samples from the prior N(0, I)") -> Path:
    """An 8 x 8 grid of decoded codes, titled ``what``. ``epoch`` is 0-based, as in the file name."""
    return image_grid(images[:64], path, nrow=8, title=f"{what}, {after(epoch)}")


def _side(x) -> int:
    return 28 if x.dim() == 2 else x.shape[-1]


def loss_curve(history, path, title: str) -> Path:
    """Train and test loss per image against the epoch."""
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [e + 1 for e in history.epoch]
    ax.plot(epochs, history.train_loss, label="train", marker="o" if len(epochs) < 30 else None)
    ax.plot(epochs, history.test_loss, label="test", marker="o" if len(epochs) < 30 else None)
    ax.set_xlabel("epochs trained")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss (nats per image)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def latent_scatter(codes, labels, path, title: str, axis_names=("z1", "z2")) -> Path:
    """2-D codes scattered, one colour per digit, with a legend."""
    codes, labels = codes.detach().float().cpu(), labels.cpu()
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    for digit in range(10):
        pts = codes[labels == digit]
        ax.scatter(pts[:, 0], pts[:, 1], s=6, alpha=0.7, color=DIGIT_COLORS(digit), label=str(digit))
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    ax.legend(title="digit", markerscale=2.5, bbox_to_anchor=(1.02, 1), loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def latent_manifold(decoded, values_x, values_y, path, title: str, axis_names=("z1", "z2")) -> Path:
    """Decoder outputs over a grid of latent points: row i is values_y[i], column j is values_x[j]."""
    n = len(values_x)
    fmt = [f"{v:.1f}" for v in values_x]
    return image_grid(decoded, path, nrow=n, title=title, row_labels=[f"{v:.1f}" for v in values_y],
                      col_labels=fmt, xlabel=axis_names[0], ylabel=axis_names[1])


def histogram_2d(a, b, path, dims, box=None) -> Path:
    """hist2d of two latent coordinates (N,) over a set, 50 bins, with a colour bar; ``box`` =
    ((a_lo, a_hi), (b_lo, b_hi)) draws the rectangle the traversals cover, to read the two together."""
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    h = ax.hist2d(a.cpu().numpy(), b.cpu().numpy(), bins=50, cmap="viridis")
    bar = fig.colorbar(h[3], ax=ax, label="test images per bin")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    ax.axhline(0.0, color="white", lw=0.8, ls="--", alpha=0.8)  # the prior's centre, for comparison
    ax.axvline(0.0, color="white", lw=0.8, ls="--", alpha=0.8)
    note = "dashed lines: 0, the prior's mean"
    if box is not None:
        (x0, x1), (y0, y1) = box
        ax.add_patch(matplotlib.patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="orange", lw=1.2))
        note += "; orange: the traversals' range"
    ax.set_xlabel(f"z[{dims[0]}] (highest variance)")
    ax.set_ylabel(f"z[{dims[1]}] (second highest)")
    ax.set_title(f"Test-set embeddings, two highest-variance dims\n({note})", fontsize=10)
    return _save(fig, path)


def error_curves(ks, curves: dict, path, title: str) -> Path:
    """Reconstruction MSE against latent size, one line per method."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        ax.plot(ks, values, marker="o", label=name)
    ax.set_xlabel("latent size k")
    ax.set_ylabel("reconstruction MSE per pixel")
    ax.set_xticks(list(ks))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)
