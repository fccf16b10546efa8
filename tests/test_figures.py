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


def test_plot_error_vs_n_with_repeats_draws_the_average_and_a_band():
    errors = torch.tensor([[[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]]])  # (2 ns, 2 repeats, 3)
    fig, ax = plt.subplots()
    plot_error_vs_n([10, 1000], errors, ax=ax)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 0.2])  # weights: the average of the repeats
    assert len(ax.collections) == 3  # one band per quantity
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1 + 0.1 * 0.2) and band.max() == pytest.approx(1.0 + 0.9 * 2.0)  # 10th, 90th percentile
    assert "middle 80% of 2 samples" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_pdf_on_samples_survives_arrays_lists_and_errors(capsys):
    from gmm_helpers.teach.figures import plot_pdf_on_samples

    samples = torch.randn(1000, 1, generator=torch.Generator().manual_seed(0))
    for pdf in (lambda x: torch.exp(-x**2 / 2), lambda x: np.exp(-x.numpy() ** 2 / 2), lambda x: [0.0] * len(x)):
        fig, ax = plt.subplots()
        plot_pdf_on_samples(samples, pdf, ax=ax)
        assert len(ax.lines) == 1 and len(ax.lines[0].get_ydata()) == 400
    fig, ax = plt.subplots()
    plot_pdf_on_samples(samples, lambda x: 1 / 0, ax=ax)
    assert len(ax.lines) == 0 and "pdf_1d raised ZeroDivisionError" in capsys.readouterr().out


def test_plot_underflow_marks_both_dtypes_and_where_each_gives_zero():
    dims = torch.arange(1, 601)
    log_density = dims * -0.5 * (np.log(2 * np.pi) + 1.0)  # log N(1; 0, 1) per dimension
    computed = {name: torch.exp(log_density.to(dtype)) for name, dtype in (("float32", torch.float32), ("float64", torch.float64))}
    fig, ax = plt.subplots()
    plot_underflow(dims, log_density, computed, ax=ax)
    assert ax.lines[0].get_ydata()[0] == pytest.approx(np.log10(np.exp(-0.5 * (np.log(2 * np.pi) + 1))))
    limits = sorted(round(line.get_ydata()[0]) for line in ax.lines if line.get_linestyle() in ("--", ":"))
    assert limits == [-323, -308, -45, -38]
    marks = sorted(round(line.get_xdata()[0]) for line in ax.lines if line.get_linestyle() == "-" and len(line.get_xdata()) == 2
                   and line.get_xdata()[0] == line.get_xdata()[1])
    assert marks == [74, 526]
    assert "exactly 0" in [t.get_text() for t in ax.get_yticklabels()]


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
