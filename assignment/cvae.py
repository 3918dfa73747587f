"""A conditional VAE (CVAE) for binarized 28 x 28 digits: the label steers what is drawn.

This is the file you edit for the cvae assignment. Graded parts:
  CVAE.1  ``one_hot``.
  CVAE.2  the model: layers in ``__init__``, ``encode``, ``reparameterize``, ``decode``, ``forward``.
  CVAE.3  ``loss_function``.
  CVAE.4  ``sample``: draw images of chosen classes from the prior.

Images arrive flattened, ``x`` of shape (B, 784) with pixels in {0, 1}; labels ``y`` enter
encode, decode and forward one-hot, shape (B, 10). Only ``sample`` takes int64 labels.
Every loss is a 0-d tensor: the SUM over the batch and over all pixels / latent dims.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def one_hot(labels, n_classes=10):
    """Turn class indices into one-hot rows.

    Args:
        labels: (B,) int64 class indices in [0, n_classes).
    Returns:
        (B, n_classes) float32, a single 1.0 per row at the label's column.
    """
    # TODO CVAE.1: build the float32 one-hot matrix.
    # Hint: F.one_hot gives int64; convert it with .float().
    # >>> START OF YOUR CODE (CVAE.1)
    raise NotImplementedError("TODO CVAE.1: implement one_hot")
    # <<< END OF YOUR CODE (CVAE.1)


class CVAE(nn.Module):
    """q(z | x, y) and p(x | z, y), both MLPs that read the one-hot label beside their input."""

    def __init__(self, n_dims_data=784, n_classes=10, n_dims_hidden=256, n_dims_code=40):
        """Build the layers.

        Encoder: [x, y] (n_dims_data + n_classes) -> Linear -> ReLU -> n_dims_hidden,
        then two n_dims_hidden -> n_dims_code heads (mu, logvar; no activation).
        Decoder: [z, y] (n_dims_code + n_classes) -> Linear -> ReLU -> n_dims_hidden
        -> Linear -> Sigmoid -> n_dims_data.
        """
        super().__init__()
        self.n_classes = n_classes
        self.n_dims_code = n_dims_code
        # TODO CVAE.2: build the encoder (hidden layer + mu and logvar heads) and the decoder.
        # Hint: the first layer of each network is wider by n_classes, for the label.
        # >>> START OF YOUR CODE (CVAE.2)
        raise NotImplementedError("TODO CVAE.2: implement CVAE.__init__")
        # <<< END OF YOUR CODE (CVAE.2)

    def encode(self, x, y):
        """Args: x (B, 784), y (B, 10) one-hot. Returns (mu, logvar), each (B, code)."""
        # TODO CVAE.2: concatenate [x, y] along the feature dim and run the encoder.
        # Hint: torch.cat([x, y], dim=1) has shape (B, 794).
        # >>> START OF YOUR CODE (CVAE.2)
        raise NotImplementedError("TODO CVAE.2: implement CVAE.encode")
        # <<< END OF YOUR CODE (CVAE.2)

    def reparameterize(self, mu, logvar):
        """Args: mu, logvar (B, code). Returns z = mu + exp(0.5 * logvar) * eps, eps ~ N(0, I)."""
        # TODO CVAE.2: implement the reparameterization trick.
        # Hint: torch.randn_like draws eps on the right device with the right shape.
        # >>> START OF YOUR CODE (CVAE.2)
        raise NotImplementedError("TODO CVAE.2: implement CVAE.reparameterize")
        # <<< END OF YOUR CODE (CVAE.2)

    def decode(self, z, y):
        """Args: z (B, code), y (B, 10) one-hot. Returns (B, 784) Bernoulli means in [0, 1]."""
        # TODO CVAE.2: concatenate [z, y] and run the decoder.
        # Hint: the decoder's input has n_dims_code + n_classes features.
        # >>> START OF YOUR CODE (CVAE.2)
        raise NotImplementedError("TODO CVAE.2: implement CVAE.decode")
        # <<< END OF YOUR CODE (CVAE.2)

    def forward(self, x, y):
        """Args: x (B, 784), y (B, 10) one-hot. Returns (recon (B, 784), mu, logvar (B, code))."""
        # TODO CVAE.2: encode, sample z with reparameterize, decode with the same label.
        # Hint: the label goes to both the encoder and the decoder.
        # >>> START OF YOUR CODE (CVAE.2)
        raise NotImplementedError("TODO CVAE.2: implement CVAE.forward")
        # <<< END OF YOUR CODE (CVAE.2)

    def loss_function(self, recon_x, x, mu, logvar):
        """Negative ELBO.

        Args:
            recon_x, x: (B, 784); mu, logvar: (B, code).
        Returns:
            0-d tensor: binary cross-entropy SUMMED over batch and pixels plus
            KL(q(z|x,y) || N(0, I)) SUMMED over batch and latent dims.
        """
        # TODO CVAE.3: return summed BCE plus the summed closed-form Gaussian KL.
        # Hint: KL per dim = -0.5 * (1 + logvar - mu^2 - exp(logvar)).
        # >>> START OF YOUR CODE (CVAE.3)
        raise NotImplementedError("TODO CVAE.3: implement CVAE.loss_function")
        # <<< END OF YOUR CODE (CVAE.3)

    def sample(self, labels):
        """Draw one image per requested class from the prior.

        Args:
            labels: (N,) int64 class indices.
        Returns:
            (N, 784) pixel means in [0, 1], decoded from z ~ N(0, I) of shape (N, code)
            drawn with torch's default generator on the model's device.
        """
        # TODO CVAE.4: draw z from N(0, I) on the model's device and decode it with one_hot(labels).
        # Hint: next(self.parameters()) has the device and dtype the model lives in.
        # >>> START OF YOUR CODE (CVAE.4)
        raise NotImplementedError("TODO CVAE.4: implement CVAE.sample")
        # <<< END OF YOUR CODE (CVAE.4)
