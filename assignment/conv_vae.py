"""A small convolutional VAE for 28 x 28 grey images (Fashion-MNIST), and latent traversals.

This is the file you edit for the conv_vae assignment. Graded parts:
  CONV.1  ``conv_output_size``.
  CONV.2  ``Encoder``: two unpadded convolutions, then mean and std heads.
  CONV.3  ``Decoder``: the mirror image, ending in a Sigmoid.
  CONV.4  ``VAE``: ``r_loss``, ``kl_loss``, ``gaussian``, ``forward``, ``backward``.
  CONV.5  ``top_variance_dims``, ``traversal_values``, ``latent_traversal``.

Images have shape (B, 1, d, d), values in [0, 1]. Here the encoder returns sigma itself
(the exp of its "std head"), not a log-variance. Every loss is a 0-d tensor: the SUM over
the batch and over all pixels / latent dims.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_output_size(d, k, n_layers=2):
    """Side length after ``n_layers`` unpadded, stride-1 convolutions with kernel ``k``.

    Each such layer trims k - 1 pixels, so the result is d - n_layers * (k - 1) (an int).
    """
    # TODO CONV.1: return the side length after n_layers unpadded stride-1 convolutions.
    # Hint: one layer maps d to d - (k - 1); the encoder has two of them.
    # >>> START OF YOUR CODE (CONV.1)
    raise NotImplementedError("TODO CONV.1: implement conv_output_size")
    # <<< END OF YOUR CODE (CONV.1)


class Encoder(nn.Module):
    """Conv2d(1, c1, k) -> ReLU -> Conv2d(c1, c2, k) -> ReLU -> flatten -> mean / std heads."""

    def __init__(self, c1=16, c2=32, lat=16, k=3, d=28):
        """Both heads are Linear(c2 * s * s, lat) with s = conv_output_size(d, k)."""
        super().__init__()
        # TODO CONV.2: build the two convolutions and the two linear heads (mean and std).
        # Hint: the flattened feature size is c2 * s * s with s = conv_output_size(d, k).
        # >>> START OF YOUR CODE (CONV.2)
        raise NotImplementedError("TODO CONV.2: implement Encoder.__init__")
        # <<< END OF YOUR CODE (CONV.2)

    def forward(self, x):
        """Args: x (B, 1, d, d). Returns (mu, sigma), each (B, lat), sigma = exp(std head) > 0."""
        # TODO CONV.2: convolve with ReLUs, flatten, return (mean head, exp of std head).
        # Hint: torch.flatten(h, start_dim=1) keeps the batch dim.
        # >>> START OF YOUR CODE (CONV.2)
        raise NotImplementedError("TODO CONV.2: implement Encoder.forward")
        # <<< END OF YOUR CODE (CONV.2)


class Decoder(nn.Module):
    """Linear -> ReLU -> (B, c2, s, s) -> ConvT(c2, c1, k) -> ReLU -> ConvT(c1, 1, k) -> Sigmoid."""

    def __init__(self, c1=16, c2=32, lat=16, k=3, d=28):
        """The linear layer maps lat to c2 * s * s with s = conv_output_size(d, k)."""
        super().__init__()
        # TODO CONV.3: build the linear layer and the two transposed convolutions.
        # Hint: keep s around: forward needs it to unflatten to (B, c2, s, s).
        # >>> START OF YOUR CODE (CONV.3)
        raise NotImplementedError("TODO CONV.3: implement Decoder.__init__")
        # <<< END OF YOUR CODE (CONV.3)

    def forward(self, z):
        """Args: z (B, lat). Returns (B, 1, d, d) pixel means in [0, 1]."""
        # TODO CONV.3: linear + ReLU, unflatten, transposed convs (ReLU between, Sigmoid last).
        # Hint: h.view(-1, c2, s, s) (or nn.Unflatten) restores the image layout.
        # >>> START OF YOUR CODE (CONV.3)
        raise NotImplementedError("TODO CONV.3: implement Decoder.forward")
        # <<< END OF YOUR CODE (CONV.3)


class VAE(nn.Module):
    """Encoder + Decoder; ``forward`` stores the loss, ``backward`` back-propagates it."""

    def __init__(self, c1=16, c2=32, lat=16, k=3, d=28):
        super().__init__()
        self.encoder = Encoder(c1, c2, lat, k, d)
        self.decoder = Decoder(c1, c2, lat, k, d)

    def r_loss(self, x_hat, x):
        """Binary cross-entropy of the target ``x`` under the output ``x_hat``.

        Args:
            x_hat: (B, 1, d, d) decoder output in [0, 1]; x: (B, 1, d, d) target.
        Returns:
            0-d tensor, -sum[x log x_hat + (1 - x) log(1 - x_hat)] over batch and pixels.
        """
        # TODO CONV.4: summed BCE, with the log taken of the OUTPUT x_hat, never of the target.
        # Hint: F.binary_cross_entropy(input, target, reduction="sum") clamps its logs.
        # >>> START OF YOUR CODE (CONV.4)
        raise NotImplementedError("TODO CONV.4: implement VAE.r_loss")
        # <<< END OF YOUR CODE (CONV.4)

    def kl_loss(self, mu, sigma):
        """KL(N(mu, diag(sigma^2)) || N(0, I)).

        Args:
            mu, sigma: (B, lat), sigma > 0 (a standard deviation, not a log-variance).
        Returns:
            0-d tensor, sum of 0.5 * (mu^2 + sigma^2 - 1) - log(sigma) over batch and dims.
        """
        # TODO CONV.4: the closed-form KL with sigma given directly.
        # Hint: every term but log(sigma) carries the factor 0.5.
        # >>> START OF YOUR CODE (CONV.4)
        raise NotImplementedError("TODO CONV.4: implement VAE.kl_loss")
        # <<< END OF YOUR CODE (CONV.4)

    def gaussian(self, mu, sigma):
        """Args: mu, sigma (B, lat). Returns z = mu + sigma * eps, fresh eps ~ N(0, I)."""
        # TODO CONV.4: the reparameterization trick with a standard deviation.
        # Hint: torch.randn_like(sigma).
        # >>> START OF YOUR CODE (CONV.4)
        raise NotImplementedError("TODO CONV.4: implement VAE.gaussian")
        # <<< END OF YOUR CODE (CONV.4)

    def forward(self, x):
        """Args: x (B, 1, d, d). Returns x_hat (B, 1, d, d); sets self.loss = r_loss + kl_loss."""
        # TODO CONV.4: encode, sample z, decode; store the summed loss in self.loss.
        # Hint: self.r_loss(x_hat, x): output first, target second.
        # >>> START OF YOUR CODE (CONV.4)
        raise NotImplementedError("TODO CONV.4: implement VAE.forward")
        # <<< END OF YOUR CODE (CONV.4)

    def backward(self):
        """Back-propagate the loss stored by the last ``forward``."""
        # TODO CONV.4: call backward on the stored loss.
        # Hint: one line.
        # >>> START OF YOUR CODE (CONV.4)
        raise NotImplementedError("TODO CONV.4: implement VAE.backward")
        # <<< END OF YOUR CODE (CONV.4)


def top_variance_dims(embeddings, k=2):
    """Indices of the ``k`` latent dims whose values vary most across samples.

    Args:
        embeddings: (N, lat) latent codes.
    Returns:
        (k,) int64, sorted by variance, largest first; ties go to the lower index.
    """
    # TODO CONV.5: variance of each column, then the indices of the k largest.
    # Hint: torch.var(..., dim=0) and torch.argsort(..., descending=True, stable=True).
    # >>> START OF YOUR CODE (CONV.5)
    raise NotImplementedError("TODO CONV.5: implement top_variance_dims")
    # <<< END OF YOUR CODE (CONV.5)


def traversal_values(n=7, lo=0.05, hi=0.95):
    """Standard-normal quantiles of ``n`` evenly spaced probabilities from ``lo`` to ``hi``.

    Returns:
        (n,) float32, increasing and symmetric about 0 for the default lo and hi.
    """
    # TODO CONV.5: n evenly spaced probabilities, mapped through the inverse normal CDF.
    # Hint: torch.linspace and torch.distributions.Normal(0.0, 1.0).icdf.
    # >>> START OF YOUR CODE (CONV.5)
    raise NotImplementedError("TODO CONV.5: implement traversal_values")
    # <<< END OF YOUR CODE (CONV.5)


def latent_traversal(decoder, lat, dims, n=7):
    """Decode latent vectors that are zero except along one or two chosen dims (no gradient).

    Args:
        decoder: maps (M, lat) codes to (M, 1, d, d) images.
        lat: latent size.
        dims: a sequence of 1 or 2 ints (a (k,) int64 tensor is fine).
        n: number of values per dim, from traversal_values(n).
    Returns:
        one dim: (n, 1, d, d), image i decoded with that dim set to value i;
        two dims: (n * n, 1, d, d), row-major: image i * n + j has dims[0] set to
        value i and dims[1] set to value j.
    """
    # TODO CONV.5: build the (n, lat) or (n * n, lat) codes on the decoder's device and decode them.
    # Hint: wrap it in torch.no_grad(); for two dims, fill a (n, n, lat) tensor and reshape it.
    # >>> START OF YOUR CODE (CONV.5)
    raise NotImplementedError("TODO CONV.5: implement latent_traversal")
    # <<< END OF YOUR CODE (CONV.5)
