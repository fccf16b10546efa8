import math
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
    assert ax.get_title() == "component 0: weight 0.20\nvolume 0.20, height 0.027"
    assert filled_levels(ax) == levels  # the same colour means the same density at every weight
    labels = [t.get_text() for t in ax.texts]
    assert labels[0].startswith("component 0\nweight 0.20\nheight 0.027")  # 0.2 / (2 pi sqrt(1.8 * 0.8))
    assert "weight 0.40" in labels[1] and "weight 0.40" in labels[2]
    controls(w)["weight of component 0"].value = 0.05  # the others 0.475 each: three decimals, labels adding up to 1
    labels = [t.get_text() for t in w.result.axes[0].texts]
    assert "weight 0.05\n" in labels[0] and "weight 0.475" in labels[1] and "weight 0.475" in labels[2]


def test_weight_explorer_variance_slider_keeps_the_volume_and_lowers_the_height():
    w = weight_explorer()
    c = controls(w)
    levels = filled_levels(w.result.axes[0])
    heights = []
    scales = (0.25, 0.5, 1.0, 2.0, 4.0)  # the slider narrows as well as widens
    for scale in scales:
        c["variances × (component 0)"].value = scale
        title = w.result.axes[0].get_title()
        assert "volume 0.50," in title and filled_levels(w.result.axes[0])[0] == levels[0]  # fixed colour levels
        heights.append(float(title.split("height ")[1]))
    expected = [0.5 / (2 * np.pi * np.sqrt(1.8 * 0.8) * s) for s in scales]  # sigma1 sigma2 grows like the scale
    np.testing.assert_allclose(heights, expected, atol=5e-4)
    # narrowing a light component makes it the tallest hill (the others share 0.75)
    c["weight of component 0"].value = 0.25
    c["variances × (component 0)"].value = 0.25
    label_heights = [float(t.get_text().split("height ")[1].split()[0]) for t in w.result.axes[0].texts]
    assert int(np.argmax(label_heights)) == 0


def test_weight_explorer_log_levels_show_every_hill_over_the_sliders_range():
    from matplotlib.colors import LogNorm

    from gmm_helpers import toy_with_component0
    from gmm_helpers.teach.widgets import WEIGHT_LEVELS

    w = weight_explorer()
    c = controls(w)
    weight, scale = c["weight of component 0"], c["variances × (component 0)"]
    weights = np.arange(weight.min, weight.max + weight.step / 2, weight.step)  # 0.05, 0.10, ..., 0.90
    scales = scale.base ** np.arange(scale.min, scale.max + scale.step / 2, scale.step)  # 0.25, ..., 4
    assert len(weights) == 18 and len(scales) == 9
    settings = [toy_with_component0(float(wt), float(sc)) for wt in weights for sc in scales]
    heights = np.array([(p.weights / (2 * np.pi * p.variances.prod(dim=1).sqrt())).tolist() for p in settings])  # (162, 3)
    assert np.allclose(WEIGHT_LEVELS[1:] / WEIGHT_LEVELS[:-1], 2)  # each level twice the one below
    assert heights.min() >= 4 * WEIGHT_LEVELS[0]  # the lowest hill (0.0017) rises two bands above the background
    assert heights.max() < WEIGHT_LEVELS[-1]  # the tallest (0.48) does not saturate: no hill is one flat colour
    assert f"{heights.min():.4f}" == "0.0017" and f"{heights.max():.2f}" == "0.48"  # the comment at WEIGHT_LEVELS
    weight.value, scale.value = 0.05, 4.0  # the extreme: its fill is on the same fixed log levels
    ax, bar = w.result.axes
    filled = ax.collections[0]
    assert isinstance(filled.norm, LogNorm) and np.allclose(filled.levels, WEIGHT_LEVELS)
    assert [t.get_text() for t in bar.get_yticklabels()] == ["0.00025", "0.001", "0.004", "0.016", "0.064", "0.256"]
    assert bar.get_ylabel() == "density $p(x)$ (log scale)"
    plt.close("all")


def test_sampling_explorer_resamples_with_a_new_seed_at_fixed_n():
    w = sampling_explorer()
    c = controls(w)
    c["N points"].value = 20
    first = w.result.axes[0].get_title()
    assert first.startswith("N = 20, sample 0")
    c["sample number (seed)"].value = 1
    second = w.result.axes[0].get_title()
    assert second.startswith("N = 20, sample 1") and second.split("\n")[1] != first.split("\n")[1]
    assert w.result.axes[0].get_xlim() == (-11, 7)
    c["N points"].value = 5000
    c["weight of component 0"].value = 0.9
    title = w.result.axes[0].get_title()
    fractions = [float(x) for x in title.split("fractions (")[1].split(")")[0].split(",")]
    assert fractions[0] == pytest.approx(0.9, abs=0.02) and "true weights (0.90, 0.05, 0.05)" in title
    c["weight of component 0"].value = 0.05  # the others 0.475 each: three decimals, so the title's weights add up to 1
    assert "true weights (0.05, 0.475, 0.475)" in w.result.axes[0].get_title()


def test_init_explorer_with_centres_labels_the_groups_and_reports_coverage():
    from gmm_helpers import init_kmeans_plusplus, init_random_points, nearest_means
    from gmm_helpers.teach.widgets import start_coverage

    truth = toy_params()
    X, _ = sample_gmm(truth, 600, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X, centres=truth.means)
    c = controls(w)
    ax = w.result.axes[0]
    assert [t.get_text() for t in ax.texts] == ["group 0", "group 1", "group 2"]
    means = init_random_points(X, 3, generator=torch.Generator().manual_seed(0)).means
    assert ax.get_title() == "random data points, seed 0\n" + start_coverage(means, truth.means)
    from matplotlib.colors import to_rgba

    from gmm_helpers.teach.style import component_colour

    crosses = {to_rgba(line.get_color()): line.get_xydata()[0].tolist() for line in ax.get_lines() if line.get_marker() == "X"}
    paired = init_random_points(X, 3, generator=torch.Generator().manual_seed(0)).matched_to(truth)
    for k in range(3):  # each mean in the colour of the group it is paired with, as in 02's figures
        assert crosses[to_rgba(component_colour(k))] == pytest.approx(paired.means[k].tolist())
    c["scheme"].value = "plain k-means++ (one draw per step)"
    plain = init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(0), n_local_trials=1).means
    assert w.result.axes[0].get_title().endswith(start_coverage(plain, truth.means))
    # an independent count: which true centre is nearest each start mean, by a loop
    for seed in range(6):
        m = init_random_points(X, 3, generator=torch.Generator().manual_seed(seed)).means
        by_loop = [min(range(3), key=lambda g: float(((mk - truth.means[g]) ** 2).sum())) for mk in m]
        assert nearest_means(m, truth.means).tolist() == by_loop  # the labelling 02 prints
        hit = set(by_loop)
        assert (start_coverage(m, truth.means) == "one mean per group") == (hit == {0, 1, 2})


def test_init_explorer_colours_the_points_by_group_when_given_labels():
    from gmm_helpers.teach.widgets import draw_start

    truth = toy_params()
    X, labels = sample_gmm(truth, 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X, centres=truth.means, labels=labels)
    assert w.kwargs_widgets is not None and controls(w).keys() == controls(init_explorer(X)).keys()  # no new control

    def point_colours(fig):
        return {tuple(np.round(c, 3)) for coll in fig.axes[0].collections for c in coll.get_facecolors()}

    coloured = point_colours(draw_start(X, "random data points", 0, labels=labels))
    grey = point_colours(draw_start(X, "random data points", 0))
    assert len(coloured) > len(grey)  # the groups' colours, not one grey


def test_init_explorer_changes_start_with_seed_scheme_and_scale():
    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X)
    c = controls(w)
    first = [line.get_xydata().tolist() for line in w.result.axes[0].lines]
    c["seed"].value = 5
    assert [line.get_xydata().tolist() for line in w.result.axes[0].lines] != first
    c["scheme"].value = "greedy k-means++"
    assert w.result.axes[0].get_title() == "greedy k-means++, seed 5"
    c["scheme"].value = "random data points"
    c["data units × "].value = 10.0
    ax = w.result.axes[0]
    assert ax.get_title() == "random data points, seed 5, data × 10"
    (x0, x1), radius = ax.get_xlim(), ax.patches[0].width / 2
    assert radius == pytest.approx(1.0)  # the fixed variance 1: a circle of radius 1 whatever the units
    assert x1 - x0 > 100  # while the axes follow the data, ten times wider
    c["scheme"].value = "greedy k-means++"
    assert w.result.axes[0].patches[0].width > 10  # k-means++ variances follow the data


def test_gaussian_explorer_reports_the_peak_density_and_the_diagonal_cost():
    w = gaussian_explorer()
    c = controls(w)
    assert set(c) == {"variance σ₀²", "variance σ₁²", "correlation ρ"}  # no stray "legend" checkbox
    c["variance σ₀²"].value = 0.125
    c["variance σ₁²"].value = 0.125
    title = w.result.axes[0].get_title()
    assert f"peak {1 / (2 * torch.pi * 0.125):.3f}" in title and "loses 0.00 nats per point" in title
    levels = filled_levels(w.result.axes[0])
    c["correlation ρ"].value = 0.6
    title = w.result.axes[0].get_title()
    assert title.startswith("σ₀² = 1/8, σ₁² = 1/8, ρ = +0.60")  # fractions, not 0.125 and f"loses {-0.5 * np.log(1 - 0.36):.2f} nats per point" in title
    assert f"peak {1 / (2 * torch.pi * 0.125 * 0.8):.3f}" in title
    assert filled_levels(w.result.axes[0]) == levels


def test_gaussian_explorer_titles_write_fractions_and_the_colour_bar_has_five_bands_per_decade():
    from gmm_helpers.teach.widgets import GAUSSIAN_LEVELS, variance_text

    assert [variance_text(v) for v in (1 / 32, 0.125, 1.0, 8.0, 2**-4.5, 2**1.5)] == ["1/32", "1/8", "1", "8", "0.0442", "2.83"]
    assert len(GAUSSIAN_LEVELS) == 21 and np.allclose(GAUSSIAN_LEVELS[::5], [1e-3, 1e-2, 1e-1, 1, 10])
    w = gaussian_explorer()
    controls(w)["variance σ₁²"].value = 1 / 32
    assert w.result.axes[0].get_title().startswith("σ₀² = 4, σ₁² = 1/32, ρ = +0.00")
    bar = w.result.axes[1]  # the colour bar: one tick per decade
    assert [t.get_text() for t in bar.get_yticklabels()] == ["0.001", "0.01", "0.1", "1", "10"]
    plt.close("all")


def test_static_companions_draw_on_a_given_axis():
    from gmm_helpers.teach.widgets import draw_gaussian, draw_sample, draw_start, draw_weight_effect

    X, _ = sample_gmm(toy_params(), 100, generator=torch.Generator().manual_seed(0))
    fig, axes = plt.subplots(1, 4)
    assert draw_weight_effect(0.3, ax=axes[0], colorbar=False) is axes[0]
    assert draw_sample(50, ax=axes[1]) is axes[1]
    assert "true weights (0.50, 0.25, 0.25)" in axes[1].get_title()
    draw_sample(50, ax=axes[1], true_weights=False)  # a figure of several samples says the weights once, in its suptitle
    assert "true weights" not in axes[1].get_title() and axes[1].get_title().startswith("N = 50, sample 0: counts (")
    assert "\nfractions (" in axes[1].get_title()
    from gmm_helpers import toy_with_component0
    from gmm_helpers.teach.widgets import SAMPLE_XLIM, SAMPLE_YLIM

    X4, _ = sample_gmm(toy_with_component0(0.5, 4.0), 2000, generator=torch.Generator().manual_seed(0))
    assert SAMPLE_XLIM[0] < float(X4[:, 0].min()) and float(X4[:, 0].max()) < SAMPLE_XLIM[1]
    assert SAMPLE_YLIM[0] < float(X4[:, 1].min()) and float(X4[:, 1].max()) < SAMPLE_YLIM[1]
    assert draw_start(X, "greedy k-means++", ax=axes[2], title="t") is axes[2] and axes[2].get_title() == "t"
    assert draw_gaussian(1.0, 1.0, 0.5, ax=axes[3], colorbar=False, legend=False) is axes[3]
    assert axes[3].get_legend() is None and axes[3].get_title().startswith("σ₀² = 1, σ₁² = 1, ρ = +0.50")
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
    assert re.search(r"diff = X\[:, None, :\] - means\[None, :, :\] +\(1000000, 64, 64\) +15\.3 GiB", out)  # as 04 writes it
    ax = w.result.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, form) for form in ("loop", "broadcast", "chunked", "expanded")]
    assert ax.get_xlim() == (2**10, 2**48)  # fixed while the sliders move
    assert "alive together: the broadcast bar, 45.8 GiB" in out
    c["K components"].value = 32  # one notch down: 3 significant figures, so the factor 2 reads as 2 (not 1.1 -> 2.3 GiB)
    assert "the broadcast bar, 22.9 GiB" in capsys.readouterr().out and "22.9 GiB  (reference)" in [t.get_text() for t in w.result.axes[0].texts]
    assert re.search(r"\(\.\.\.\)\.sum\(dim=2\) -> delta\^2 +\(1000000, 64\)", out)
    c["K components"].value = 64
    capsys.readouterr()
    c["D dimensions"].value = 1
    out = capsys.readouterr().out
    assert "at D = 1 (Exercise 4.3): the broadcast bar" in out and "worst moment" not in out and "bar, " not in out and "delta^2, c_k" not in out  # Exercise 4.3's answer not given away
    c["D dimensions"].value = 64
    c["N points"].value, c["K components"].value, c["D dimensions"].value = 10**7, 128, 784
    capsys.readouterr()
    c["dtype"].value = "float64"
    assert re.search(r"diff \*\* 2 +\(10000000, 128, 784\) +7\.30 TiB", capsys.readouterr().out)  # 3 significant figures
    assert max(bar.get_width() for bar in w.result.axes[0].patches) < w.result.axes[0].get_xlim()[1] / 4  # bar and label fit


def test_probe_explorer_bars_follow_the_probe_and_the_weights_switch():
    from gmm_helpers import log_responsibilities
    from gmm_helpers.teach.widgets import E_STEP_CHOICES, probe_explorer

    p = toy_params()
    w = probe_explorer(p)
    c = controls(w)
    c["probe x₀"].value, c["probe x₁"].value = 2.5, 2.5  # on component 1's mean
    bars = [patch.get_height() for patch in w.result.axes[1].patches]
    assert len(bars) == 3 and bars[1] > 0.99
    assert w.result.axes[1].get_title() == "probe (+2.5, +2.5)"
    c["probe x₀"].value, c["probe x₁"].value = 1.5, -0.5  # between groups: the weights matter
    with_weights = [patch.get_height() for patch in w.result.axes[1].patches]
    c["E-step"].value = E_STEP_CHOICES[1]
    without = [patch.get_height() for patch in w.result.axes[1].patches]
    equal = log_responsibilities(torch.tensor([[1.5, -0.5]]), p._replace(weights=torch.full((3,), 1 / 3)))[0].exp()
    torch.testing.assert_close(torch.tensor(without, dtype=torch.float32), equal)
    assert without[0] < with_weights[0]  # component 0 carries the biggest weight: without it, it loses
    assert w.result.axes[0].get_xlim() == (-15.0, 15.0)
    c["map"].value = c["map"].options[1]  # zoomed: ±3 around the probe, the bars unchanged
    assert w.result.axes[0].get_xlim() == (-1.5, 4.5) and w.result.axes[0].get_ylim() == (-3.5, 2.5)
    assert [patch.get_height() for patch in w.result.axes[1].patches] == without
    assert probe_explorer(p, zoomed=True).result.axes[0].get_xlim() == (-3.0, 3.0)  # opens zoomed: ±3 around the origin


def test_draw_probe_shows_several_probes_as_one_grouped_bar_chart():
    from gmm_helpers import log_responsibilities
    from gmm_helpers.teach.widgets import draw_probe

    probes = ((0.0, 0.0), (2.5, 2.5), (14.0, 2.0))
    fig = draw_probe(toy_params(), probes=probes, names=["A: middle", "B", "C"])
    assert len(fig.axes) == 2 and fig.get_size_inches()[0] <= 13  # the map and one bar chart: readable at notebook width
    bars = fig.axes[1]
    assert [t.get_text() for t in bars.get_xticklabels()] == ["A\nmiddle", "B", "C"]
    heights = torch.tensor([patch.get_height() for patch in bars.patches], dtype=torch.float32).reshape(3, 3)  # component by component
    torch.testing.assert_close(heights.T, log_responsibilities(torch.tensor(probes), toy_params()).exp())
    assert heights[0, 2] > 0.99  # far right: component 0, whose group is on the left
    assert [t.get_text() for t in bars.get_legend().get_texts()] == ["component 0", "component 1", "component 2"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["decision boundary", "component: mean, 1σ ellipse",
                                                                           "no component above 90%"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["component 0", "component 1", "component 2"]  # the map's key
    labels = [t.get_text() for t in bars.texts]
    assert "0.00" not in labels and len(labels) == int((heights >= 0.005).sum())  # no row of "0.00" over empty bars


def test_draw_probe_can_leave_out_the_90_percent_band():
    from gmm_helpers.teach.widgets import draw_probe

    def dashed(fig):  # contour sets drawn with a dash pattern: the 90% band (the decision boundaries are solid)
        return [c for c in fig.axes[0].collections if c.get_linestyle()[0][1] is not None]

    probes = ((1.5, -0.5), (14.0, 2.0))
    with_band = draw_probe(toy_params(), probes=probes, lim=20)
    without = draw_probe(toy_params(), probes=probes, lim=20, band=False)
    assert len(dashed(with_band)) == 1 and dashed(without) == []
    assert len(without.axes[0].collections) == len(with_band.axes[0].collections) - 1  # nothing else changes
    assert [t.get_text() for t in without.axes[0].get_legend().get_texts()] == ["decision boundary", "component: mean, 1σ ellipse"]
    titles = [f.legends[0].get_title().get_text() for f in (with_band, without)]  # the map's key: blends only where they show
    assert titles[0] == "map: the components' colours, blended by responsibility" and titles[1].startswith(titles[0] + "\n(at ±20")


def test_draw_probe_label_offsets_move_a_probe_label_off_a_mean():
    from gmm_helpers.teach.widgets import draw_probe

    probes, names = ((1.5, -0.5), (2.5, 2.5), (14.0, 2.0), (14.0, -4.0)), ["A: x", "B: x", "C: x", "E: x"]

    def a_clashes(fig):  # does A's label overlap a component's mean marker?
        fig.canvas.draw()
        ax, renderer = fig.axes[0], fig.canvas.get_renderer()
        label = next(t for t in ax.texts if t.get_text() == "A").get_window_extent(renderer)
        return any(label.overlaps(m.get_window_extent(renderer)) for m in ax.lines if m.get_gid() == "component")

    assert a_clashes(draw_probe(toy_params(), probes=probes, names=names, lim=20))  # by default below right: on component 2's mean
    moved = draw_probe(toy_params(), probes=probes, names=names, lim=20, label_offsets={"A": (-8, 6)})
    assert not a_clashes(moved) and next(t for t in moved.axes[0].texts if t.get_text() == "A").get_ha() == "right"


def test_draw_probe_marks_each_component_mean_and_1_sigma_ellipse_on_the_map():
    from matplotlib.colors import to_rgb

    from gmm_helpers.teach.style import component_colour
    from gmm_helpers.teach.widgets import E_STEP_CHOICES, draw_probe, probe_explorer

    p = toy_params()

    def marks(fig):  # (ellipses, mean markers) drawn on the map for the components
        ax = fig.axes[0]
        return ([e for e in ax.patches if e.get_gid() == "component"], [m for m in ax.lines if m.get_gid() == "component"])

    for fig in (draw_probe(p, probes=((1.5, -0.5), (14.0, 2.0)), lim=20),  # the static figure
                draw_probe(p, probes=((1.5, -0.5),), e_step=E_STEP_CHOICES[1], lim=3, centre=(1.5, -0.5))):  # a widget frame
        ellipses, crosses = marks(fig)
        assert len(ellipses) == len(crosses) == 3
        for k, (e, m) in enumerate(zip(ellipses, crosses)):
            assert list(e.center) == p.means[k].tolist() and m.get_xydata().tolist() == [p.means[k].tolist()]
            half_axes = sorted([e.width / 2, e.height / 2])  # 1σ: the half-axes are the standard deviations
            assert half_axes == pytest.approx(sorted(p.variances[k].sqrt().tolist()), rel=1e-6)
            assert e.get_edgecolor()[:3] == to_rgb(component_colour(k)) and m.get_marker() == "X"
    w = probe_explorer(p, zoomed=True)
    controls(w)["probe x₀"].value = 2.5  # every frame the slider draws keeps them
    assert [len(group) for group in marks(w.result)] == [3, 3]


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
    assert ax_data.get_title().startswith("M-step 2: ellipses $\\theta_{2}$, colours still $r$ at $\\theta_{1}$")
    slider.value = 3
    assert w.result.axes[0].get_title().startswith("E-step 2: colours $r$ at $\\theta_{1}$")
    slider.value = 4
    lls = ax_curve.lines[1].get_ydata()  # the dots: one per half-step so far
    assert len(lls) == 5 and all(b >= a - 1e-12 for a, b in zip(lls, lls[1:]))
    assert lls[1] == lls[0] and lls[2] > lls[1]  # an E-step leaves the parameters, so the likelihood, unchanged
    assert ax_data.get_title().endswith(f"log-likelihood {lls[-1]:.4f}")
    assert (ax_data.get_xlim(), ax_data.get_ylim()) == limits
    qs = ax_curve.lines[3].get_ydata()  # Q(theta; theta_old) from half-step 1 on, against a direct sum
    from gmm_helpers.em import em_half_steps
    from torch.distributions import Independent, Normal
    states = em_half_steps(X, start, 2)
    for step in (1, 2, 4):
        params, resp, _ = states[step]
        log_joint = Independent(Normal(params.means, params.variances.sqrt()), 1).log_prob(X[:, None, :]) + params.weights.log()
        assert abs(qs[step - 1] - float((resp * log_joint).sum()) / len(X)) < 1e-9
    assert qs[1] > qs[0] and qs[3] > qs[2]  # each M-step raises Q
    assert f"$Q$ {qs[-1]:.4f}, log-likelihood" in ax_data.get_title()  # the data panel names both values
    assert ax_curve.get_ylabel() == "per point: $\\ell$, $Q$ and $F$"
    from matplotlib.colors import to_rgba
    from gmm_helpers.teach.widgets import F_COLOUR, Q_COLOUR
    q_line, F_line = ax_curve.lines[2], ax_curve.lines[4]  # Q: solid brown, one piece per E-step's Q; F: purple dashes, under l
    assert q_line.get_linestyle() == "-" and to_rgba(q_line.get_color()) == to_rgba(Q_COLOUR)
    # Q as steps, one piece per E-step's Q (E-step, M-step, next E-step), not joined: flat, up at the M-step, flat
    assert np.array_equal(q_line.get_xdata(), [np.nan, 0.5, 1.0, 1.0, 1.5, np.nan, 1.5, 2.0, 2.0, np.nan], equal_nan=True)
    q_y = q_line.get_ydata()
    assert q_y[1] == q_y[2] == qs[0] and q_y[3] == q_y[4] == qs[1] and q_y[6] == q_y[7] == qs[2] and q_y[8] == qs[3]
    q_jumps = ax_curve.lines[5]  # each E-step after the first jumps to a new Q: a dotted vertical at t + 1/2
    assert q_jumps.get_linestyle() == ":" and np.array_equal(q_jumps.get_xdata(), [np.nan, 1.5, 1.5, np.nan], equal_nan=True)
    assert np.array_equal(q_jumps.get_ydata(), [np.nan, qs[1], qs[2], np.nan], equal_nan=True)
    assert F_line.get_linestyle() == "--" and to_rgba(F_line.get_color()) == to_rgba(F_COLOUR) != to_rgba(Q_COLOUR)
    assert F_line.get_zorder() < ax_curve.lines[0].get_zorder()
    # the x-axis counts iterations: half-step h at h / 2 (E-steps at t - 1/2, M-steps at t)
    assert list(ax_curve.lines[1].get_xdata()) == [0.0, 0.5, 1.0, 1.5, 2.0] and "iteration" in ax_curve.get_xlabel()


def test_draw_half_step_marks_the_start_and_the_first_Q_below_the_scale():
    from gmm_helpers import init_random_points, running_example
    from gmm_helpers.em import em_half_steps
    from gmm_helpers.teach.widgets import Q_COLOUR, draw_half_step, half_step_log_likelihoods, half_step_q_values

    X, _, _ = running_example(torch.float64)
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))  # the poor start: both far below
    states = em_half_steps(X, start, 4)
    lls, qs = half_step_log_likelihoods(X, states), half_step_q_values(X, states)
    _, (ax_data, ax_curve) = plt.subplots(1, 2)
    draw_half_step(X, states, 8, ax_data=ax_data, ax_curve=ax_curve, lls=lls, qs=qs)
    bottom, top = ax_curve.get_ylim()
    ll_arrow, q_arrow = [t for t in ax_curve.texts if getattr(t, "arrow_patch", None) is not None]
    (label,) = [t for t in ax_curve.texts if getattr(t, "arrow_patch", None) is None]
    assert ll_arrow.xy == (0.0, bottom) and q_arrow.xy == (0.5, bottom)
    assert ll_arrow.xyann[1] - bottom < 0.1 * (top - bottom)  # a short arrow at the bottom edge, not a line like a curve's
    assert label.get_text() == (f"below this scale\n(arrows at the bottom left):\n$\\ell$ at the start {float(lls[0]):.2f} "
                                f"(black)\n$Q$ after the 1st E-step {float(qs[1]):.2f} (brown)")
    assert label.get_fontsize() == 11 and ax_curve.get_legend().get_texts()[0].get_fontsize() == 11  # key_size's default
    ll_x, q_x = (ax_curve.transData.inverted().transform((ax_curve.transData if isinstance(a.xycoords, str) else a.xycoords)
                                                         .transform(a.xy))[0] for a in (ll_arrow, q_arrow))
    assert q_x - ll_x > 0.6  # the start's arrow is drawn left of t = 0, apart from Q's at t = 1/2
    assert float(lls[0]) < bottom and float(qs[1]) < bottom
    from matplotlib.colors import to_rgba
    assert q_arrow.arrow_patch.get_edgecolor() == pytest.approx(to_rgba(Q_COLOUR))
    assert (qs[1:] < lls[1:]).all()  # Q sits below the log-likelihood (by the entropy of r, and more)


def test_the_bound_F_has_one_colour_in_06s_slice_and_curve_and_Q_another():
    from matplotlib.colors import to_rgba
    from gmm_helpers import init_random_points, running_example
    from gmm_helpers.em import em_half_steps
    from gmm_helpers.teach.figures import plot_bound_slice
    from gmm_helpers.teach.style import COMPONENT_COLOURS
    from gmm_helpers.teach.widgets import F_COLOUR, Q_COLOUR, draw_half_step

    X, _, _ = running_example(torch.float64)
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0)).matched_to(running_example(torch.float64)[2])
    fig, (ax_slice, ax_data, ax_curve) = plt.subplots(1, 3)
    plot_bound_slice(X, start, k=2, d=0, span=(3.4, 4.6), ax=ax_slice, y_floor=-10)  # 06's slice
    assert ax_slice.get_legend()._loc == 9 and ax_slice.get_legend().get_bbox_to_anchor().y0 < ax_slice.bbox.y0  # below the axes
    draw_half_step(X, em_half_steps(X, start, 2), 4, ax_data=ax_data, ax_curve=ax_curve)
    slice_F, curve_Q, curve_F = ax_slice.lines[1], ax_curve.lines[2], ax_curve.lines[4]
    assert "$Q$: current $\\theta$, last E-step's $r$" in [t.get_text() for t in ax_curve.get_legend().get_texts()]
    assert slice_F.get_linestyle() == curve_F.get_linestyle() == "--"
    assert to_rgba(slice_F.get_color()) == to_rgba(curve_F.get_color()) == to_rgba(F_COLOUR)  # F: one colour
    assert to_rgba(curve_Q.get_color()) == to_rgba(Q_COLOUR) != to_rgba(F_COLOUR)
    assert to_rgba(Q_COLOUR) not in [to_rgba(c) for c in COMPONENT_COLOURS + ["black"]]
    assert to_rgba(F_COLOUR) not in [to_rgba(c) for c in COMPONENT_COLOURS]
    plt.close(fig)


def test_start_explorer_switches_start_and_iteration():
    from gmm_helpers import fit_em, init_kmeans_plusplus, init_random_points
    from gmm_helpers.teach.widgets import start_explorer

    X, _ = sample_gmm(toy_params(), 200, generator=torch.Generator().manual_seed(0))
    w = start_explorer(X, seeds=range(3))
    c = controls(w)
    assert isinstance(w.children[0], type(c["iteration"])) and w.children[0].description == "iteration"
    fit_0 = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)), max_iter=1000)
    assert c["iteration"].max == c["iteration"].value == fit_0.n_iter  # the slider is as long as the shown fit
    c["iteration"].value = 0
    assert w.result.axes[0].get_title().startswith("iteration 0:")
    c["seed"].value = 2
    c["start"].value = "k-means++"
    fit_2 = fit_em(X, init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(2)), max_iter=1000)
    assert c["iteration"].max == c["iteration"].value == fit_2.n_iter != fit_0.n_iter  # re-fitted to the new run, at its end
    assert w.result._suptitle.get_text().startswith(f"k-means++, seed 2: fit_em stopped after {fit_2.n_iter} iterations")
    assert w.result.axes[0].get_title().startswith(f"iteration {fit_2.n_iter}:")
    ylim = w.result.axes[1].get_ylim()
    c["seed"].value = 1
    assert w.result.axes[1].get_ylim() == ylim  # one y-range for every fit
    assert ylim[0] < max(finals_per_point := [float(f.log_likelihoods[-1]) / len(X) for f in (fit_0, fit_2)]) < ylim[1] < -2
    finals = [float(fit_em(X, init(X, 3, generator=torch.Generator().manual_seed(s)), max_iter=1000).log_likelihoods[-1]) / len(X)
              for init in (init_random_points, init_kmeans_plusplus) for s in range(3)]
    dashed = [line for line in w.result.axes[1].lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and abs(dashed[0].get_ydata()[0] - max(finals)) < 1e-9  # the best fit's value
    plt.close("all")


def test_start_explorer_with_truth_keeps_truth_colours():
    from gmm_helpers import fit_em, init_random_points
    from gmm_helpers.teach.style import component_colour
    from gmm_helpers.teach.widgets import fit_in_reference_order, start_explorer

    truth = toy_params()
    X, _ = sample_gmm(truth, 300, generator=torch.Generator().manual_seed(0))
    fit = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)), max_iter=1000)
    ordered = fit_in_reference_order(fit, truth)
    assert torch.equal(ordered.params.means, fit.params.matched_to(truth).means)
    for before, after in zip(fit.history, ordered.history):  # the same permutation at every iteration
        assert sorted(after.means[:, 0].tolist()) == sorted(before.means[:, 0].tolist())
        assert torch.equal(after.means, before.permuted([int((fit.params.means == m).all(dim=1).nonzero()) for m in ordered.params.means]).means)
    nearest = ((ordered.params.means[:, None] - truth.means[None]) ** 2).sum(dim=2).argmin(dim=1)
    assert nearest.tolist() == [0, 1, 2]  # component k sits on true component k
    w = start_explorer(X, seeds=range(1), truth=truth)  # shows random seed 0 at its last iteration
    from matplotlib.colors import to_hex
    markers = [line for line in w.result.axes[0].lines if line.get_marker() == "X"]  # one cross per mean, in order
    assert [to_hex(line.get_color()) for line in markers] == [component_colour(k).lower() for k in range(3)]
    drawn = torch.tensor([[float(line.get_xdata()[0]), float(line.get_ydata()[0])] for line in markers], dtype=torch.float64)
    torch.testing.assert_close(drawn, ordered.params.means.double(), rtol=1e-6, atol=1e-6)  # colour k on true group k
    plt.close("all")


def test_k_explorer_moves_along_the_bic_curve_with_fixed_axes():
    from gmm_helpers import running_example
    from gmm_helpers.estimator import DiagonalGaussianMixture
    from gmm_helpers.teach.widgets import k_explorer

    X, _, _ = running_example(torch.float64)
    models = {K: DiagonalGaussianMixture(K, random_state=0).fit(X) for K in (1, 2, 3, 4)}
    w = k_explorer(X, {K: m.params_ for K, m in models.items()}, {K: m.bic(X) for K, m in models.items()})
    left, right = w.result.axes
    assert left.get_title().startswith("K = 3") and "lowest BIC: K = 3" in [t.get_text() for t in right.get_legend().get_texts()]
    limits = left.get_xlim(), left.get_ylim()
    controls(w)["K components"].value = 1
    left, right = w.result.axes
    assert left.get_title().startswith("K = 1") and (left.get_xlim(), left.get_ylim()) == limits
    assert right.lines[1].get_ydata()[0] == pytest.approx(models[1].bic(X))


def test_online_em_explorer_redraws_the_chosen_setting_on_fixed_axes():
    from gmm_helpers import fit_em_online, init_random_points, log_likelihood
    from gmm_helpers.teach.widgets import online_em_explorer

    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    exact_curve = [-5.0, -4.5, -4.2, -4.1]
    w = online_em_explorer(X, start, exact_curve, (-4.5, -3.5), passes=3)
    c = controls(w)
    c["points per chunk"].value = 100
    c["step-size exponent α"].value = 0.9
    ax = w.result.axes[0]
    assert ax.get_ylim() == (-4.5, -3.5) and ax.get_xlim() == (0, 3)
    online_line = ax.lines[1]
    assert "0.9" in online_line.get_label() and "chunks of 100" in online_line.get_label()
    # its last point: all of X under fit_em_online's parameters after 9 chunks (3 passes of 3 chunks)
    online = fit_em_online([chunk for _ in range(3) for chunk in X.split(100)], start, alpha=0.9)
    seen, values = online_line.get_xydata()[-1]
    assert seen == 3 and values == pytest.approx(float(log_likelihood(X, online.params)) / 300, rel=1e-6)


def test_k_choice_panels_ring_each_shown_K_on_one_bic_curve():
    from gmm_helpers import running_example
    from gmm_helpers.estimator import DiagonalGaussianMixture
    from gmm_helpers.teach.widgets import draw_k_choice_panels, k_explorer

    X, _, _ = running_example(torch.float64)
    models = {K: DiagonalGaussianMixture(K, random_state=0).fit(X) for K in (1, 2, 3, 4)}
    fits, bics = {K: m.params_ for K, m in models.items()}, {K: m.bic(X) for K, m in models.items()}
    held_out = {K: -4.0 - K / 1000 for K in models}
    fig = draw_k_choice_panels(X, fits, bics, shown=(1, 2, 4), held_out=held_out)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "(a) K = 1: 1 component, 1σ and 2σ ellipses\nheld-out -4.0010 per point"
    assert titles[2].startswith("(c) K = 4: 4 components,")
    bic_axes = fig.axes[3]
    ringed = [line.get_ydata()[0] for line in bic_axes.lines[1:4]]
    assert ringed == pytest.approx([bics[1], bics[2], bics[4]])
    with pytest.raises(ValueError, match="shown"):
        draw_k_choice_panels(X, fits, bics, shown=(1, 2))
    w = k_explorer(X, fits, bics, held_out=held_out)
    assert w.result.axes[0].get_title().endswith("held-out -4.0030 per point")
    plt.close("all")


def test_draw_gaussian_shows_three_standard_deviations_and_no_blank_where_the_density_underflows():
    from gmm_helpers.teach import widgets as w

    fig, axes = plt.subplots(1, 2)
    w.draw_gaussian(4.0, 1.0, 0.5, ax=axes[0], colorbar=False)
    assert axes[0].get_xlim() == pytest.approx((-6.0, 6.0)) == axes[0].get_ylim()  # 3 sigma of the wider coordinate
    # variance 1/32 along x_1 in a window of +-3 sqrt(8): far from the axis the density underflows to exactly 0
    lim = 3 * 8**0.5
    assert math.exp(-0.5 * lim**2 * 32) == 0.0
    w.draw_gaussian(8.0, 1 / 32, 0.0, ax=axes[1], colorbar=False)
    below_lowest = axes[1].collections[0].get_paths()[0].get_extents()  # the filled region under the lowest level
    assert (below_lowest.x0, below_lowest.y0, below_lowest.x1, below_lowest.y1) == pytest.approx((-lim, -lim, lim, lim))
    plt.close(fig)
    fig, ax = plt.subplots()
    w.draw_gaussian(8.0, 1 / 32, 0.9, ax=ax, colorbar=False, window=(6.0, 0.8))  # a zoom on x_1, at equal scale
    assert ax.get_xlim() == pytest.approx((-6.0, 6.0)) and ax.get_ylim() == pytest.approx((-0.8, 0.8)) and ax.get_aspect() == 1.0
    assert w.gaussian_tilt(4.0, 1.0, 0.9) == pytest.approx(25.097, abs=1e-3) and w.gaussian_tilt(1.0, 1.0, 0.5) == pytest.approx(45.0)
    plt.close(fig)


def test_start_coverage_names_the_groups_without_a_mean_of_their_own_in_words():
    from gmm_helpers.teach.widgets import start_coverage

    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert start_coverage(centres + 0.1, centres) == "one mean per group"
    assert start_coverage(torch.tensor([[0.0, 1.0], [1.0, 0.0], [10.0, 1.0]]), centres) == "group 2 has no mean of its own"
    assert start_coverage(torch.tensor([[9.0, 0.0], [11.0, 0.0], [10.0, 1.0]]), centres) == (
        "groups 0 and 2 have no mean of their own")  # all three lie nearest group 1
    assert start_coverage(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), centres) == "groups 1 and 2 have no mean of their own"


def test_weight_effect_draws_unchanged_1sigma_ellipses_and_the_sample_puts_small_components_on_top():
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse

    from gmm_helpers import toy_params
    from gmm_helpers.teach.widgets import draw_sample, draw_weight_effect

    truth = toy_params()
    for weight in (0.8, 0.5):
        fig, ax = plt.subplots()
        draw_weight_effect(weight, ax=ax, colorbar=False)
        white = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_edgecolor()[:3] == (1.0, 1.0, 1.0)]
        assert len(white) == 3  # one 1σ ellipse per component, the same whatever the weight
        assert all(e.get_linestyle() == "solid" for e in white)  # solid: notebook 00 draws every 1σ ellipse solid
        for k, e in enumerate(white):
            assert e.center == pytest.approx(truth.means[k].tolist())
            assert sorted([e.width, e.height]) == pytest.approx(sorted((2 * truth.variances[k].sqrt()).tolist()), rel=1e-6)
        plt.close(fig)
    fig, ax = plt.subplots()
    draw_sample(50, weight=0.05, variance_scale=4.0, seed=0, ax=ax)
    last = ax.collections[-1]  # drawn last, on top: component 0 (weight 0.05), outlined
    from gmm_helpers.teach.style import component_colour
    import matplotlib.colors as mcolors
    assert np.allclose(last.get_facecolors()[0][:3], mcolors.to_rgb(component_colour(0)))
    plt.close(fig)


def test_draw_sample_draws_the_sample_estimate_dashed_where_a_component_has_two_points():
    from matplotlib.patches import Ellipse

    from gmm_helpers import empirical_params, sample_gmm, toy_with_component0
    from gmm_helpers.teach.widgets import draw_sample

    X, labels = sample_gmm(toy_with_component0(0.5), 20, generator=torch.Generator().manual_seed(1))
    assert torch.bincount(labels, minlength=3).tolist() == [12, 8, 0]  # component 2 drew no point: no estimate
    fig, ax = plt.subplots()
    draw_sample(20, seed=1, ax=ax, estimate=True)
    assert ax.get_title().startswith("N = 20, sample 1: counts (12, 8, 0)\nfractions (0.60, 0.40, 0.00)")
    dashed = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_linestyle() == "--"]
    measured = empirical_params(X.double(), labels, 3)
    assert len(dashed) == 2
    for k, e in enumerate(dashed):  # the 2-sigma ellipse around each estimated mean
        assert e.center == pytest.approx(measured.means[k].tolist())
        assert sorted([e.width, e.height]) == pytest.approx(sorted((4 * measured.variances[k].sqrt()).tolist()), rel=1e-6)
    points = max(c.get_zorder() for c in ax.collections)  # every ellipse, solid or dashed, lies above the points
    assert all(points < p.get_zorder() < min(line.get_zorder() for line in ax.lines) for p in ax.patches)
    plt.close(fig)
    fig, ax = plt.subplots()
    draw_sample(20, seed=1, ax=ax)  # off by default
    assert not [p for p in ax.patches if isinstance(p, Ellipse) and p.get_linestyle() == "--"]
    plt.close(fig)
    w = sampling_explorer()
    assert controls(w)["the sample's estimate (dashed)"].value is True
    assert any(p.get_linestyle() == "--" for p in w.result.axes[0].patches)


def test_draw_sample_puts_its_legend_outside_the_axes_where_it_hides_no_point():
    import matplotlib.pyplot as plt

    from gmm_helpers.teach.widgets import draw_sample

    fig, ax = plt.subplots()
    draw_sample(500, weight=0.9, variance_scale=4.0, seed=0, ax=ax, legend=True)
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 > ax.get_window_extent().x1  # right of the axes, not over the points
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("component 0")
    plt.close(fig)


def test_draw_sample_legend_gives_the_weights_with_the_titles_digits():
    import matplotlib.pyplot as plt

    from gmm_helpers.teach.widgets import draw_sample

    fig, ax = plt.subplots()
    draw_sample(50, weight=0.05, seed=0, ax=ax, legend=True)  # the others 0.475 each: 0.47 would not add up to 1
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:3] == ["component 0: weight 0.05", "component 1: weight 0.475", "component 2: weight 0.475"]
    assert texts[3] == "the truth:\nmean (X), ellipses (solid)"  # the X markers and solid ellipses are the truth (01, r46)
    plt.close(fig)


def test_draw_start_numbers_the_start_like_the_centres_it_is_given():
    from matplotlib.colors import to_rgba

    from gmm_helpers import init_random_points, running_example
    from gmm_helpers.teach.style import component_colour
    from gmm_helpers.teach.widgets import draw_start

    X, _, truth = running_example()
    fig, ax = plt.subplots()
    draw_start(X, "random data points", seed=0, ax=ax, centres=truth.means, numbered_like_centres=True)
    crosses = {to_rgba(line.get_color()): line.get_xydata()[0].tolist() for line in ax.get_lines() if line.get_marker() == "X"}
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    expected = start.matched_to(truth)
    assert not torch.equal(expected.means, start.means)  # the poor start's own order differs from the truth's
    for k in range(3):
        assert crosses[to_rgba(component_colour(k))] == pytest.approx(expected.means[k].tolist())
    ax.clear()
    draw_start(X, "random data points", seed=0, ax=ax, centres=truth.means)  # by default, the scheme's own order
    crosses = {to_rgba(line.get_color()): line.get_xydata()[0].tolist() for line in ax.get_lines() if line.get_marker() == "X"}
    for k in range(3):
        assert crosses[to_rgba(component_colour(k))] == pytest.approx(start.means[k].tolist())
    plt.close(fig)


def test_draw_start_colour_by_nearest_gives_each_mean_its_nearest_groups_colour():
    from matplotlib.colors import to_rgba

    from gmm_helpers import init_random_points, nearest_means, running_example
    from gmm_helpers.teach.style import component_colour
    from gmm_helpers.teach.widgets import draw_start

    X, _, truth = running_example()
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))  # the poor start: nearest groups 1, 0, 0
    assert nearest_means(start.means, truth.means).tolist() == [1, 0, 0]
    for scale in (1.0, 10.0):
        fig, ax = plt.subplots()
        draw_start(X, "random data points", seed=0, scale=scale, ax=ax, centres=truth.means, colour_by="nearest",
                   numbered_like_centres=True)  # colour_by wins over numbered_like_centres
        crosses = [(to_rgba(line.get_color()), line.get_xydata()[0].tolist()) for line in ax.get_lines() if line.get_marker() == "X"]
        assert [c for c, _ in crosses] == [to_rgba(component_colour(g)) for g in (1, 0, 0)]  # two blue means, no green
        assert np.allclose([xy for _, xy in crosses], (scale * start.means).numpy(), rtol=1e-5)  # the scheme's own order
        plt.close(fig)
    with pytest.raises(ValueError, match="colour_by"):
        draw_start(X, "random data points", colour_by="nearest")  # needs centres
    w = init_explorer(X, centres=truth.means, colour_by="nearest")
    assert sorted(controls(w)) == ["data units × ", "scheme", "seed"] and w.kwargs_widgets is not None
    w = init_explorer(X, centres=truth.means, colour_by="nearest", seeds=range(1, 21))  # 02: seed 0 left out
    assert (controls(w)["seed"].value, controls(w)["seed"].min, controls(w)["seed"].max) == (1, 1, 20)
    assert w.result.axes[0].get_title().startswith("random data points, seed 1\n")
    for bad in (range(0), range(0, 20, 2), [1, 2, 3]):
        with pytest.raises(ValueError, match="seeds: expected a non-empty range with step 1"):
            init_explorer(X, centres=truth.means, seeds=bad)


def test_draw_start_colour_by_neutral_draws_every_mean_and_ellipse_black():
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Ellipse

    from gmm_helpers import init_random_points, running_example
    from gmm_helpers.teach.widgets import draw_start

    X, labels, truth = running_example()
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))  # 02's poor start
    fig, ax = plt.subplots()
    draw_start(X, "random data points", seed=0, ax=ax, centres=truth.means, labels=labels, colour_by="neutral",
               numbered_like_centres=True)  # neutral wins over numbered_like_centres too
    crosses = [(to_rgba(line.get_color()), line.get_xydata()[0].tolist()) for line in ax.get_lines() if line.get_marker() == "X"]
    assert [c for c, _ in crosses] == [to_rgba("black")] * 3
    assert np.allclose([xy for _, xy in crosses], start.means.numpy(), rtol=1e-5)  # the scheme's own order
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 3 and all(to_rgba(e.get_edgecolor(), 1) == to_rgba("black") for e in ellipses)
    plt.close(fig)
    with pytest.raises(ValueError, match="colour_by"):
        draw_start(X, "random data points", colour_by="grey")


def test_draw_start_colours_the_points_by_their_group_when_given_labels():
    from matplotlib.colors import to_rgb

    from gmm_helpers import running_example
    from gmm_helpers.teach.style import component_colour
    from gmm_helpers.teach.widgets import draw_start

    X, labels, truth = running_example()
    fig, ax = plt.subplots()
    draw_start(X, "random data points", seed=0, ax=ax, centres=truth.means, numbered_like_centres=True, labels=labels)
    clouds = [c for c in ax.collections if len(c.get_offsets()) > 1]  # the scatters of points, one per group
    assert len(clouds) == 3
    for k, cloud in enumerate(clouds):  # group k's points, in component k's colour
        assert np.allclose(cloud.get_offsets(), X[labels == k].double().numpy())
        assert np.allclose(cloud.get_facecolors()[0][:3], to_rgb(component_colour(k)))
    ax.clear()
    draw_start(X, "random data points", seed=0, ax=ax, centres=truth.means)  # without labels: one grey cloud
    clouds = [c for c in ax.collections if len(c.get_offsets()) > 1]
    assert len(clouds) == 1 and np.allclose(clouds[0].get_facecolors()[0][:3], clouds[0].get_facecolors()[0][0])
    plt.close(fig)


def test_init_explorer_offers_only_scheme_seed_and_units():
    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X)
    assert sorted(controls(w)) == ["data units × ", "scheme", "seed"]  # no stray checkbox for numbered_like_centres
