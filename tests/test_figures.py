import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gmm_helpers import GMMParams, toy_params
from gmm_helpers.teach.figures import (
    draw_broadcast_shapes,
    plot_error_vs_n,
    plot_log_likelihood_gap,
    plot_owners,
    plot_responsibilities_along,
    plot_peak_memory,
    plot_product_vs_log_sum,
    plot_diagonal_vs_full,
    plot_product_density,
    plot_diagonal_tiling,
    plot_mixture_1d,
)


def test_plot_error_vs_n_is_log_log_with_a_guide():
    fig, ax = plt.subplots()
    plot_error_vs_n([10, 100, 1000], torch.tensor([[1.0, 2.0, 3.0], [0.3, 0.6, 1.0], [0.1, 0.2, 0.3]]), ax=ax)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    guide = ax.lines[-1].get_ydata()
    np.testing.assert_allclose(guide, [6.0, 6.0 / np.sqrt(10), 0.6])  # slope -1/2, above every line
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["weights", "means", "variances"]


def test_plot_error_vs_n_with_repeats_draws_the_average_and_a_band():
    errors = torch.tensor([[[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]]])  # (2 ns, 2 repeats, 3)
    fig, ax = plt.subplots()
    plot_error_vs_n([10, 1000], errors, ax=ax)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 0.2])  # weights: the average of the repeats
    assert len(ax.collections) == 3  # one band per quantity
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1 + 0.1 * 0.2) and band.max() == pytest.approx(1.0 + 0.9 * 2.0)  # 10th, 90th percentile
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "lines: average of 2 samples\nbands: middle 80% of them"
    assert [t.get_text() for t in legend.get_texts()][:3] == ["weights", "means", "variances"]


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
    fig, ax = plt.subplots()  # 01's histogram of standardised errors: its own bins and names
    plot_pdf_on_samples(samples, lambda x: torch.exp(-x**2 / 2), ax=ax, bins=20, pdf_label="standard normal", xlabel="$u$")
    assert len(ax.patches) == 20 and ax.lines[0].get_label() == "standard normal" and ax.get_xlabel() == "$u$"


def test_plot_product_vs_log_sum_drops_each_product_to_the_zero_row_and_labels_its_first_zero():
    dims = torch.arange(1, 601)
    factor = np.exp(-0.5) / np.sqrt(2 * np.pi)  # N(1; 0, 1)
    products = {name: torch.cumprod(torch.full((600,), factor, dtype=dtype), 0) for name, dtype in (("float32", torch.float32), ("float64", torch.float64))}
    log_sums = {name: torch.cumsum(torch.full((600,), np.log(factor), dtype=dtype), 0) for name, dtype in (("float32", torch.float32), ("float64", torch.float64))}
    fig, axes = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")  # the notebook's size: the labels fit
    ax_prod, ax_sum = plot_product_vs_log_sum(dims, products, log_sums, axes=axes)
    assert [t.get_text() for t in ax_prod.texts if t.get_gid() == "first-zero"] == ["float64: 0 from D = 525", "float32: 0 from D = 74"]
    assert ax_prod.get_yticklabels()[-1].get_text() == "exactly 0"
    zero_row = ax_prod.get_yticks()[-1]
    lines = {line.get_label(): line.get_ydata() for line in ax_prod.lines if line.get_label() in products}
    assert (lines["float32"][73:] == zero_row).all() and lines["float32"][72] > zero_row + 15 and (lines["float64"][524:] == zero_row).all()
    assert lines["float64"][0] == pytest.approx(np.log10(factor))
    assert len([line for line in ax_prod.lines if not line.get_clip_on()]) == 4  # the break on both sides of the y axis
    sums = [line.get_ydata() for line in ax_sum.lines if line.get_label() in log_sums]
    assert len(sums) == 2 and all(np.isfinite(y).all() and y[-1] == pytest.approx(600 * np.log(factor), rel=1e-5) for y in sums)
    assert [t.get_text() for t in ax_sum.texts if t.get_gid() == "end-value"] == ["\N{MINUS SIGN}851.4 at D = 600"]  # the end, written
    assert {t.get_fontsize() for t in ax_prod.get_yticklabels()} == {t.get_fontsize() for t in ax_sum.get_yticklabels()}  # same tick size
    assert [t.get_text() for ax in (ax_prod, ax_sum) for t in ax.get_legend().get_texts()] == ["float32", "float64"] * 2
    fig.canvas.draw()  # the two labels inside the axes, apart
    boxes = [t.get_window_extent() for t in ax_prod.texts if t.get_gid() == "first-zero"]
    inside = ax_prod.get_window_extent()
    assert all(inside.x0 <= b.x0 and b.x1 <= inside.x1 for b in boxes) and not boxes[0].overlaps(boxes[1])


def test_plot_diagonal_vs_full_shades_two_quadrants_and_counts_the_points_in_them():
    Y = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.5], [-2.0, -1.5], [1.0, -0.5]], dtype=torch.float64)
    centre = Y.mean(dim=0)
    S = torch.cov(Y.T, correction=0)
    fig, ax = plt.subplots()
    assert plot_diagonal_vs_full(Y, centre, S, ax=ax) is ax
    assert len(ax.patches) == 4  # 1σ and 2σ for each fit
    assert len([c for c in ax.collections if c.get_gid() == "quadrant"]) == 2
    by_hand = sum(((y - centre)[0] * (y - centre)[1] < 0).item() for y in Y) / len(Y)  # opposite signs, by a loop
    assert not ax.texts  # no box on the data: the legend carries the counts
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "full covariance, 1σ", "full covariance, 2σ", "the centre (sample mean)", "diagonal covariance, 1σ",
        "diagonal covariance, 2σ", f"shaded: {by_hand:.0%} of the points,\n50% of the diagonal fit's probability"]
    assert [p.get_alpha() for p in ax.patches] == [1.0, 0.5, 1.0, 0.8]  # 2σ fainter (orange less so: it lies on yellow)


def test_plot_product_density_reads_both_factors_and_their_product_at_the_point():
    from torch.distributions import MultivariateNormal, Normal

    mean, variances = torch.tensor([-2.5, 0.0], dtype=torch.float64), torch.tensor([1.8, 0.8], dtype=torch.float64)
    at = torch.tensor([-4.0, 1.0], dtype=torch.float64)
    joint, top, right = plot_product_density(mean, variances, at)
    assert top.get_shared_x_axes().joined(top, joint) and right.get_shared_y_axes().joined(right, joint)  # same axes
    x0, p0 = top.lines[0].get_data()  # the top curve is the 1-D density of x_0; the right one, turned, that of x_1
    assert np.allclose(p0, Normal(-2.5, 1.8**0.5).log_prob(torch.as_tensor(x0)).exp().numpy())
    p1, x1 = right.lines[0].get_data()
    assert np.allclose(p1, Normal(0.0, 0.8**0.5).log_prob(torch.as_tensor(x1)).exp().numpy())
    factors = Normal(mean, variances.sqrt()).log_prob(at).exp()
    value = MultivariateNormal(mean, covariance_matrix=torch.diag(variances)).log_prob(at).exp()
    assert torch.allclose(value, factors.prod())
    (dot,) = [line for line in joint.lines if line.get_gid() == "point"]
    assert list(dot.get_xydata()[0]) == at.tolist()
    marks = [line.get_xydata()[0] for ax in (top, right) for line in ax.lines if line.get_gid() == "factor"]
    assert np.allclose(marks, [[-4.0, factors[0]], [factors[1], 1.0]])  # a dot on each curve, above and beside the point
    assert top.get_title(loc="left").endswith(f"at the dot: {value:.4f} = {factors[0]:.3f} × {factors[1]:.3f}")
    plt.close(joint.figure)


def test_plot_diagonal_tiling_titles_weights_and_the_dashed_source_components_in_every_panel():
    from gmm_helpers import fit_em

    g = torch.Generator().manual_seed(0)
    covariances = torch.tensor([[[4.0, 1.8], [1.8, 1.0]], [[4.0, -1.8], [-1.8, 1.0]]], dtype=torch.float64)  # an X
    Y = torch.cat([torch.randn(100, 2, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(c).T for c in covariances])
    means = torch.zeros(2, 2, dtype=torch.float64)
    fits = {K: fit_em(Y, init=K, generator=torch.Generator().manual_seed(0)) for K in (1, 2, 3)}
    axes = plot_diagonal_tiling(Y, fits, means, covariances, source_per_point=-2.5, source_name="the true mixture")
    titles = [ax.get_title() for ax in axes.flat]
    by_hand = [fit.log_likelihoods[-1].item() / 200 for fit in fits.values()]
    assert titles == [f"1 diagonal component: log-likelihood {by_hand[0]:.3f} per point",
                      f"2 diagonal components: log-likelihood {by_hand[1]:.3f} per point",
                      f"3 diagonal components: log-likelihood {by_hand[2]:.3f} per point",
                      "the true mixture (dashed): log-likelihood -2.500 per point"]
    for ax, (K, fit) in zip(axes.flat, fits.items()):  # one weight per component, written next to its mean
        weights = [t.get_text() for t in ax.texts if t.get_gid() == "weight"]
        assert weights == [f"{w:.2f}" for w in fit.params.weights.tolist()]
    for ax in axes.flat:  # both source components' dashed 2σ ellipses in every panel, tilted opposite ways
        dashed = [p for p in ax.patches if p.get_gid() == "source"]
        assert len(dashed) == 2 and all(p.get_linestyle() == "--" for p in dashed)
        assert dashed[0].get_angle() % 180 == pytest.approx(180 - dashed[1].get_angle() % 180)
    source_key = "the 2 full-covariance\ncomponents the points\ncame from, 2σ"
    keys = [[t.get_text() for t in legend.get_texts()] for legend in axes[0, 0].artists + [axes[0, 0].get_legend()]]
    assert keys == [[source_key], ["diagonal component, 2σ:\nline width = weight\n(the number); colour by\nweight (blue: heaviest)"]]  # both keys in panel 1, read first
    assert axes[1, 0].get_legend() is None and axes[0, 1].get_legend() is None
    assert [t.get_text() for t in axes[1, 1].get_legend().get_texts()] == ["the 3 diagonal components, 2σ"]
    assert sum(p.get_gid() == "last-fit" for p in axes[1, 1].patches) == 3  # the last fit, grey, under the source model
    with pytest.raises(ValueError, match="fits: expected three fits"):
        plot_diagonal_tiling(Y, {1: fits[1]}, means, covariances, source_per_point=-2.5)
    with pytest.raises(ValueError, match="source_means, source_covariances"):
        plot_diagonal_tiling(Y, fits, means[0], covariances[0], source_per_point=-2.5)
    plt.close("all")


def test_plot_diagonal_tiling_gives_eight_components_clearly_different_colours():
    from matplotlib.colors import to_rgb

    from gmm_helpers import fit_em

    g = torch.Generator().manual_seed(0)
    covariances = torch.tensor([[[4.0, 1.8], [1.8, 1.0]], [[4.0, -1.8], [-1.8, 1.0]]], dtype=torch.float64)
    Y = torch.cat([torch.randn(200, 2, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(c).T for c in covariances])
    fits = {K: fit_em(Y, init=K, generator=torch.Generator().manual_seed(0)) for K in (2, 4, 8)}
    axes = plot_diagonal_tiling(Y, fits, torch.zeros(2, 2, dtype=torch.float64), covariances, source_per_point=-3.0)
    drawn = [to_rgb(p.get_edgecolor()) for p in axes[1, 0].patches if p.get_gid() not in ("source", "last-fit")]
    colours = list(dict.fromkeys(drawn))
    assert len(colours) == 8  # one colour per component
    assert min(np.linalg.norm(np.subtract(a, b)) for i, a in enumerate(colours) for b in colours[i + 1:]) > 0.28  # a grey-blue gave 0.25
    for ax, fit in zip(axes.flat, fits.values()):  # coloured by weight order: the heaviest blue in every panel
        drawn = [to_rgb(p.get_edgecolor()) for p in ax.patches if p.get_gid() not in ("source", "last-fit")]
        assert drawn[int(fit.params.weights.argmax())] == to_rgb("#0072B2")
    plt.close("all")


def test_broadcast_shapes_figure_draws_every_layer_and_names_every_axis():
    from matplotlib.patches import Rectangle

    from gmm_helpers.teach.style import component_colour
    from matplotlib.colors import to_rgb

    fig, ax = plt.subplots()
    draw_broadcast_shapes(N=6, K=3, D=4, ax=ax)
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    stored = sorted((round(r.get_width()), round(r.get_height())) for r in rects if r.get_gid() == "stored")
    virtual = sorted((round(r.get_width()), round(r.get_height())) for r in rects if r.get_gid() == "virtual")
    # stored: X one 6 x 4 layer; means and variances one 1 x 4 row per layer each; the three (N, K, D) tensors
    # (diff, diff**2, the quotient) 3 layers of 6 x 4 each; the two (N, K) tables (delta^2, log_pdfs) 3 columns of 6 x 1 each
    assert stored == sorted([(4, 6)] + [(4, 1)] * 6 + [(4, 6)] * 9 + [(1, 6)] * 6)
    # broadcasting's repeats, drawn but not stored: X's 2 other layers; the other 5 rows in each layer of means and variances
    assert virtual == sorted([(4, 6)] * 2 + [(4, 5)] * 6)
    # the three tensors alive at the peak sit on backgrounds behind them (drawn under everything else)
    assert len([r for r in rects if r.get_gid() is None and r.get_zorder() == 0]) == 3
    assert all(r.get_linestyle() == "--" for r in rects if r.get_gid() == "virtual")
    # the result's columns carry the component colours, in order
    columns = sorted((r for r in rects if r.get_gid() == "stored" and round(r.get_width()) == 1), key=lambda r: r.get_x())
    assert len(columns) == 6
    for k, column in enumerate(columns):
        assert np.allclose(column.get_facecolor()[:3], [c + (1 - c) * 0.55 for c in to_rgb(component_colour(k % 3))])
    texts = " ".join(t.get_text() for t in ax.texts)
    for shape in ["(N, 1, D)", "(1, K, D)", "variances[None, :, :]", "(N, K, D)", "(N, K)", "sum over", "N = 6 points", "D = 4", "K = 3", "Mahalanobis",
                  "never copied", "diff ** 2", "the quotient", "alive together at the peak", "log_pdfs", "c_k",
                  "each layer\nbecomes\none column"]:  # the K axis: layers before the sum over D, columns after
        assert shape in texts
    assert texts.count("(N, K, D)") == 4  # diff, diff ** 2, the quotient, and the key to their background
    assert texts.count("(1, K, D)") == 2  # the means and the variances


def test_peak_memory_bars_are_the_library_numbers_on_a_fixed_axis():
    from gmm_helpers import log_pdfs_peak_bytes

    fig, ax = plt.subplots()
    plot_peak_memory(1000, 8, 4, ax=ax)
    assert [b.get_width() for b in ax.patches] == [log_pdfs_peak_bytes(1000, 8, 4, torch.float32, f)
                                                   for f in ("loop", "broadcast", "chunked", "expanded")]
    assert ax.get_xscale() == "log" and ax.get_xlim() == (2**10, 2**48)
    assert ax.get_xlabel().startswith("peak memory of the tensors")
    fig, ax = plt.subplots()
    plot_peak_memory(10**6, 64, 64, ax=ax, xmax=2**40)  # a static figure's tighter axis
    assert ax.get_xlim() == (2**10, 2**40)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1 KiB", "1 MiB", "1 GiB", "1 TiB"]  # a tick every factor of 1024
    labels = [t.get_text() for t in ax.texts]
    assert "488.3 MiB,  96x smaller" in labels and "45.8 GiB  (reference)" in labels and "16 GiB" in labels  # ratios a log axis hides
    assert all(t.get_horizontalalignment() == "right" for t in ax.texts[:4])  # each would cross the 16 GiB line: inside its bar
    assert ax.texts[1].get_position()[0] < 16 * 2**30  # the broadcast bar crosses the line: its label ends left of it
    assert ax.texts[4].get_position()[0] < 16 * 2**30 / 1.2  # the "16 GiB" label keeps clear of its line
    fig, ax = plt.subplots()
    plot_peak_memory(10**6, 64, 64, ax=ax, xmin=2**20, xmax=2**40)  # 04's static figure: no bar below 1 MiB
    assert ax.get_xlim() == (2**20, 2**40)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1 MiB", "1 GiB", "1 TiB"]
    fig, ax = plt.subplots()
    plot_peak_memory(10**6, 64, 64, ax=ax, xmin=2**20, xmax=2**40, forms=("loop", "broadcast"))  # 04's main path: two bars
    assert [b.get_width() for b in ax.patches] == [log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, f) for f in ("loop", "broadcast")]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["loop over K", "broadcast"]  # top to bottom
    fig, ax = plt.subplots(figsize=(9, 4.2))
    plot_peak_memory(10**7, 128, 784, torch.float64, ax=ax)  # the widget's largest setting: long labels near the right edge
    inside = {t.get_text(): t.get_horizontalalignment() == "right" and t.get_position()[0] < width
              for t, width in zip(ax.texts, [b.get_width() for b in ax.patches])}
    assert inside["126.3 GiB,  178x smaller"] and inside["77.5 GiB,  289x smaller"]  # written inside the bar, not past the frame
    fig, ax = plt.subplots()
    plot_peak_memory(10**4, 16, 16, ax=ax, limit_gib=None)
    assert not ax.lines and "16 GiB" not in [t.get_text() for t in ax.texts]  # no memory line
    fig, ax = plt.subplots()
    plot_peak_memory(4096, 8, 16, ax=ax)  # N <= 4096: one chunk, the chunk bar is the broadcast bar
    labels = [t.get_text() for t in ax.texts]
    assert labels[2].endswith(",  as broadcast") and all("smaller" in labels[i] for i in (0, 3))  # every bar but the reference says how it compares
    fig, ax = plt.subplots()
    plot_peak_memory(10**5, 32, 1, ax=ax)  # D = 1: a ratio under 1.5 is still written
    assert all(", " in ax.texts[i].get_text() for i in (0, 2, 3)) and "1.3x smaller" in ax.texts[3].get_text()


def test_owner_map_colours_the_plane_by_responsibility():
    from gmm_helpers.teach.style import component_colour
    from matplotlib.colors import to_rgb

    fig, ax = plt.subplots()
    plot_owners(toy_params(), ax=ax, xlim=(-15, 15), ylim=(-15, 15), n=61, box=((-7, 7), (-6, 6)))
    image = ax.images[0].get_array()  # (n, n, 3), row 0 at the bottom
    light = lambda k: [c + (1 - c) * 0.45 for c in to_rgb(component_colour(k))]  # noqa: E731
    assert np.allclose(image[30, 58], light(0), atol=0.02)  # (14, 0): far right belongs to component 0
    assert np.allclose(image[58, 30], light(1), atol=0.02)  # (0, 14): far up belongs to component 1
    assert len(ax.collections) >= 2 and ax.get_xlim() == (-15, 15)


def test_responsibility_curves_along_a_line_are_the_library_values_with_and_without_weights():
    from gmm_helpers import log_responsibilities
    from gmm_helpers.teach.style import component_colour
    from matplotlib.colors import to_rgb

    params = toy_params(torch.float64)
    fig, ax = plt.subplots()
    plot_responsibilities_along(params, x2=-0.5, xlim=(-7, 7), ax=ax, n=15)
    assert len(ax.lines) == 6  # K curves with the weights (solid), K without (dashed)
    x1 = torch.linspace(-7, 7, 15, dtype=torch.float64)
    line = torch.stack([x1, torch.full_like(x1, -0.5)], dim=1)
    equal = params._replace(weights=torch.full((3,), 1 / 3, dtype=torch.float64))
    for k in range(3):
        solid, dashed = ax.lines[k], ax.lines[3 + k]
        assert solid.get_linestyle() == "-" and dashed.get_linestyle() == "--"
        assert to_rgb(solid.get_color()) == to_rgb(component_colour(k))
        np.testing.assert_allclose(solid.get_ydata(), log_responsibilities(line, params).exp()[:, k].numpy())
        np.testing.assert_allclose(dashed.get_ydata(), log_responsibilities(line, equal).exp()[:, k].numpy())
    assert not np.allclose(ax.lines[0].get_ydata(), ax.lines[3].get_ydata())  # the weights move component 0's curve
    assert "x_1 = -0.5" in ax.get_xlabel()


def test_log_likelihood_gap_plot_starts_at_iteration_one_and_shows_the_gap():
    lls = torch.tensor([-10.0, -5.0, -4.0, -3.5, -3.25, -3.25]) * 2
    fig, (left, right) = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=(left, right))
    assert list(left.lines[0].get_xdata()) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(right.lines[0].get_ydata(), [6.75, 1.75, 0.75, 0.25])
    assert right.get_yscale() == "log"
    arrow, label = left.texts  # the start, -10 per point, is off the scale: a short arrow at iteration 0 points down
    bottom, top = left.get_ylim()
    assert label.get_text() == "start (iteration 0): -10.00,\nbelow this scale (arrow at the bottom)"
    assert arrow.xy == (0.0, bottom) and arrow.xyann[0] == 0.0 and bottom < arrow.xyann[1] < bottom + 0.1 * (top - bottom)


def test_log_likelihood_gap_plot_shades_a_plateau_and_draws_a_reference_factor():
    lls = torch.tensor([-10.0, -5.0, -4.0, -3.5, -3.25, -3.25]) * 2
    fig, (left, right) = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=(left, right), shade=(2, 3), reference_factor=0.5)
    for ax in (left, right):
        (span,) = ax.patches
        x = span.get_xy()[:, 0] if not hasattr(span, "get_x") else [span.get_x(), span.get_x() + span.get_width()]
        np.testing.assert_allclose([min(x), max(x)], [2, 3])  # from the first to the last shaded iteration
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["the plateau, iterations 2-3"]
    reference = right.lines[1]  # through the last shown distance, 0.25 at iteration 3, halving per iteration
    np.testing.assert_allclose(reference.get_xdata(), np.arange(0, 4))
    np.testing.assert_allclose(reference.get_ydata(), 0.25 * 0.5 ** (np.arange(0, 4) - 3))
    assert reference.get_label() == "a factor of 0.5 per iteration"
    plt.close(fig)
    fig, axes = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=axes, reference_factor=1 / 12)  # 07's factor: two digits in the label
    assert axes[1].lines[1].get_label() == "a factor of 0.083 per iteration"
    plt.close(fig)


def test_log_likelihood_gap_plot_can_show_the_rises_with_a_labelled_reference():
    lls = torch.tensor([-10.0, -5.0, -4.0, -3.5, -3.25, -3.25]) * 2  # rises per point 5, 1, 0.5, 0.25, 0
    fig, (left, right) = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=(left, right), rises=True, reference_factor=0.5, reference_label="halving")
    np.testing.assert_allclose(right.lines[0].get_xdata(), [1, 2, 3, 4])  # iteration 5's rise, 0, is not drawn
    np.testing.assert_allclose(right.lines[0].get_ydata(), [5.0, 1.0, 0.5, 0.25])
    reference = right.lines[1]  # through the last rise, 0.25 at iteration 4, back to iteration 1
    np.testing.assert_allclose(reference.get_xdata(), np.arange(1, 5))
    np.testing.assert_allclose(reference.get_ydata(), 0.25 * 0.5 ** (np.arange(1, 5) - 4))
    assert reference.get_label() == "halving" and right.get_title() == "the rise at each iteration"
    plt.close(fig)
    fig, (left, right) = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=(left, right), rises=True, reference_factor=0.5, reference_span=2)
    np.testing.assert_allclose(right.lines[1].get_xdata(), [2, 3, 4])  # reference_span=2: two iterations back from the last
    np.testing.assert_allclose(right.lines[1].get_ydata(), 0.25 * 0.5 ** (np.arange(2, 5) - 4))
    plt.close(fig)
    fig, (left, right) = plt.subplots(1, 2)
    plot_log_likelihood_gap(lls, 2, axes=(left, right), rises=True, reference_factor=0.5, reference_offset=3)
    np.testing.assert_allclose(right.lines[1].get_ydata(), 3 * 0.25 * 0.5 ** (np.arange(1, 5) - 4))  # parallel, 3 times higher
    plt.close(fig)


def test_mark_start_below_refuses_a_value_on_the_scale():
    from gmm_helpers.teach.plotting import mark_start_below

    fig, ax = plt.subplots()
    ax.set_ylim(-4, -3)
    with pytest.raises(ValueError, match="value: expected a value below"):
        mark_start_below(ax, -3.5)
    mark_start_below(ax, -7.68)
    assert ax.get_ylim() == (-4, -3)  # the limits are kept
    custom = mark_start_below(ax, -8.0, x=0.5, text="", color="#7B3294")  # an arrow alone, in another colour
    assert custom.get_text() == "" and custom.xy == (0.5, -4) and custom.arrow_patch.get_edgecolor()[:3] == pytest.approx(
        (0x7B / 255, 0x32 / 255, 0x94 / 255))


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


def test_collapse_plot_writes_the_slope_per_tenfold_shrink():
    from gmm_helpers.teach.figures import plot_collapse

    fig, ax = plt.subplots()
    plot_collapse([1.0, 0.1, 0.01], [-10.0, -8.0, -6.5], ax=ax, ylabel="total log-likelihood")
    assert [t.get_text() for t in ax.texts] == ["slope: +1.5000 per tenfold shrink"]  # (-6.5 + 8) / 1 decade
    assert ax.get_ylabel() == "total log-likelihood"
    with pytest.raises(ValueError, match="log_likelihoods"):
        plot_collapse([1.0, 0.1], [-4.0], ax=ax)


def _two_groups():
    """The seeds-to-centroids tests' data: 40 points around (5, 0) and 25 around the origin, and those two centres."""
    g = torch.Generator().manual_seed(3)
    X = torch.cat([torch.randn(40, 2, generator=g) + torch.tensor([5.0, 0.0]), torch.randn(25, 2, generator=g)])
    return X, torch.tensor([[5.0, 0.0], [0.0, 0.0]])


def test_plot_seeds_to_centroids_draws_one_assignment_step_and_returns_the_centroids():
    from gmm_helpers.teach.figures import plot_seeds_to_centroids

    X, centres = _two_groups()
    seeds = torch.tensor([[4.0, 1.0], [0.5, 0.5]])
    fig, axes = plt.subplots(1, 3)
    centroids = plot_seeds_to_centroids(X, seeds, centres=centres, axes=axes)
    # oracle: a plain loop over points, nearest seed by squared distance, then each cluster's average
    sums, counts = torch.zeros(2, 2), [0, 0]
    for x in X:
        k = min(range(2), key=lambda j: float(((x - seeds[j]) ** 2).sum()))
        sums[k] += x
        counts[k] += 1
    assert torch.allclose(centroids, sums / torch.tensor(counts, dtype=torch.float32)[:, None])
    legend = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert legend == [f"cluster {k}: {counts[k]} points" for k in range(2)]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["true group centres", "picked point 0", "picked point 1"]
    assert [t.get_text() for t in axes[2].get_legend().get_texts()] == ["picked points (faded), arrow to the centroid", "centroid 0", "centroid 1"]
    assert axes[2].get_legend().legend_handles[0].get_markerfacecolor() == "0.6"  # a neutral grey, whatever the seeds' colours
    from matplotlib.colors import to_rgba

    from gmm_helpers.teach.style import component_colour

    fig2, axes2 = plt.subplots(1, 3)
    plot_seeds_to_centroids(X, seeds, axes=axes2, colours=[4, 1])  # seed 0 drawn in colour 4, seed 1 in colour 1
    crosses = [line for line in axes2[2].get_lines() if line.get_marker() == "X"]
    assert [to_rgba(line.get_color()) for line in crosses] == [to_rgba(component_colour(4)), to_rgba(component_colour(1))]
    assert np.allclose([line.get_xydata()[0] for line in crosses], centroids.numpy())  # centroid k at its own place
    fig3, axes3 = plt.subplots(1, 3)
    plot_seeds_to_centroids(X, seeds, axes=axes3, groups=[1, 0])  # centroid 0 paired with group 1: its colour and label
    crosses = [line for line in axes3[2].get_lines() if line.get_marker() == "X"]  # drawn in group order: centroid 1 first
    assert [to_rgba(line.get_color()) for line in crosses] == [to_rgba(component_colour(0)), to_rgba(component_colour(1))]
    assert np.allclose([line.get_xydata()[0] for line in crosses], centroids.numpy()[[1, 0]])
    assert [t.get_text() for t in axes3[0].get_legend().get_texts()] == ["picked point (its centroid pairs with group 0)",
                                                                             "picked point (its centroid pairs with group 1)"]
    assert [t.get_text() for t in axes3[1].get_legend().get_texts()][0] == f"cluster for group 0: {counts[1]} points"
    plt.close(fig3)
    with pytest.raises(ValueError, match="colours"):
        plot_seeds_to_centroids(X, seeds, axes=axes2, colours=[0])
    plt.close(fig)
    plt.close(fig2)


def test_plot_seeds_to_centroids_colour_by_nearest_colours_seeds_and_centroids_by_their_own_nearest_group():
    from matplotlib.colors import to_rgba

    from gmm_helpers.teach.figures import plot_seeds_to_centroids
    from gmm_helpers.teach.style import component_colour

    X, centres = _two_groups()
    seeds = torch.tensor([[4.0, 1.0], [2.4, 0.0]])  # seed 1, a stray one nearer group 1, pulls most of group 1 to it
    fig, axes = plt.subplots(1, 3)
    centroids = plot_seeds_to_centroids(X, seeds, centres=centres, axes=axes, colour_by="nearest")
    seed_colours = [to_rgba(line.get_markerfacecolor()) for line in axes[0].get_lines() if line.get_label().startswith("picked point")]
    assert sorted(seed_colours) == sorted([to_rgba(component_colour(0)), to_rgba(component_colour(1))])
    crosses = {to_rgba(line.get_color()): line.get_xydata()[0] for line in axes[2].get_lines() if line.get_marker() == "X"}
    nearest = ((centroids[:, None, :] - centres[None]) ** 2).sum(dim=2).argmin(dim=1).tolist()  # oracle: by hand
    for k, grp in enumerate(nearest):
        assert np.allclose(crosses[to_rgba(component_colour(grp))], centroids[k].numpy())
    assert all(t.get_text().startswith("centroid nearest group") for t in axes[2].get_legend().get_texts()[1:])
    assert all(line.get_zorder() > 4 for line in axes[2].get_lines() if line.get_marker() == "+")  # centres over the crosses
    assert all(line.get_zorder() < 3 for line in axes[0].get_lines() if line.get_marker() == "+")  # under the picked points
    assert sum(line.get_marker() == "+" for line in axes[0].get_lines()) == len(centres)  # the series' plus, once per centre
    arrows = [t.arrow_patch for t in axes[2].texts if t.arrow_patch is not None]
    assert len(arrows) == 2 and all(a.shrinkB >= 5 for a in arrows)  # ends at the cross's edge: a short move shows its head
    with pytest.raises(ValueError, match="colour_by"):
        plot_seeds_to_centroids(X, seeds, axes=axes, colour_by="nearest")  # needs centres
    plt.close(fig)


def test_plot_seeds_to_centroids_colour_by_nearest_colours_panel_2_by_the_seed_and_panel_3_by_the_centroid():
    from matplotlib.colors import to_rgba

    from gmm_helpers.teach.figures import plot_seeds_to_centroids
    from gmm_helpers.teach.style import component_colour

    X, centres = _two_groups()
    seeds = torch.tensor([[5.5, 0.5], [2.6, 0.0]])  # both nearest group 0; seed 1's cluster is mostly group 1
    fig, axes = plt.subplots(1, 3)
    centroids = plot_seeds_to_centroids(X, seeds, centres=centres, axes=axes, colour_by="nearest")
    nearest = ((centroids[:, None, :] - centres[None]) ** 2).sum(dim=2).argmin(dim=1).tolist()  # oracle: by hand
    nearest_seed = ((X[:, None, :] - seeds[None]) ** 2).sum(dim=2).argmin(dim=1)  # (N,): each point's seed, by hand
    assert nearest == [0, 1]  # the stray seed's centroid lands in group 1
    blue, orange = to_rgba(component_colour(0), 0.35), to_rgba(component_colour(1), 0.35)
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet

    panel_2 = [to_rgba(c.get_facecolor()[0]) for c in axes[1].collections if isinstance(c, PathCollection)]
    panel_3 = [to_rgba(c.get_facecolor()[0]) for c in axes[2].collections if isinstance(c, PathCollection)]
    assert np.allclose(panel_2, [blue, blue])  # by the seeds' nearest group: panel 2 needs no centroid
    assert np.allclose(sorted(panel_3), sorted([blue, orange]))  # by the centroids' nearest group
    assert sum(isinstance(c, ContourSet) for c in axes[1].collections) == 1  # the border tells the two blue clusters apart; drawn once
    assert not any(isinstance(c, ContourSet) for c in axes[2].collections)
    texts = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert texts[:2] == [f"cluster of picked point {k} (nearest group 0): {(nearest_seed == k).sum()} points" for k in range(2)], texts
    assert texts[2] == "border between clusters"
    plt.close(fig)



def test_plot_seeds_to_centroids_colour_by_picked_draws_the_data_grey_and_the_picked_points_and_centroids_by_nearest_group():
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba

    from gmm_helpers.teach.figures import plot_seeds_to_centroids
    from gmm_helpers.teach.style import component_colour

    X, centres = _two_groups()
    seeds = torch.tensor([[5.5, 0.5], [2.6, 0.0]])  # both nearest group 0; seed 1's centroid lands in group 1
    fig, axes = plt.subplots(1, 3)
    centroids = plot_seeds_to_centroids(X, seeds, centres=centres, axes=axes, colour_by="picked")
    nearest_seed = ((X[:, None, :] - seeds[None]) ** 2).sum(dim=2).argmin(dim=1)  # oracle: by hand
    for ax in axes[1:]:  # panels 2 and 3: one grey collection per cluster, in the seeds' order
        dots = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert [len(c.get_offsets()) for c in dots] == [int((nearest_seed == k).sum()) for k in range(2)]
        assert all(r == gr == b for c in dots for r, gr, b, _ in [to_rgba(c.get_facecolor()[0])])
    seeds_1 = [to_rgba(line.get_markerfacecolor()) for line in axes[0].get_lines() if line.get_label().startswith("picked point")]
    assert seeds_1 == [to_rgba(component_colour(0))] * 2  # the picked points: their nearest group's colour
    crosses = {to_rgba(line.get_color()) for line in axes[2].get_lines() if line.get_marker() == "X"}
    assert crosses == {to_rgba(component_colour(0)), to_rgba(component_colour(1))}  # the centroids: theirs
    assert [t.get_text() for t in axes[1].get_legend().get_texts()][:2] == [
        f"cluster of picked point {k}: {int((nearest_seed == k).sum())} points" for k in range(2)]  # no group named for grey dots
    assert torch.allclose(centroids, torch.stack([X[nearest_seed == k].mean(dim=0) for k in range(2)]))
    with pytest.raises(ValueError, match="colour_by"):
        plot_seeds_to_centroids(X, seeds, axes=axes, colour_by="picked")  # needs centres
    plt.close(fig)


def test_plot_seeds_to_centroids_gives_each_seed_its_own_shape_and_draws_the_arrows_on_top():
    from matplotlib.collections import PathCollection

    from gmm_helpers.teach.figures import SEED_SHAPES, plot_seeds_to_centroids

    X, centres = _two_groups()
    seeds = torch.tensor([[5.5, 0.5], [2.6, 0.0], [4.8, -0.3]])  # all three nearest group 0: one colour, three shapes
    fig, axes = plt.subplots(1, 3)
    plot_seeds_to_centroids(X, seeds, centres=centres, axes=axes, colour_by="nearest")
    for ax in axes:  # each seed: its own shape, the same in every panel, at its own place
        picked = {line.get_marker(): line.get_xydata()[0] for line in ax.get_lines()
                  if line.get_marker() in SEED_SHAPES and len(line.get_xydata())}
        assert set(picked) == set(SEED_SHAPES[:3])
        for k in range(3):
            assert np.allclose(picked[SEED_SHAPES[k]], seeds[k].numpy())
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend[1:] == ["picked point 0: nearest group 0", "picked point 1: nearest group 0", "picked point 2: nearest group 0"]
    nearest_seed = ((X[:, None, :] - seeds[None]) ** 2).sum(dim=2).argmin(dim=1)  # oracle: by hand
    dots = [c for c in axes[1].collections if isinstance(c, PathCollection)]  # panel 2: each cluster in its seed's shape
    assert [len(c.get_offsets()) for c in dots] == [int((nearest_seed == k).sum()) for k in range(3)]
    shapes = [c.get_paths()[0] for c in dots]
    assert not any(np.array_equal(shapes[a].vertices, shapes[b].vertices) for a, b in [(0, 1), (0, 2), (1, 2)])
    arrows = [t for t in axes[2].texts if t.arrow_patch is not None]  # an annotation draws its arrow at its own zorder
    on_top = max(a.get_zorder() for a in list(axes[2].get_lines()) + list(axes[2].collections))
    assert len(arrows) == 3 and all(t.get_zorder() > on_top and t.arrow_patch.get_linewidth() >= 3 for t in arrows)
    assert all(t.arrow_patch.get_path_effects() for t in arrows)  # a white halo: visible over any colour
    plt.close(fig)


def test_plot_likelihood_slice_marks_the_maximum_and_the_truth_on_the_curve():
    from gmm_helpers.teach.figures import plot_likelihood_slice

    values = np.linspace(-1.0, 1.0, 21)
    curve = -((values - 0.2) ** 2)  # a parabola peaked at 0.2
    fig, ax = plt.subplots()
    plot_likelihood_slice(values, curve, best=0.2, true=0.5, ax=ax, xlabel="mu")
    best_dot, true_dot = ax.lines[2], ax.lines[4]  # curve, line, dot, line, dot
    assert best_dot.get_xydata()[0] == pytest.approx([0.2, 0.0]) and true_dot.get_xydata()[0] == pytest.approx([0.5, -0.09])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["maximum likelihood: 0.200", "truth: 0.500"]
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 > ax.get_window_extent().x1  # outside: it covers neither line
    assert ax.get_xlabel() == "mu"
    plt.close(fig)


def test_plot_em_teaser_draws_each_iteration_by_responsibility_and_the_curve():
    from gmm_helpers import fit_em, init_random_points, log_likelihood, log_responsibilities, running_example
    from gmm_helpers.teach.figures import plot_em_teaser
    from gmm_helpers.teach.style import responsibility_colours

    X, _, truth = running_example()
    fit = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)), max_iter=6, tol=0)
    fig = plot_em_teaser(X, fit, float(log_likelihood(X, truth) / len(X)), shown=[0, 3, None], zoom_last=4)
    axes = fig.axes
    assert [ax.get_title().split("\n")[0] for ax in axes[:3]] == ["iteration 0", "iteration 3", f"iteration {fit.n_iter}"]
    assert axes[1].get_title().split("\n")[1] == "weights of 0, 1, 2: " + ", ".join(
        f"{w:.2f}" for w in fit.history[3].weights.tolist())
    labels = [t for t in axes[1].texts if t.get_text() in ("0", "1", "2")]  # each mean labelled with its number
    assert [t.get_text() for t in labels] == ["0", "1", "2"]
    np.testing.assert_allclose([t.xy for t in labels], fit.history[3].means.double().numpy(), rtol=1e-6)
    (zoom,) = axes[3].child_axes  # the inset: the curve's last 4 iterations and the dashed line
    np.testing.assert_allclose(zoom.lines[0].get_xdata(), range(fit.n_iter - 3, fit.n_iter + 1))
    assert zoom.lines[-1].get_ydata()[0] == pytest.approx(float(log_likelihood(X, truth) / len(X)))
    assert zoom.title.get_fontsize() >= 12 and all(t.get_fontsize() >= 12 for t in zoom.get_yticklabels())  # readable from the back
    colours = axes[1].collections[0].get_facecolors()[:, :3]  # the points at iteration 3, by responsibility
    expected = responsibility_colours(log_responsibilities(X, fit.history[3]).exp())[:, :3]
    np.testing.assert_allclose(colours, expected, atol=1e-6)
    curve = axes[3].lines[0].get_ydata()
    np.testing.assert_allclose(curve, (fit.log_likelihoods / len(X)).double().numpy(), rtol=1e-6)
    assert axes[3].get_lines()[-1].get_ydata()[0] == pytest.approx(float(log_likelihood(X, truth) / len(X)))
    assert curve[0] < axes[3].get_ylim()[0] and any("below the axis" in t.get_text() for t in axes[3].texts)
    assert len(fig.legends) == 1 and axes[3].get_legend() is None  # one key, below the panels, the curve's included
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "blended by its $r_{nk}$" in texts[3] and texts[4:] == ["1σ / 2σ ellipse (dark / light)",
        "thicker ellipse: larger weight", "the iterations drawn"]  # the dashed line is named on the curve instead
    assert "log-likelihood of the true parameters" in [t.get_text() for t in axes[3].texts]
    assert [ax.get_title().split("\n")[2] for ax in axes[:2]] == ["(from the start)", "(from the r at iteration 2)"]
    assert all(float(x).is_integer() for x in axes[0].get_xticks())  # whole-number ticks, not -7.5, -5.0, ...
    top, bottom = axes[0].get_position(), axes[2].get_position()
    assert len(axes) == 4 and bottom.y1 < top.y0 and bottom.x0 == pytest.approx(top.x0)  # two panels a row
    plt.close(fig)


def test_plot_em_teaser_in_three_columns_puts_the_curve_on_its_own_row_with_thicker_ellipses():
    from matplotlib.patches import Ellipse

    from gmm_helpers import fit_em, init_random_points, log_likelihood, running_example
    from gmm_helpers.teach.figures import plot_em_teaser

    X, _, truth = running_example()
    fit = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)), max_iter=6, tol=0)
    fig = plot_em_teaser(X, fit, float(log_likelihood(X, truth) / len(X)), shown=[0, 1, 2, 3, 4, None], ncols=3,
                         ellipse_width=1.5, shade=(2, 4))
    panels, curve = fig.axes[:6], fig.axes[6]
    assert len(fig.axes) == 7 and all(a.get_shared_x_axes().joined(a, panels[0]) for a in panels)
    assert curve.get_subplotspec().colspan == range(3) and curve.get_subplotspec().rowspan == range(2, 3)  # a row of its own
    assert curve.get_position().width > 2.5 * panels[3].get_position().width and curve.get_position().y1 < panels[3].get_position().y0
    widths = [p.get_linewidth() for p in panels[0].patches if isinstance(p, Ellipse)]  # weights 1/3: (1 + 4 / 3 * 3 / 2) * 1.5
    assert widths == pytest.approx([4.5] * 6)
    assert [t.get_text() for t in curve.texts if t.get_text().isdigit()] == ["1", "2", "3", "4", "6"]  # each dot named
    assert "plateau\n(iterations 2-4)" in [t.get_text() for t in curve.texts]  # the band named on the curve, not in the key
    assert len(fig.legends[0].get_texts()) == 7  # 3 components, mixed colour, 2 ellipse entries, the iterations drawn
    plt.close(fig)
    fig = plot_em_teaser(X, fit, float(log_likelihood(X, truth) / len(X)), shown=[0, 3], ncols=3, shade=(2, 4), letters=True)
    assert len(fig.legends[0].get_texts()) == 6  # letters: the red dots, each labelled, get no entry
    plt.close(fig)


def test_plot_mixture_1d_draws_weighted_bells_and_their_sum_against_torch_distributions():
    from torch.distributions import Categorical, MixtureSameFamily, Normal

    from gmm_helpers import GMMParams
    from gmm_helpers.teach.figures import plot_mixture_1d

    params = GMMParams(torch.tensor([0.3, 0.7]), torch.tensor([[-1.0], [2.0]]), torch.tensor([[0.5], [1.0]]))
    fig, ax = plt.subplots()
    plot_mixture_1d(params, samples=torch.randn(100, generator=torch.Generator().manual_seed(0)), ax=ax, xlim=(-4, 5))
    x = torch.as_tensor(ax.lines[-1].get_xdata())
    oracle = MixtureSameFamily(Categorical(probs=params.weights.double()),
                               Normal(params.means[:, 0].double(), params.variances[:, 0].double().sqrt())).log_prob(x).exp()
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), oracle.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ax.lines[0].get_ydata() + ax.lines[1].get_ydata(), ax.lines[-1].get_ydata(), rtol=1e-12)
    area = ax.lines[0].get_ydata().sum() * (x[1] - x[0]).item()
    assert area == pytest.approx(0.3, abs=2e-3)  # a weighted bell's area is its weight
    assert len(ax.patches) == 40  # the histogram's bars
    with pytest.raises(ValueError, match="params: expected a 1-D mixture"):
        plot_mixture_1d(toy_params(), ax=ax)
    plt.close(fig)


def test_weights_switch_figure_zooms_on_the_probe_with_both_sets_of_boundaries():
    from gmm_helpers import sample_gmm
    from gmm_helpers.teach.figures import plot_weights_switch

    X, _ = sample_gmm(toy_params(), 50, generator=torch.Generator().manual_seed(0))
    fig = plot_weights_switch(toy_params(), X, probe=(1.5, -0.5), half_width=2.0, n=61)
    ax_map, ax_line = fig.axes
    assert ax_map.get_xlim() == (-0.5, 3.5) and ax_map.get_ylim() == (-2.5, 1.5)
    from matplotlib.contour import ContourSet

    dashes = [c.get_linestyle()[0][1] is not None for c in ax_map.collections if isinstance(c, ContourSet)]
    assert dashes == [False] * 3 + [True] * 3  # each pair's boundary: solid with the weights, dashed without; no 90% band
    assert len([line for line in ax_line.lines if len(line.get_xdata()) > 2]) == 6  # K curves, with and without
    assert "x_1 = -0.5" in ax_line.get_xlabel()
    marked = sorted(t.get_text() for t in ax_line.texts if t.get_text() != "A")  # where component 0 stops leading
    assert marked == ["1.33", "1.49"]  # with the weights at 1.49, without at 1.33 (as 05 prints)
    assert ax_line.get_xlim() == ax_map.get_xlim()  # the line panel spans the map's x1 range
    key = fig.legends[0]  # the map's colour key: a blend, not an owner
    assert key.get_title().get_text().startswith("map: the components' colours, blended")
    assert [t.get_text() for t in key.get_texts()] == ["component 0", "component 1", "component 2"]


def test_bound_along_mean_touches_at_theta_old_stays_below_and_peaks_at_the_m_step():
    from torch.distributions import Independent, Normal

    from gmm_helpers import m_step
    from gmm_helpers.teach.figures import bound_along_mean, plot_bound_slice

    params = toy_params().to(torch.float64)
    X = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2.5
    values = torch.linspace(-3.0, 3.0, 601, dtype=torch.float64)
    ll, bound = bound_along_mean(X, params, 1, 0, values)
    # oracle: the same slice from torch.distributions, with the responsibilities of params by Bayes' rule
    def log_joint(means):
        return Independent(Normal(means, params.variances.sqrt()), 1).log_prob(X[:, None, :]) + params.weights.log()
    r = torch.softmax(log_joint(params.means), dim=1)
    for i in (0, 300, 600):
        means = params.means.clone()
        means[1, 0] = values[i]
        lj = log_joint(means)
        torch.testing.assert_close(ll[i], torch.logsumexp(lj, dim=1).mean())
        torch.testing.assert_close(bound[i], (r * (lj - r.log())).sum() / len(X))
    assert (bound <= ll + 1e-12).all()
    ll_old, bound_old = bound_along_mean(X, params, 1, 0, [float(params.means[1, 0])])
    torch.testing.assert_close(bound_old, ll_old)  # they touch at theta_old
    best = float(m_step(X, r).means[1, 0])
    assert abs(float(values[bound.argmax()]) - best) <= 0.01 / 2 + 1e-9  # F's top is the M-step's mean (grid step 0.01)
    fig, ax = plt.subplots()
    plot_bound_slice(X, params, 1, 0, ax=ax)
    assert len(ax.get_legend().get_texts()) == 3 and ax.lines[3].get_xdata()[0] == best
    assert not any("goes on" in t.get_text() for t in ax.texts)  # nothing cut, nothing said
    assert ax.lines[6].get_marker() == "D" and ax.lines[6].get_ydata()[0] == max(ax.lines[0].get_ydata())  # l's own top
    low = min(min(ax.lines[0].get_ydata()), min(ax.lines[1].get_ydata()))
    assert ax.get_ylim()[0] < low  # by default every value is in view
    plt.close(fig)
    floor = float(ll_old) - 0.5  # above the bound's lowest value: the y-axis starts just below the floor
    assert float(bound.min()) < floor
    fig, ax = plt.subplots()
    plot_bound_slice(X, params, 1, 0, ax=ax, y_floor=floor)
    bottom, top = ax.get_ylim()
    assert low < bottom < floor and floor - bottom < 0.05 * (top - bottom)
    (cut,) = [t for t in ax.texts if "goes on" in t.get_text()]  # the cut axis is said, where the bound leaves it
    assert cut.get_text() == f"$F$ goes on\nbelow ${floor:g}$" and cut.xy[1] == floor
    plt.close(fig)


def test_plot_bound_slice_names_the_bound_as_asked_and_keeps_F_by_default():
    from gmm_helpers.teach.figures import plot_bound_slice

    params = toy_params().to(torch.float64)
    X = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2.5
    for name, legend, annotation in [(None, r"lower bound $F(r, \theta) / N$, $r$ frozen at $\theta_{\mathrm{old}}$",
                                      "M-step: the top of $F$"),  # 00 and 07
                                     ("Q + H", r"lower bound $(Q + H) / N$, $r$ frozen at $\theta_{\mathrm{old}}$",
                                      "M-step: the top of $Q + H$")]:  # 06
        fig, ax = plt.subplots()
        plot_bound_slice(X, params, 1, 0, ax=ax, **({} if name is None else {"bound_name": name}))
        assert ax.get_legend().get_texts()[1].get_text() == legend
        assert ax.get_legend().get_texts()[0].get_text() == r"log-likelihood $\ell(\theta) / N$"  # per point, as the axis
        assert ax.get_ylabel() == "per point (divided by $N$)"
        assert annotation in [t.get_text() for t in ax.texts]
        plt.close(fig)


def test_plot_bound_slice_takes_a_lopsided_span():
    from gmm_helpers.teach.figures import plot_bound_slice

    params = toy_params().to(torch.float64)
    X = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2.5
    old = float(params.means[1, 0])
    fig, ax = plt.subplots()
    plot_bound_slice(X, params, 1, 0, span=(0.5, 2.0), ax=ax)  # 06 reaches further right, where l turns down
    xs = ax.lines[0].get_xdata()
    assert abs(xs[0] - (old - 0.5)) < 1e-12 and abs(xs[-1] - (old + 2.0)) < 1e-12
    plt.close(fig)



def test_plot_start_shares_draws_one_labelled_bar_per_scheme_and_stage():
    from gmm_helpers.teach.figures import plot_start_shares

    shares = {"a": (0.235, 0.555), "b": (0.665, 0.885), "c": (0.92, 0.97)}
    fig, ax = plt.subplots()
    plot_start_shares(shares, ax=ax)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([23.5, 66.5, 92.0, 55.5, 88.5, 97.0])  # stage by stage, scheme by scheme
    lefts = [p.get_x() for p in ax.patches]
    assert lefts[0] < lefts[3] < lefts[1] < lefts[4]  # the two bars of a scheme sit side by side
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["23.5%", "66.5%", "92.0%", "55.5%", "88.5%", "97.0%"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="shares"):
        plot_start_shares({"a": (0.5,)}, ax=ax)
    with pytest.raises(ValueError, match="between 0 and 1"):
        plot_start_shares({"a": (23.5, 55.5)}, ax=ax)
    plt.close(fig)


def test_plot_start_shares_whiskers_are_one_standard_error_with_the_label_above():
    from gmm_helpers.teach.figures import plot_start_shares

    fig, ax = plt.subplots()
    plot_start_shares({"a": (0.235, 0.555), "b": (0.92, 0.97)}, ax=ax, n_starts=200)
    whiskers = [c for c in ax.containers if hasattr(c, "has_yerr") and c.has_yerr]
    assert len(whiskers) == 2  # one set per stage
    spans = sorted(float(seg[1, 1] - seg[0, 1]) / 2 for c in whiskers for seg in c.lines[2][0].get_segments())
    expected = sorted(100 * np.sqrt(p * (1 - p) / 200) for p in (0.235, 0.555, 0.92, 0.97))  # 3.0, 3.5, 1.9, 1.2
    assert spans == pytest.approx(expected)
    label = next(t for t in ax.texts if t.get_text() == "55.5%")
    assert label.xy[1] == pytest.approx(55.5 + 100 * np.sqrt(0.555 * 0.445 / 200))  # above the whisker's top
    plt.close(fig)


def test_plot_start_shares_uses_no_group_colour():
    from matplotlib.colors import to_hex
    from gmm_helpers.teach.figures import plot_start_shares
    from gmm_helpers.teach.style import component_colour

    fig, ax = plt.subplots()
    plot_start_shares({"a": (0.2, 0.5), "b": (0.7, 0.9)}, ax=ax)
    bar_colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert len(bar_colours) == 2  # one colour per stage
    assert not bar_colours & {to_hex(component_colour(k)) for k in range(3)}  # colours mean groups elsewhere; not here
    plt.close(fig)


def test_plot_bayes_1d_draws_the_weighted_bells_and_their_shares():
    from gmm_helpers import GMMParams
    from gmm_helpers.teach.figures import plot_bayes_1d

    params = GMMParams(torch.tensor([0.3, 0.7]), torch.tensor([[-1.0], [2.0]]), torch.tensor([[0.5], [1.0]]))
    fig = plot_bayes_1d(params, x=0.5, xlim=(-4, 5))
    top, bottom = fig.axes
    bells, total = [top.lines[k].get_ydata() for k in range(2)], top.lines[2].get_ydata()
    np.testing.assert_allclose(bells[0] + bells[1], total, rtol=1e-12)  # the sum: p(x)
    shares = [bottom.lines[k].get_ydata() for k in range(2)]
    np.testing.assert_allclose(shares[0], bells[0] / total, rtol=1e-10)  # r_k(x) = pi_k N_k(x) / p(x)
    np.testing.assert_allclose(shares[0] + shares[1], 1.0, rtol=1e-12)
    dots = [line.get_ydata()[0] for line in bottom.lines if line.get_marker() == "o"]
    assert dots[0] == pytest.approx(0.16442, abs=1e-4) and sum(dots) == pytest.approx(1.0)  # Exercise 5.1 at x = 0.5
    assert any(line.get_xdata()[0] == 0.5 and line.get_linestyle() == ":" for line in top.lines)  # x marked
    assert top.get_ylim()[1] == pytest.approx(1.15 * total.max(), rel=1e-6)  # no empty band above the curves
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["component 0: $r_0(x)$", "component 1: $r_1(x)$"]  # maths from 0
    with pytest.raises(ValueError, match="params: expected a 1-D mixture"):
        plot_bayes_1d(toy_params())
    fig = plot_bayes_1d(params, xlim=(-11, 5), n=1601, mark_crossings=True)  # both crossings, labelled
    marks = [line.get_xdata()[0] for line in fig.axes[1].lines if line.get_marker() == "D"]
    assert marks == [pytest.approx(-8.12, abs=0.01), pytest.approx(0.12, abs=0.01)]  # the roots 05's optional section derives
    assert [t.get_text() for t in fig.axes[1].texts] == ["$x = -8.12$", "$x = 0.12$"]
    plt.close("all")


@pytest.mark.parametrize("bins", [40, 25])
def test_plot_mixture_1d_draws_as_many_bars_as_bins_and_keeps_area_1(bins):
    params = GMMParams(torch.tensor([0.3, 0.7]), torch.tensor([[-1.0], [2.0]]), torch.tensor([[0.5], [1.0]]))
    samples = torch.randn(200, generator=torch.Generator().manual_seed(0))
    fig, ax = plt.subplots()
    if bins == 40:
        plot_mixture_1d(params, samples=samples, ax=ax, xlim=(-4, 5))  # the default
    else:
        plot_mixture_1d(params, samples=samples, ax=ax, xlim=(-4, 5), bins=bins)
    assert len(ax.patches) == bins
    area = sum(p.get_width() * p.get_height() for p in ax.patches)
    assert area == pytest.approx(1.0, abs=1e-9)  # every sample lies inside xlim here, so density=True gives area 1
    plt.close(fig)
