"""Unit tests of the grader's helpers that the items rely on: the digit classifier (cvae), layer
sizes and probes (conv_vae), the faces subset probe and smoke run, the PCA oracles (pca_ae)."""
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from autograder.graded.pca_ae import pca_oracle


# -- the digit classifier (cvae) ------------------------------------------------------------


def test_digit_classifier_reads_digits(digits_flat):
    from course.digit_metrics import digit_classifier

    x_train, y_train, x_test, y_test = digits_flat
    clf = digit_classifier(x_train, y_train)
    assert clf.score(torch.round(x_test).double().numpy(), y_test.numpy()) > 0.9


@pytest.fixture(scope="module")
def digits_flat():
    from course.data import load_images

    x_train, y_train = load_images("digits", train=True)
    x_test, y_test = load_images("digits", train=False)
    return x_train.flatten(1), y_train, x_test.flatten(1), y_test


# -- layer sizes and probes (conv_vae) -------------------------------------------------------


def test_spec_sizes_match_torch():
    from autograder import specs
    from autograder.graded.conv_vae.layers import side

    for c1, c2, lat, k, d in [(16, 32, 16, 3, 28), (3, 5, 4, 5, 20), (1, 1, 1, 1, 8)]:
        s = side(d, k)
        h = nn.Conv2d(c1, c2, k)(nn.Conv2d(1, c1, k)(torch.zeros(1, 1, d, d)))
        assert h.shape == (1, c2, s, s)
        enc = [nn.Conv2d(1, c1, k), nn.Conv2d(c1, c2, k), nn.Linear(c2 * s * s, lat), nn.Linear(c2 * s * s, lat)]
        dec = [nn.Linear(lat, c2 * s * s), nn.ConvTranspose2d(c2, c1, k), nn.ConvTranspose2d(c1, 1, k)]
        assert specs.conv_encoder(c1, c2, lat, k, d).n_params() == sum(p.numel() for m in enc for p in m.parameters())
        assert specs.conv_decoder(c1, c2, lat, k, d).n_params() == sum(p.numel() for m in dec for p in m.parameters())


def test_identity_decoder_and_grad_probe():
    from autograder import probes

    dec = probes.identity_decoder(5, 4)
    z = torch.randn(3, 5)
    out = dec(z)
    assert out.shape == (3, 1, 4, 4) and torch.equal(out.flatten(1)[:, :5], z)
    assert bool((out.flatten(1)[:, 5:] == 0).all()) and out.requires_grad and dec.batches == [(3, 5)]
    with pytest.raises(ValueError):
        probes.identity_decoder(17, 4)

    class Module:
        @staticmethod
        def f(decoder, z):
            with torch.no_grad():
                return decoder(z)

        @staticmethod
        def g(decoder, z):
            return decoder(z)

    assert probes.call_requires_grad(Module, "f", dec, z)["requires_grad"] is False
    assert probes.call_requires_grad(Module, "g", dec, z)["requires_grad"] is True


def test_bare_instance_skips_init():
    from autograder import probes

    class Module:
        class Model(nn.Module):
            def __init__(self):
                raise NotImplementedError

            def double(self, x):
                return 2 * x

    obj = probes.bare_instance(Module, "Model")
    assert isinstance(obj, nn.Module) and obj.double(3) == 6 and list(obj.parameters()) == []


# -- the faces helpers: subset probe, smoke loss and data -------------------------------------


def test_range_dataset_and_subset_info():
    from autograder.probes import range_dataset, subset_info

    data = range_dataset(10)
    assert len(data) == 10 and data[3] == 3 and data[torch.tensor(4)] == 4
    for bad in (10, -1):
        with pytest.raises(IndexError):
            data[bad]
    with pytest.raises(TypeError):
        data[1.0]
    info = subset_info(torch.utils.data.Subset(data, torch.tensor([7, 2])), data)
    assert info == {"type": "Subset", "is_subset": True, "len": 2, "indices": [7, 2], "of_dataset": True,
                    "items": [7, 2], "error": ""}
    nested = torch.utils.data.Subset(torch.utils.data.Subset(data, [9, 8, 7]), [2, 0])
    assert subset_info(nested, data)["indices"] == [7, 9]
    other = subset_info(torch.utils.data.Subset(range_dataset(10), [1]), data)
    assert other["of_dataset"] is False
    broken = subset_info(torch.utils.data.Subset(data, [3, 12]), data)
    assert broken["indices"] == [3, 12] and broken["error"].startswith("IndexError")
    assert subset_info([1, 2], data)["is_subset"] is False


def test_faces_smoke_loss_is_the_negative_elbo():
    """The grader's smoke loss of faces.py: encode, the grader's own draw of z, decode; summed BCE + KL."""
    import torch.nn.functional as F

    from course import registry

    class Fixed(torch.nn.Module):
        def encode(self, x):
            return torch.ones(x.shape[0], 3), torch.zeros(x.shape[0], 3)

        def decode(self, z):
            return torch.full((z.shape[0], 3, 64, 64), 0.25)

        def forward(self, x):  # never called by the grader's loss
            raise AssertionError("the grader's loss composes encode and decode")

    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    expected = F.binary_cross_entropy(torch.full_like(x, 0.25), x, reduction="sum") + 0.5 * 2 * 3
    torch.testing.assert_close(registry.get("faces").grader_loss(Fixed(), x, None), expected)


def test_faces_smoke_data_is_deterministic(tmp_path, monkeypatch):
    from autograder import faces_smoke

    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(faces_smoke, "_FACES_DATA", {})
    (x_train, y_train), (x_test, y_test) = faces_smoke.faces_smoke_data(6, 2, seed=1)
    assert x_train.shape == (6, 3, 64, 64) and x_test.shape == (2, 3, 64, 64)
    assert x_train.dtype == torch.float32 and 0 <= float(x_train.min()) and float(x_train.max()) <= 1
    assert y_train.tolist() == [0] * 6 and y_test.tolist() == [0] * 2
    assert (tmp_path / "cache" / "fake-faces-n8-seed1").is_dir()
    monkeypatch.setattr(faces_smoke, "_FACES_DATA", {})
    again = faces_smoke.faces_smoke_data(6, 2, seed=1)
    assert torch.equal(again[0][0], x_train) and torch.equal(again[1][0], x_test)


# -- the PCA oracles (pca_ae) -----------------------------------------------------------------


def test_closed_form_curve_matches_sklearn_reconstruction():
    x = pca_oracle.spectral_data(30, 7, seed=5).double()
    dims = [1, 3, 6]
    for k, expected in zip(dims, pca_oracle.closed_form_curve(x, dims)):
        pca = PCA(n_components=k, svd_solver="full").fit(x.numpy())
        recon = pca.inverse_transform(pca.transform(x.numpy()))
        assert abs(float(((torch.from_numpy(recon) - x) ** 2).mean()) - expected) < 1e-12


def test_spectral_data_has_the_stated_spectrum():
    n, d = 9, 5
    x = pca_oracle.spectral_data(n, d, seed=3)
    variance = pca_oracle.sklearn_pca(x, d)["explained_variance"]
    assert torch.allclose(variance, 4.0 * 0.5 ** torch.arange(d, dtype=torch.float64), rtol=1e-5)
    assert float(x.double().mean(0).abs().max()) > 0.1   # a mean to forget


def test_projector_ignores_signs_and_orthonormal_rows():
    c = pca_oracle.orthonormal_rows(3, 6, seed=1)
    assert torch.allclose(c.double() @ c.double().T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    flipped = c * torch.tensor([[1.0], [-1.0], [1.0]])
    assert torch.allclose(pca_oracle.projector(c), pca_oracle.projector(flipped))


def test_as_float_accepts_numbers_and_one_element_tensors_only():
    assert pca_oracle.as_float(0.5, "v") == 0.5
    assert pca_oracle.as_float(torch.tensor(0.25), "v") == 0.25
    with pytest.raises(AssertionError, match="one number"):
        pca_oracle.as_float(torch.ones(3), "v")
    with pytest.raises(AssertionError):
        pca_oracle.as_float(True, "v")


def test_a_mismatch_shows_the_values_that_differ():
    """Same shape and dtype: the message gives the differing values and where, not the shape twice."""
    import torch

    from autograder.checks import assert_close

    with pytest.raises(AssertionError) as err:
        assert_close(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.5], [3.0, 5.0]]), "f(x)", "Look.")
    text = str(err.value)
    assert "2 of 4 values differ" in text and "at [0, 1] expected 2.5, got 2" in text and "largest difference 1" in text
    assert text.endswith("Look.") and "torch.float" not in text


# -- the contract's layers standing in for a deviating architecture (stand_in_model) ---------------------------


def test_stand_in_model_trains_the_contract_layers_from_the_models_weights(digits_flat):
    """A model whose decode lacks its Sigmoid: the parent recognises the layers, names decode as deviating, and
    trains the contract's layers from the model's own initial weights; the result decodes into [0, 1] and its
    training loss falls. A method that gave no tensors is not stood in for."""
    from autograder import specs, stand_in_model
    from autograder.architecture import layouts
    from autograder.recognition import Match

    spec = specs.mlp_autoencoder("ae", 784, 32, 2)
    torch.manual_seed(0)
    model = nn.ModuleDict({"enc": nn.Linear(784, 32), "mu": nn.Linear(32, 2), "dec1": nn.Linear(2, 32),
                           "dec2": nn.Linear(32, 784)})
    initial = [p.detach().clone() for p in model.parameters()]
    layout = layouts(spec, [tuple(t.shape) for t in initial])[0]
    found = {"encode": spec.contract, "decode": spec.contract.replace(out="identity")}
    match = Match(spec, layout, found, {"encode": (torch.zeros(1, 2),), "decode": (torch.zeros(1, 784),)})
    assert stand_in_model.deviating(match) == ["decode"]
    assert stand_in_model.contract_variant(spec, match, "decode") == spec.contract
    x_train, y_train, x_test, y_test = digits_flat
    cfg = {"epochs": 2, "batch_size": 64, "lr": 3e-3, "seed": 0}
    before, after = stand_in_model.train(spec, match, initial, "vae", cfg, ((x_train, y_train), (x_test, y_test)))
    recon_before, recon_after = before.decode(before.encode(x_test)), after.decode(after.encode(x_test))
    assert 0 <= float(recon_after.min()) and float(recon_after.max()) <= 1
    from autograder.oracles import bernoulli_nll

    assert float(bernoulli_nll(recon_after, x_test)) < 0.8 * float(bernoulli_nll(recon_before, x_test))
    assert stand_in_model.deviating(Match(spec, layout, found, {"encode": (torch.zeros(1, 2),), "decode": None})) == []
    assert stand_in_model.deviating(Match(spec, None, {}, {"encode": (torch.zeros(1, 2),)})) == []


def test_stand_in_model_snapshots_do_not_follow_training():
    """``rebuilt()`` copies the weights also where the rebuild's dtype is the training's (float32 conv specs), so
    the model before training stays as it was."""
    from autograder import specs, stand_in_model

    spec = specs.conv_decoder(2, 3, 4, 3, 8)
    weights = {f"{layer.name}.{kind}": torch.randn(shape) for layer in spec.layers
               for kind, shape in (("weight", layer.weight), ("bias", (layer.weight[layer.bias_dim],)))}
    model = stand_in_model.ContractModel(spec, weights, {"forward": spec.contract})
    before = model.rebuilt()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert all(torch.equal(before.weights[n], weights[n]) for n in weights)
