import matplotlib.pyplot as plt
import pytest
import torch

from gmm_helpers import sample_gmm, toy_params
from gmm_helpers.widgets import (
    gaussian_explorer,
    init_explorer,
    sampling_explorer,
    toy_with_component0,
    weight_explorer,
)


def controls(w):
    return {c.description: c for c in w.children if hasattr(c, "description") and c.description}


def test_weight_explorer_redraws_with_the_new_weights():
    w = weight_explorer()
    assert isinstance(w.result, plt.Figure)
    controls(w)["weight of component 0"].value = 0.2
    assert w.result.axes[0].get_title() == "weights = (0.20, 0.40, 0.40)"


def test_toy_with_component0_is_a_valid_mixture():
    p = toy_with_component0(0.1, 2.0)
    assert p.weights.sum().item() == pytest.approx(1.0)
    assert torch.allclose(p.variances[0], 2 * toy_params(torch.float64).variances[0])
    assert torch.equal(p.variances[1:], toy_params(torch.float64).variances[1:])


def test_sampling_explorer_resamples():
    w = sampling_explorer()
    c = controls(w)
    c["N points"].value = 5000
    title = w.result.axes[0].get_title()
    assert title.startswith("N = 5000")
    c["weight of component 0"].value = 0.9
    fractions = [float(x) for x in w.result.axes[0].get_title().split("(")[1].rstrip(")").split(",")]
    assert fractions[0] == pytest.approx(0.9, abs=0.02)


def test_init_explorer_changes_start_with_seed_and_scheme():
    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X)
    c = controls(w)
    first = [line.get_xydata().tolist() for line in w.result.axes[0].lines]
    c["seed"].value = 5
    assert [line.get_xydata().tolist() for line in w.result.axes[0].lines] != first
    c["scheme"].value = "k-means++"
    assert w.result.axes[0].get_title() == "k-means++, seed 5"


def test_gaussian_explorer_reports_the_peak_density():
    w = gaussian_explorer()
    c = controls(w)
    c["variance σ₁²"].value = 0.1
    c["variance σ₂²"].value = 0.1
    assert w.result.axes[0].get_title().endswith(f"{1 / (2 * torch.pi * 0.1):.3f}")
