import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gmm_helpers import sample_gmm, toy_params
from gmm_helpers.teach.widgets import gaussian_explorer, init_explorer, sampling_explorer, weight_explorer


def controls(w):
    return {c.description: c for c in w.children if hasattr(c, "description") and c.description}


def filled_levels(ax):
    return [list(c.levels) for c in ax.collections if hasattr(c, "levels")]


def test_weight_explorer_redraws_with_the_new_weights_on_fixed_levels():
    w = weight_explorer()
    assert isinstance(w.result, plt.Figure)
    levels = filled_levels(w.result.axes[0])
    controls(w)["weight of component 0"].value = 0.2
    ax = w.result.axes[0]
    assert ax.get_title() == "weight of component 0: 0.20"
    assert filled_levels(ax) == levels  # the same colour means the same density at every weight
    labels = [t.get_text() for t in ax.texts]
    assert labels[0].startswith("component 0\nweight 0.20\nheight 0.027")  # 0.2 / (2 pi sqrt(1.8 * 0.8))
    assert "weight 0.40" in labels[1] and "weight 0.40" in labels[2]


def test_sampling_explorer_resamples_with_a_new_seed_at_fixed_n():
    w = sampling_explorer()
    c = controls(w)
    c["N points"].value = 20
    first = w.result.axes[0].get_title()
    assert first.startswith("N = 20, sample 0")
    c["sample number (seed)"].value = 1
    second = w.result.axes[0].get_title()
    assert second.startswith("N = 20, sample 1") and second.split("\n")[1] != first.split("\n")[1]
    assert w.result.axes[0].get_xlim() == (-8, 7)
    c["N points"].value = 5000
    c["weight of component 0"].value = 0.9
    fractions = [float(x) for x in w.result.axes[0].get_title().split("(")[1].rstrip(")").split(",")]
    assert fractions[0] == pytest.approx(0.9, abs=0.02)


def test_init_explorer_changes_start_with_seed_scheme_and_scale():
    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X)
    c = controls(w)
    first = [line.get_xydata().tolist() for line in w.result.axes[0].lines]
    c["seed"].value = 5
    assert [line.get_xydata().tolist() for line in w.result.axes[0].lines] != first
    c["scheme"].value = "k-means++"
    assert w.result.axes[0].get_title() == "k-means++, seed 5"
    c["scheme"].value = "random data points"
    c["data units × "].value = 10.0
    ax = w.result.axes[0]
    assert ax.get_title() == "random data points, seed 5, data × 10"
    (x0, x1), radius = ax.get_xlim(), ax.patches[0].width / 2
    assert radius == pytest.approx(1.0)  # the fixed variance 1: a circle of radius 1 whatever the units
    assert x1 - x0 > 100  # while the axes follow the data, ten times wider
    c["scheme"].value = "k-means++"
    assert w.result.axes[0].patches[0].width > 10  # k-means++ variances follow the data


def test_gaussian_explorer_reports_the_peak_density_and_the_diagonal_cost():
    w = gaussian_explorer()
    c = controls(w)
    c["variance σ₁²"].value = 0.125
    c["variance σ₂²"].value = 0.125
    title = w.result.axes[0].get_title()
    assert f"peak {1 / (2 * torch.pi * 0.125):.3f}" in title and "loses 0.00 per point" in title
    levels = filled_levels(w.result.axes[0])
    c["correlation ρ"].value = 0.6
    title = w.result.axes[0].get_title()
    assert title.startswith("ρ = +0.60") and f"loses {-0.5 * np.log(1 - 0.36):.2f} per point" in title
    assert f"peak {1 / (2 * torch.pi * 0.125 * 0.8):.3f}" in title
    assert filled_levels(w.result.axes[0]) == levels


def test_static_companions_draw_on_a_given_axis():
    from gmm_helpers.teach.widgets import draw_gaussian, draw_sample, draw_start, draw_weight_effect

    X, _ = sample_gmm(toy_params(), 100, generator=torch.Generator().manual_seed(0))
    fig, axes = plt.subplots(1, 4)
    assert draw_weight_effect(0.3, ax=axes[0], colorbar=False) is axes[0]
    assert draw_sample(50, ax=axes[1]) is axes[1]
    assert draw_start(X, "k-means++", ax=axes[2], title="t") is axes[2] and axes[2].get_title() == "t"
    assert draw_gaussian(1.0, 1.0, 0.5, ax=axes[3], colorbar=False) is axes[3]
    assert len(fig.axes) == 4  # no colour bars added


def test_shapes_explorer_lists_every_intermediate(capsys):
    from gmm_helpers.teach.widgets import shapes_explorer

    w = shapes_explorer()
    c = controls(w)
    c["K components"].value = 64
    c["D dimensions"].value = 64
    c["N points"].value = 10**6
    rows = dict((expr, (shape, mem)) for expr, shape, mem in w.result)
    assert rows["X[:, None, :] - means[None]"] == ((10**6, 64, 64), "15.3 GiB")
    assert rows["X[:, None, :]"][1].startswith("0 B")
    c["dtype"].value = "float64"
    assert dict((e, m) for e, _, m in w.result)["X[:, None, :] - means[None]"] == "30.5 GiB"


def test_probe_explorer_bars_follow_the_probe():
    from gmm_helpers.teach.widgets import probe_explorer

    p = toy_params()
    w = probe_explorer(p)
    c = controls(w)
    c["probe x₁"].value, c["probe x₂"].value = 2.5, 2.5  # on component 1's mean
    bars = [patch.get_height() for patch in w.result.axes[1].patches]
    assert len(bars) == 3 and bars[1] > 0.99
    assert w.result.axes[0].get_title() == "probe x = (+2.5, +2.5)"


def test_em_stepper_alternates_e_and_m_steps():
    from gmm_helpers import init_random_points
    from gmm_helpers.teach.widgets import em_stepper

    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    w = em_stepper(X, start, n_iter=2)
    controls(w)["half-step (E, M, E, M, ...)"].value = 4
    assert w.result.axes[0].get_title() == "iteration 2: M-step (move the components)"
