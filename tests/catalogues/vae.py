"""vae.py's catalogue: bugs of the MLP autoencoder / VAE and differently written correct versions."""
from tests.variants import Variant

MIN_BUGS = 15
MIN_CORRECT = 5
VISIBLE_ITEMS = True  # the reference's report shows students some items

HEAD = "        h = self.encoder_hidden(x)\n        return self.encoder_mu(h), self.encoder_logvar(h)"
REPARAM = "        std = torch.exp(0.5 * logvar)\n        return mu + std * torch.randn_like(std)"
KL = "return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())"
BCE = 'return F.binary_cross_entropy(recon_x, x, reduction="sum")'
ENC_HIDDEN = "self.encoder_hidden = nn.Sequential(nn.Linear(n_dims_data, n_dims_hidden), nn.ReLU())"

# keep: items of other functions the bug must not cost (loss_function and forward are judged with the
# grader's losses and reparameterize standing in for the student's; autograder/stand_ins.py)
BUGS = [
    # half a percent off, returned in bfloat16: the tolerance is the grader's (float32), not the reply's dtype
    Variant("bce_off_in_bfloat16", "vae", [('return F.binary_cross_entropy(recon_x, x, reduction="sum")',
                                            'return (1.005 * F.binary_cross_entropy(recon_x, x, reduction="sum"))'
                                            '.to(torch.bfloat16)')], {"B.1a"}, keep={"B.1f"}),
    Variant("kl_sign", "vae", [(KL, KL.replace("-0.5", "0.5"))], {"B.1c", "B.1d", "B.1e"}, keep={"B.1f"}),
    # a BCE divided by the batch size is wrong in value (B.1a) and still finite (B.1b judges finiteness only)
    Variant("bce_batch_mean", "vae", [(BCE, BCE.replace('reduction="sum")', 'reduction="sum") / x.shape[0]'))],
            {"B.1a"}, keep={"B.1b", "B.1f"}),
    Variant("kl_missing_half", "vae", [(KL, KL.replace("-0.5 *", "-1.0 *"))], {"B.1c", "B.1d"}, keep={"B.1f"}),
    Variant("kl_logvar_as_log_std", "vae",
            [(KL, "return -0.5 * torch.sum(1 + 2 * logvar - mu.pow(2) - torch.exp(2 * logvar))")], {"B.1c", "B.1d"},
            keep={"B.1f"}),
    Variant("kl_mean", "vae", [(KL, KL.replace("torch.sum", "torch.mean"))], {"B.1c", "B.1e"}, keep={"B.1f"}),
    Variant("exp_logvar_as_std", "vae", [(REPARAM, REPARAM.replace("exp(0.5 * logvar)", "exp(logvar)"))],
            {"B.2b", "B.2c"}, keep={"B.2e"}),
    Variant("std_is_logvar", "vae", [(REPARAM, REPARAM.replace("torch.exp(0.5 * logvar)", "logvar"))],
            {"B.2b", "B.2c"}, keep={"B.2e"}),
    Variant("no_noise", "vae", [(REPARAM, "        return mu")], {"B.2c", "B.2d"}, keep={"B.2e"}),
    Variant("uniform_noise", "vae", [(REPARAM, REPARAM.replace("randn_like", "rand_like"))], {"B.2c"}, keep={"B.2e"}),
    Variant("detached_std", "vae", [(REPARAM, REPARAM.replace("logvar)\n", "logvar).detach()\n"))], {"B.2b"}),
    Variant("noise_reseeded", "vae", [(REPARAM, "        torch.manual_seed(0)\n" + REPARAM)], {"B.2d"}, keep={"B.2e"}),
    Variant("bce_mean", "vae", [(BCE, BCE.replace('"sum"', '"mean"'))], {"B.1a"}, keep={"B.1f"}),
    Variant("bce_swapped", "vae", [(BCE, BCE.replace("(recon_x, x,", "(x, recon_x,"))], {"B.1a"}, keep={"B.1f"}),
    Variant("bce_unclamped", "vae",
            [(BCE, "return -(x * torch.log(recon_x) + (1 - x) * torch.log(1 - recon_x)).sum()")], {"B.1b"}),
    Variant("kl_forgotten", "vae", [("loss = loss + kl_divergence(mu, logvar)", "loss = loss")], {"B.1f"}),
    Variant("missing_sigmoid", "vae", [("            nn.Sigmoid(),\n", "")], {"A.1c"}),
    Variant("missing_relu", "vae", [(ENC_HIDDEN, ENC_HIDDEN.replace(", nn.ReLU()", ""))], {"A.1b"}),
    Variant("hidden_width_256", "vae", [("n_dims_hidden=512", "n_dims_hidden=256")], {"A.1a", "B.2a"}),
    Variant("decode_mu", "vae", [("        z = self.reparameterize(mu, logvar)\n        return self.decode(z), mu, logvar",
                                  "        return self.decode(mu), mu, logvar")], {"B.2e"}),
    # the (mu, mu) copy-paste slip: encode's items only; the training items train the contract's heads
    Variant("logvar_head_reused", "vae", [(HEAD, HEAD.replace("self.encoder_logvar(h)", "self.encoder_mu(h)"))],
            {"B.2a"}),
    Variant("no_type_check", "vae", [('        if autoencoder_type not in ("ae", "vae"):\n'
                                      '            raise ValueError(f\'autoencoder_type must be "ae" or "vae", '
                                      'got {autoencoder_type!r}\')\n', "")], {"A.1e"}),
    Variant("sigmoid_heads", "vae", [(HEAD, "        h = self.encoder_hidden(x)\n        return "
                                      "torch.sigmoid(self.encoder_mu(h)), torch.sigmoid(self.encoder_logvar(h))")],
            {"B.2a"}, keep={"B.2f", "C.a", "C.b", "C.c", "C.d"}),  # the training items train the contract's heads
]


# the defaults are part of the contract: a default that differs costs the item that builds the default object
BUGS += [
    Variant("default_type_vae", "vae", [('autoencoder_type="ae", n_dims_data', 'autoencoder_type="vae", n_dims_data')],
            {"A.1a"}, says="autoencoder_type='vae'"),
]

CORRECT = [
    # pytorch/examples' VAE loss, the most copied one: it relies on the contract's (B, 784) images
    Variant("pytorch_examples_bce", "vae", [(BCE, "return F.binary_cross_entropy(recon_x, x.view(-1, 784), "
                                                  "reduction='sum')")]),
    # several tensors returned as lists: a tuple or a list is equally fine (docs/contract.md)
    Variant("lists_not_tuples", "vae", [("return self.encoder_mu(h), self.encoder_logvar(h)",
                                         "return [self.encoder_mu(h), self.encoder_logvar(h)]"),
                                        ("return self.decode(z), z, None", "return [self.decode(z), z, None]"),
                                        ("return self.decode(z), mu, logvar", "return [self.decode(z), mu, logvar]")]),
    Variant("kl_torch_distributions", "vae", [(KL, "q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
                                               "    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))\n"
                                               "    return torch.distributions.kl_divergence(q, p).sum()")]),
    Variant("kl_rearranged", "vae", [(KL, "return 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum()")]),
    Variant("bce_manual_clamped", "vae",
            [(BCE, "p = recon_x.clamp(1e-7, 1 - 1e-7)\n    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum()")]),
    Variant("rsample", "vae", [(REPARAM, "        return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()")]),
    Variant("separate_layers_functional", "vae", [
        (ENC_HIDDEN, "self.fc1 = nn.Linear(n_dims_data, n_dims_hidden)"),
        ("            return self.encoder_mu(self.encoder_hidden(x))", "            return self.encoder_mu(F.relu(self.fc1(x)))"),
        ("        h = self.encoder_hidden(x)\n", "        h = F.relu(self.fc1(x))\n")]),
    Variant("split_single_head", "vae", [
        ("        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code)\n",
         "        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code * (2 if autoencoder_type == 'vae' else 1))\n"),
        ("            self.encoder_logvar = nn.Linear(n_dims_hidden, n_dims_code)\n", "            pass\n"),
        (HEAD, "        return self.encoder_mu(self.encoder_hidden(x)).chunk(2, dim=-1)")]),
    Variant("logvar_head_for_both", "vae", [
        ("        if autoencoder_type == \"vae\":\n            # TODO B.2", "        if True:\n            # TODO B.2")]),
]

# The items each bug may cost beyond its own ``lose`` (the blame check, tests/variants.assert_bug_caught): other
# items of the same function (held-out ones included) or items that say they depend on it. Every other item
# must keep its points.
MAY = {
    "bce_off_in_bfloat16": {"B.1g"},  # reconstruction_loss's held-out item
    "bce_batch_mean": {"B.1g"},
    "bce_mean": {"B.1g"},
    "bce_swapped": {"B.1b", "B.1g"},  # the log of the binary target is no BCE, so its finiteness is not judged
    "kl_sign": {"B.1h"},  # kl_divergence's held-out item
    "kl_missing_half": {"B.1h"},
    "kl_logvar_as_log_std": {"B.1h"},
    "kl_mean": {"B.1d", "B.1h"},
    "exp_logvar_as_std": {"B.2g"},  # reparameterize's held-out item
    "std_is_logvar": {"B.2d", "B.2g"},
    "no_noise": {"B.2b", "B.2g"},
    "uniform_noise": {"B.2g"},
}
