"""Correct code that uses scikit-learn, scipy, matplotlib or tqdm keeps every point,
behind the kernel walls and with the Python audit hook alone."""
import pytest

from tests.variants import Variant, assert_full_marks

SKLEARN_PCA = Variant("sklearn_pca", "pca_ae", [
    ("import torch\n", "import torch\nfrom sklearn.decomposition import PCA\n"),
    ("""    x64 = x.to(torch.float64)
    mean = x64.mean(dim=0)  # (D,)
    _, s, vh = torch.linalg.svd(x64 - mean, full_matrices=False)  # s (min(N, D),), vh (min(N, D), D)
    components = vh[:n_components]
    explained_variance = s[:n_components].pow(2) / (x.shape[0] - 1)
    return mean.to(x.dtype), components.to(x.dtype), explained_variance.to(x.dtype)""",
     """    pca = PCA(n_components=n_components, svd_solver="full").fit(x.detach().double().numpy())
    as_x = lambda a: torch.from_numpy(a).to(x.dtype)  # noqa: E731
    return as_x(pca.mean_), as_x(pca.components_), as_x(pca.explained_variance_)"""),
])
SCIPY_PPF = Variant("scipy_ppf", "conv_vae", [
    ("import torch\n", "import torch\nfrom scipy.stats import norm\n"),
    ("""    p = torch.linspace(lo, hi, n, dtype=torch.float32)
    return torch.distributions.Normal(0.0, 1.0).icdf(p).to(torch.float32)""",
     """    import numpy as np

    return torch.from_numpy(norm.ppf(np.linspace(lo, hi, n))).to(torch.float32)"""),
])
PLOTTING = Variant("matplotlib_tqdm", "vae", [
    ("import torch\n", "import matplotlib\nimport matplotlib.pyplot as plt\nimport torch\nfrom tqdm import tqdm\n"
                       "\nplt.figure()\nfor _ in tqdm(range(3)):\n    pass\n"),
])


@pytest.mark.parametrize("variant", [SKLEARN_PCA, SCIPY_PPF, PLOTTING], ids=lambda v: v.name)
@pytest.mark.parametrize("mode", ["auto", "python"])
def test_library_users_keep_full_marks(variant, mode, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_ISOLATION", mode)
    assert_full_marks(variant, tmp_path)
