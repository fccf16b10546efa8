import re

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


def test_memory_explorer_lists_every_intermediate_and_draws_each_forms_peak(capsys):
    from gmm_helpers import log_pdfs_peak_bytes
    from gmm_helpers.teach.widgets import memory_explorer

    w = memory_explorer()
    c = controls(w)
    c["K components"].value = 64
    c["D dimensions"].value = 64
    c["N points"].value = 10**6
    out = capsys.readouterr().out
    assert re.search(r"diff = X\[:, None, :\] - means\[None\] +\(1000000, 64, 64\) +15\.3 GiB", out)
    ax = w.result.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, form) for form in ("loop", "broadcast", "chunked", "expanded")]
    assert ax.get_xlim() == (2**10, 2**48)  # fixed while the sliders move
    assert "alive together: the broadcast bar, 45.8 GiB" in out
    assert re.search(r"\(\.\.\.\)\.sum\(dim=2\) -> delta\^2 +\(1000000, 64\)", out)
    c["N points"].value, c["K components"].value, c["D dimensions"].value = 10**7, 128, 784
    capsys.readouterr()
    c["dtype"].value = "float64"
    assert re.search(r"diff \*\* 2 +\(10000000, 128, 784\) +7\.3 TiB", capsys.readouterr().out)
    assert max(bar.get_width() for bar in w.result.axes[0].patches) < w.result.axes[0].get_xlim()[1] / 4  # bar and label fit


def test_probe_explorer_bars_follow_the_probe_and_the_weights_switch():
    from gmm_helpers import log_responsibilities
    from gmm_helpers.teach.widgets import E_STEP_CHOICES, probe_explorer

    p = toy_params()
    w = probe_explorer(p)
    c = controls(w)
    c["probe x₁"].value, c["probe x₂"].value = 2.5, 2.5  # on component 1's mean
    bars = [patch.get_height() for patch in w.result.axes[1].patches]
    assert len(bars) == 3 and bars[1] > 0.99
    assert w.result.axes[1].get_title() == "probe (+2.5, +2.5)"
    c["probe x₁"].value, c["probe x₂"].value = 1.5, -0.5  # between groups: the weights matter
    with_weights = [patch.get_height() for patch in w.result.axes[1].patches]
    c["E-step"].value = E_STEP_CHOICES[1]
    without = [patch.get_height() for patch in w.result.axes[1].patches]
    equal = log_responsibilities(torch.tensor([[1.5, -0.5]]), p._replace(weights=torch.full((3,), 1 / 3)))[0].exp()
    torch.testing.assert_close(torch.tensor(without, dtype=torch.float32), equal)
    assert without[0] < with_weights[0]  # component 0 carries the biggest weight: without it, it loses
    assert w.result.axes[0].get_xlim() == (-15.0, 15.0)


def test_draw_probe_shows_several_probes_for_a_static_figure():
    from gmm_helpers.teach.widgets import draw_probe

    fig = draw_probe(toy_params(), probes=((0, 0), (2.5, 2.5), (14, 2)), names=["A", "B", "C"])
    assert [ax.get_title() for ax in fig.axes[1:4]] == ["A", "B", "C"]
    assert fig.axes[3].patches[0].get_height() > 0.99  # far right: component 0, whose group is on the left


def test_em_stepper_alternates_e_and_m_steps_with_the_log_likelihood_and_fixed_axes():
    from gmm_helpers import init_random_points
    from gmm_helpers.teach.widgets import em_stepper

    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    w = em_stepper(X, start, n_iter=2)
    slider = controls(w)["half-step (E, M, E, M, ...)"]
    limits = w.result.axes[0].get_xlim(), w.result.axes[0].get_ylim()
    slider.value = 4
    ax_data, ax_curve = w.result.axes[:2]
    assert ax_data.get_title().startswith("iteration 2: M-step (move the components)")
    lls = ax_curve.lines[1].get_ydata()  # the dots: one per half-step so far
    assert len(lls) == 5 and all(b >= a - 1e-12 for a, b in zip(lls, lls[1:]))
    assert lls[1] == lls[0] and lls[2] > lls[1]  # an E-step leaves the parameters, so the likelihood, unchanged
    assert ax_data.get_title().endswith(f"log-likelihood per point {lls[-1]:.4f}")
    assert (ax_data.get_xlim(), ax_data.get_ylim()) == limits


def test_start_explorer_switches_start_and_iteration():
    from gmm_helpers.teach.widgets import start_explorer

    X, _ = sample_gmm(toy_params(), 200, generator=torch.Generator().manual_seed(0))
    w = start_explorer(X, seeds=range(3))
    c = controls(w)
    assert isinstance(w.children[0], type(c["iteration"])) and w.children[0].description == "iteration"
    c["iteration"].value = 0
    assert w.result.axes[0].get_title().startswith("iteration 0:")
    c["seed"].value = 2
    c["start"].value = "k-means++"
    assert w.result._suptitle.get_text().startswith("k-means++, seed 2: converged after")
    c["iteration"].value = c["iteration"].max
    assert w.result.axes[0].get_title().startswith("iteration ")
    plt.close("all")
