import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import Ellipse

from gmm_helpers import sample_gmm, toy_params
from gmm_helpers.teach.plotting import draw_covariance_ellipses, draw_ellipses, plot_density, plot_mixture


def test_ellipses_have_the_right_size_and_orientation():
    fig, ax = plt.subplots()
    draw_ellipses(torch.tensor([1.0, 2.0]), torch.tensor([4.0, 0.25]), ax=ax, n_std=(1, 2))
    e1, e2 = [p for p in ax.patches if isinstance(p, Ellipse)]
    # half-widths are n standard deviations: sqrt(4) = 2 and sqrt(0.25) = 0.5
    assert sorted([e1.width, e1.height]) == pytest.approx([1.0, 4.0])
    assert sorted([e2.width, e2.height]) == pytest.approx([2.0, 8.0])
    assert e1.center == pytest.approx((1.0, 2.0))
    fig, ax = plt.subplots()
    draw_covariance_ellipses([0, 0], [[2.0, 1.9], [1.9, 2.0]], ax=ax, n_std=(1,))
    (e,) = ax.patches
    major_axis_angle = e.angle if e.width >= e.height else e.angle + 90
    assert major_axis_angle % 180 == pytest.approx(45)  # positive correlation: tilted up to the right
    assert sorted([e.width, e.height]) == pytest.approx([2 * np.sqrt(0.1), 2 * np.sqrt(3.9)])


def test_plot_mixture_draws_points_ellipses_and_legend():
    p = toy_params()
    X, labels = sample_gmm(p, 100, generator=torch.Generator().manual_seed(0))
    fig, ax = plt.subplots()
    assert plot_mixture(X, p, labels=labels, ax=ax, title="t") is ax
    assert len(ax.collections) == 3  # one scatter per component
    assert len(ax.patches) == 6  # 1σ and 2σ for each
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "component 0: weight 0.50", "component 1: weight 0.25", "component 2: weight 0.25"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    fig, ax = plt.subplots()
    plot_mixture(X, resp=torch.full((100, 3), 1 / 3), ax=ax)
    assert len(ax.collections) == 1


def test_plot_mixture_takes_one_colour_per_component():
    from matplotlib.colors import to_hex

    p = toy_params()
    fig, ax = plt.subplots()
    plot_mixture(params=p, ax=ax, n_std=(1,), colours=["#111111", "#222222", "#333333"])
    assert [to_hex(patch.get_edgecolor()) for patch in ax.patches] == ["#111111", "#222222", "#333333"]
    with pytest.raises(ValueError, match="colours"):
        plot_mixture(params=p, ax=ax, colours=["red"])


def test_plot_mixture_grows_shared_points_rings_them_and_thins_ellipses():
    from gmm_helpers.teach.plotting import component_legend, shared_points_key

    p = toy_params()
    X = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    resp = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    fig, ax = plt.subplots()
    plot_mixture(X, p, resp=resp, ax=ax, legend=False, point_size=20, grow_shared=True, ring_below=0.9, ellipse_width=0.4)
    dots, rings = ax.collections
    assert dots.get_sizes() == pytest.approx([20, 20 * (1 + 4 * 0.75), 100])  # owned: 20; shared equally by all 3: 5x
    assert rings.get_gid() == "ring" and rings.get_offsets().tolist() == [[1.0, 1.0], [2.0, 2.0]]  # largest share < 0.9
    fig2, ax2 = plt.subplots()
    plot_mixture(X, p, resp=resp, ax=ax2, legend=False)
    assert len(ax2.collections) == 1 and list(ax2.collections[0].get_sizes()) == [12]  # the defaults: one size, no rings
    assert [e.get_linewidth() for e in ax.patches] == pytest.approx([0.4 * e.get_linewidth() for e in ax2.patches])
    legend = component_legend(fig, 3, blend=False, extra=shared_points_key(point_size=20, ring_below=0.9))
    assert [t.get_text() for t in legend.get_texts()][3:] == [
        "small dot: owned outright", "big dot: shared equally by all", "ringed: no component above 90%", "1σ and 2σ ellipses", "mean"]
    assert legend.legend_handles[4].get_markersize() ** 2 == pytest.approx(100)  # the largest dot's area
    assert shared_points_key(ring_below=0.9, ring_where=" (left)")[2].get_label() == "ringed (left): no component above 90%"
    plt.close("all")


def test_plot_density_has_colour_bar():
    fig, ax = plt.subplots()
    plot_density(toy_params(), ax=ax)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "density $p(x)$"


def test_plot_density_with_fixed_levels_and_mark_peaks():
    from gmm_helpers.teach.plotting import mark_peaks

    fig, ax = plt.subplots()
    plot_density(toy_params(), ax=ax, levels=np.linspace(0, 0.1, 6), colorbar=False)
    assert list(ax.collections[-1].levels) == pytest.approx(np.linspace(0, 0.1, 6)) and len(fig.axes) == 1
    mark_peaks(toy_params(), ax=ax)
    texts = [t.get_text() for t in ax.texts]
    # the height of hill k is pi_k / (2 pi sigma_k1 sigma_k2)
    heights = [0.5 / (2 * np.pi * np.sqrt(1.8 * 0.8)), 0.25 / (2 * np.pi * np.sqrt(0.5 * 1.4)), 0.25 / (2 * np.pi * np.sqrt(0.35))]
    assert texts == [f"component {k}\nweight {w:.2f}\nheight {h:.3f}" for k, (w, h) in enumerate(zip([0.5, 0.25, 0.25], heights))]


def test_label_weights_writes_each_weight_by_its_mean_in_its_colour():
    from matplotlib.colors import to_hex

    from gmm_helpers.teach.plotting import label_weights
    from gmm_helpers.teach.style import component_colour

    fig, ax = plt.subplots()
    params = toy_params()  # weights 0.5, 0.25, 0.25
    texts = label_weights(ax, params)
    assert [t.get_text() for t in texts] == ["weight 0.50", "weight 0.25", "weight 0.25"]
    assert [t.xy for t in texts] == [tuple(m) for m in params.means.tolist()]
    assert [to_hex(t.get_color()) for t in texts] == [to_hex(component_colour(k)) for k in range(3)]
    assert texts[0].xyann == (14, 10)
    moved = label_weights(ax, params, offsets={1: (-80, -40)})  # one label moved away from a neighbour
    assert moved[1].xyann == (-80, -40) and moved[0].xyann == (14, 10)


def test_component_legend_appends_extra_handles():
    from matplotlib.lines import Line2D

    from gmm_helpers.teach.plotting import component_legend

    fig = plt.figure()
    legend = component_legend(fig, 2, extra=[Line2D([], [], marker="+", linestyle="none", color="black", label="true mean")])
    assert [t.get_text() for t in legend.get_texts()] == ["component 0", "component 1",
                                                          "mixed colour: a point shared between components", "true mean"]
    plt.close(fig)
