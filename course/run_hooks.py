"""What a training run of one assignment does beyond the common path of ``course.runs``: its data
loader, the figures it draws every few epochs and at the end, the (encode, decode) pair the gallery
scores, and pca_ae's run of its own. ``course.registry`` names which hook each assignment uses.

Shapes: ``x`` is a batch shaped as the assignment's model takes it (see ``registry.prepare``),
``z`` (64, code) fixed prior draws; every figure goes to ``out / <name>.png``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import torch

from course.data import data_root
from course.losses import mse_sum

# figures, the trainer and the loaders are imported where used: the registry (and so the grader's worker)
# imports this module, and matplotlib and torchvision would cost every worker seconds at start-up.

DIGIT_ROWS = {"row_labels": [str(d) for d in range(10)], "ylabel": "class label"}


# ---- data

def fake_faces_folder(n: int = 512, seed: int = 0) -> Path:
    """The generated faces, the offline default of the faces run: written once into the data root."""
    from course.faces_data import make_fake_faces

    folder = data_root() / "fake_faces"
    if len(list(folder.glob("*.png"))) != n:
        make_fake_faces(folder, n=n, seed=seed)
    return folder


def face_data_name(options: dict) -> str:
    """What the faces run trains on, in words: the folder given with --data, or the generated faces."""
    return f"face images from {options['data']}" if options.get("data") else "generated faces"


def load_face_images(options: dict, module):
    """(x (n, 3, 64, 64), zero labels) of the faces run: a CelebA root or image folder, or the generated
    faces; a set larger than ``options["subset"]`` is cut by the student's ``celeba_subset``."""
    from course.faces_data import FaceImages, load_faces

    root = options.get("data") or fake_faces_folder()
    dataset = FaceImages(root)
    n = options.get("subset", 50_000)
    indices = None  # every image
    if len(dataset) > n:
        indices = [int(i) for i in module.celeba_subset(dataset, n, seed=options.get("seed", 0)).indices]
    x = load_faces(root, indices=indices)  # only the chosen images are decoded
    return x, torch.zeros(x.shape[0], dtype=torch.long)


# ---- figures every few epochs: (module, model, x, z, out, epoch)

def reconstructions_and_samples(module, model, x, z, out: Path, epoch: int):
    """Test images with their reconstructions ``model(x)[0]``, and ``model.decode(z)``. A plain autoencoder
    (``encode`` gives one code, not (mu, logvar)) has no prior: its title says the draws miss its codes."""
    from course import figures
    figures.reconstructions(x, model(x)[0], out / f"reconstruction_{epoch}.png", epoch)
    plain = not isinstance(model.encode(x[:1]), tuple)
    what = "N(0, I) draws decoded by a plain AE (no prior)" if plain else "Samples from the prior N(0, I)"
    figures.samples(model.decode(z), out / f"sample_{epoch}.png", epoch, what)


def conv_reconstructions_and_samples(module, model, x, z, out: Path, epoch: int):
    """The conv VAE's ``model(x)`` (its forward returns the reconstruction) and ``model.decoder(z)``."""
    from course import figures
    figures.reconstructions(x, model(x), out / f"reconstruction_{epoch}.png", epoch)
    figures.samples(model.decoder(z), out / f"sample_{epoch}.png", epoch)


def samples_by_class(module, model, x, z, out: Path, epoch: int):
    """Ten samples of each class label, one row per class, each from its own z (the CVAE's ``sample``)."""
    from course import figures
    labels = torch.arange(10, device=x.device).repeat_interleave(10)
    figures.image_grid(model.sample(labels), out / f"sample_{epoch}.png", nrow=10,
                       title=f"Samples from the prior, one row per class, {figures.after(epoch)}", **DIGIT_ROWS)


# ---- final figures: (module, model, x, y, out)

def latent_plane(module, model, x, y, out: Path):
    """vae.py's 2-D latent space: the decoder over a 20 x 20 grid and the test codes by digit."""
    from course import figures
    is_vae = isinstance(model.encode(x[:1]), tuple)
    codes = model.encode(x)[0] if is_vae else model.encode(x)
    if is_vae:
        vx = vy = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, 20))
    else:
        lo, hi = codes.min(0).values.cpu(), codes.max(0).values.cpu()
        vx, vy = torch.linspace(lo[0], hi[0], 20), torch.linspace(lo[1], hi[1], 20)
    grid = torch.stack([torch.stack([a, b]) for b in vy.flip(0) for a in vx]).to(x.device)
    figures.latent_manifold(model.decode(grid), vx, vy.flip(0), out / "manifold_digits.png",
                            "Decoder over a 2-D latent grid")
    figures.latent_scatter(codes, y, out / "manifold.png", f"Test-set codes ({'mu of q(z|x)' if is_vae else 'z'}) by digit")


def style_by_class(module, model, x, y, out: Path):
    """cvae.py: ten codes z ~ N(0, I), one per column, each decoded with every label, one per row: the
    label sets the digit and z the style, so a column keeps one style across the ten digits."""
    from course import figures
    labels = torch.arange(10, device=x.device).repeat_interleave(10)  # row i: label i
    onehot = module.one_hot(labels, 10).to(x.dtype)
    code = model.encode(x[:1], onehot[:1])[0].shape[-1]
    z = torch.randn(10, code, generator=torch.Generator().manual_seed(2)).to(x.device)  # (10, code)
    figures.image_grid(model.decode(z.repeat(10, 1), onehot), out / "samples_by_class.png", nrow=10,
                       title="One z per column, one label per row", xlabel="code z (the same down each column)",
                       **DIGIT_ROWS)


class AroundCodes(torch.nn.Module):
    """``decoder(centre + z * scale)``: the student's traversal of z over N(0, 1) quantiles then walks around
    the test codes (their mean, their spread along the traversed dims) instead of around the prior's 0."""

    def __init__(self, decoder, centre, scale):
        super().__init__()
        self.decoder, self.centre, self.scale = decoder, centre, scale  # centre, scale: (lat,)

    def forward(self, z):
        return self.decoder(self.centre + z * self.scale)  # z (M, lat) -> (M, 1, d, d)


def traversal_grid(module, model, x):
    """conv_vae.py's traversal, centred where the test codes lie: (dims (2,), the wrapped decoder, the
    N(0, 1) quantiles (7,), each traversed dim's values (2, 7), the embeddings (N, lat))."""
    mu, sigma = model.encoder(x)
    emb = model.gaussian(mu, sigma)  # (N, lat)
    dims = [int(d) for d in module.top_variance_dims(emb, 2)]
    centre, scale = emb.mean(0), torch.ones_like(emb[0])
    scale[dims] = emb[:, dims].std(0)
    quantiles = module.traversal_values(7).to(emb)
    values = torch.stack([centre[d] + quantiles * scale[d] for d in dims])  # (2, 7)
    return dims, AroundCodes(model.decoder, centre, scale), quantiles, values, emb


def traversals(module, model, x, y, out: Path):
    """conv_vae.py: the embeddings' 2-D histogram and traversals of the highest-variance dimensions,
    centred on the test codes: every other dim at the codes' mean, the traversed ones at the codes'
    mean plus N(0, 1) quantiles times their spread (the prior's 0 and quantiles once the codes match it)."""
    from course import figures
    dims, decoder, _, values, emb = traversal_grid(module, model, x)
    figures.histogram_2d(emb[:, dims[0]], emb[:, dims[1]], out / "latent_hist2d.png", dims,
                         box=[(float(v[0]), float(v[-1])) for v in values])
    rows, cols = ([f"{float(v):.2f}" for v in values[i]] for i in (0, 1))
    lat, centred = emb.shape[-1], "around the test codes' mean (other dims at it)"
    figures.image_grid(module.latent_traversal(decoder, lat, dims[:1], 7), out / "traversal_1x7.png",
                       nrow=7, title=f"Traversal of z[{dims[0]}] {centred}", col_labels=rows,
                       xlabel=f"z[{dims[0]}]")
    figures.image_grid(module.latent_traversal(decoder, lat, dims, 7), out / "traversal_7x7.png",
                       nrow=7, title=f"Traversal of z[{dims[0]}] and z[{dims[1]}]\n{centred}",
                       row_labels=rows, col_labels=cols, xlabel=f"z[{dims[1]}]", ylabel=f"z[{dims[0]}]")


# ---- the gallery's posterior: (model, module, y) -> (encode x -> (mu, std), decode z -> images)

def mlp_posterior(model, module, y):
    def enc(x):
        mu, logvar = model.encode(x)
        return mu, torch.exp(0.5 * logvar)
    return enc, model.decode


def cvae_posterior(model, module, y):
    """Conditioned on the test labels ``y``; decode repeats them to any number of codes."""
    onehot = module.one_hot(y, 10)

    def enc(x):
        mu, logvar = model.encode(x, onehot[: len(x)])
        return mu, torch.exp(0.5 * logvar)

    def dec(z):
        return model.decode(z, onehot.repeat(z.shape[0] // onehot.shape[0] + 1, 1)[: z.shape[0]])
    return enc, dec


def conv_posterior(model, module, y):
    return model.encoder, model.decoder


# ---- pca_ae.py's run: PCA figures and PCA against vae.py's autoencoder

def pca_run(module, options: dict, train, test, out: Path) -> Path:
    """PCA figures and the PCA-against-autoencoder MSE curve for the latent sizes ``options["ks"]``."""
    from course import figures
    from course.load import load_module
    x_train, _ = train
    x_test, y_test = test
    mean, components, _ = module.pca_fit(x_train, 2)
    codes = module.pca_encode(x_test, mean, components)
    figures.latent_scatter(codes, y_test, out / "pca_scatter.png", "Test images on the first two principal axes",
                           ("PC 1", "PC 2"))
    spread = codes.std(0)
    vx, vy = torch.linspace(-2, 2, 10) * spread[0], torch.linspace(2, -2, 10) * spread[1]
    grid = torch.stack([torch.stack([a, b]) for b in vy for a in vx])
    figures.latent_manifold(module.pca_decode(grid, mean, components), vx, vy, out / "pca_grid.png",
                            "Decoded points of the PCA plane", ("PC 1", "PC 2"))
    ks = list(options.get("ks", range(2, 21)))
    pca = [float(v) for v in module.pca_error_curve(x_train, ks)]
    autoencoders = load_module("vae", options.get("source"))  # the autoencoder the students built in vae.py
    ae = [_mse_autoencoder(autoencoders, k, train, test, options) for k in ks]
    figures.error_curves(ks, {"PCA (linear)": pca, "autoencoder (non-linear, trained on MSE)": ae},
                         out / "mse_vs_latent_size.png", "Training-set reconstruction MSE per pixel")
    with open(out / "mse_vs_latent_size.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["k", "pca_mse", "ae_mse"])
        writer.writerows(zip(ks, pca, ae))
    return out


def _mse_autoencoder(vae_module, k: int, train, test, options) -> float:
    """Train Autoencoder("ae", n_dims_code=k) with summed MSE; return its training-set MSE per pixel."""
    from course.device import pick_device
    from course.train import fit

    torch.manual_seed(options["seed"])
    model = vae_module.Autoencoder("ae", n_dims_code=k)
    fit(model, mse_sum, train, test, epochs=options["epochs"], batch_size=options["batch_size"], lr=options["lr"],
        seed=options["seed"], device=pick_device(options.get("device")), progress=options.get("progress", True))
    model.eval()
    with torch.no_grad():
        x = train[0].to(next(model.parameters()).device)
        return float(torch.nn.functional.mse_loss(model(x)[0], x))
