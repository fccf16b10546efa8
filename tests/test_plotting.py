import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import Ellipse

from gmm_helpers import sample_gmm, toy_params
from gmm_helpers.plotting import (
    COMPONENT_COLOURS,
    draw_covariance_ellipses,
    draw_ellipses,
    mixture_density_grid,
    plot_density,
    plot_mixture,
    responsibility_colours,
)


def test_import_changes_no_global_matplotlib_state():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import gmm_helpers, gmm_helpers.plotting, gmm_helpers.widgets; "
        "changed = [k for k in before if mpl.rcParams[k] != before[k]]; print(changed)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


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


def test_responsibility_colours_blend():
    colours = responsibility_colours(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    from matplotlib.colors import to_rgb

    c0, c1 = np.array(to_rgb(COMPONENT_COLOURS[0])), np.array(to_rgb(COMPONENT_COLOURS[1]))
    np.testing.assert_allclose(colours, [c0, c1, (c0 + c1) / 2])


def test_density_grid_integrates_to_about_one():
    xs, ys, density = mixture_density_grid(toy_params(), (-12, 12), (-12, 12), n=300)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert density.sum() * cell == pytest.approx(1.0, abs=1e-3)


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


def test_plot_density_has_colour_bar():
    fig, ax = plt.subplots()
    plot_density(toy_params(), ax=ax)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "density $p(x)$"


def test_plot_error_vs_n_is_log_log_with_a_guide():
    from gmm_helpers.plotting import plot_error_vs_n

    fig, ax = plt.subplots()
    plot_error_vs_n([10, 100, 1000], torch.tensor([[1.0, 2.0, 3.0], [0.3, 0.6, 1.0], [0.1, 0.2, 0.3]]), ax=ax)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    guide = ax.lines[-1].get_ydata()
    np.testing.assert_allclose(guide, [3.0, 3.0 / np.sqrt(10), 0.3])
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["weights", "means", "variances"]


def test_plot_underflow_marks_both_dtypes():
    from gmm_helpers.plotting import plot_underflow

    fig, ax = plt.subplots()
    plot_underflow(max_dim=100, ax=ax)
    line = ax.lines[0]
    assert line.get_ydata()[0] == pytest.approx(np.log10(np.exp(-0.5 * (np.log(2 * np.pi) + 1))))
    limits = sorted(round(h.get_ydata()[0]) for h in ax.lines[1:])
    assert limits == [-323, -308, -45, -38]


def test_broadcast_shapes_figure_has_four_boxes_and_labels():
    from matplotlib.patches import Polygon

    from gmm_helpers.plotting import draw_broadcast_shapes

    fig, ax = plt.subplots()
    draw_broadcast_shapes(ax=ax)
    assert sum(isinstance(p, Polygon) for p in ax.patches) == 12  # 4 boxes x 3 faces
    texts = " ".join(t.get_text() for t in ax.texts)
    for shape in ["(N, 1, D)", "(1, K, D)", "(N, K, D)", "(N, K)", "sum over D"]:
        assert shape in texts


def test_broadcast_memory_plot_has_a_line_per_size():
    from gmm_helpers.plotting import plot_broadcast_memory

    fig, ax = plt.subplots()
    plot_broadcast_memory(ax=ax, Ns=[1e6])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["K = 8, D = 8", "K = 16, D = 32", "K = 64, D = 64"]
    assert ax.lines[2].get_ydata()[0] == pytest.approx(16.384)


def test_responsibility_grid_and_uncertainty_map():
    from gmm_helpers.plotting import plot_uncertainty, responsibility_grid

    xs, ys, resp = responsibility_grid(toy_params(), (-5, 5), (-5, 5), n=50)
    assert resp.shape == (50, 50, 3)
    np.testing.assert_allclose(resp.sum(axis=-1), 1.0)
    # at a component's mean that component owns the point
    i, j = np.abs(ys - 0.0).argmin(), np.abs(xs - (-2.5)).argmin()
    assert resp[i, j].argmax() == 0
    fig, ax = plt.subplots()
    plot_uncertainty(toy_params(), ax=ax)
    assert "uncertainty" in fig.axes[1].get_ylabel()
