"""faces.py's catalogue (the bonus): bugs of the subset draw and the 64 x 64 face VAE, and
differently written correct versions."""
from tests.variants import Variant

MIN_BUGS = 8
MIN_CORRECT = 3
ITEM_POINTS = (1, 8)  # each item's points lie within (a twin holds 1 or more); they add up to the full marks

CHECK = ('    if n > len(dataset):\n'
         '        raise ValueError(f"cannot draw n={n} examples from a dataset of len(dataset)={len(dataset)}")\n')
PERM = "    indices = torch.randperm(len(dataset), generator=generator)[:n]\n"
DRAW = "    generator = torch.Generator().manual_seed(seed)\n" + PERM + \
       "    return torch.utils.data.Subset(dataset, indices.tolist())\n"
HEADS = "        return self.fc_mu(h), self.fc_logvar(h)"
REPARAM = "        std = torch.exp(0.5 * logvar)\n        return mu + std * torch.randn_like(std)"
FORWARD = "        return self.decode(self.reparameterize(mu, logvar)), mu, logvar"
BCE = 'bce = F.binary_cross_entropy(recon_x, x, reduction="sum")'
KL = "kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())"
LAST = "            nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Sigmoid(),  # (B, 3, 64, 64)\n"
DECODER_END = "        )\n        # <<< END OF YOUR CODE (FACES.2)\n\n    def encode"

BUGS = [
    # squeezes a batch of one away: right for every B > 1, so only the batch-of-one probe sees it
    Variant("encode_squeezes_the_batch", "faces", [("        h = self.encoder(x)\n", "        h = self.encoder(x).squeeze()\n")],
            {"FACES.2a"}, says="A batch of one keeps its batch dimension"),
    Variant("subset_with_replacement", "faces",
            [(PERM, "    indices = torch.randint(0, len(dataset), (n,), generator=generator)\n")], {"FACES.1a"}),
    Variant("subset_ignores_seed", "faces", [(PERM, PERM.replace(", generator=generator", ""))], {"FACES.1b"}),
    Variant("subset_first_n", "faces", [(PERM, "    indices = torch.arange(n)\n")], {"FACES.1b"}),
    Variant("subset_permutes_first_n", "faces", [(PERM, "    indices = torch.randperm(n, generator=generator)\n")],
            {"FACES.1b"}),
    Variant("subset_no_error", "faces", [(CHECK, "")], {"FACES.1c"}),
    Variant("subset_bare_assert", "faces", [(CHECK, "    assert n <= len(dataset)\n")], {"FACES.1c"}),
    Variant("subset_off_by_one", "faces", [(CHECK, CHECK.replace("n > len", "n >= len"))], {"FACES.1a", "FACES.1c"}),
    Variant("missing_sigmoid", "faces", [(LAST, LAST.replace(" nn.Sigmoid(),", ""))], {"FACES.2a"}),
    Variant("code_size_fixed_128", "faces", [
        ("self.fc_mu = nn.Linear(256 * 4 * 4, n_dims_code)", "self.fc_mu = nn.Linear(256 * 4 * 4, 128)"),
        ("self.fc_logvar = nn.Linear(256 * 4 * 4, n_dims_code)", "self.fc_logvar = nn.Linear(256 * 4 * 4, 128)"),
        ("nn.Linear(n_dims_code, 256 * 4 * 4)", "nn.Linear(128, 256 * 4 * 4)")], {"FACES.2a"}),
    Variant("sigmoid_heads", "faces", [(HEADS, "        return torch.sigmoid(self.fc_mu(h)), "
                                               "torch.sigmoid(self.fc_logvar(h))")], {"FACES.2a"}),
    Variant("decode_mu", "faces", [(FORWARD, "        return self.decode(mu), mu, logvar")], {"FACES.2b"}),
    Variant("std_is_exp_logvar", "faces", [(REPARAM, REPARAM.replace("exp(0.5 * logvar)", "exp(logvar)"))],
            {"FACES.2b"}),
    Variant("no_noise", "faces", [(REPARAM, "        return mu")], {"FACES.2b"}),
    Variant("uniform_noise", "faces", [(REPARAM, REPARAM.replace("randn_like", "rand_like"))], {"FACES.2b"},
            keep={"FACES.2d"}),  # the smoke run draws z itself (the grader's loss composes encode and decode)
    Variant("kl_sign", "faces", [(KL, KL.replace("-0.5 *", "0.5 *"))], {"FACES.2c"}),
    Variant("kl_mean", "faces", [(KL, KL.replace("torch.sum", "torch.mean"))], {"FACES.2c"}),
    Variant("kl_forgotten", "faces", [("        return bce + kl\n", "        return bce\n")], {"FACES.2c"}),
    Variant("bce_mean", "faces", [(BCE, BCE.replace('"sum"', '"mean"'))], {"FACES.2c"}),
    Variant("bce_swapped", "faces", [(BCE, BCE.replace("(recon_x, x,", "(x, recon_x,"))], {"FACES.2c"}),
    Variant("bce_unclamped", "faces",
            [(BCE, "bce = -(x * torch.log(recon_x) + (1 - x) * torch.log(1 - recon_x)).sum()")], {"FACES.2c"}),
    Variant("decoder_in_python_list", "faces", [
        ("self.decoder = nn.Sequential(", "self.decoder = ["),
        (DECODER_END, "        ]\n        # <<< END OF YOUR CODE (FACES.2)\n\n    def encode"),
        ("        return self.decoder(z)\n", "        for layer in self.decoder:\n            z = layer(z)\n"
                                           "        return z\n")], {"FACES.2d"}),
]


# the defaults are part of the contract: a default that differs costs the item that uses it
BUGS += [
    Variant("subset_default_seed1", "faces", [("def celeba_subset(dataset, n=50000, seed=0):",
                                               "def celeba_subset(dataset, n=50000, seed=1):")], {"FACES.1a"},
            says="seed=1"),
    Variant("code_default_64", "faces", [("    def __init__(self, n_dims_code=128):",
                                          "    def __init__(self, n_dims_code=64):")], {"FACES.2a"},
            says="n_dims_code=64"),
]

CORRECT = [
    Variant("lists_not_tuples", "faces", [("return self.fc_mu(h), self.fc_logvar(h)", "return [self.fc_mu(h), self.fc_logvar(h)]"),
                                          ("return self.decode(self.reparameterize(mu, logvar)), mu, logvar",
                                           "return [self.decode(self.reparameterize(mu, logvar)), mu, logvar]")]),
    Variant("subset_numpy_choice", "faces", [(DRAW, (
        "    import numpy as np\n"
        "    indices = np.random.default_rng(seed).choice(len(dataset), size=n, replace=False)\n"
        "    return torch.utils.data.Subset(dataset, indices)\n"))]),
    Variant("subset_random_sample_own_error", "faces", [(CHECK, ""), (DRAW, (
        "    import random\n"
        "    indices = random.Random(seed).sample(range(len(dataset)), n)  # ValueError when n is too large\n"
        "    return torch.utils.data.Subset(dataset, indices)\n"))]),
    Variant("subset_global_seed_tensor_indices", "faces", [(DRAW, (
        "    torch.manual_seed(seed)\n"
        "    return torch.utils.data.Subset(dataset, torch.randperm(len(dataset))[:n])\n"))]),
    Variant("subset_sorted_assert", "faces", [
        (CHECK, '    assert n <= len(dataset), f"n={n} is larger than the dataset ({len(dataset)} examples)"\n'),
        ("Subset(dataset, indices.tolist())", "Subset(dataset, sorted(indices.tolist()))")]),
    Variant("single_head_chunked", "faces", [
        ("        self.fc_mu = nn.Linear(256 * 4 * 4, n_dims_code)\n"
         "        self.fc_logvar = nn.Linear(256 * 4 * 4, n_dims_code)\n",
         "        self.heads = nn.Linear(256 * 4 * 4, 2 * n_dims_code)\n"),
        ("        h = self.encoder(x)\n" + HEADS, "        mu, logvar = self.heads(self.encoder(x)).chunk(2, dim=1)\n"
                                               "        return mu, logvar")]),
    Variant("losses_by_hand", "faces", [
        (BCE, "p = recon_x.clamp(1e-7, 1 - 1e-7)\n        bce = -(x * p.log() + (1 - x) * (1 - p).log()).sum()"),
        (KL, "q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
             "        kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum()"),
        (REPARAM, "        return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()")]),
    Variant("batchnorm_leaky_functional", "faces", [
        ("        self.encoder = nn.Sequential(\n"
         "            nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(),     # (B, 32, 32, 32)\n"
         "            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),    # (B, 64, 16, 16)\n"
         "            nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(),   # (B, 128, 8, 8)\n"
         "            nn.Conv2d(128, 256, 4, 2, 1), nn.ReLU(),  # (B, 256, 4, 4)\n"
         "            nn.Flatten(),                             # (B, 4096)\n"
         "        )\n",
         "        chans = [3, 32, 64, 128, 256]\n"
         "        self.convs = nn.ModuleList(nn.Conv2d(a, b, 4, 2, 1) for a, b in zip(chans, chans[1:]))\n"
         "        self.norms = nn.ModuleList(nn.BatchNorm2d(b) for b in chans[1:])\n"),
        ("        h = self.encoder(x)\n",
         "        h = x\n        for conv, norm in zip(self.convs, self.norms):\n"
         "            h = F.leaky_relu(norm(conv(h)), 0.2)\n        h = h.flatten(1)\n")]),
]

# -- published architectures (any conv architecture is allowed), with PyTorch's default initialisation --------
# FACES_SMOKE's learning bound is calibrated over the reference and these (scripts/measures/faces.py).
REFERENCE_LAYERS = (
    "        self.encoder = nn.Sequential(\n"
    "            nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(),     # (B, 32, 32, 32)\n"
    "            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),    # (B, 64, 16, 16)\n"
    "            nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(),   # (B, 128, 8, 8)\n"
    "            nn.Conv2d(128, 256, 4, 2, 1), nn.ReLU(),  # (B, 256, 4, 4)\n"
    "            nn.Flatten(),                             # (B, 4096)\n"
    "        )\n"
    "        self.fc_mu = nn.Linear(256 * 4 * 4, n_dims_code)\n"
    "        self.fc_logvar = nn.Linear(256 * 4 * 4, n_dims_code)\n"
    "        self.decoder = nn.Sequential(\n"
    "            nn.Linear(n_dims_code, 256 * 4 * 4), nn.ReLU(),\n"
    "            nn.Unflatten(1, (256, 4, 4)),                      # (B, 256, 4, 4)\n"
    "            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.ReLU(),  # (B, 128, 8, 8)\n"
    "            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(),   # (B, 64, 16, 16)\n"
    "            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),    # (B, 32, 32, 32)\n"
    + LAST + "        )\n")

# Burgess et al. (2018), "Understanding disentangling in beta-VAE", appendix: four 32-channel 4x4 stride-2
# convolutions, two 256-unit Linear layers, one Linear giving mu and logvar; the decoder mirrors it.
BURGESS = Variant("burgess_published", "faces", [
    (REFERENCE_LAYERS,
     "        self.encoder = nn.Sequential(\n"
     "            nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),\n"
     "            nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),\n"
     "            nn.Flatten(), nn.Linear(32 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())\n"
     "        self.mu_logvar = nn.Linear(256, 2 * n_dims_code)\n"
     "        self.decoder = nn.Sequential(\n"
     "            nn.Linear(n_dims_code, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),\n"
     "            nn.Linear(256, 32 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (32, 4, 4)),\n"
     "            nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(),\n"
     "            nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Sigmoid())\n"),
    ("        h = self.encoder(x)\n" + HEADS, "        return self.mu_logvar(self.encoder(x)).chunk(2, dim=-1)")])

# AntixK's PyTorch-VAE VanillaVAE: five 3x3 stride-2 convolutions (32 to 512 channels) with BatchNorm and
# LeakyReLU, heads from 512 x 2 x 2, a mirrored decoder with output_padding, a final 3x3 convolution; its Tanh
# (for images in [-1, 1]) becomes the Sigmoid that Bernoulli means need.
def _block(c_in: int, c_out: int, kind: str) -> str:
    layer = (f"nn.Conv2d({c_in}, {c_out}, 3, 2, 1)" if kind == "down" else
             f"nn.ConvTranspose2d({c_in}, {c_out}, 3, 2, 1, output_padding=1)")
    return f"            nn.Sequential({layer}, nn.BatchNorm2d({c_out}), nn.LeakyReLU()),\n"


_WIDTHS = [32, 64, 128, 256, 512]
ANTIXK = Variant("antixk_vanilla_published", "faces", [
    (REFERENCE_LAYERS,
     "        self.encoder = nn.Sequential(\n"
     + "".join(_block(a, b, "down") for a, b in zip([3] + _WIDTHS, _WIDTHS)) +
     "            nn.Flatten())\n"
     "        self.fc_mu = nn.Linear(512 * 4, n_dims_code)\n"
     "        self.fc_var = nn.Linear(512 * 4, n_dims_code)\n"
     "        self.decoder = nn.Sequential(\n"
     "            nn.Linear(n_dims_code, 512 * 4), nn.Unflatten(1, (512, 2, 2)),\n"
     + "".join(_block(a, b, "up") for a, b in zip(_WIDTHS[::-1], _WIDTHS[::-1][1:] + [32])) +
     "            nn.Conv2d(32, 3, 3, padding=1), nn.Sigmoid())\n"),
    (HEADS, "        return self.fc_mu(h), self.fc_var(h)")])

ARCHITECTURES = [BURGESS, ANTIXK]  # the published architectures FACES_SMOKE's bound is calibrated over
CORRECT += ARCHITECTURES

# The items each bug may cost beyond its own ``lose`` (the blame check, tests/variants.assert_bug_caught). Every
# other item must keep its points.
MAY = {
    # FaceVAE's architecture is free, so the grader has no stand-in for its layers: the training run (FACES.2d)
    # trains the layers as written, and an output or head activation that keeps them from learning costs it too
    "missing_sigmoid": {"FACES.2d"},
    "sigmoid_heads": {"FACES.2d"},
}
