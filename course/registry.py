"""The assignments: one trusted entry each, the only place that says what an assignment is.

    from course import registry
    spec = registry.get("vae")          # -> Assignment
    registry.names()                    # ("vae", "cvae", "conv_vae", "pca_ae", "faces"): report order

Everything that differs between assignments reads its entry: the grader (which files it grades,
points, bonus, manual items, the grader's smoke loss and data), the course trainer (schedule, data
shaping, model factory, the student's loss, figures) and the gallery (runs, quick schedule).
Points are the sum of the ``@item`` markers of ``autograder/graded/<name>/``; a test checks the
entry, the handout, the READMEs and the graded docstrings against them. Adding an assignment:
see CONTRIBUTING.md.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from course import lessons, losses, run_hooks
from course.data import binarize


def _as_is(x, y):
    return x, y


def _flat(x, y):
    return x.flatten(1), y


def _binary_flat(x, y):
    return binarize(x).flatten(1), y


@dataclass(frozen=True)
class Assignment:
    """One assignment. Images reach ``prepare`` as (N, 1, 28, 28) floats in [0, 1]; losses are sums."""

    name: str                       # the file is ``<name>.py``; the graded items live in graded/<name>/
    summary: str                    # one line: what students build
    points: int                     # automatic points: the sum of the graded folder's @item markers
    manual: tuple = ()              # ((part, what a person grades), ...): reported, never auto-scored
    bonus: bool = False             # bonus points count apart from the total
    # the handout's training schedule, on the real data set it names. An epoch here is a pass over that
    # set's ``real_size`` training images, so a schedule is a number of images seen (``images``): the
    # gallery trains as many images on the embedded digits (1,497) as the handout does on MNIST (60,000)
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 100
    real_dataset: str = "mnist"     # what --dataset means with a network
    real_size: int = 60_000         # training images of the real data set: what one epoch counts
    prepare: Callable = _as_is      # (x, y) -> (x, y) shaped for the model, in training and in smoke runs
    load: Callable | None = None    # (options, module) -> (x, y): data of its own instead of the digits
    build: Callable | None = None   # (module, options) -> model
    loss: Callable | None = None    # module -> loss(model, x, y): the student's loss
    grader_loss: Callable | None = None  # loss(model, x, y): the autograder's smoke-run loss (parent side; the
    # worker composes it in autograder/smoke.py with the closed forms answered by the parent)
    folder: Callable = None         # options -> the results folder's name
    run: Callable | None = None     # (module, options, train, test, out): a run of its own instead of training
    epoch_figures: Callable | None = None  # (module, model, x, z, out, epoch)
    final_figures: Callable | None = None  # (module, model, x, y, out)
    posterior: Callable | None = None      # (model, module, y) -> (encode -> (mu, std), decode): gallery numbers
    lessons: Callable | None = None        # (run, options) -> [course.lessons.Lesson]: what the figures must show
    data_name: Callable | None = None      # options -> the data a ``load`` of its own reads, in words
    gallery: tuple = ((None, {}),)  # ((gallery key suffix or None, extra options), ...): one reference run each
    # the gallery's --quick options; "epochs" count epochs of the real data set, as ``epochs`` does
    quick: dict = field(default_factory=lambda: {"epochs": 5})

    @property
    def file(self) -> str:
        return f"{self.name}.py"

    def folder_name(self, options: dict) -> str:
        return self.folder(options)

    def images(self, epochs: float) -> int:
        """Images seen in ``epochs`` epochs of the real data set: the same schedule on any data set."""
        return round(epochs * self.real_size)

    def gallery_runs(self):
        """(key, extra options) of each reference run the gallery trains."""
        return [(self.name if suffix is None else f"{self.name}-{suffix}", options) for suffix, options in self.gallery]


ASSIGNMENTS = (
    Assignment(
        "vae", "MLP autoencoder, then a VAE, on MNIST", points=100,
        manual=(("B.1", "Written derivation of the ELBO estimator (B.1's written task in the handout)"),
                ("C", "Written answers: what the latent grid code does; AE against VAE latent spaces and samples")),
        prepare=_flat, build=lambda m, o: m.Autoencoder(o.get("type", "vae")),
        loss=losses.student_forward_loss, grader_loss=losses.grader_vae_loss,
        folder=lambda o: f"AE-arch={o.get('type', 'vae')}(512)-lr={o['lr']:g}-ep={o['epochs']}",
        epoch_figures=run_hooks.reconstructions_and_samples, final_figures=run_hooks.latent_plane,
        posterior=run_hooks.mlp_posterior, lessons=lessons.prior_samples,
        gallery=(("ae", {"type": "ae"}), ("vae", {"type": "vae"})),
        quick={"epochs": 2.5}),  # 150,000 images: 101 passes over the embedded digits
    Assignment(
        "cvae", "conditional VAE on binarized MNIST", points=100,
        manual=(("CVAE", "Written derivation of the conditional ELBO"),),
        batch_size=64, prepare=_binary_flat, build=lambda m, o: m.CVAE(),
        loss=losses.student_cvae_loss, grader_loss=losses.grader_cvae_loss,
        folder=lambda o: f"CVAE-lr={o['lr']:g}-ep={o['epochs']}",
        epoch_figures=run_hooks.samples_by_class, final_figures=run_hooks.style_by_class,
        posterior=run_hooks.cvae_posterior, lessons=lessons.class_samples,
        quick={"epochs": 1.25}),  # 75,000 images: 51 passes
    Assignment(
        "conv_vae", "convolutional VAE on Fashion-MNIST, latent traversals", points=100,
        manual=(("CONV", "Written answer: why the ELBO is a lower bound on log p(x)"),),
        epochs=20, real_dataset="fashion-mnist", build=lambda m, o: m.VAE(16, 32, 16, 3),
        loss=losses.student_conv_loss, grader_loss=losses.grader_conv_loss,
        folder=lambda o: f"ConvVAE-lat=16-lr={o['lr']:g}-ep={o['epochs']}",
        epoch_figures=run_hooks.conv_reconstructions_and_samples, final_figures=run_hooks.traversals,
        posterior=run_hooks.conv_posterior, lessons=lessons.reconstructions_and_codes,
        quick={"epochs": 0.5}),  # 30,000 images: 21 passes
    Assignment(
        "pca_ae", "PCA against the autoencoder", points=100,
        manual=(("PCA", "Written comparison of PCA and the autoencoder"),),
        epochs=20, prepare=_flat, grader_loss=losses.mse_sum, run=run_hooks.pca_run,
        folder=lambda o: f"PCA-AE-ep={o['epochs']}", lessons=lessons.autoencoder_beats_pca,
        quick={"epochs": 1, "ks": [2, 4, 8, 16]}),  # 60,000 images (41 passes) per latent size
    Assignment(
        "faces", "VAE for 64 x 64 CelebA faces", points=20, bonus=True,
        manual=(("FACES", "Attached samples and loss curve of a 100-epoch CelebA run"),),
        real_dataset="celeba", real_size=50_000, load=run_hooks.load_face_images, data_name=run_hooks.face_data_name,
        build=lambda m, o: m.FaceVAE(128),
        loss=losses.student_forward_loss, grader_loss=losses.grader_vae_loss,
        folder=lambda o: f"FaceVAE-code=128-lr={o['lr']:g}-ep={o['epochs']}",
        epoch_figures=run_hooks.reconstructions_and_samples, posterior=run_hooks.mlp_posterior,
        lessons=lessons.face_reconstructions,
        quick={"epochs": 0.6}),  # 30,000 images: 66 passes over 461 generated faces
)
_BY_NAME = {a.name: a for a in ASSIGNMENTS}


def names() -> tuple[str, ...]:
    """Every assignment's name, in the order reports list them."""
    return tuple(_BY_NAME)


def get(name: str) -> Assignment:
    if name not in _BY_NAME:
        raise ValueError(f"unknown assignment {name!r}; choose one of {', '.join(_BY_NAME)}")
    return _BY_NAME[name]
