"""PCA as a linear autoencoder, to compare against the neural autoencoder of vae.py.

This is the file you edit for the pca_ae assignment. Graded parts:
  PCA.1  ``pca_fit``: mean, principal directions and their variances, from an SVD.
  PCA.2  ``pca_encode`` and ``pca_decode``: project onto the directions and back.
  PCA.3  ``reconstruction_mse`` and ``pca_error_curve``.

Data come as a matrix ``x`` of shape (N, D): N flattened images of D = 784 pixels.
Returned tensors keep the dtype of ``x``; ``reconstruction_mse`` returns a Python float.
"""
import torch


def pca_fit(x, n_components):
    """Principal component analysis of the rows of ``x``.

    Args:
        x: (N, D) data, one example per row.
        n_components: k, the number of directions to keep.
    Returns:
        mean: (D,) column means.
        components: (k, D) orthonormal rows, sorted by decreasing variance (any sign).
        explained_variance: (k,) variance along each row of components, with the
            unbiased 1 / (N - 1) normalisation.
    """
    # TODO PCA.1: centre x, take its SVD, keep the top k right singular vectors and S^2 / (N - 1).
    # Hint: torch.linalg.svd(xc, full_matrices=False) returns U, S, Vh with S sorted descending.
    # >>> START OF YOUR CODE (PCA.1)
    x64 = x.to(torch.float64)
    mean = x64.mean(dim=0)  # (D,)
    _, s, vh = torch.linalg.svd(x64 - mean, full_matrices=False)  # s (min(N, D),), vh (min(N, D), D)
    components = vh[:n_components]
    explained_variance = s[:n_components].pow(2) / (x.shape[0] - 1)
    return mean.to(x.dtype), components.to(x.dtype), explained_variance.to(x.dtype)
    # <<< END OF YOUR CODE (PCA.1)


def pca_encode(x, mean, components):
    """Args: x (N, D), mean (D,), components (k, D). Returns codes (N, k) = (x - mean) @ components^T."""
    # TODO PCA.2: centre, then project onto the components.
    # Hint: the rows of components are orthonormal, so projecting is one matrix product.
    # >>> START OF YOUR CODE (PCA.2)
    return (x - mean) @ components.T
    # <<< END OF YOUR CODE (PCA.2)


def pca_decode(z, mean, components):
    """Args: z (N, k), mean (D,), components (k, D). Returns (N, D) = z @ components + mean."""
    # TODO PCA.2: map codes back to data space and undo the centring.
    # Hint: the inverse of pca_encode restricted to the span of the components.
    # >>> START OF YOUR CODE (PCA.2)
    return z @ components + mean
    # <<< END OF YOUR CODE (PCA.2)


def reconstruction_mse(x, x_hat):
    """Mean of (x - x_hat)^2 over ALL elements (not a sum, not per row), as a Python float."""
    # TODO PCA.3: average the squared error over every element and return a float.
    # Hint: .item() turns a 0-d tensor into a Python number.
    # >>> START OF YOUR CODE (PCA.3)
    return (x - x_hat).pow(2).mean().item()
    # <<< END OF YOUR CODE (PCA.3)


def pca_error_curve(x, dims):
    """Reconstruction error of PCA on ``x`` itself, for each latent size.

    Args:
        x: (N, D) data, used both to fit and to evaluate.
        dims: an iterable of latent sizes k, e.g. range(2, 21).
    Returns:
        list of floats, reconstruction_mse(x, decode(encode(x))) for each k, in order.
    """
    # TODO PCA.3: for each k, reconstruct x from its first k principal components and record the MSE.
    # Hint: the top-k components are the first k rows of a larger fit, so one fit is enough.
    # >>> START OF YOUR CODE (PCA.3)
    dims = [int(k) for k in dims]
    if not dims:
        return []
    mean, components, _ = pca_fit(x, max(dims))
    errors = []
    for k in dims:
        z = pca_encode(x, mean, components[:k])
        errors.append(reconstruction_mse(x, pca_decode(z, mean, components[:k])))
    return errors
    # <<< END OF YOUR CODE (PCA.3)
