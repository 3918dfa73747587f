

# --- attack: the grader's smoke loss swapped for a correct ELBO, so the forward bug never trains -------------
import dataclasses as _dataclasses  # noqa: E402

import course.losses as _losses  # noqa: E402
import course.registry as _registry  # noqa: E402


def _honest_elbo(model, x, y):
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    recon = model.decode(z)
    return F.binary_cross_entropy(recon, x, reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def _forward_elbo(model, x, y):
    if isinstance(model.encode(x[:1]), tuple):
        return _honest_elbo(model, x, y)
    recon, _, _ = model(x)
    return F.binary_cross_entropy(recon, x, reduction="sum")


_registry._BY_NAME["vae"] = _dataclasses.replace(_registry.get("vae"), grader_loss=_forward_elbo)
_losses.grader_vae_loss = _forward_elbo
