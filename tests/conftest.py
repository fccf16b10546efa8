"""Fixtures shared by the unit tests."""

import pytest
import torch

from gmm_helpers import GMMParams, sample_gmm, toy_params

collect_ignore_glob = ["stories/*"]  # the notebooks' story checks: run by nbval through the notebooks, not modules


def random_params(K: int, D: int, generator: torch.Generator, dtype=torch.float64) -> GMMParams:
    """A random valid mixture: Dirichlet-like weights, spread means, variances in [0.2, 2]."""
    weights = torch.rand(K, generator=generator, dtype=dtype) + 0.2
    means = 3 * torch.randn(K, D, generator=generator, dtype=dtype)
    variances = 0.2 + 1.8 * torch.rand(K, D, generator=generator, dtype=dtype)
    return GMMParams(weights / weights.sum(), means, variances)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(1234)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def toy_data(dtype):
    """500 points from the running example, with the parameters that made them."""
    params = toy_params(dtype)
    X, labels = sample_gmm(params, 500, generator=torch.Generator().manual_seed(0))
    return X, labels, params


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures drawn by a test are closed after it, as the inline backend does in a notebook."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
