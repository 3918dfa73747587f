"""Strict references: each reference file with the contract's entry checks appended (docs/contract.md).

Every function and method of the contract is wrapped so that a call with an input the contract does not
allow (a shape, dtype, range or batch it never promises) raises ``AssertionError("contract: ...")``. The
strict reference is graded instead of the plain one (``tests/test_catalogues.py``): it must still earn
every point, so an item that feeds a submission anything the contract does not allow fails the suite,
and correct code that relies on the contract (``x.view(-1, 784)``) can never lose points for it.
"""
from __future__ import annotations

from pathlib import Path

from tests.variants import SOLUTIONS

# Helpers shared by every assignment's checks: ``_need(ok, where, what, got)`` raises when ``ok`` is false.
COMMON = '''
# ---- the contract's entry checks (tests/strict.py) ----
import functools as _functools
import torch as _torch


def _desc(v):
    if isinstance(v, _torch.Tensor):
        return f"tensor {tuple(v.shape)} {v.dtype}"
    return f"{type(v).__name__} {v!r}"[:80]


def _need(ok, where, what, got):
    if not ok:
        raise AssertionError(f"contract: {where} takes {what}, got {_desc(got)}")


def _float(v, where, name, shape=None, lo=None, hi=None, dims=None):
    _need(isinstance(v, _torch.Tensor) and v.dtype == _torch.float32, where, f"{name} as float32", v)
    _need(v.dim() >= 1 and v.shape[0] >= 1, where, f"{name} with a batch dimension of at least 1", v)
    if dims is not None:
        _need(v.dim() == dims, where, f"{name} with {dims} dimensions", v)
    if shape is not None:
        _need(tuple(v.shape[1:]) == tuple(shape), where, f"{name} of shape (B, {', '.join(map(str, shape))})", v)
    _need(bool(_torch.isfinite(v).all()), where, f"{name} finite", v)
    if lo is not None:
        _need(bool((v >= lo).all()), where, f"{name} >= {lo}", v)
    if hi is not None:
        _need(bool((v <= hi).all()), where, f"{name} <= {hi}", v)


def _same(a, b, where, names):
    _need(a.shape == b.shape, where, f"{names} of one shape", b)


def _labels(v, where, n_classes):
    _need(isinstance(v, _torch.Tensor) and v.dtype == _torch.int64 and v.dim() == 1 and v.shape[0] >= 1,
          where, "labels as a (B,) int64 tensor", v)
    _need(bool(((v >= 0) & (v < n_classes)).all()), where, f"labels in [0, {n_classes})", v)


def _one_hot(v, where, n_classes):
    _float(v, where, "y", shape=(n_classes,))
    _need(bool(((v == 0) | (v == 1)).all()) and bool((v.sum(1) == 1).all()), where, "y one-hot", v)


def _wrap(owner, name, check):
    """Replace ``owner.name`` (a function of this module or a method) by one that checks its arguments first."""
    original = getattr(owner, name) if not isinstance(owner, dict) else owner[name]

    @_functools.wraps(original)
    def checked(*args, **kwargs):
        check(*args, **kwargs)
        return original(*args, **kwargs)

    if isinstance(owner, dict):
        owner[name] = checked
    else:
        setattr(owner, name, checked)
'''

CHECKS = {
    "vae": '''
def _loss_inputs(recon_x, x, *rest, where):
    _float(recon_x, where, "recon_x", shape=(784,), lo=0, hi=1)
    _float(x, where, "x", shape=(784,), lo=0, hi=1)


def _code_pair(mu, logvar, where):
    _float(mu, where, "mu", dims=2)
    _float(logvar, where, "logvar", dims=2)
    _same(mu, logvar, where, "mu and logvar")


_wrap(globals(), "reconstruction_loss", lambda recon_x, x: _loss_inputs(recon_x, x, where="reconstruction_loss"))
_wrap(globals(), "kl_divergence", lambda mu, logvar: _code_pair(mu, logvar, "kl_divergence"))
_wrap(Autoencoder, "encode", lambda self, x: _float(x, "encode", "x", shape=(self.encoder_hidden[0].in_features,), lo=0, hi=1))
_wrap(Autoencoder, "reparameterize", lambda self, mu, logvar: _code_pair(mu, logvar, "reparameterize"))
_wrap(Autoencoder, "decode", lambda self, z: _float(z, "decode", "z", shape=(self.n_dims_code,)))
_wrap(Autoencoder, "forward", lambda self, x: _float(x, "forward", "x", shape=(self.encoder_hidden[0].in_features,), lo=0, hi=1))
_wrap(Autoencoder, "loss_function", lambda self, recon_x, x, mu=None, logvar=None:
      _loss_inputs(recon_x, x, where="loss_function"))
''',
    "cvae": '''
def _pair(mu, logvar, where):
    _float(mu, where, "mu", dims=2)
    _float(logvar, where, "logvar", dims=2)
    _same(mu, logvar, where, "mu and logvar")


def _width(self):  # the model's own data width (a CVAE(n_dims_data=100) takes (B, 100))
    return self.encoder_hidden[0].in_features - self.n_classes


def _x_y(self, x, y, where):
    _float(x, where, "x", shape=(_width(self),), lo=0, hi=1)
    _one_hot(y, where, self.n_classes)


def _cvae_loss(self, recon_x, x, mu, logvar):
    _float(recon_x, "loss_function", "recon_x", shape=(_width(self),), lo=0, hi=1)
    _float(x, "loss_function", "x", shape=(_width(self),), lo=0, hi=1)
    _pair(mu, logvar, "loss_function")


_wrap(globals(), "one_hot", lambda labels, n_classes=10: _labels(labels, "one_hot", n_classes))
_wrap(CVAE, "encode", lambda self, x, y: _x_y(self, x, y, "encode"))
_wrap(CVAE, "reparameterize", lambda self, mu, logvar: _pair(mu, logvar, "reparameterize"))
_wrap(CVAE, "decode", lambda self, z, y: (_float(z, "decode", "z", shape=(self.n_dims_code,)),
                                         _one_hot(y, "decode", self.n_classes)))
_wrap(CVAE, "forward", lambda self, x, y: _x_y(self, x, y, "forward"))
_wrap(CVAE, "loss_function", _cvae_loss)
_wrap(CVAE, "sample", lambda self, labels: _labels(labels, "sample", self.n_classes))
''',
    "conv_vae": '''
def _image(x, where, name, d):
    _float(x, where, name, shape=(1, d, d), lo=0, hi=1)


def _mu_sigma(mu, sigma, where):
    _float(mu, where, "mu", dims=2)
    _float(sigma, where, "sigma", dims=2)
    _need(bool((sigma > 0).all()), where, "sigma > 0", sigma)
    _same(mu, sigma, where, "mu and sigma")


def _check_r_loss(self, x_hat, x):
    _float(x_hat, "r_loss", "x_hat", lo=0, hi=1)
    _float(x, "r_loss", "x", lo=0, hi=1)
    _need(x_hat.dim() == 4 and x_hat.shape[1] == 1 and x_hat.shape[2] == x_hat.shape[3], "r_loss",
          "x_hat of shape (B, 1, d, d)", x_hat)
    _same(x_hat, x, "r_loss", "x_hat and x")


def _check_dims(embeddings, k=2):
    _float(embeddings, "top_variance_dims", "embeddings", dims=2)
    _need(isinstance(k, int) and 1 <= k <= embeddings.shape[1], "top_variance_dims", "k in [1, lat]", k)


def _check_traversal(decoder, lat, dims, n=7):
    _need(isinstance(lat, int) and lat >= 1, "latent_traversal", "lat a positive int", lat)
    _need(len(dims) in (1, 2) and all(isinstance(d, int) and 0 <= d < lat for d in dims), "latent_traversal",
          "dims: 1 or 2 ints in [0, lat)", dims)
    _need(isinstance(n, int) and n >= 1, "latent_traversal", "n a positive int", n)


_wrap(Encoder, "forward", lambda self, x: _float(x, "Encoder.forward", "x", dims=4, lo=0, hi=1))
_wrap(Decoder, "forward", lambda self, z: _float(z, "Decoder.forward", "z", dims=2))
_wrap(VAE, "r_loss", _check_r_loss)
_wrap(VAE, "kl_loss", lambda self, mu, sigma: _mu_sigma(mu, sigma, "kl_loss"))
_wrap(VAE, "gaussian", lambda self, mu, sigma: _mu_sigma(mu, sigma, "gaussian"))
_wrap(VAE, "forward", lambda self, x: _float(x, "VAE.forward", "x", dims=4, lo=0, hi=1))
_wrap(globals(), "top_variance_dims", _check_dims)
_wrap(globals(), "latent_traversal", _check_traversal)
''',
    "pca_ae": '''
def _check_fit(x, n_components):
    _float(x, "pca_fit", "x", dims=2)
    _need(isinstance(n_components, int) and 1 <= n_components <= x.shape[1], "pca_fit", "n_components in [1, D]",
          n_components)


def _check_code(v, mean, components, where, name, width):
    _float(v, where, name, dims=2)
    _need(isinstance(mean, _torch.Tensor) and mean.dim() == 1, where, "mean of shape (D,)", mean)
    _need(isinstance(components, _torch.Tensor) and components.dim() == 2 and components.shape[1] == mean.shape[0],
          where, "components of shape (k, D)", components)
    _need(v.shape[1] == width(components), where, f"{name} of width {width(components)}", v)


def _check_mse(x, x_hat):
    _need(isinstance(x, _torch.Tensor) and isinstance(x_hat, _torch.Tensor) and x.shape == x_hat.shape,
          "reconstruction_mse", "x and x_hat tensors of one shape", x_hat)


_wrap(globals(), "pca_fit", _check_fit)
_wrap(globals(), "pca_encode", lambda x, mean, components: _check_code(x, mean, components, "pca_encode", "x",
                                                                       lambda c: c.shape[1]))
_wrap(globals(), "pca_decode", lambda z, mean, components: _check_code(z, mean, components, "pca_decode", "z",
                                                                       lambda c: c.shape[0]))
_wrap(globals(), "reconstruction_mse", _check_mse)
_wrap(globals(), "pca_error_curve", lambda x, dims: (_float(x, "pca_error_curve", "x", dims=2), _need(
    all(isinstance(k, int) and 1 <= k <= x.shape[1] for k in dims), "pca_error_curve", "dims: ints in [1, D]", dims)))
''',
    "faces": '''
def _faces_pair(mu, logvar, where):
    _float(mu, where, "mu", dims=2)
    _float(logvar, where, "logvar", dims=2)
    _same(mu, logvar, where, "mu and logvar")


def _faces_loss(self, recon_x, x, mu, logvar):
    _float(recon_x, "loss_function", "recon_x", shape=(3, 64, 64), lo=0, hi=1)
    _float(x, "loss_function", "x", shape=(3, 64, 64), lo=0, hi=1)
    _faces_pair(mu, logvar, "loss_function")


_wrap(FaceVAE, "encode", lambda self, x: _float(x, "encode", "x", shape=(3, 64, 64), lo=0, hi=1))
_wrap(FaceVAE, "reparameterize", lambda self, mu, logvar: _faces_pair(mu, logvar, "reparameterize"))
_wrap(FaceVAE, "decode", lambda self, z: _float(z, "decode", "z", dims=2))
_wrap(FaceVAE, "forward", lambda self, x: _float(x, "forward", "x", shape=(3, 64, 64), lo=0, hi=1))
_wrap(FaceVAE, "loss_function", _faces_loss)
''',
}


def strict_source(name: str) -> str:
    """The reference ``name``.py with the contract's entry checks appended."""
    return (SOLUTIONS / f"{name}.py").read_text() + COMMON + CHECKS[name]


def write_strict(folder: Path, name: str) -> Path:
    """``folder`` holding the strict reference of ``name`` as ``name``.py."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(strict_source(name))
    return folder
