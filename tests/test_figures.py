import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gmm_helpers import toy_params
from gmm_helpers.teach.figures import (
    draw_broadcast_shapes,
    plot_broadcast_memory,
    plot_error_vs_n,
    plot_uncertainty,
    plot_underflow,
)


def test_plot_error_vs_n_is_log_log_with_a_guide():
    fig, ax = plt.subplots()
    plot_error_vs_n([10, 100, 1000], torch.tensor([[1.0, 2.0, 3.0], [0.3, 0.6, 1.0], [0.1, 0.2, 0.3]]), ax=ax)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    guide = ax.lines[-1].get_ydata()
    np.testing.assert_allclose(guide, [3.0, 3.0 / np.sqrt(10), 0.3])
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["weights", "means", "variances"]


def test_plot_underflow_marks_both_dtypes():
    fig, ax = plt.subplots()
    plot_underflow(max_dim=100, ax=ax)
    line = ax.lines[0]
    assert line.get_ydata()[0] == pytest.approx(np.log10(np.exp(-0.5 * (np.log(2 * np.pi) + 1))))
    limits = sorted(round(h.get_ydata()[0]) for h in ax.lines[1:])
    assert limits == [-323, -308, -45, -38]


def test_broadcast_shapes_figure_has_four_boxes_and_labels():
    from matplotlib.patches import Polygon

    fig, ax = plt.subplots()
    draw_broadcast_shapes(ax=ax)
    assert sum(isinstance(p, Polygon) for p in ax.patches) == 12  # 4 boxes x 3 faces
    texts = " ".join(t.get_text() for t in ax.texts)
    for shape in ["(N, 1, D)", "(1, K, D)", "(N, K, D)", "(N, K)", "sum over D"]:
        assert shape in texts


def test_broadcast_memory_plot_has_a_line_per_size():
    fig, ax = plt.subplots()
    plot_broadcast_memory(ax=ax, Ns=[1e6])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["K = 8, D = 8", "K = 16, D = 32", "K = 64, D = 64"]
    assert ax.lines[2].get_ydata()[0] == pytest.approx(16.384)


def test_uncertainty_map_has_a_colour_bar():
    fig, ax = plt.subplots()
    plot_uncertainty(toy_params(), ax=ax)
    assert "uncertainty" in fig.axes[1].get_ylabel()


def test_criteria_plot_rings_the_best_K_of_each_curve():
    from gmm_helpers.teach.figures import plot_criteria_vs_k

    fig, axes = plt.subplots(1, 2)
    plot_criteria_vs_k([1, 2, 3], [-5.0, -4.0, -3.9], [-5.1, -4.0, -4.2], [30.0, 10.0, 20.0], [30.0, 10.0, 5.0], axes=axes)
    labels = [t.get_text() for ax in axes for t in ax.get_legend().get_texts()]
    assert "best by held-out data: K = 2" in labels and "best by BIC: K = 2" in labels and "best by AIC: K = 3" in labels


def test_collapse_plot_reads_from_large_to_small_variance():
    from gmm_helpers.teach.figures import plot_collapse

    fig, ax = plt.subplots()
    plot_collapse([1.0, 1e-4, 1e-8], [-4.0, -3.99, -3.97], ax=ax)
    assert ax.get_xscale() == "log" and ax.get_xlim()[0] > ax.get_xlim()[1]
