"""cvae.py's catalogue: bugs of the conditional VAE, differently written correct versions, and
parts left unfinished."""
from tests.variants import Variant

MIN_BUGS = 8
MIN_CORRECT = 3
ITEM_COUNT = 38  # items the reference is graded on: 22 public runs and 16 held-out twins

ONE_HOT = "return F.one_hot(labels, n_classes).float()"
ENC_CAT = "h = self.encoder_hidden(torch.cat([x, y], dim=1))"
HEADS = "return self.encoder_mu(h), self.encoder_logvar(h)"
REPARAM = "        std = torch.exp(0.5 * logvar)\n        return mu + std * torch.randn_like(std)"
DEC_CAT = "return self.decoder(torch.cat([z, y], dim=1))"
BCE = 'bce = F.binary_cross_entropy(recon_x, x, reduction="sum")'
KL = "kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())"
Z = "z = torch.randn(labels.shape[0], self.n_dims_code, device=param.device, dtype=param.dtype)"
Y = "y = one_hot(labels.to(param.device), self.n_classes).to(param.dtype)"
ENC_INIT = "self.encoder_hidden = nn.Sequential(nn.Linear(n_dims_data + n_classes, n_dims_hidden), nn.ReLU())"
FORWARD = "        z = self.reparameterize(mu, logvar)\n        return self.decode(z, y), mu, logvar"

BUGS = [
    # CVAE.1: one_hot
    Variant("one_hot_int64", "cvae", [(ONE_HOT, "return F.one_hot(labels, n_classes)")], {"CVAE.1b"}),
    Variant("one_hot_off_by_one", "cvae", [(ONE_HOT, "return torch.eye(n_classes)[labels - 1]")], {"CVAE.1a"},
            keep={"CVAE.4a", "CVAE.4d"}),  # sample is judged with the grader's one_hot
    Variant("one_hot_width_from_data", "cvae", [(ONE_HOT, "return F.one_hot(labels).float()")], {"CVAE.1a"},
            keep={"CVAE.4a", "CVAE.4d"}),
    Variant("one_hot_fixed_10", "cvae", [(ONE_HOT, "return F.one_hot(labels, 10).float()")], {"CVAE.1c"}),
    # CVAE.2: layers, encode, reparameterize, decode, forward
    Variant("hidden_fixed_256", "cvae", [(ENC_INIT, ENC_INIT.replace("n_dims_hidden)", "256)"))], {"CVAE.2a"}),
    Variant("encoder_ignores_label", "cvae", [(ENC_CAT, ENC_CAT.replace("[x, y]", "[x, torch.zeros_like(y)]"))],
            {"CVAE.2c"}),
    Variant("sigmoid_heads", "cvae", [(HEADS, "return torch.sigmoid(self.encoder_mu(h)), "
                                              "torch.sigmoid(self.encoder_logvar(h))")], {"CVAE.2b"}),
    Variant("no_hidden_relu", "cvae", [(ENC_INIT, ENC_INIT.replace(", nn.ReLU())", ")"))], {"CVAE.2b"}),
    Variant("decoder_ignores_label", "cvae", [(DEC_CAT, DEC_CAT.replace("[z, y]", "[z, torch.zeros_like(y)]"))],
            {"CVAE.2e"}),
    Variant("missing_sigmoid", "cvae", [("            nn.Sigmoid(),\n", "")], {"CVAE.2d"}),
    Variant("exp_logvar_as_std", "cvae", [(REPARAM, REPARAM.replace("exp(0.5 * logvar)", "exp(logvar)"))],
            {"CVAE.2f", "CVAE.2g"}),
    Variant("detached_std", "cvae", [(REPARAM, REPARAM.replace("logvar)\n", "logvar).detach()\n"))], {"CVAE.2f"}),
    Variant("no_noise", "cvae", [(REPARAM, "        return mu")], {"CVAE.2g", "CVAE.2h"},
            keep={"CVAE.2i"}),  # forward is judged with the grader's reparameterize
    Variant("noise_reseeded", "cvae", [(REPARAM, "        torch.manual_seed(0)\n" + REPARAM)], {"CVAE.2h"}),
    Variant("forward_decodes_mu", "cvae", [(FORWARD, "        return self.decode(mu, y), mu, logvar")], {"CVAE.2i"}),
    # CVAE.3: loss_function
    Variant("bce_swapped", "cvae", [(BCE, BCE.replace("(recon_x, x,", "(x, recon_x,"))], {"CVAE.3a"}),
    Variant("bce_mean", "cvae", [(BCE, BCE.replace('"sum"', '"mean"'))], {"CVAE.3a", "CVAE.3c"}),
    Variant("bce_unclamped", "cvae",
            [(BCE, "bce = -(x * torch.log(recon_x) + (1 - x) * torch.log(1 - recon_x)).sum()")],
            {"CVAE.3d"}),
    Variant("kl_sign", "cvae", [(KL, KL.replace("-0.5", "0.5"))], {"CVAE.3b"}),
    # a default that differs from the contract's (the items that pass sizes explicitly cannot see it)
    Variant("default_hidden_512", "cvae", [("n_dims_hidden=256, n_dims_code=40):", "n_dims_hidden=512, n_dims_code=40):")],
            {"CVAE.2a"}, says="n_dims_hidden=512"),
    Variant("kl_mean", "cvae", [(KL, KL.replace("torch.sum", "torch.mean"))], {"CVAE.3b", "CVAE.3c"}),
    Variant("kl_missing_half", "cvae", [(KL, KL.replace("-0.5 *", "-1.0 *"))], {"CVAE.3b"}),
    Variant("kl_forgotten", "cvae", [("return bce + kl", "return bce")], {"CVAE.3b"}),
    # CVAE.4: sample
    Variant("sample_ignores_labels", "cvae", [(Y, Y.replace("labels.to(param.device)", "torch.zeros_like(labels)"))],
            {"CVAE.4d"}),  # CVAE.4e samples the trained decoder with the grader's own sampler
    Variant("sample_fixed_z", "cvae", [(Z, "torch.manual_seed(0)\n        " + Z)], {"CVAE.4b"}),
    Variant("sample_zero_z", "cvae", [(Z, Z.replace("torch.randn(", "torch.zeros("))], {"CVAE.4b", "CVAE.4c"}),
    Variant("sample_uniform_z", "cvae", [(Z, Z.replace("torch.randn(", "torch.rand("))], {"CVAE.4c"}),
]

CORRECT = [
    Variant("lists_not_tuples", "cvae", [("return self.encoder_mu(h), self.encoder_logvar(h)",
                                          "return [self.encoder_mu(h), self.encoder_logvar(h)]"),
                                         ("return self.decode(z, y), mu, logvar", "return [self.decode(z, y), mu, logvar]")]),
    Variant("one_hot_scatter", "cvae", [(ONE_HOT, "out = torch.zeros(labels.shape[0], n_classes)\n"
                                                  "    return out.scatter_(1, labels.unsqueeze(1), 1.0)")]),
    Variant("one_hot_eye", "cvae", [(ONE_HOT, "return torch.eye(n_classes, dtype=torch.float32)[labels]")]),
    Variant("single_split_head", "cvae", [
        ("        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code)\n"
         "        self.encoder_logvar = nn.Linear(n_dims_hidden, n_dims_code)\n",
         "        self.heads = nn.Linear(n_dims_hidden, 2 * n_dims_code)\n"),
        (HEADS, "return self.heads(h).chunk(2, dim=1)")]),
    Variant("label_first_functional", "cvae", [
        (ENC_INIT, "self.fc1 = nn.Linear(n_dims_data + n_classes, n_dims_hidden)"),
        (ENC_CAT, "h = F.relu(self.fc1(torch.cat([y, x], 1)))"),
        (DEC_CAT, "return self.decoder(torch.cat((y, z), -1))")]),
    Variant("losses_by_hand", "cvae", [
        (BCE, "p = recon_x.clamp(1e-7, 1 - 1e-7)\n        bce = -(x * p.log() + (1 - x) * (1 - p).log()).sum()"),
        (KL, "kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum()")]),
    Variant("distributions", "cvae", [
        (REPARAM, "        return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()"),
        (KL, "q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
             "        kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum()")]),
    Variant("one_hot_compare", "cvae", [
        (ONE_HOT, "return (labels[:, None] == torch.arange(n_classes, device=labels.device)).float()")]),
    Variant("sequential_interleaved_head", "cvae", [
        (ENC_INIT, "self.encoder = nn.Sequential(nn.Linear(n_dims_data + n_classes, n_dims_hidden), nn.ReLU(), "
                   "nn.Linear(n_dims_hidden, 2 * n_dims_code))"),
        ("        self.encoder_mu = nn.Linear(n_dims_hidden, n_dims_code)\n"
         "        self.encoder_logvar = nn.Linear(n_dims_hidden, n_dims_code)\n", ""),
        (ENC_CAT + "\n        " + HEADS,
         "out = self.encoder(torch.cat([x, y], dim=1)).view(-1, self.n_dims_code, 2)  # (B, code, 2)\n"
         "        return out[..., 0], out[..., 1]")]),
    Variant("sample_plain", "cvae", [
        (Z, "z = torch.randn(len(labels), self.n_dims_code)"),
        (Y, "y = one_hot(labels, self.n_classes)")]),
]

PARTIAL = [  # one part left as the stub: only that part's items are lost, each saying "not implemented"
    (Variant("sample_todo", "cvae", [("        param = next(self.parameters())\n        " + Z + "\n        " + Y
                                      + "\n        return self.decode(z, y)",
                                      '        raise NotImplementedError("TODO CVAE.4: implement CVAE.sample")')]),
     {"CVAE.4a", "CVAE.4b", "CVAE.4c", "CVAE.4d"}),
    (Variant("loss_todo", "cvae", [(BCE + "\n        " + KL + "\n        return bce + kl",
                                    'raise NotImplementedError("TODO CVAE.3: implement CVAE.loss_function")')]),
     {"CVAE.3a", "CVAE.3b", "CVAE.3c", "CVAE.3d"}),
]

# The items each bug may cost beyond its own ``lose`` (the blame check, tests/variants.assert_bug_caught): other
# items of the same function or items that say they depend on it. Every other item must keep its points.
MAY = {
    "one_hot_off_by_one": {"CVAE.1c"},
    "one_hot_width_from_data": {"CVAE.1c"},
    "decoder_ignores_label": {"CVAE.4d"},  # says it depends on decode reading y: sample's labels cannot be seen
    "no_noise": {"CVAE.2f"},
    "bce_swapped": {"CVAE.3d"},  # no BCE, so loss_function's finiteness is not judged
}
