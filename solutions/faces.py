"""Bonus: a convolutional VAE for 64 x 64 colour faces (CelebA).

This is the file you edit for the faces bonus (20 points). Graded parts:
  FACES.1  ``celeba_subset``: a reproducible random subset of the dataset.
  FACES.2  ``FaceVAE``: layers, ``encode``, ``reparameterize``, ``decode``, ``forward``,
           ``loss_function``.

Images have shape (B, 3, 64, 64), values in [0, 1]. The loss is a 0-d tensor: the SUM over
the batch and over all pixels / latent dims. Any conv architecture is accepted; the one
below is small enough to train on a few hundred images on a CPU.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def celeba_subset(dataset, n=50000, seed=0):
    """``n`` distinct examples of ``dataset``, drawn at random but reproducibly from ``seed``.

    Args:
        dataset: any map-style dataset (has len() and integer indexing).
        n: how many examples to keep.
        seed: the same seed gives the same subset; another seed gives another one.
    Returns:
        torch.utils.data.Subset of ``dataset`` with n distinct indices in [0, len(dataset)).
    Raises:
        ValueError if n > len(dataset).
    """
    # TODO FACES.1: draw n distinct indices with a generator seeded by `seed`, wrap them in a Subset.
    # Hint: torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n].
    # >>> START OF YOUR CODE (FACES.1)
    if n > len(dataset):
        raise ValueError(f"cannot draw n={n} examples from a dataset of len(dataset)={len(dataset)}")
    generator = torch.Generator().manual_seed(seed)
    indices = torch.randperm(len(dataset), generator=generator)[:n]
    return torch.utils.data.Subset(dataset, indices.tolist())
    # <<< END OF YOUR CODE (FACES.1)


class FaceVAE(nn.Module):
    """Four stride-2 convolutions down to 4 x 4, a Gaussian code, and their transposed mirror."""

    def __init__(self, n_dims_code=128):
        """Encoder 3 -> 32 -> 64 -> 128 -> 256 channels (64 -> 4 pixels), two Linear(256*4*4, code)
        heads (mu, logvar); decoder Linear(code, 256*4*4) then transposed convolutions back up.
        """
        super().__init__()
        self.n_dims_code = n_dims_code
        # TODO FACES.2: build the conv encoder, the mu and logvar heads, and the decoder.
        # Hint: Conv2d(c_in, c_out, 4, 2, 1) halves the side; ConvTranspose2d(..., 4, 2, 1) doubles it.
        # >>> START OF YOUR CODE (FACES.2)
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(),     # (B, 32, 32, 32)
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),    # (B, 64, 16, 16)
            nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(),   # (B, 128, 8, 8)
            nn.Conv2d(128, 256, 4, 2, 1), nn.ReLU(),  # (B, 256, 4, 4)
            nn.Flatten(),                             # (B, 4096)
        )
        self.fc_mu = nn.Linear(256 * 4 * 4, n_dims_code)
        self.fc_logvar = nn.Linear(256 * 4 * 4, n_dims_code)
        self.decoder = nn.Sequential(
            nn.Linear(n_dims_code, 256 * 4 * 4), nn.ReLU(),
            nn.Unflatten(1, (256, 4, 4)),                      # (B, 256, 4, 4)
            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.ReLU(),  # (B, 128, 8, 8)
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(),   # (B, 64, 16, 16)
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),    # (B, 32, 32, 32)
            nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Sigmoid(),  # (B, 3, 64, 64)
        )
        # <<< END OF YOUR CODE (FACES.2)

    def encode(self, x):
        """Args: x (B, 3, 64, 64). Returns (mu, logvar), each (B, code)."""
        # TODO FACES.2: run the conv encoder and both heads.
        # Hint: compute the features once, then apply each head.
        # >>> START OF YOUR CODE (FACES.2)
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)
        # <<< END OF YOUR CODE (FACES.2)

    def reparameterize(self, mu, logvar):
        """Args: mu, logvar (B, code). Returns z = mu + exp(0.5 * logvar) * eps, eps ~ N(0, I)."""
        # TODO FACES.2: the reparameterization trick.
        # Hint: same as in vae.py.
        # >>> START OF YOUR CODE (FACES.2)
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn_like(std)
        # <<< END OF YOUR CODE (FACES.2)

    def decode(self, z):
        """Args: z (B, code). Returns (B, 3, 64, 64) pixel means in [0, 1]."""
        # TODO FACES.2: run the decoder.
        # Hint: it ends in a Sigmoid.
        # >>> START OF YOUR CODE (FACES.2)
        return self.decoder(z)
        # <<< END OF YOUR CODE (FACES.2)

    def forward(self, x):
        """Args: x (B, 3, 64, 64). Returns (recon (B, 3, 64, 64), mu, logvar (B, code))."""
        # TODO FACES.2: encode, sample z, decode.
        # Hint: decode the sampled z, not mu.
        # >>> START OF YOUR CODE (FACES.2)
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar
        # <<< END OF YOUR CODE (FACES.2)

    def loss_function(self, recon_x, x, mu, logvar):
        """Negative ELBO.

        Args:
            recon_x, x: (B, 3, 64, 64); mu, logvar: (B, code).
        Returns:
            0-d tensor: BCE SUMMED over batch, channels and pixels plus the Gaussian KL
            to N(0, I) SUMMED over batch and latent dims.
        """
        # TODO FACES.2: summed BCE plus summed KL, as in vae.py.
        # Hint: F.binary_cross_entropy(recon_x, x, reduction="sum").
        # >>> START OF YOUR CODE (FACES.2)
        bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce + kl
        # <<< END OF YOUR CODE (FACES.2)
