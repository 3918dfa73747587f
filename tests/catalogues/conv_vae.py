"""conv_vae.py's catalogue: bugs of the convolutional VAE and its latent tools, differently written
correct versions, and the loss items graded on an otherwise unwritten stub."""
from tests.variants import PartlyWritten, Variant

MIN_BUGS = 8
MIN_CORRECT = 3
ITEM_POINTS = (1, 8)  # each item's points lie within (a twin holds 1 or more); they add up to the full marks

SIZE = "return d - n_layers * (k - 1)"
ENC_S = "        s = conv_output_size(d, k)\n        self.conv1"
ENC_INIT = ("        self.conv1 = nn.Conv2d(1, c1, k)\n        self.conv2 = nn.Conv2d(c1, c2, k)\n"
            "        self.mean = nn.Linear(c2 * s * s, lat)\n        self.std = nn.Linear(c2 * s * s, lat)\n")
ENC_FWD = ("        h = F.relu(self.conv2(F.relu(self.conv1(x))))\n"
           "        h = torch.flatten(h, start_dim=1)  # (B, c2 * s * s)\n"
           "        return self.mean(h), torch.exp(self.std(h))\n")
HEADS = "return self.mean(h), torch.exp(self.std(h))"
DEC_INIT = ("        self.c2 = c2\n        self.s = conv_output_size(d, k)\n"
            "        self.linear = nn.Linear(lat, c2 * self.s * self.s)\n"
            "        self.deconv1 = nn.ConvTranspose2d(c2, c1, k)\n"
            "        self.deconv2 = nn.ConvTranspose2d(c1, 1, k)\n")
DEC_FWD = ("        h = F.relu(self.linear(z))\n        h = h.view(-1, self.c2, self.s, self.s)  # (B, c2, s, s)\n"
           "        h = F.relu(self.deconv1(h))\n        return torch.sigmoid(self.deconv2(h))\n")
R_LOSS = 'return F.binary_cross_entropy(x_hat, x, reduction="sum")'
KL = "return torch.sum(0.5 * (mu.pow(2) + sigma.pow(2) - 1) - torch.log(sigma))"
GAUSS = "return mu + sigma * torch.randn_like(sigma)"
LOSS = "self.loss = self.r_loss(x_hat, x) + self.kl_loss(mu, sigma)"
TOP = ("    variance = torch.var(embeddings, dim=0)  # (lat,)\n"
       "    return torch.argsort(variance, descending=True, stable=True)[:k]\n")
ICDF = "return torch.distributions.Normal(0.0, 1.0).icdf(p).to(torch.float32)"
ROWS = ("            z[:, :, dims[0]] = values[:, None]  # row i: value i\n"
        "            z[:, :, dims[1]] = values[None, :]  # column j: value j\n")


def v(name, edits, lose=(), keep=()):
    return Variant(name, "conv_vae", edits, set(lose), set(keep))


FORWARD_ITEMS = {"CONV.4g", "CONV.4h"}  # forward and backward run with the grader's gaussian, r_loss and kl_loss


BUGS = [
    # the known mistakes of the source material (seeds/004, 002)
    v("kl_textbook_slip_004", [(KL, "return torch.sum(mu.pow(2) + sigma.pow(2) - torch.log(sigma) - 0.5)")],
      {"CONV.4a", "CONV.4b"}, FORWARD_ITEMS),
    v("r_loss_log_of_target_004", [(R_LOSS, R_LOSS.replace("(x_hat, x,", "(x, x_hat,"))], {"CONV.4c"}, FORWARD_ITEMS),
    v("size_one_layer_004", [(SIZE, "return d - (k - 1)")], {"CONV.1a", "CONV.1b"}),
    v("encoder_linear_size_one_layer_004", [(ENC_S, ENC_S.replace("conv_output_size(d, k)", "d - (k - 1)"))],
      {"CONV.2a", "CONV.2b"}),
    v("sigmoid_heads_002", [(HEADS, "return torch.sigmoid(self.mean(h)), torch.sigmoid(self.std(h))")], {"CONV.2d"}),
    # conv_output_size, Encoder, Decoder
    v("size_two_layers_hardcoded", [(SIZE, "return d - 2 * (k - 1)")], {"CONV.1b"}),
    v("sigma_raw_head", [(HEADS, "return self.mean(h), self.std(h)")], {"CONV.2d"}),
    v("sigma_softplus", [(HEADS, "return self.mean(h), F.softplus(self.std(h))")], {"CONV.2d"}),
    v("sigma_from_mean_head", [(HEADS, "return self.mean(h), torch.exp(self.mean(h))")], {"CONV.2d"}),
    v("encoder_missing_relu", [(ENC_FWD, ENC_FWD.replace("F.relu(self.conv2(F.relu(self.conv1(x))))",
                                                          "self.conv2(F.relu(self.conv1(x)))"))], {"CONV.2c"}),
    v("decoder_missing_sigmoid", [(DEC_FWD, DEC_FWD.replace("torch.sigmoid(self.deconv2(h))", "self.deconv2(h)"))],
      {"CONV.3c"}),
    v("decoder_clamp_not_sigmoid", [(DEC_FWD, DEC_FWD.replace("torch.sigmoid(self.deconv2(h))",
                                                               "self.deconv2(h).clamp(0, 1)"))], {"CONV.3c"}),
    v("decoder_missing_relu", [(DEC_FWD, DEC_FWD.replace("F.relu(self.linear(z))", "self.linear(z)"))], {"CONV.3d"}),
    v("decoder_fixed_channels", [(DEC_INIT, DEC_INIT.replace("self.c2 = c2\n", "self.c2 = c2 = 32\n"))],
      {"CONV.3b"}),
    # the VAE's losses, sampling, forward and backward
    v("kl_mean", [(KL, KL.replace("torch.sum", "torch.mean"))], {"CONV.4a"}, FORWARD_ITEMS),
    # right per example, averaged over the batch: told so, not the "two halves" slip
    Variant("kl_batch_mean", "conv_vae", [(KL, "return (0.5 * (mu.pow(2) + sigma.pow(2) - 1) - torch.log(sigma))"
                                              ".sum(1).mean()")], {"CONV.4a", "CONV.4b"}, says="a mean over the batch"),
    v("kl_sigma_as_logvar", [(KL, "return 0.5 * torch.sum(mu.pow(2) + sigma.exp() - 1 - sigma)")],
      {"CONV.4a", "CONV.4b"}, FORWARD_ITEMS),
    v("r_loss_mean", [(R_LOSS, R_LOSS.replace('"sum"', '"mean"'))], {"CONV.4c"}, FORWARD_ITEMS),
    v("r_loss_unclamped", [(R_LOSS, "return -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat)).sum()")],
      {"CONV.4d"}),
    v("gaussian_sigma_squared", [(GAUSS, "return mu + sigma ** 2 * torch.randn_like(sigma)")], {"CONV.4e", "CONV.4f"}),
    v("gaussian_exp_sigma", [(GAUSS, "return mu + torch.exp(sigma) * torch.randn_like(sigma)")],
      {"CONV.4e", "CONV.4f"}),
    v("gaussian_no_noise", [(GAUSS, "return mu + 0 * sigma")], {"CONV.4f"}, FORWARD_ITEMS),
    v("gaussian_uniform_noise", [(GAUSS, GAUSS.replace("randn_like", "rand_like"))], {"CONV.4f"}),
    v("forward_r_loss_only", [(LOSS, "self.loss = self.r_loss(x_hat, x)")], {"CONV.4g"}),
    v("forward_loss_of_another_sample", [(LOSS, "self.loss = self.r_loss(self.decoder(self.gaussian(mu, sigma)), x)"
                                                " + self.kl_loss(mu, sigma)")], {"CONV.4g"}),
    v("loss_detached", [(LOSS, "self.loss = (self.r_loss(x_hat, x) + self.kl_loss(mu, sigma)).detach()")],
      {"CONV.4h"}),
    v("backward_not_called", [("        self.loss.backward()\n", "        pass\n")], {"CONV.4h"}),
    # latent tools
    v("top_variance_ascending", [(TOP, TOP.replace("descending=True", "descending=False"))], {"CONV.5a"}),
    v("top_variance_over_rows", [(TOP, TOP.replace("dim=0", "dim=1"))], {"CONV.5a"}),
    v("traversal_values_linear", [(ICDF, "return p")], {"CONV.5b"}),
    v("traversal_column_major", [(ROWS, ROWS.replace("values[:, None]", "values[None, :]", 1)
                                  .replace("values[None, :]  # column", "values[:, None]  # column"))],
      {"CONV.5d"}),
    v("traversal_keeps_grad", [("    with torch.no_grad():\n", "    with torch.enable_grad():\n")], {"CONV.5c"}),
    v("traversal_sets_every_dim", [("z[:, dims[0]] = values", "z[:, :] = values[:, None]")], {"CONV.5c"}),
]


# the defaults are part of the contract: a default that differs costs the item that uses it
ENCODER_SIGNATURE = ('class Encoder(nn.Module):\n    """Conv2d(1, c1, k) -> ReLU -> Conv2d(c1, c2, k) -> ReLU -> flatten -> '
                     'mean / std heads."""\n\n    def __init__(self, c1=16, c2=32, lat=16, k=3, d=28):')
BUGS += [
    v("top_variance_default_k3", [("def top_variance_dims(embeddings, k=2):", "def top_variance_dims(embeddings, k=3):")],
      {"CONV.5a"}),
    v("traversal_default_n5", [("def latent_traversal(decoder, lat, dims, n=7):",
                                "def latent_traversal(decoder, lat, dims, n=5):")], {"CONV.5c"}),
    Variant("encoder_default_lat8", "conv_vae", [(ENCODER_SIGNATURE, ENCODER_SIGNATURE.replace("lat=16", "lat=8"))],
            {"CONV.2b"}, says="lat=8"),
]

CORRECT = [
    Variant("lists_not_tuples", "conv_vae", [("return self.mean(h), torch.exp(self.std(h))",
                                              "return [self.mean(h), torch.exp(self.std(h))]")]),
    v("encoder_sequential_one_head", [
        (ENC_INIT, "        self.features = nn.Sequential(nn.Conv2d(1, c1, k), nn.ReLU(), nn.Conv2d(c1, c2, k), "
                   "nn.ReLU(), nn.Flatten())\n        self.heads = nn.Linear(c2 * s * s, 2 * lat)\n"),
        (ENC_FWD, "        mu, log_sigma = self.heads(self.features(x)).chunk(2, dim=1)\n"
                  "        return mu, log_sigma.exp()\n")]),
    v("encoder_channels_last_flatten_half_log_var", [
        (ENC_FWD, "        h = torch.relu(self.conv2(torch.relu(self.conv1(x))))\n"
                  "        h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)\n"
                  "        return self.mean(h), torch.exp(0.5 * self.std(h))\n")]),
    v("decoder_sequential_unflatten", [
        (DEC_INIT, "        s = conv_output_size(d, k)\n        self.net = nn.Sequential(\n"
                   "            nn.Linear(lat, c2 * s * s), nn.ReLU(), nn.Unflatten(1, (c2, s, s)),\n"
                   "            nn.ConvTranspose2d(c2, c1, k), nn.ReLU(),\n"
                   "            nn.ConvTranspose2d(c1, 1, k), nn.Sigmoid())\n"),
        (DEC_FWD, "        return self.net(z)\n")]),
    v("size_loop", [(SIZE, "for _ in range(n_layers):\n        d = d - k + 1\n    return d")]),
    v("kl_torch_distributions", [(KL, "q = torch.distributions.Normal(mu, sigma)\n"
                                      "        p = torch.distributions.Normal(torch.zeros_like(mu), 1.0)\n"
                                      "        return torch.distributions.kl_divergence(q, p).sum()")]),
    v("r_loss_manual_clamped", [(R_LOSS, "p = x_hat.clamp(1e-7, 1 - 1e-7)\n"
                                         "        return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum()")]),
    v("gaussian_rsample", [(GAUSS, "return torch.distributions.Normal(mu, sigma).rsample()")]),
    v("forward_step_by_step", [(LOSS, "r = self.r_loss(x_hat, x)\n        kl = self.kl_loss(mu, sigma)\n"
                                      "        self.loss = r + kl")]),
    v("top_variance_numpy", [(TOP, "    import numpy as np\n\n"
                                   "    variance = np.var(embeddings.detach().cpu().numpy(), axis=0)\n"
                                   "    order = np.argsort(-variance, kind='stable')[:k]\n"
                                   "    return torch.from_numpy(order.astype(np.int64))\n")]),
    v("top_variance_topk_std", [(TOP, "    return torch.topk(embeddings.std(dim=0), k).indices\n")]),
    v("traversal_values_scipy", [(ICDF, "from scipy.stats import norm\n\n"
                                        "    return torch.tensor(norm.ppf(p.double().numpy()), dtype=torch.float32)")]),
    v("traversal_cartesian_prod", [(ROWS, "            pairs = torch.cartesian_prod(values, values)  # (n*n, 2)\n"
                                          "            z = z.reshape(n * n, lat)\n"
                                          "            z[:, dims[0]] = pairs[:, 0]\n"
                                          "            z[:, dims[1]] = pairs[:, 1]\n")]),
]

PARTLY_WRITTEN = [
    # r_loss, kl_loss and gaussian earn their points even when Encoder and Decoder are still stubs
    PartlyWritten("loss_items_graded_while_encoder_is_a_stub", "conv_vae",
                  [(f'raise NotImplementedError("TODO CONV.4: implement {todo}")', body)
                   for todo, body in (("VAE.r_loss", R_LOSS), ("VAE.kl_loss", KL), ("VAE.gaussian", GAUSS))],
                  keyword="kl or r_loss or gaussian", items={f"CONV.4{c}{twin}" for c in "abcdef" for twin in ("", ".h")},
                  score=24),
]

# The items each bug may cost beyond its own ``lose`` (the blame check, tests/variants.assert_bug_caught): other
# items of the same function or class, or items that depend on it. Every other item must keep its points.
MAY = {
    # Encoder and Decoder size their layers with conv_output_size when they are built, and the grader has no
    # stand-in for a function called by a constructor: every layer item, forward, backward and the training
    # run depend on it
    "size_one_layer_004": {"CONV.2a", "CONV.2b", "CONV.2c", "CONV.2d", "CONV.3a", "CONV.3b", "CONV.3c", "CONV.3d",
                           "CONV.4g", "CONV.4h", "CONV.4i"},
    # an Encoder whose Linear does not fit its feature maps cannot run: its items, and the VAE's that run it
    "encoder_linear_size_one_layer_004": {"CONV.2c", "CONV.2d", "CONV.4g", "CONV.4h", "CONV.4i"},
    "sigmoid_heads_002": {"CONV.2b", "CONV.2c"},
    "decoder_clamp_not_sigmoid": {"CONV.3b"},
    # a Decoder that ignores c2 has other layers than the VAE's contract, which the training run rebuilds
    "decoder_fixed_channels": {"CONV.3c", "CONV.3d", "CONV.4i"},
    "kl_mean": {"CONV.4b"},
    "r_loss_log_of_target_004": {"CONV.4d"},
}
