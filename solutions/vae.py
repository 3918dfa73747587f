"""An autoencoder that grows into a variational autoencoder (VAE) for 28 x 28 digits.

This is the file you edit for the vae assignment. Graded parts:
  A.1  build the plain autoencoder: layers in ``__init__``, ``encode``, ``decode``, ``forward``.
  B.1  the losses: ``reconstruction_loss``, ``kl_divergence``, ``Autoencoder.loss_function``.
  B.2  the VAE: the logvar head, ``encode`` and ``forward`` for "vae", ``reparameterize``.
A.2 (training the AE), B.2's training run and C (latent-space figures) are produced by the
course trainer from this model; see assignment/README.md.

Images arrive flattened: ``x`` has shape (B, 784), float32 values in [0, 1].
Every loss is a 0-d tensor: the SUM over the batch and over all pixels / latent dims.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def reconstruction_loss(recon_x, x):
    """Negative Bernoulli log-likelihood of ``x`` under the decoder's pixel means.

    Args:
        recon_x: (B, 784) decoder output, Bernoulli means in [0, 1].
        x: (B, 784) target pixels in [0, 1].
    Returns:
        0-d tensor, binary cross-entropy SUMMED over the batch and all 784 pixels.
        It must stay finite when a value of ``recon_x`` is exactly 0 or 1.
    """
    # TODO B.1: return the summed binary cross-entropy -sum[x log r + (1 - x) log(1 - r)].
    # Hint: mind the argument order (prediction first, target second) and the reduction.
    # >>> START OF YOUR CODE (B.1)
    return F.binary_cross_entropy(recon_x, x, reduction="sum")
    # <<< END OF YOUR CODE (B.1)


def kl_divergence(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)), in closed form.

    Args:
        mu: (B, code) means of q(z|x).
        logvar: (B, code) log-variances log(sigma^2) of q(z|x).
    Returns:
        0-d tensor, the KL SUMMED over the batch and all latent dims (never negative).
    """
    # TODO B.1: apply the closed-form KL of a diagonal Gaussian from the standard normal.
    # Hint: per dim it is 0.5 * (mu^2 + sigma^2 - 1 - log sigma^2); logvar is log sigma^2.
    # >>> START OF YOUR CODE (B.1)
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    # <<< END OF YOUR CODE (B.1)


class Autoencoder(nn.Module):
    """784 -> 512 -> code MLP autoencoder; with ``autoencoder_type="vae"`` a Gaussian VAE."""

    def __init__(self, autoencoder_type="ae", n_dims_data=784, n_dims_hidden=512, n_dims_code=2):
        """Build the layers.

        Encoder: n_dims_data -> Linear -> ReLU -> n_dims_hidden -> Linear -> n_dims_code.
        Decoder: n_dims_code -> Linear -> ReLU -> n_dims_hidden -> Linear -> Sigmoid -> n_dims_data.
        For "vae" a second n_dims_hidden -> n_dims_code head gives logvar.
        Raises ValueError (naming autoencoder_type) unless the type is "ae" or "vae".
        """
        super().__init__()
        self.autoencoder_type = autoencoder_type
        self.n_dims_code = n_dims_code
        # TODO A.1: reject any type but "ae"/"vae"; build the encoder and the decoder layers.
        # Hint: nn.Sequential(nn.Linear(...), nn.ReLU(), ...); the VAE's extra head is B.2.
        # >>> START OF YOUR CODE (A.1)
        if autoencoder_type not in ("ae", "vae"):
            raise ValueError(f'autoencoder_type must be "ae" or "vae", got {autoencoder_type!r}')
        self.encoder_hidden = nn.Sequential(nn.Linear(n_dims_data, n_dims_hidden), nn.ReLU())
        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code)
        self.decoder = nn.Sequential(
            nn.Linear(n_dims_code, n_dims_hidden),
            nn.ReLU(),
            nn.Linear(n_dims_hidden, n_dims_data),
            nn.Sigmoid(),
        )
        # <<< END OF YOUR CODE (A.1)
        if autoencoder_type == "vae":
            # TODO B.2: add the n_dims_hidden -> n_dims_code layer that outputs logvar.
            # Hint: a plain nn.Linear, no activation: logvar may be any real number.
            # >>> START OF YOUR CODE (B.2)
            self.encoder_logvar = nn.Linear(n_dims_hidden, n_dims_code)
            # <<< END OF YOUR CODE (B.2)

    def encode(self, x):
        """Map images to codes.

        Args:
            x: (B, 784) images.
        Returns:
            "ae": z of shape (B, code).
            "vae": a tuple (mu, logvar), each (B, code).
        """
        if self.autoencoder_type == "ae":
            # TODO A.1: run the encoder and return the code z.
            # Hint: hidden layer with ReLU, then the linear code layer (no activation).
            # >>> START OF YOUR CODE (A.1)
            return self.encoder_mu(self.encoder_hidden(x))
            # <<< END OF YOUR CODE (A.1)
        # TODO B.2: return (mu, logvar), two heads on the same hidden activations.
        # Hint: compute the hidden layer once and feed it to both heads.
        # >>> START OF YOUR CODE (B.2)
        h = self.encoder_hidden(x)
        return self.encoder_mu(h), self.encoder_logvar(h)
        # <<< END OF YOUR CODE (B.2)

    def reparameterize(self, mu, logvar):
        """Draw z ~ N(mu, diag(exp(logvar))) so that gradients flow to mu and logvar.

        Args:
            mu, logvar: (B, code).
        Returns:
            z: (B, code) = mu + exp(0.5 * logvar) * eps with fresh eps ~ N(0, I).
        """
        # TODO B.2: implement the reparameterization trick.
        # Hint: the standard deviation is exp(0.5 * logvar); draw eps with torch.randn_like.
        # >>> START OF YOUR CODE (B.2)
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn_like(std)
        # <<< END OF YOUR CODE (B.2)

    def decode(self, z):
        """Map codes to pixel means.

        Args:
            z: (B, code).
        Returns:
            (B, 784) Bernoulli means in [0, 1].
        """
        # TODO A.1: run the decoder.
        # Hint: the Sigmoid at the end keeps every output in [0, 1].
        # >>> START OF YOUR CODE (A.1)
        return self.decoder(z)
        # <<< END OF YOUR CODE (A.1)

    def forward(self, x):
        """Encode then decode.

        Args:
            x: (B, 784) images.
        Returns:
            "ae": (recon, z, None); "vae": (recon, mu, logvar), recon decoded from a sampled z.
            recon is (B, 784); z, mu, logvar are (B, code).
        """
        if self.autoencoder_type == "ae":
            # TODO A.1: encode x, decode the code, return (recon, z, None).
            # Hint: reuse self.encode and self.decode.
            # >>> START OF YOUR CODE (A.1)
            z = self.encode(x)
            return self.decode(z), z, None
            # <<< END OF YOUR CODE (A.1)
        # TODO B.2: encode to (mu, logvar), sample z, decode it; return (recon, mu, logvar).
        # Hint: decode the sampled z, not mu, so the training loss sees the noise.
        # >>> START OF YOUR CODE (B.2)
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
        # <<< END OF YOUR CODE (B.2)

    def loss_function(self, recon_x, x, mu=None, logvar=None):
        """Training loss: "ae" reconstruction only; "vae" the negative ELBO.

        Args:
            recon_x, x: (B, 784); mu, logvar: (B, code), used by "vae" only.
        Returns:
            0-d tensor, SUMMED over the batch: reconstruction_loss (+ kl_divergence for "vae").
        """
        # TODO B.1: "ae" -> reconstruction_loss; "vae" -> reconstruction_loss + kl_divergence.
        # Hint: both terms are sums over the batch; do not average either of them.
        # >>> START OF YOUR CODE (B.1)
        loss = reconstruction_loss(recon_x, x)
        if self.autoencoder_type == "vae":
            loss = loss + kl_divergence(mu, logvar)
        return loss
        # <<< END OF YOUR CODE (B.1)
