"""The one-notebook figures of the series: each draws one picture that one notebook explains.

Every function draws on an axis it is given (``ax=None`` means ``plt.gca()``) and returns it. The
numbers they show come from the library (``gmm_helpers``); nothing here computes a model quantity.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..params import GMMParams
from ..posteriors import log_responsibilities, responsibility_grid


def plot_error_vs_n(ns, errors, ax=None):
    """Estimation error against sample size on log–log axes, with a 1/sqrt(N) guide line.

    Introduced in notebooks/01_synthetic_data.ipynb.

    Parameters
    ----------
    ns : sequence of int
    errors : Tensor, shape (len(ns), 3) or (len(ns), repeats, 3)
        From ``estimation_errors``: weights, means, variances. With a repeats axis, each line is the
        average over the repeats and a band shows the middle 80% of them (10th to 90th percentile).
        The dashed guide has slope -1/2 and runs above the lines (twice the largest first error).
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    ns = np.asarray(ns, dtype=float)
    errors = np.asarray(torch.as_tensor(errors).cpu(), dtype=float)
    spread = errors.ndim == 3
    mean = errors.mean(axis=1) if spread else errors  # (len(ns), 3)
    # colours outside the component palette: these lines are quantities, not components
    styles = [("weights", "o", "#6A3D9A"), ("means", "s", "#8C510A"), ("variances", "^", "#01665E")]
    handles = []
    for column, (name, marker, colour) in enumerate(styles):
        (line,) = ax.loglog(ns, mean[:, column], marker=marker, markersize=8, color=colour, label=name)
        handles.append(line)
        if spread:
            low, high = np.percentile(errors[:, :, column], [10, 90], axis=1)
            band = ax.fill_between(ns, low, high, color=colour, alpha=0.18, linewidth=0)
            handles[-1] = (band, line)  # the legend shows each line on its own band's colour
    guide = 2 * mean[0].max() * np.sqrt(ns[0] / ns)  # c / sqrt(N), above the lines so that it hides none of them
    (guide_line,) = ax.loglog(ns, guide, linestyle="--", color="0.3", label=r"slope of $1/\sqrt{N}$")
    labels = [name for name, _, _ in styles] + [guide_line.get_label()]
    title = f"lines: average of {errors.shape[1]} samples\nbands: middle 80% of them" if spread else None
    ax.legend(handles + [guide_line], labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), title=title,
              title_fontsize=12)  # outside the axes, to the right: it covers no line
    ax.set_xlabel("number of points $N$")
    ax.set_ylabel("average |estimate − truth|")
    return ax


def plot_pdf_on_samples(samples, pdf=None, ax=None, grid=(-4.0, 6.0), bins=80, pdf_label="your pdf_1d", xlabel="$x$",
                        samples_label=None):
    """A histogram of 1-D samples (scaled to a density) with ``pdf`` drawn over it, if given.

    Introduced in notebooks/01_synthetic_data.ipynb (Exercise 1.1; also the standardised errors of many
    samples against the standard normal density, with ``pdf_label``, ``xlabel`` and ``samples_label`` naming them).

    ``pdf`` is a reader's function of a 1-D float64 tensor; it may return a tensor, an array or a list.
    If it raises, the histogram is drawn alone and the error is printed.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    samples = np.asarray(torch.as_tensor(samples).detach().cpu(), dtype=float).reshape(-1)
    ax.hist(samples, bins=bins, density=True, color="0.75", label=samples_label or f"{len(samples):,} samples")
    if pdf is not None:
        x = torch.linspace(*grid, 400, dtype=torch.float64)
        try:
            y = np.asarray(torch.as_tensor(pdf(x)).detach().cpu(), dtype=float).reshape(-1)
        except Exception as exc:  # noqa: BLE001 - a reader's function may fail in any way; say how
            print(f"{pdf_label} raised {type(exc).__name__}: {exc}; drawing the samples alone.")
        else:
            ax.plot(x.numpy(), y, color="black", label=pdf_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend()
    return ax


def _axis_break(ax, y_break: float, half_gap: float, dx: float, dy: float, linewidth: float, gid: str | None = None):
    """A break in ``ax``'s y axis at ``y_break`` (data units): a white band ``2 half_gap`` tall and a pair of slanted
    strokes on each side, for an "exactly 0" row drawn below a log scale it is not a value of."""
    from matplotlib.transforms import blended_transform_factory

    ax.axhspan(y_break - half_gap, y_break + half_gap, color="white", zorder=3)
    across = blended_transform_factory(ax.transAxes, ax.transData)  # x in axes fractions, y in data units
    for y in (y_break - half_gap, y_break + half_gap):
        for x in (0.0, 1.0):
            ax.plot([x - dx, x + dx], [y - dy, y + dy], transform=across, color="black", linewidth=linewidth,
                    clip_on=False, zorder=4, gid=gid)


def plot_product_vs_log_sum(dims, products, log_sums, axes=None):
    """The product of D equal densities underflows to 0; the sum of their logs stays an ordinary number.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    Parameters
    ----------
    dims : sequence of int
    products : dict of str -> Tensor, shape (len(dims),)
        The product of the first D factors as each float type computes it (e.g. ``torch.cumprod``), keyed by the
        type's name ("float32", "float64"). Left panel: log10 of each, on a line that drops to an "exactly 0" row
        (below a break in the y axis) at the first D where the product is 0, labelled with that D.
    log_sums : dict of str -> Tensor, shape (len(dims),)
        The sum of the first D logs in each type (e.g. ``torch.cumsum``). Right panel, on an ordinary axis, its
        last value (the first type's) marked and written at the right end.
    axes : two matplotlib Axes, optional

    Returns
    -------
    axes : (Axes, Axes)
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")
    ax_prod, ax_sum = axes
    dims = np.asarray(dims, dtype=float)
    colours, styles = {"float32": "#D55E00", "float64": "#0072B2"}, {"float32": "--", "float64": "-"}
    logs10 = {name: np.log10(np.asarray(p.detach().cpu(), dtype=float), where=np.asarray(p.detach().cpu()) > 0,
                             out=np.full(len(dims), np.nan)) for name, p in products.items()}
    lowest = min(np.nanmin(v) for v in logs10.values())
    zero_row = lowest - 40  # where "exactly 0" is drawn: a row below the smallest value held
    for name, values in sorted(products.items(), key=lambda item: item[0] == "float32"):  # float32's dashes on top
        y = np.where(np.isnan(logs10[name]), zero_row, logs10[name])
        ax_prod.plot(dims, y, color=colours.get(name, "0.4"), linestyle=styles.get(name, "-"), linewidth=3, label=name)
        zeros = np.flatnonzero(np.isnan(logs10[name]))
        if len(zeros):
            first = dims[zeros[0]]
            right = first < 0.5 * (dims[0] + dims[-1])  # float32's label right of its drop and higher, float64's left
            ax_prod.text(first + (8 if right else -8), zero_row + (60 if right else 18), f"{name}: 0 from D = {first:.0f}", ha="left" if right else "right",
                         va="bottom", color=colours.get(name, "0.4"), fontsize=17, gid="first-zero")
    ticks = [t for t in (0, -100, -200, -300) if t > zero_row + 15]
    ax_prod.set_yticks(ticks + [zero_row], ["1" if t == 0 else f"$10^{{{t}}}$" for t in ticks] + ["exactly 0"])
    ax_prod.set_ylim(zero_row - 15, 15)
    _axis_break(ax_prod, zero_row + 12, half_gap=3, dx=0.012, dy=4, linewidth=1.5)  # the 0 row is not a power of 10
    ax_prod.set(xlabel="number of dimensions $D$", ylabel="product (log scale)", title="Multiply $D$ densities of 0.242 each")
    for name, values in sorted(log_sums.items(), key=lambda item: item[0] == "float32"):
        ax_sum.plot(dims, np.asarray(values.detach().cpu(), dtype=float), color=colours.get(name, "0.4"),
                    linestyle=styles.get(name, "-"), linewidth=3, label=name)
    end = float(next(iter(log_sums.values()))[-1])  # the last sum, read off at the right end
    ax_sum.plot([dims[-1]], [end], "o", color="black", markersize=8, zorder=3)
    ax_sum.annotate(f"{end:.1f} at D = {dims[-1]:.0f}".replace("-", "\N{MINUS SIGN}"), (dims[-1], end), xytext=(-14, -4),
                    textcoords="offset points", ha="right", va="top", fontsize=17, gid="end-value")  # below the line
    ax_sum.set_ylim(bottom=1.1 * end)  # room for the label
    ax_sum.set(xlabel="number of dimensions $D$", ylabel="sum of logs", title="Add their logs: stays finite (never \N{MINUS SIGN}∞)")
    for ax in axes:  # float32 first in each legend
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i] != "float32")
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper right")
    return ax_prod, ax_sum


def plot_product_density(mean, variances, at, axes=None, span: float = 3.0, n: int = 301):
    """A diagonal 2-D Gaussian's density as the product of its two 1-D densities, read off at one point.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    The large panel: the 2-D density N(x | mean, diag(variances)) as filled contours, computed by the general
    formula (``MultivariateNormal``), not as a product. Along the top: the 1-D density of x_0; along the right
    side: that of x_1, on the same axes. Dashed lines carry the point ``at`` to both curves; the title reads
    the two factors there and their product, which equals the 2-D density at ``at``; a white contour line
    (the joint panel's second collection, legend) passes through ``at`` at that density.

    Parameters
    ----------
    mean, variances : Tensor, shape (2,)
    at : Tensor, shape (2,)
        The marked point.
    axes : (Axes, Axes, Axes), optional
        The 2-D panel, the top panel (sharing its x axis) and the right panel (sharing its y axis); made here
        when not given, with a colour bar.
    span : float
        Each axis runs over ``span`` standard deviations either side of the mean.

    Returns
    -------
    (joint, top, right) : the three Axes
    """
    from matplotlib.lines import Line2D
    from torch.distributions import MultivariateNormal, Normal

    mean, variances, at = (torch.as_tensor(t).detach().cpu().double() for t in (mean, variances, at))
    sd = variances.sqrt()
    colour, mark = "#0072B2", "#D55E00"
    if axes is None:
        fig = plt.figure(figsize=(10.5, 8.5))
        grid = fig.add_gridspec(2, 3, width_ratios=(4, 1.4, 0.15), height_ratios=(1.4, 4), wspace=0.06, hspace=0.06)
        joint = fig.add_subplot(grid[1, 0])
        top = fig.add_subplot(grid[0, 0], sharex=joint)
        right = fig.add_subplot(grid[1, 1], sharey=joint)
        bar_ax = fig.add_subplot(grid[1, 2])
    else:
        (joint, top, right), bar_ax = axes, None
    x0 = torch.linspace(float(mean[0] - span * sd[0]), float(mean[0] + span * sd[0]), n, dtype=torch.float64)
    x1 = torch.linspace(float(mean[1] - span * sd[1]), float(mean[1] + span * sd[1]), n, dtype=torch.float64)
    g0, g1 = torch.meshgrid(x0, x1, indexing="xy")
    density = MultivariateNormal(mean, covariance_matrix=torch.diag(variances)).log_prob(torch.stack([g0, g1], dim=-1)).exp()
    filled = joint.contourf(g0.numpy(), g1.numpy(), density.numpy(), levels=12, cmap="viridis")
    p0, p1 = Normal(mean[0], sd[0]).log_prob(x0).exp(), Normal(mean[1], sd[1]).log_prob(x1).exp()
    top.plot(x0.numpy(), p0.numpy(), color=colour, linewidth=3)
    top.fill_between(x0.numpy(), p0.numpy(), color=colour, alpha=0.2, linewidth=0)
    right.plot(p1.numpy(), x1.numpy(), color=colour, linewidth=3)
    right.fill_betweenx(x1.numpy(), p1.numpy(), color=colour, alpha=0.2, linewidth=0)
    f0, f1 = (float(v) for v in Normal(mean, sd).log_prob(at).exp())  # the two factors at the point
    value = float(MultivariateNormal(mean, covariance_matrix=torch.diag(variances)).log_prob(at).exp())
    a0, a1 = at.tolist()
    # the contour line through the point: every (x_0, x_1) where the 2-D density equals p(x_0) p(x_1) there
    level = joint.contour(g0.numpy(), g1.numpy(), density.numpy(), levels=[value], colors="white", linewidths=2.5)
    level_key = Line2D([], [], color="white", linewidth=2.5, label=f"2-D density = {value:.4f}")
    joint.legend(handles=[level_key], loc="upper right", fontsize=13, facecolor="0.25", labelcolor="white", framealpha=0.8)
    guide = dict(color=mark, linestyle="--", linewidth=2)
    joint.plot([a0, a0], [a1, float(x1[-1])], **guide)  # up to the top panel
    joint.plot([a0, float(x0[-1])], [a1, a1], **guide)  # across to the right panel
    top.plot([a0, a0], [0, f0], **guide)
    right.plot([0, f1], [a1, a1], **guide)
    dot = dict(marker="o", markersize=13, color=mark, markeredgecolor="white", markeredgewidth=2, linestyle="none", zorder=5)
    joint.plot(a0, a1, **dot, gid="point")
    top.plot(a0, f0, **dot, gid="factor")
    right.plot(f1, a1, **dot, gid="factor")
    top.annotate(f"$p(x_0)$ = {f0:.3f}", (a0, f0), xytext=(-12, 6), textcoords="offset points", ha="right", va="bottom",
                 color=mark, fontsize=15, gid="factor-label")
    right.annotate(f"$p(x_1)$ = {f1:.3f}", (f1, a1), xytext=(0, 50), textcoords="offset points", ha="center", va="bottom",
                   color=mark, fontsize=15, gid="factor-label",  # one line, above the curve's tail, tied to the dot
                   bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 1},
                   arrowprops={"arrowstyle": "-", "color": mark, "linewidth": 1.5, "shrinkB": 8})
    joint.set(xlabel="$x_0$", ylabel="$x_1$", xlim=(float(x0[0]), float(x0[-1])), ylim=(float(x1[0]), float(x1[-1])))
    top.set_ylabel("$p(x_0)$")
    right.set_xlabel("$p(x_1)$")
    top.set_ylim(0, 1.25 * float(p0.max()))
    right.set_xlim(0, 1.25 * float(p1.max()))
    top.tick_params(labelbottom=False)
    right.tick_params(labelleft=False)
    top.set_title("the 2-D density at $(x_0, x_1)$ is $p(x_0)\\,p(x_1)$\n"
                  f"at the dot: {value:.4f} = {f0:.3f} × {f1:.3f}", loc="left")
    if bar_ax is not None:
        # equal aspect (one unit as long on both axes, so the variances' ratio reads right): the figure's
        # height is set so that the joint panel's box has the data's height-to-width ratio
        box, fig = joint.get_position(), joint.figure
        ratio = float(x1[-1] - x1[0]) / float(x0[-1] - x0[0])
        fig.set_figheight(fig.get_figwidth() * box.width * ratio / box.height)
        joint.set_aspect("equal")
        bar = top.figure.colorbar(filled, cax=bar_ax, label="2-D density")
        ticks = [t for t in bar.get_ticks()[::2] if abs(t - value) > 0.15 * float(density.max())]  # fewer ticks: readable
        marked = sorted(ticks + [value])  # the white line's density among the others, with one more digit
        bar.set_ticks(marked, labels=[f"{t:.3f}" if t == value else f"{t:.2f}" for t in marked])
        bar.add_lines(level)  # the white line's density, marked and labelled on the colour bar
    return joint, top, right


def plot_diagonal_vs_full(Y, centre, S, ax=None):
    """A tilted cloud with its full-covariance and diagonal-covariance fits (1σ and 2σ ellipses each), and
    the two quadrants, upper left and lower right of the centre, where the diagonal fit wastes probability.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    Parameters
    ----------
    Y : Tensor, shape (N, 2)
    centre : Tensor, shape (2,)
        The fits' common mean (the sample mean).
    S : Tensor, shape (2, 2)
        The full fit's covariance; the diagonal fit uses its diagonal.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes
        The legend names each ellipse (1σ, 2σ) and gives the shaded quadrants' share of the points (computed
        here from Y: a count, not a model quantity) and the diagonal fit's 50%.
    """
    from .plotting import draw_covariance_ellipses

    ax = ax or plt.gca()
    Y, centre, S = (torch.as_tensor(t).detach().cpu().double() for t in (Y, centre, S))
    ax.scatter(*Y.T.numpy(), s=10, color="0.5", alpha=0.5, linewidths=0)
    for n, alpha in ((1, 1.0), (2, 0.5)):  # the 2σ ellipses fainter; each named in the legend
        draw_covariance_ellipses(centre, S, ax=ax, n_std=(n,), alpha=alpha, color="#0072B2", linewidth=3,
                                 label=f"full covariance, {n}σ")
    for n, alpha in ((1, 1.0), (2, 0.8)):  # orange on the yellow quadrants: less faint than the blue
        draw_covariance_ellipses(centre, torch.diag(S.diagonal()), ax=ax, n_std=(n,), alpha=alpha, color="#D55E00",
                                 linewidth=3, linestyle="--", label=f"diagonal covariance, {n}σ")
    ax.set_aspect("equal")
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    cx, cy = centre.tolist()
    ax.axvline(cx, color="black", linewidth=1)
    ax.axhline(cy, color="black", linewidth=1)
    ax.plot(cx, cy, marker="P", markersize=15, color="black", markeredgecolor="white", linestyle="none", zorder=5,
            label="the centre (sample mean)")
    opposite = float(((Y - centre).prod(dim=1) < 0).double().mean())
    note = f"shaded: {opposite:.0%} of the points,\n50% of the diagonal fit's probability"  # in the legend, not on the data
    for i, ((x0, x1), (y0, y1)) in enumerate([((x_lo, cx), (cy, y_hi)), ((cx, x_hi), (y_lo, cy))]):  # upper left, lower right
        ax.fill_between([x0, x1], y0, y1, color="#F0E442", alpha=0.35, linewidth=0, zorder=0, gid="quadrant",
                        label=note if i == 0 else None)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$x_0$", ylabel="$x_1$")
    handles, names = ax.get_legend_handles_labels()
    order = [names.index(name) for name in ("full covariance, 1σ", "full covariance, 2σ", "the centre (sample mean)",
                                              "diagonal covariance, 1σ", "diagonal covariance, 2σ", note)]
    ax.legend([handles[i] for i in order], [names[i] for i in order], loc="lower center", bbox_to_anchor=(0.5, 1.02),
              ncol=2, frameon=False)
    return ax


def plot_diagonal_tiling(Y, fits: dict, source_means, source_covariances, source_per_point: float,
                         source_name: str = "the true mixture", axes=None):
    """Mixtures of diagonal components tiling a cloud, next to the full-covariance model the points came from.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    Parameters
    ----------
    Y : Tensor, shape (N, 2)
    fits : dict of int -> EMResult
        Three fits keyed by their number of components K, in panel order. Each is drawn as its 2σ
        ellipses (line width growing with the weight, the weight written right of each mean, left of it where
        the right side lies in the heaviest component's ellipse, or at the ellipse's right end where two means
        coincide; coloured by weight
        order, the heaviest blue in every panel, so a colour never pairs components across panels); the title
        gives the fit's final log-likelihood per point.
    source_means, source_covariances : Tensor, shapes (J, 2) and (J, 2, 2)
        The J full-covariance components the points were drawn from: their 2σ ellipses are dashed in every
        panel (a key above the first panel names them); in the fourth panel they lie over the last fit's 2σ
        ellipses, drawn thin and grey (keyed below it). A second key above the first panel explains the line widths.
    source_per_point : float
        The source model's log-likelihood per point, for the fourth panel's title.
    source_name : str
        The source model's name in the fourth panel's title, which adds "(dashed)": the grey ellipses are the last fit's.
    axes : 2 x 2 array of matplotlib Axes, optional
        A new 2 x 2 figure (shared axes) is made when omitted.

    Returns
    -------
    axes : 2 x 2 array of matplotlib Axes
    """
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    from .plotting import draw_covariance_ellipses, draw_ellipses, plot_mixture
    from .style import COMPONENT_COLOURS

    if len(fits) != 3:
        raise ValueError(f"fits: expected three fits (panels 1-3; the source model is panel 4), got {len(fits)}")
    if source_means.ndim != 2 or source_covariances.shape != (source_means.shape[0], 2, 2):
        raise ValueError(f"source_means, source_covariances: expected shapes (J, 2) and (J, 2, 2), got "
                         f"{tuple(source_means.shape)} and {tuple(source_covariances.shape)}")
    created = axes is None
    if created:
        _, axes = plt.subplots(2, 2, figsize=(16, 8.8), sharex=True, sharey=True, layout="constrained")  # makes room for the keys
    # eight distinct colours: brown, not the palette's amber (too close to its vermillion), purple, not its second
    # blue, olive and dark red (a grey-blue was too close to the blue)
    colours = list(COMPONENT_COLOURS[:4]) + ["#8C510A", "#6A3D9A", "#999933", "#B2182B"]
    outline = [patheffects.withStroke(linewidth=3, foreground="white")]
    for ax, (K, fit) in zip(axes.flat, fits.items()):
        per_point = float(fit.log_likelihoods[-1]) / len(Y)
        rank = fit.params.weights.argsort(descending=True).argsort().tolist()  # 0: the heaviest component
        plot_mixture(Y, fit.params, ax=ax, n_std=(2,), legend=False, colours=[colours[r] for r in rank],
                     title=f"{K} diagonal component{'s' if K > 1 else ''}: log-likelihood {per_point:.3f} per point")
        means, sds = fit.params.means, fit.params.variances.sqrt()
        heavy = int(fit.params.weights.argmax())
        for k, (w, m) in enumerate(zip(fit.params.weights.tolist(), means.tolist())):
            # right of the mean, inside the ellipses; a mean on another's (closer than 0.5): at its ellipse's right end;
            # left of the mean where the right side (1 unit on) lies inside the heaviest component's 2σ ellipse
            on_another = ((means - means[k]).norm(dim=1) < 0.5).sum() > 1
            at = (m[0] + 2 * float(sds[k, 0]), m[1]) if on_another else (m[0], m[1])
            right = torch.tensor([m[0] + 1.0, m[1]], dtype=means.dtype)
            left = k != heavy and not on_another and float((((right - means[heavy]) / (2 * sds[heavy])) ** 2).sum()) < 1
            ax.annotate(f"{w:.2f}", at, xytext=(-9 if left else 9, 0), textcoords="offset points", ha="right" if left else "left",
                        va="center", fontsize=13, fontweight="bold", path_effects=outline, gid="weight")
    plot_mixture(Y, ax=axes[1, 1], legend=False,
                 title=f"{source_name} (dashed): log-likelihood {float(source_per_point):.3f} per point")
    last_K, last = list(fits.items())[-1]
    for m, v in zip(last.params.means, last.params.variances):  # the last fit, for comparison, under the source model
        draw_ellipses(m, v, ax=axes[1, 1], n_std=(2,), color="0.45", linewidth=1.5, gid="last-fit")
    J = source_means.shape[0]
    source_label = f"the {J} full-covariance\ncomponents the points\ncame from, 2σ" if J > 1 else "the full-covariance Gaussian\nthe points came from, 2σ"
    for ax in axes.flat:
        for j, (m, c) in enumerate(zip(source_means, source_covariances)):
            draw_covariance_ellipses(m, c, ax=ax, n_std=(2,), color="black", linewidth=2, linestyle="--",
                                     label=source_label if j == 0 else None, gid="source")
        ax.label_outer()
    source_note = Line2D([], [], color="black", linewidth=2, linestyle="--", label=source_label)
    width_note = Line2D([], [], color="0.3", linewidth=3, label="diagonal component, 2σ:\nline width = weight\n(the number); colour by\nweight (blue: heaviest)")
    last_note = Line2D([], [], color="0.45", linewidth=1.5, label=f"the {last_K} diagonal components, 2σ")
    # each key once, outside the panels (inside, they hid ellipses or needed empty room): the dashed source model and
    # the line widths above the first panel (read first), the grey under the fourth
    above = dict(bbox_to_anchor=(0, 1.1), loc="lower left", fontsize=12)
    axes[0, 0].add_artist(axes[0, 0].legend(handles=[source_note], **above))
    axes[0, 0].legend(handles=[width_note], **{**above, "bbox_to_anchor": (0.5, 1.1)})
    axes[1, 1].legend(handles=[last_note], bbox_to_anchor=(1, -0.2), loc="upper right", fontsize=12)
    return axes


SEED_SHAPES = ("o", "s", "^", "D", "v", "p", "h", "*")  # plot_seeds_to_centroids: one marker per picked point
CLUSTER_GREYS = ("0.2", "0.6", "0.4")  # plot_seeds_to_centroids(colour_by="picked"): the clusters' dots, no group colour


def plot_seeds_to_centroids(X, seeds, centres=None, axes=None, colours=None, groups=None, colour_by=None):
    """One Lloyd iteration from picked points (the argument ``seeds``), in three panels: the picked points on
    the data; each point coloured by its nearest picked point (the clusters); the clusters' centroids, which
    become the start's means. Each picked point keeps one marker shape (circle, square, triangle, ...) in all
    three panels, and its cluster's dots take that shape in panel 2, so two clusters of one colour stay apart.

    Introduced in notebooks/02_initialisation.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, 2)
    seeds : Tensor, shape (K, 2)
        The picked points (for example k-means++'s), in the order that gives their colours.
    centres : Tensor, shape (G, 2), optional
        The true group centres, marked with a black plus: under the picked points in panels 1 and 2, on top of the
        centroids' crosses (and smaller) in panel 3, so a centroid on a centre shows as a plus on a cross.
    axes : sequence of 3 matplotlib Axes, optional
        A new 1 x 3 figure is made when omitted.
    colours : sequence of K ints, optional
        The component colour of each picked point, its cluster and its centroid (``component_colour(colours[k])``),
        for example the group each centroid is paired with; default: picked point k gets colour k. Labels keep the
        picked points' order.
    groups : sequence of K ints, optional
        The true group each centroid is paired with (``GMMParams.matched_to``): the colours (unless ``colours``
        is given) and the legends say so, by group only, so a colour means one group. A picked point's label names
        its centroid's pairing ("picked point (its centroid pairs with group 1)"), since a stray one may lie nearer
        another group; the legends then list the groups in order.
    colour_by : {None, "nearest", "picked"}, optional
        "nearest" (needs ``centres``; 02's rule): in panels 1 and 2 each picked point and its cluster take the
        colour of the picked point's nearest group; in panel 3 each cluster and centroid take that of the centroid's
        nearest group, so panel 2 never depends on panel 3's centroids, and a stray picked point's cluster changes colour from
        panel 2 to panel 3 when its centroid lands in another group. Panel 2 then also draws the borders between
        the clusters (dashed), since two of them may share a colour. The legends name those groups. Overrides
        ``colours`` and ``groups``.
        "picked" (needs ``centres``): picked points and centroids coloured as with "nearest", but the data points of
        panels 2 and 3 in neutral greys, each cluster in its picked point's shape, so a group colour never paints
        another group's points.

    Returns
    -------
    centroids : Tensor, shape (K, 2)
        The mean of each picked point's cluster (the input's dtype).
    """
    from matplotlib.patheffects import withStroke

    from ..init import nearest_means
    from .style import component_colour

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(18, 5.8), sharex=True, sharey=True)
    nearest = nearest_means(X, seeds)  # (N,): the index of each point's nearest seed
    K = seeds.shape[0]
    centroids = torch.stack([X[nearest == k].mean(dim=0) for k in range(K)])  # (K, 2)
    if colour_by not in (None, "nearest", "picked") or (colour_by is not None and centres is None):
        raise ValueError(f"colour_by: expected None, or 'nearest' or 'picked' together with centres, got {colour_by!r}")
    greys = colour_by == "picked"  # the clusters' dots in neutral greys, told apart by shape
    if colour_by in ("nearest", "picked"):
        seed_groups = nearest_means(seeds, centres.to(seeds.dtype)).tolist()  # (K,): each seed's nearest group
        colours = groups = nearest_means(centroids, centres.to(centroids.dtype)).tolist()  # each centroid's
    if colours is None and groups is not None:
        colours = groups
    colour = [component_colour(c) for c in (range(K) if colours is None else colours)]  # (K,): one per seed
    names = [f" {k}" for k in range(K)] if groups is None else [f" for group {g}" for g in groups]  # (K,): legend names
    seed_names = names if groups is None else [f" (its centroid pairs with group {g})" for g in groups]  # panel 1
    seed_colour, seed_order = colour, None  # seed_order: panel 1's legend order, when it differs
    shape = [SEED_SHAPES[k % len(SEED_SHAPES)] for k in range(K)]  # (K,): seed k's marker, in every panel
    cluster_names = [f" {k}" for k in range(K)]  # panel 2's legend: which seed's cluster
    if colour_by in ("nearest", "picked"):
        names = [f" nearest group {g}" for g in groups]
        seed_names = [f" {k}: nearest group {g}" for k, g in enumerate(seed_groups)]
        if not greys:  # greys: the dots carry no group colour, so their label names none
            cluster_names = [f" {k} (nearest group {g})" for k, g in enumerate(seed_groups)]
        seed_colour = [component_colour(g) for g in seed_groups]
        seed_order = sorted(range(K), key=lambda k: seed_groups[k])
    if len(colour) != K:
        raise ValueError(f"colours: expected {K} component indices, one per seed, got {len(colour)}")
    if len(names) != K:
        raise ValueError(f"groups: expected {K} group indices, one per seed, got {len(names)}")
    Xn, S, C = (np.asarray(t.detach().cpu(), dtype=float) for t in (X, seeds, centroids))
    counts = torch.bincount(nearest, minlength=K).tolist()
    order = list(range(K)) if groups is None else sorted(range(K), key=lambda k: groups[k])  # legend order
    titles = ["1. the picked points", "2. each point to its nearest picked point", "3. each cluster's centroid: the start's means"]
    for i, (ax, title) in enumerate(zip(axes, titles)):
        if i == 0:
            ax.scatter(*Xn.T, s=12, color="0.6", alpha=0.5, linewidths=0)
        else:  # with colour_by="nearest", panel 2 colours a cluster by its seed, panel 3 by its centroid
            by_seed = (colour_by == "nearest" and i == 1) or greys
            for k in (range(K) if greys else seed_order if by_seed else order):  # panel 2: each cluster's dots in its seed's shape
                dot_colour = CLUSTER_GREYS[k % len(CLUSTER_GREYS)] if greys else seed_colour[k] if by_seed else colour[k]
                ax.scatter(*Xn[nearest.cpu().numpy() == k].T, s=40 if i == 1 else 16 if greys else 12, color=dot_colour,
                           marker=shape[k] if i == 1 or greys else "o", alpha=0.5 if greys else 0.35, linewidths=0,
                           label=(f"cluster of picked point{cluster_names[k]}: {counts[k]} points" if by_seed else
                                  f"cluster{names[k]}: {counts[k]} points") if i == 1 else None)
            if by_seed and i == 1:  # two clusters may share a colour: dashed borders between the clusters tell them apart
                pad = 0.05 * (Xn.max(axis=0) - Xn.min(axis=0))
                xx, yy = np.meshgrid(*(np.linspace(lo, hi, 400) for lo, hi in zip(Xn.min(axis=0) - pad, Xn.max(axis=0) + pad)))
                grid = torch.as_tensor(np.stack([xx.ravel(), yy.ravel()], axis=1), dtype=seeds.dtype, device=seeds.device)
                d2 = ((grid[:, None, :] - seeds[None]) ** 2).sum(dim=2).T.reshape(K, *xx.shape).cpu().numpy()  # (K, 400, 400)
                owner = d2.argmin(axis=0)  # (400, 400): each grid point's nearest seed
                for j in range(K):  # each border once (one contour per pair), so its dashes stay in step
                    for k in range(j + 1, K):  # where j or k owns the grid, d2[j] = d2[k] on their border
                        ax.contour(xx, yy, np.ma.masked_where((owner != j) & (owner != k), d2[j] - d2[k]), levels=[0.0],
                                   colors="0.3", linewidths=1.2, linestyles="--", zorder=2)
                ax.plot([], [], color="0.3", linewidth=1.2, linestyle="--", label="border between clusters")
        if centres is not None:
            for g, c in enumerate(np.asarray(centres.detach().cpu(), dtype=float)):  # the series' black plus
                ax.plot(*c, marker="+", markersize=24 if i < 2 else 14, markeredgewidth=3 if i < 2 else 2.5, color="black",
                        linestyle="none", zorder=1.5 if i < 2 else 4.5,  # under the picked points; over the crosses
                        label="true group centres" if (i == 0 and g == 0) else None)
        if i == 2:  # a neutral legend marker for the faded picked points, whatever their colours and shapes
            ax.plot([], [], marker="o", markersize=13, markerfacecolor="0.6", markeredgecolor="black", markeredgewidth=1.5,
                    alpha=0.6, linestyle="none", label="picked points (faded), arrow to the centroid")
        labelled = set()  # panel 1: one legend entry per name (two seeds may share a nearest group)
        for k in (seed_order or order) if i == 0 else order:
            ax.plot(*S[k], marker=shape[k], markersize=13, markerfacecolor=seed_colour[k], markeredgecolor="black",
                    markeredgewidth=1.5, linestyle="none", alpha=1.0 if i < 2 else 0.6, zorder=3,
                    label=f"picked point{seed_names[k]}" if i == 0 and seed_names[k] not in labelled else None)
            labelled.add(seed_names[k])
            if i == 2:
                arrow = ax.annotate("", C[k], S[k], zorder=5, arrowprops=dict(arrowstyle="-|>", color="black", linewidth=3,
                                                                              mutation_scale=14, shrinkA=0, shrinkB=5))
                arrow.arrow_patch.set_path_effects([withStroke(linewidth=6, foreground="white")])  # a white halo
                # on top of everything, from the faded point's centre to the cross's edge, so even a short move shows
                ax.plot(*C[k], marker="X", markersize=16, color=colour[k], markeredgecolor="white",
                        markeredgewidth=2, linestyle="none", zorder=4, label=f"centroid{names[k]}")
        ax.set_title(title)
        ax.set_xlabel("$x_0$")
        ax.set_aspect("equal", adjustable="box")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=13, handletextpad=0.3,
                  borderpad=0.3, markerscale=1.5 if i == 1 else 1.0)  # below the panel, off the data; panel 2's dots enlarged
    axes[0].set_ylabel("$x_1$")
    return centroids


def plot_start_shares(shares, ax=None, labels=("picked points only", "after one Lloyd iteration"), n_starts: int | None = None):
    """Grouped bars: for each scheme, the share of starts with one mean per group, one bar per stage.

    Introduced in notebooks/02_initialisation.ipynb.

    Parameters
    ----------
    shares : dict of str -> sequence of float
        For each scheme (in the order given), one share in [0, 1] per stage (``len(labels)`` of them).
    ax : matplotlib Axes, optional
    labels : sequence of str
        The stages' names, for the legend.
    n_starts : int, optional
        How many starts each share counts; then each bar gets a whisker of +-1 standard error,
        sqrt(p (1 - p) / n_starts).

    Returns
    -------
    ax : matplotlib Axes
        Each bar is labelled with its share as a percentage with one decimal (above its whisker, if any).
    """
    ax = ax or plt.gca()
    schemes = list(shares)
    values = np.asarray([list(shares[s]) for s in schemes], dtype=float)  # (schemes, stages)
    if values.ndim != 2 or values.shape[1] != len(labels):
        raise ValueError(f"shares: expected {len(labels)} shares per scheme, one per label; got {values.shape}")
    if ((values < 0) | (values > 1)).any():
        raise ValueError(f"shares: expected fractions between 0 and 1, got {values.tolist()}")
    width = 0.8 / len(labels)
    x = np.arange(len(schemes))
    colours = ["#BBBBBB", "#555555", "#888888", "#222222"]  # greys: bars are stages, not groups (group colours mean groups)
    for j, label in enumerate(labels):
        errors = None if n_starts is None else 100 * np.sqrt(values[:, j] * (1 - values[:, j]) / n_starts)
        bars = ax.bar(x + (j - (len(labels) - 1) / 2) * width, 100 * values[:, j], width, label=label,
                      color=colours[j % len(colours)], yerr=errors, capsize=5, error_kw=dict(elinewidth=1.5))
        ax.bar_label(bars, labels=[f"{100 * v:.1f}%" for v in values[:, j]], padding=3, fontsize=14)
    ax.set_xticks(x, schemes)
    ax.set_ylim(0, 112)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("starts with one mean per group (%)")
    ax.legend(loc="upper left")
    return ax


def _light(colour: str, amount: float = 0.55):
    """``colour`` mixed with white (amount 0: the colour, 1: white)."""
    from matplotlib.colors import to_rgb

    return tuple(c + (1 - c) * amount for c in to_rgb(colour))


def _draw_block(ax, left: float, top: float, rows: int, cols: int, colour, zorder: int, virtual: bool = False) -> None:
    """A rows x cols grid of cells with its top-left corner at (left, top). A *virtual* block (a repeat
    that broadcasting makes without copying) is pale with dashed lines; a stored one is solid."""
    from matplotlib.patches import Rectangle

    face = _light(colour, 0.8 if virtual else 0.55)
    style = dict(linestyle="--", edgecolor="0.3", linewidth=1.5) if virtual else dict(edgecolor="black", linewidth=1.5)
    rect = Rectangle((left, top - rows), cols, rows, facecolor=face, zorder=zorder, **style)
    rect.set_gid("virtual" if virtual else "stored")
    ax.add_patch(rect)
    inner = dict(color="0.4", linewidth=0.8, linestyle=":") if virtual else dict(color="black", linewidth=0.6)
    for i in range(1, cols):
        ax.plot([left + i, left + i], [top - rows, top], zorder=zorder + 1, **inner)
    for j in range(1, rows):
        ax.plot([left, left + cols], [top - j, top - j], zorder=zorder + 1, **inner)


def _draw_layers(ax, x0: float, rows: int, cols: int, colours, dx: float = 0.55, dy: float = 0.45,
                 stored_layers: int | None = None, stored_rows: int | None = None, top: float = 0.0) -> float:
    """A rows x cols grid of cells, one layer per colour, drawn back to front with an oblique offset.

    Rows grow downwards from y = ``top``, so row 0 is on top. Only the first ``stored_layers`` layers and, in
    each, the first ``stored_rows`` rows are drawn solid (stored in memory); the rest are drawn as
    broadcasting's virtual repeats. Returns the right edge of the drawing.
    """
    stored_layers = len(colours) if stored_layers is None else stored_layers
    stored_rows = rows if stored_rows is None else stored_rows
    for layer in reversed(range(len(colours))):
        left, layer_top, z = x0 + layer * dx, top + layer * dy, 3 * (len(colours) - layer)
        if layer >= stored_layers:
            _draw_block(ax, left, layer_top, rows, cols, colours[layer], z, virtual=True)
            continue
        if stored_rows < rows:
            _draw_block(ax, left, layer_top - stored_rows, rows - stored_rows, cols, colours[layer], z, virtual=True)
        _draw_block(ax, left, layer_top, stored_rows, cols, colours[layer], z)
    return x0 + cols + (len(colours) - 1) * dx


def draw_broadcast_shapes(N: int = 6, K: int = 3, D: int = 4, ax=None):
    """The steps of ``component_log_pdfs``, in two rows. Top: (N,1,D) - (1,K,D) -> diff (N,K,D) -> diff**2.
    Bottom (an arrow carries diff**2 down): diff**2 / variances (1,K,D) -> the quotient (N,K,D) -> sum over D
    -> delta^2 (N,K) -> log_pdfs (N,K).

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    Each tensor is drawn as a grid: rows are points (N, downwards), columns dimensions (D, across),
    and layers, one per component in that component's colour, are the K axis (into the page). The three
    inputs (``X``, ``means``, ``variances``) are drawn at the size broadcasting stretches them to: what is
    stored is solid; the repeats along a size-1 axis, which broadcasting makes without copying anything,
    are pale and dashed. The three real (N, K, D) tensors, ``diff``, ``diff**2`` and the quotient, sit on a
    yellow background: they are alive together at the peak. Then the sum over D gives the (N, K) table of
    squared Mahalanobis distances, one column per component, and adding c_k and multiplying by -1/2
    gives the (N, K) log-densities.

    Returns
    -------
    ax : matplotlib Axes
    """
    from matplotlib.patches import Rectangle

    from .style import component_colour

    ax = ax or plt.gca()
    grey = "#777777"
    peak_colour = "#FFF1B8"
    components = [component_colour(k) for k in range(K)]
    depth = (K - 1) * 0.45  # how far the back layer rises above the front one
    row_height = N + depth + 7.0  # one row of the figure: the tensors, their captions and a gap

    def below(left, right, top, rows, text):  # a dimension's name under a front face
        ax.text((left + right) / 2, top - rows - 0.2, text, ha="center", va="top", fontsize=14)

    def label_dims(left, right, top):  # an (N, K, D) block's D under its front face, K above its back corner
        below(left, left + D, top, N, f"D = {D}")
        ax.text(right - 0.3, top + depth + 0.2, f"K = {K}", ha="left", va="bottom", fontsize=14)  # clear of the edges

    def caption(left, right, top, text):
        ax.text((left + right) / 2, top - N - 1.1, text, ha="center", va="top", fontsize=15)

    def operator(x, top, width, text, fontsize=17):
        ax.text(x + width / 2, top - N / 2 + 0.5, text, ha="center", va="center", fontsize=fontsize)
        return x + width

    def peak(left, right, top):  # the yellow background of a tensor alive at the peak
        ax.add_patch(Rectangle((left - 0.3, top - N - 0.9), right - left + 0.6, N + depth + 1.3, facecolor=peak_colour,
                               edgecolor="none", zorder=0))

    def table(x, top, name):  # an (N, K) table: column k in component k's colour
        for k in range(K):
            _draw_layers(ax, x + k, N, 1, [components[k]], top=top)
        below(x, x + K, top, N, f"K = {K}")
        caption(x, x + K, top, name)
        return x + K

    # top row: the two inputs, their difference, and its square
    top = 0.0
    x = 1.0
    ax.text(x - 0.3, top - N / 2, f"N = {N} points", ha="right", va="center", fontsize=15, rotation=90)
    right = _draw_layers(ax, x, N, D, [grey] * K, stored_layers=1, top=top)
    label_dims(x, right, top)
    caption(x, right, top, "X[:, None, :]\nstored (N, 1, D):\none layer, used\nfor all K layers")
    x = operator(right + 0.9, top, 1.8, "−", fontsize=36)
    right = _draw_layers(ax, x, N, D, components, stored_rows=1, top=top)
    label_dims(x, right, top)
    caption(x, right, top, "means[None, :, :]\nstored (1, K, D):\none row per layer,\nused for all N rows")
    x = operator(right + 0.6, top, 1.8, "→", fontsize=32)
    for name, step in [("diff (N, K, D):\nentry [n, k, d] is\n$x_{nd} - \\mu_{kd}$", "square\n→"), ("diff ** 2\n(N, K, D)", None)]:
        square_left = x
        right = _draw_layers(ax, x, N, D, components, top=top)
        peak(x, right, top)
        label_dims(x, right, top)
        caption(x, right, top, name)
        if step is not None:
            x = operator(right + 0.8, top, 3.4, step, fontsize=15)
    width = right + 1.6  # room for the last "K = ..." label

    # bottom row: divide by the variances, sum over D, add c_k
    top = -row_height
    x = 1.0
    link_x = x - 0.4 + 1.3  # the centre of the "÷" that starts the row: the arrow brings diff ** 2 down to it
    x = operator(x - 0.4, top, 2.6, "÷", fontsize=36)  # close to the variances it divides by
    link_y = top + depth + 1.3  # between the rows: clear of the captions above and the "K = ..." labels below
    square_x = (square_left + square_left + D) / 2
    ax.plot([square_x, square_x, link_x], [-N - 3.4, link_y, link_y], color=grey, linewidth=2)  # diff ** 2 carries on here
    ax.annotate("", xy=(link_x, top - N / 2 + 1.9), xytext=(link_x, link_y),
                arrowprops=dict(arrowstyle="-|>", color=grey, linewidth=2, mutation_scale=20, shrinkA=0, shrinkB=0))
    right = _draw_layers(ax, x, N, D, components, stored_rows=1, top=top)
    label_dims(x, right, top)
    caption(x, right, top, "variances[None, :, :]\nstored (1, K, D):\nstretched over N\nlike means")
    x = operator(right + 0.6, top, 1.8, "→", fontsize=32)
    right = _draw_layers(ax, x, N, D, components, top=top)
    peak(x, right, top)
    label_dims(x, right, top)
    caption(x, right, top, "the quotient\n(N, K, D)")
    x = operator(right + 0.9, top, 5.4, "sum over D:\neach layer\nbecomes\none column\n→", fontsize=14)  # layers become columns
    x = table(x, top, "δ² (squared\nMahalanobis\ndistance)\n(N, K)")
    x = operator(x + 0.7, top, 4.4, "+ $c_k$\nas (1, K),\n× (−½)\n\n→", fontsize=15)  # c_k (K,) is broadcast as a (1, K) row
    x = table(x, top, "log_pdfs\n(N, K)")
    width = max(width, x)

    bottom = top - N - 6.2
    ax.add_patch(Rectangle((0.0, bottom - 0.15), 1.4, 0.7, facecolor=peak_colour, edgecolor="none"))
    ax.text(1.6, bottom + 0.2, "yellow: the three (N, K, D) tensors alive together at the peak", ha="left", va="center",
            fontsize=15, weight="bold")
    ax.text(0.0, bottom - 1.2, "solid: stored in memory;   pale and dashed: repeated by broadcasting, never copied",
            ha="left", va="center", fontsize=15, style="italic")
    names = ", ".join(f"k = {k}" for k in range(K))
    ax.text(0.0, bottom - 2.4, f"layers, front to back, one per component: {names}", ha="left", va="center", fontsize=15)
    ax.set_xlim(-0.6, width + 0.4)
    ax.set_ylim(bottom - 3.2, depth + 1.3)  # room for the "K = ..." labels above the top row
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


PEAK_LABELS = {"loop": "loop over K", "broadcast": "broadcast", "chunked": "broadcast,\nchunks of 4096",
               "expanded": "matrix products\n(expanded)"}


def plot_peak_memory(N: int, K: int, D: int, dtype=torch.float32, ax=None, limit_gib: float | None = 16.0, xmax: float = 2**48,
                     xmin: float = 2**10, forms=None, significant: int | None = None):
    """Horizontal bars: the peak memory of each way of computing the (N, K) log-densities.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb. Each bar counts the tensors the form creates that
    are alive together at its worst moment, the (N, K) results among them where they are alive (``log_pdfs_peak_bytes``); a bar well below the broadcast bar also says how many
    times smaller it is (a log axis hides ratios), or "as broadcast" where the two are within 5%. The axis is fixed (``xmin`` to ``xmax``, logarithmic, both
    powers of 2**10; the defaults, 1 KiB and 256 TiB, fit the widget's smallest and largest settings) so that
    sizes can be compared between calls. ``limit_gib=None`` draws no memory line; a label that would cross it, or
    the frame, is written inside its bar. ``forms`` picks the bars (default all of ``PEAK_FORMS``; it must include
    "broadcast", the reference), so the main path can show the loop and the broadcast form only. The sizes are
    ``format_bytes``'s, with ``significant`` passed on (default 1 decimal; the widget asks for 3 significant figures).

    Returns
    -------
    ax : matplotlib Axes
    """
    from ..likelihoods import PEAK_FORMS, format_bytes, log_pdfs_peak_bytes

    ax = ax or plt.gca()
    forms = PEAK_FORMS if forms is None else tuple(forms)
    peaks = [log_pdfs_peak_bytes(N, K, D, dtype, form) for form in forms]
    ys = np.arange(len(forms))[::-1]
    colours = {"loop": "#999999", "broadcast": "#CC79A7", "chunked": "#E69F00", "expanded": "#009E73"}
    ax.barh(ys, peaks, color=[colours[form] for form in forms], height=0.6)
    broadcast = peaks[forms.index("broadcast")]
    axis_inches = ax.get_position().width * ax.figure.get_figwidth()
    doublings_per_inch = np.log2(xmax / xmin) / axis_inches
    for form, y, peak in zip(forms, ys, peaks):
        times = broadcast / peak
        ratio = f",  {times:.0f}x smaller" if times >= 10 else f",  {times:.1f}x smaller" if times >= 1.05 else ",  as broadcast"
        label = format_bytes(peak, significant) + ("  (reference)" if form == "broadcast" else ratio)
        label_doublings = len(label) * 13 * 0.6 / 72 * doublings_per_inch  # about how far the label reaches
        past_frame = np.log2(xmax / (peak * 1.3)) < label_doublings
        across_line = limit_gib is not None and 0 < np.log2(limit_gib * 2**30 / (peak * 1.3)) < label_doublings + 0.5
        fits_inside = np.log2(peak / 1.3 / xmin) > label_doublings
        inside = past_frame or (across_line and fits_inside)  # write it inside the bar's end, clear of the frame and the line
        end = peak / 1.3  # where an inside label ends
        if inside and limit_gib is not None and np.log2(end) - label_doublings < np.log2(limit_gib * 2**30) < np.log2(end) + 0.3 \
                and np.log2(limit_gib * 2**30 / 1.3 / xmin) > label_doublings:
            end = limit_gib * 2**30 / 1.3  # the line crosses this bar: end the label left of the line, not across it
        ax.text(end if inside else peak * 1.3, y, label, va="center", ha="right" if inside else "left", fontsize=13,
                zorder=3, bbox=dict(facecolor="white", edgecolor="none", pad=1.5))  # the 16 GiB line passes behind
    ax.set_yticks(ys, [PEAK_LABELS[form] for form in forms])
    ax.set_xscale("log")
    ax.set_xlim(xmin, xmax)  # default: the largest widget setting, 21.9 TiB, and its label fit
    units = ["KiB", "MiB", "GiB", "TiB"]
    first = round(np.log2(xmin))
    exponents = [e for e in range(first, 50, 10) if 2**e <= xmax]  # one tick every factor of 1024: 1 KiB, 1 MiB, ...
    ax.set_xticks([2.0**e for e in exponents], [f"{2 ** ((e - 10) % 10)} {units[(e - 10) // 10]}" for e in exponents])
    ax.set_xticks([2.0**e for e in range(first, 50) if 2**e <= xmax], [], minor=True)  # a small tick at every power of 2
    if limit_gib is not None:
        ax.axvline(limit_gib * 2**30, color="0.3", linestyle=":", linewidth=2, zorder=1)  # behind the labels
        ax.text(limit_gib * 2**30 / 1.3, ys[0] + 0.5, f"{limit_gib:g} GiB", color="0.15", fontsize=14, ha="right", va="center")
    ax.set_ylim(ys[-1] - 0.5, ys[0] + 0.8)
    ax.set_xlabel("peak memory of the tensors each form creates (log scale)")
    ax.set_title(f"N = {N:,}, K = {K}, D = {D}, {str(dtype).replace('torch.', '')}")
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")
    return ax


def _draw_decision_boundaries(params: GMMParams, ax, xlim, ylim, n: int, linestyle: str = "solid", color: str = "black",
                               linewidth: float = 2.2):
    """Each boundary where it is: the zero contour of log r_j - log r_k for every pair j < k, kept only
    where j and k are the two most responsible components (one smooth line per boundary, no staircase)."""
    from ..likelihoods import plane_grid
    from ..posteriors import log_responsibilities

    xs, ys, grid = plane_grid(xlim, ylim, n)
    log_resp = log_responsibilities(grid, params.to(torch.float64)).reshape(n, n, -1)  # finite even far away
    K = log_resp.shape[-1]
    for j in range(K):
        for k in range(j + 1, K):
            others = [i for i in range(K) if i not in (j, k)]
            gap = (log_resp[..., j] - log_resp[..., k]).numpy()
            if others:
                best_other = log_resp[..., others].amax(dim=-1)
                beaten = (best_other > torch.maximum(log_resp[..., j], log_resp[..., k])).numpy()
                gap = np.ma.masked_where(beaten, gap)
            ax.contour(xs.numpy(), ys.numpy(), gap, levels=[0.0], colors=color, linewidths=linewidth, linestyles=linestyle)


def plot_owners(params: GMMParams, ax=None, xlim=(-7, 7), ylim=(-6, 6), n: int = 300, box=None, band: bool = True):
    """Who owns each point of the plane: the component colours blended by responsibility r_k(x).

    Introduced in notebooks/05_posteriors.ipynb.

    A region one component owns outright has that component's (light) colour; where two share, the
    colours mix. Solid lines are the decision boundaries (where the most responsible component
    changes); dashed lines enclose the band where no component has 90% of the responsibility.

    Parameters
    ----------
    params : GMMParams
    ax : matplotlib Axes, optional
    xlim, ylim : (float, float)
    n : int
        Grid points per axis.
    box : ((float, float), (float, float)), optional
        A rectangle to outline, e.g. the limits of a zoomed-in panel.
    band : bool
        Draw the dashed 90% band (``False`` leaves dashed lines free for something else).

    Returns
    -------
    ax : matplotlib Axes
    """
    from matplotlib.patches import Rectangle

    from .style import responsibility_colours

    ax = ax or plt.gca()
    xs, ys, resp = responsibility_grid(params, xlim, ylim, n)  # (n,), (n,), (n, n, K)
    colours = responsibility_colours(resp.reshape(n * n, -1)).reshape(n, n, 3)
    ax.imshow(colours + (1 - colours) * 0.45, origin="lower", extent=(*xlim, *ylim), interpolation="bilinear")
    xs, ys = xs.numpy(), ys.numpy()
    if band:
        ax.contour(xs, ys, resp.amax(dim=-1).numpy(), levels=[0.9], colors="black", linewidths=1.2, linestyles="--")
    _draw_decision_boundaries(params, ax, xlim, ylim, n)
    if box is not None:
        (x0, x1), (y0, y1) = box
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="black", linewidth=2, linestyle=":"))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def _owner_key(K: int):
    """Legend handles for an owner map (``plot_owners``): a square in each component's lightened map colour."""
    from matplotlib.patches import Patch

    from .style import component_colour

    return [Patch(facecolor=_light(component_colour(k), 0.45), edgecolor="0.4", label=f"component {k}")
            for k in range(K)]  # lightened as plot_owners lightens the map; a legend title says the colours blend


def plot_responsibilities_along(params: GMMParams, x2: float, xlim=(-7, 7), ax=None, n: int = 400,
                                without_weights: bool = True):
    """The responsibilities r_k(x) along the horizontal line x = (x1, x2), x1 across ``xlim``: one curve
    per component, in its colour; dashed, the same with the weights left out of the E-step (equal weights).

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    ax : matplotlib Axes
    """
    from matplotlib.lines import Line2D

    from ..posteriors import log_responsibilities
    from .style import component_colour

    ax = ax or plt.gca()
    p = params.to(torch.float64)
    x1 = torch.linspace(*xlim, n, dtype=torch.float64)
    line = torch.stack([x1, torch.full_like(x1, x2)], dim=1)  # (n, 2)
    settings = [(p, "-")]
    if without_weights:
        settings.append((p._replace(weights=torch.full_like(p.weights, 1 / p.K)), "--"))
    for used, style in settings:
        resp = log_responsibilities(line, used).exp()  # (n, K)
        for k in range(p.K):
            ax.plot(x1.numpy(), resp[:, k].numpy(), style, color=component_colour(k), linewidth=3)
    ax.set_xlim(*xlim)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(f"$x_0$ (along the line $x_1 = {x2:g}$)")
    ax.set_ylabel("responsibility $r_k(x)$")
    handles = [Line2D([], [], color=component_colour(k), linewidth=3, label=f"component {k}") for k in range(p.K)]
    if without_weights:
        handles += [Line2D([], [], color="black", linewidth=3, label="with the weights"),
                    Line2D([], [], color="black", linewidth=3, linestyle="--", label="without (the bug)")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=13)
    return ax


WITHOUT_WEIGHTS_COLOR = "#b000b5"  # plot_weights_switch's dashed boundaries: magenta, unlike the black solid ones and the map


def plot_weights_switch(params: GMMParams, X: torch.Tensor, probe=(1.5, -0.5), half_width: float = 2.0, n: int = 300):
    """The E-step with and without the weights, on one map zoomed around ``probe``, and along a line.

    Introduced in notebooks/05_posteriors.ipynb. Left: who owns the plane (with the weights), its
    decision boundaries solid, and the boundaries of the E-step without the weights (equal weights)
    dashed, within ``half_width`` of the probe; the dotted line is the horizontal line through the
    probe. Right: the responsibilities along that line (the map's $x_0$ range), solid with the weights, dashed without; a black dot,
    labelled with its $x_0$, marks where component 0 stops being the most responsible, walking right (each setting).

    Returns
    -------
    fig : matplotlib Figure
    """
    from matplotlib.lines import Line2D

    x1, x2 = probe
    xlim, ylim = (x1 - half_width, x1 + half_width), (x2 - half_width, x2 + half_width)
    equal = params._replace(weights=torch.full_like(params.weights, 1 / params.K))
    fig, (ax_map, ax_line) = plt.subplots(1, 2, figsize=(18, 7.2), gridspec_kw={"width_ratios": [1, 1.45]})
    plot_owners(params, ax=ax_map, xlim=xlim, ylim=ylim, n=n, band=False)
    _draw_decision_boundaries(equal, ax_map, xlim, ylim, n, linestyle="dashed", color=WITHOUT_WEIGHTS_COLOR, linewidth=3.2)  # shows on the solid
    ax_map.scatter(*X.detach().cpu().double().numpy().T, s=14, color="black", alpha=0.5, linewidths=0)
    ax_map.axhline(x2, color="black", linewidth=2, linestyle=(0, (1, 1.5)))
    ax_map.plot([x1], [x2], marker="*", markersize=20, markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.8)  # hollow: the boundaries show through
    ax_map.annotate("A", (x1, x2), textcoords="offset points", xytext=(10, 8), fontsize=18, weight="bold")
    ax_map.set_xlim(*xlim)
    ax_map.set_ylim(*ylim)
    key = [Line2D([], [], color="black", linewidth=2.2, label="boundary with the weights"),
           Line2D([], [], color=WITHOUT_WEIGHTS_COLOR, linewidth=3.2, linestyle="--", label="without (the bug)")]
    ax_map.legend(handles=key, loc="upper left", fontsize=13, framealpha=0.9)
    ax_map.set_title(f"zoomed to ±{half_width:g} around A")
    plot_responsibilities_along(params, x2=x2, ax=ax_line, xlim=xlim)  # the map's x1 range
    ax_line.axvline(x1, color="0.3", linewidth=1.5, linestyle=":")
    ax_line.text(x1 + 0.1, 0.97, "A", fontsize=16, weight="bold", va="top")
    line_x1 = torch.linspace(-7, 7, 1401, dtype=torch.float64)
    line = torch.stack([line_x1, torch.full_like(line_x1, float(x2))], dim=1)
    for setting, side in ((params, 1), (equal, -1)):  # where component 0 stops being the most responsible (walking right)
        log_r = log_responsibilities(line, setting.to(torch.float64))
        i = int((log_r.argmax(dim=1) != 0).nonzero()[0])
        ax_line.plot([float(line_x1[i])], [float(log_r[i, 0].exp())], marker="o", markersize=9, color="black", zorder=5)
        ax_line.annotate(f"{float(line_x1[i]):.2f}", (float(line_x1[i]), float(log_r[i, 0].exp())), textcoords="offset points",
                         xytext=(12 * side, -4), ha="left" if side > 0 else "right", fontsize=14, weight="bold")
    ax_line.set_title(f"responsibilities along the dotted line $x_1 = {x2:g}$")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    box = ax_map.get_position()
    fig.legend(handles=_owner_key(params.K), loc="lower center", bbox_to_anchor=((box.x0 + box.x1) / 2, 0.0),
               ncol=1 if params.K > 3 else params.K, frameon=False, fontsize=13, handlelength=1.2, columnspacing=0.8,
               title="map: the components' colours, blended by responsibility", title_fontsize=13)
    return fig


from .plotting import mark_start_below  # noqa: E402  (07)


def plot_log_likelihood_gap(log_likelihoods, N: int, axes=None, shade: tuple[int, int] | None = None,
                            reference_factor: float | None = None, rises: bool = False, reference_label: str | None = None,
                            reference_span: int = 5, reference_offset: float = 1.0):
    """Two views of an EM run's log-likelihood, per point: the curve from iteration 1, and its distance
    to the final value on a log scale (a straight line there is linear convergence); with ``rises=True``,
    the right panel shows each iteration's rise instead (the quantity ``fit_em``'s ``tol`` is compared with).

    Introduced in notebooks/07_em_fit.ipynb.

    Parameters
    ----------
    log_likelihoods : Tensor, shape (T + 1,)
        ``EMResult.log_likelihoods``; index 0 is the start.
    N : int
        Number of points.
    axes : two matplotlib Axes, optional
    shade : (first, last), optional
        Iterations to shade in both panels (a plateau), labelled in the left panel's legend.
    reference_factor : float, optional
        Draw, on the right panel, a dashed line through the last shown distance (or rise) that shrinks by this
        factor per iteration (the slope linear convergence at that factor would give), back over the last
        ``reference_span`` iterations.
    rises : bool, optional
        Right panel: the rise ``(l_t - l_{t-1}) / N`` at each iteration t >= 1 (positive ones, log scale), not the distance.
    reference_label : str, optional
        The reference line's legend label (default: "a factor of ... per iteration").
    reference_span : int, optional
        How many iterations back from the last shown one the reference line reaches (default 5).
    reference_offset : float, optional
        Draw the reference line this many times higher (2 to 3 keeps it visible just above the curve, parallel to
        it; default 1: through the last shown point).

    Returns
    -------
    axes : (Axes, Axes)
    """
    per_point = torch.as_tensor(log_likelihoods).detach().cpu().double().numpy() / N
    T = len(per_point) - 1
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(15, 5.5))
    left, right = axes
    iterations = np.arange(T + 1)
    left.plot(iterations[1:], per_point[1:], marker="o", markersize=5, color="black")
    left.set_xlim(-0.5, T + 0.5)
    if T >= 1 and per_point[0] < left.get_ylim()[0]:
        mark_start_below(left, float(per_point[0]))  # an arrow at iteration 0, pointing down off the scale
    left.set_xlabel("iteration $t$")
    left.set_ylabel(r"$\ell_t / N$")
    left.set_title("log-likelihood per point, from iteration 1")
    if rises:
        gap, its = np.diff(per_point), iterations[1:]  # (T,): the rise at iterations 1..T
    else:
        gap, its = per_point[-1] - per_point[:-1], iterations[:-1]  # (T,): distance to the final value
    shown = gap > 0
    right.semilogy(its[shown], gap[shown], marker="o", markersize=5, color="black")
    right.set_xlim(-0.5, T + 0.5)
    right.set_xlabel("iteration $t$")
    if rises:
        right.set_ylabel(r"$(\ell_t - \ell_{t-1}) / N$  (log scale)")
        right.set_title("the rise at each iteration")
    else:
        right.set_ylabel(r"$(\ell_{\mathrm{final}} - \ell_t) / N$  (log scale)")
        right.set_title("distance to the final value")
    if shade is not None:
        for ax in axes:
            ax.axvspan(shade[0], shade[1], color="0.85", zorder=0,
                       label=f"the plateau, iterations {shade[0]}-{shade[1]}" if ax is left else None)
        left.legend(loc="lower right")
    if reference_factor is not None and shown.any():
        last = int(its[shown][-1])
        ts = np.arange(max(last - reference_span, int(its[0])), last + 1)
        ylim = right.get_ylim()
        right.semilogy(ts, reference_offset * gap[last - int(its[0])] * reference_factor ** (ts - last), linestyle="--", color="#6A3D9A", linewidth=2.5,
                       label=reference_label or f"a factor of {reference_factor:.2g} per iteration")  # 1/12: 0.083
        right.set_ylim(ylim)  # the reference line does not stretch the scale
        right.legend(loc="upper right")
    return axes


def bound_along_mean(X: torch.Tensor, params: GMMParams, k: int, d: int, values) -> tuple[torch.Tensor, torch.Tensor]:
    """The log-likelihood and the lower bound F(r, theta) of notebooks 06 and 07, per point, along a 1-D slice of theta:
    mean coordinate ``means[k, d]`` set to each of ``values``, every other parameter kept at ``params``, and
    r = the responsibilities of ``params`` (the E-step at theta_old) held fixed.

    F(r, theta) = sum_nk r_nk [log p_nk(theta) - log r_nk] (0 log 0 = 0); it touches the log-likelihood where
    theta = params. Introduced in notebooks/06_parameter_updates.ipynb (where F = Q + H is defined, proved and drawn).
    Returns (log_likelihood, bound), each (len(values),),
    float64.
    """
    from ..likelihoods import component_log_pdfs, log_likelihood
    from ..posteriors import log_responsibilities

    values = torch.as_tensor(values, dtype=torch.float64)
    N = X.shape[0]
    r = log_responsibilities(X, params).exp().double()  # (N, K), fixed along the slice
    entropy = -torch.special.xlogy(r, r).sum()
    lls, bounds = [], []
    for value in values.tolist():
        means = params.means.clone()
        means[k, d] = value
        moved = params._replace(means=means)
        log_p = (component_log_pdfs(X, moved) + moved.weights.log()).double()  # (N, K): log p_nk
        lls.append(log_likelihood(X, moved).double() / N)
        bounds.append(((r * log_p).sum() + entropy) / N)
    return torch.stack(lls), torch.stack(bounds)


BOUND_COLOUR = "#6A3D9A"  # purple, a colour no component uses: the bound F in every figure of 06 (widgets.F_COLOUR)


def plot_bound_slice(X: torch.Tensor, params: GMMParams, k: int, d: int, span: float | tuple[float, float] = 1.5,
                     n: int = 121, ax=None, bound_name: str = "F", y_floor: float | None = None):
    """The log-likelihood and the lower bound F(r_old, theta) of notebook 06 along one mean coordinate
    (``means[k, d]``, every other parameter at ``params`` = theta_old): the bound touches at theta_old, and its
    maximiser, the M-step for that coordinate (a responsibility-weighted average), raises the log-likelihood at
    least as much as the bound. A grey diamond marks the log-likelihood's own maximum along the slice (on the grid),
    which the M-step need not reach. Drawn in notebooks/06_parameter_updates.ipynb, where F is defined and proved
    (07 cites it). Returns the axes.

    ``bound_name`` names the bound in the legend and the annotation (LaTeX, without $): the series' ``"F"`` by
    default (the legend then reads F(r, theta) / N: every curve is per point), or another name such as ``"Q + H"``. ``y_floor``, if given, clips
    the y-axis from below there (the bound's far tail then leaves the axes, and a note where it leaves says the axis is
    cut); by default the axes show every value. ``span`` is how far the slice reaches on each side of theta_old's
    value, or a pair ``(left, right)`` for a lopsided slice.
    """
    from ..posteriors import log_responsibilities
    from ..updates import m_step

    ax = ax or plt.gca()
    old = float(params.means[k, d])
    best = float(m_step(X, log_responsibilities(X, params).exp()).means[k, d])  # F's maximiser along the slice
    left, right = span if isinstance(span, tuple) else (span, span)
    grid = torch.linspace(old - left, old + right, n, dtype=torch.float64)
    ll, bound = bound_along_mean(X, params, k, d, grid)
    (ll_old, ll_best), (F_old, F_best) = (v.tolist() for v in bound_along_mean(X, params, k, d, [old, best]))
    axis = f"x_{{{d}}}"
    ax.plot(grid, ll, color="black", linewidth=3, label=r"log-likelihood $\ell(\theta) / N$")
    in_legend = r"F(r, \theta)" if bound_name == "F" else f"({bound_name})"  # divided by N below, as the y-axis
    ax.plot(grid, bound, color=BOUND_COLOUR, linewidth=3, linestyle="--",
            label=rf"lower bound ${in_legend} / N$, $r$ frozen at $\theta_{{\mathrm{{old}}}}$")
    ax.plot([old], [ll_old], "o", color="black", markersize=12, zorder=5)
    ax.annotate(r"$\theta_{\mathrm{old}}$: they touch", (old, ll_old), xytext=(10, -80), textcoords="offset points",
                ha="left", fontsize=15, arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.axvline(best, color="0.5", linestyle=":", linewidth=2, label="the M-step's value of the coordinate")
    ax.plot([best], [F_best], "s", color=BOUND_COLOUR, markersize=11, zorder=5)
    ax.plot([best], [ll_best], "^", color="black", markersize=13, zorder=5)
    ax.annotate(f"M-step: the top of ${bound_name}$", (best, F_best), xytext=(50, -140), textcoords="offset points", fontsize=15,
                arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.annotate(f"$\\ell$ there: above ${bound_name}$", (best, ll_best), xytext=(-250, 18), textcoords="offset points", fontsize=15,
                arrowprops=dict(arrowstyle="->", color="0.3"))
    top = int(ll.argmax())  # the log-likelihood's own maximum along the slice (on the grid): EM's step stops short of it
    ax.plot([float(grid[top])], [float(ll[top])], "D", color="0.45", markersize=12, zorder=5)
    ax.annotate(r"$\ell$'s top", (float(grid[top]), float(ll[top])), xytext=(-20, 22), textcoords="offset points", ha="right",
                fontsize=15, arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.set_xlabel(f"component {k}'s mean coordinate ${axis}$ (every other parameter at $\\theta_{{\\mathrm{{old}}}}$)")
    ax.set_ylabel("per point (divided by $N$)")
    low, high = float(min(ll.min(), bound.min())), float(ll.max())
    if y_floor is not None and y_floor > low:
        low = y_floor
    ax.set_ylim(low - 0.03 * (high - low), high + 0.12 * (high - low))
    below = bound < low if y_floor is not None and low == y_floor else torch.zeros(len(grid), dtype=torch.bool)
    crossings = (below[1:] != below[:-1]).nonzero().flatten()
    if len(crossings):  # the axis cuts the bound: say so where its dashed curve leaves the axes
        at = int(crossings[0]) + 1 if below[0] else int(crossings[0])
        ax.annotate(f"${bound_name}$ goes on\nbelow ${y_floor:g}$", (float(grid[at]), y_floor), xytext=(-10, 2),
                    textcoords="offset points", fontsize=14, color=BOUND_COLOUR, ha="right", va="bottom")  # the axis is cut
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=14)  # below the axes: over none of the lines
    return ax


# 08_choosing_k -------------------------------------------------------------------------------------

def plot_criteria_vs_k(Ks, train, held_out, bic, aic, axes=None, zoom_from: int | None = None):
    """Two panels over K: the per-point log-likelihood on the training and on held-out data; BIC and AIC.

    Introduced in notebooks/08_choosing_k.ipynb. The best K of each curve (highest held-out
    log-likelihood, lowest BIC and AIC) is ringed. With ``zoom_from``, the y-axes fit the values from
    that K on, and the smaller K's values, off the scale, are written at the panel's edge.

    Parameters
    ----------
    Ks : sequence of int
    train, held_out : sequence of float
        Per-point log-likelihoods, one per K.
    bic, aic : sequence of float
        One per K.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    axes : pair of matplotlib Axes
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(15, 5.5), sharex=True)
    left, right = axes
    Ks = np.asarray(Ks)
    curves = [(left, train, "training data", "#6A3D9A", "o", None), (left, held_out, "held-out data", "#01665E", "s", np.argmax),
              (right, bic, "BIC", "#B2182B", "o", np.argmin), (right, aic, "AIC", "#8C510A", "s", np.argmin)]
    for ax, values, label, colour, marker, best in curves:
        values = np.asarray(values, dtype=float)
        ax.plot(Ks, values, marker=marker, markersize=8, color=colour, label=label)
        if best is not None:
            k = int(best(values))
            ax.plot(Ks[k], values[k], marker="o", markersize=22, markerfacecolor="none", markeredgecolor=colour,
                    markeredgewidth=2.5, linestyle="none", label=f"best by {label}: K = {Ks[k]}")
    if zoom_from is not None:
        shown = Ks >= zoom_from
        for ax, pairs, names, digits in ((left, (train, held_out), ("training", "held-out"), 2),
                                         (right, (bic, aic), ("BIC", "AIC"), 0)):
            values = np.concatenate([np.asarray(v, dtype=float)[shown] for v in pairs])
            pad = 0.08 * (values.max() - values.min())
            ax.set_ylim(values.min() - pad, values.max() + pad)
            off = [f"K = {k}: " + ", ".join(f"{name} {float(v[i]):.{digits}f}" for name, v in zip(names, pairs))
                   for i, k in enumerate(Ks) if not shown[i]]
            for line in off:  # a legend entry without a marker, so it never covers a curve
                ax.plot([], [], " ", label=f"off scale, {line}")
    left.set_ylabel("log-likelihood per point")
    left.set_title("the likelihood: training vs held-out")
    right.set_ylabel("criterion (lower is better)")
    right.set_title("penalised: BIC and AIC")
    for ax in axes:
        ax.set_xlabel("number of components $K$")
        ax.set_xticks(Ks)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)  # below the panel: never over a curve
    return axes


def plot_collapse(variances, log_likelihoods, ax=None, ylabel: str = "log-likelihood per point"):
    """The log-likelihood against the variance of a component that sits on one data point.

    Introduced in notebooks/08_choosing_k.ipynb. The variance axis is logarithmic and runs from large
    to small, so that the collapse reads left to right. The slope of the last two points, per tenfold
    shrink of the variance, is written on the panel.

    Parameters
    ----------
    variances : sequence of float, at least 2, positive
    log_likelihoods : sequence of float, one per variance
    ax : matplotlib Axes, optional
    ylabel : str
        What ``log_likelihoods`` are (the total, or per point).

    Returns
    -------
    ax : matplotlib Axes
    """
    v = np.asarray(variances, dtype=float)
    ll = np.asarray(log_likelihoods, dtype=float)
    if v.shape != ll.shape or v.ndim != 1 or len(v) < 2:
        raise ValueError(f"plot_collapse: variances and log_likelihoods must be 1-D of the same length >= 2, "
                         f"got shapes {v.shape} and {ll.shape}")
    ax = ax or plt.gca()
    ax.semilogx(v, ll, marker="o", color="black")
    ax.invert_xaxis()
    slope = (ll[-1] - ll[-2]) / (np.log10(v[-2]) - np.log10(v[-1]))
    ax.text(0.03, 0.95, f"slope: {slope:+.4f} per tenfold shrink", transform=ax.transAxes, va="top", fontsize=16)
    ax.set_xlabel(r"variance $\sigma^2$ of the component on the point (shrinking →)")
    ax.set_ylabel(ylabel)
    return ax


# 09_real_data --------------------------------------------------------------------------------------

def _image_array(image) -> np.ndarray:
    """An (H, W, 3) image as float values in [0, 1] for imshow (tensor or array, clipped)."""
    array = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    return np.clip(array.astype(float), 0.0, 1.0)


def plot_segmentation(image, hard, soft, uncertainty, axes=None, titles=None):
    """Four panels of one colour segmentation: the photo, hard assignment, posterior-mean colour, uncertainty.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    image, hard, soft : Tensor or array, shape (H, W, 3), values in [0, 1]
        The photo; each pixel painted with its most probable component's mean colour; each pixel
        painted with the posterior mean colour sum_k r_nk mu_k.
    uncertainty : Tensor or array, shape (H, W)
        1 - max_k r_nk, in [0, 1 - 1/K].
    axes : four matplotlib Axes, optional
    titles : four str, optional

    Returns
    -------
    axes : the four Axes (the last carries a colour bar)
    """
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(16, 11), sharex=True, sharey=True)
        axes = axes.ravel()
    titles = titles or ["the photo", "hard: the most probable component's colour",
                        r"soft: posterior-mean colour $\sum_k r_{nk}\mu_k$", r"uncertainty $1 - \max_k r_{nk}$"]
    for ax, picture, title in zip(axes[:3], (image, hard, soft), titles[:3]):
        ax.imshow(_image_array(picture))
        ax.set_title(title)
    u = uncertainty.detach().cpu().numpy() if isinstance(uncertainty, torch.Tensor) else np.asarray(uncertainty)
    shown = axes[3].imshow(u, cmap="magma", vmin=0.0, vmax=0.5)
    axes[3].set_title(titles[3])
    axes[3].figure.colorbar(shown, ax=axes[3], shrink=0.8, label="1 − max responsibility")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return axes


def plot_palettes(palettes: dict, ax=None):
    """Colour palettes as stacked bars, one row per method, each colour as wide as its share of the pixels.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    palettes : dict str -> (colours, shares)
        colours: shape (K, 3) in [0, 1]; shares: shape (K,), summing to one. Colours are drawn from
        dark to light, so two palettes of the same K line up for comparison.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    names = list(palettes)
    for row, name in enumerate(names):
        colours, shares = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=float)
                           for v in palettes[name])
        order = np.argsort(colours.sum(axis=1))  # dark to light
        left = 0.0
        for k in order:
            ax.barh(row, shares[k], left=left, color=np.clip(colours[k], 0, 1), edgecolor="white", height=0.8)
            left += shares[k]
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the pixels (colours from dark to light)")
    ax.grid(False)
    return ax


def plot_digit_grid(images, axes, titles=None, vmax: float = 16.0):
    """8 x 8 digit images, one per axis, grey on white, no ticks.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    images : Tensor or array, shape (n, 64) or (n, 8, 8)
        Pixel intensities 0..16 (scikit-learn's digits); values outside are clipped.
    axes : n matplotlib Axes (any shape; flattened)
    titles : n str, optional

    Returns
    -------
    axes
    """
    flat = np.asarray(axes).ravel()
    pictures = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images, dtype=float)
    pictures = np.clip(pictures.reshape(len(pictures), 8, 8), 0, vmax)
    for i, ax in enumerate(flat):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if i < len(pictures):
            ax.imshow(pictures[i], cmap="gray_r", vmin=0, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=15)
        else:
            ax.axis("off")
    return axes


def plot_confusion(table, row_labels, col_labels, ax=None, xlabel="predicted", ylabel="true"):
    """A confusion table as a grid of counts, darker for larger counts.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    table : Tensor or array, shape (R, C)
        ``table[i, j]`` = how many points of row class i went to column j.
    row_labels, col_labels : sequences of str

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    counts = np.asarray(table.detach().cpu() if isinstance(table, torch.Tensor) else table)
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(counts.max(), 1))
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                dark = counts[i, j] > 0.5 * counts.max()
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=14,
                        color="white" if dark else "black")
    ax.set_xticks(range(counts.shape[1]))
    ax.set_xticklabels(col_labels)
    ax.set_yticks(range(counts.shape[0]))
    ax.set_yticklabels(row_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    return ax


def plot_em_teaser(X, fit, truth_per_point: float, shown=(0, 15, None), limits=((-7.5, 5.5), (-5.5, 6.5)),
                   zoom_last: int | None = None, ncols: int = 2, ellipse_width: float = 1.0,
                   shade: tuple[int, int] | None = None, letters: bool = False):
    """EM at work: the points coloured by their responsibilities at a few iterations, and the log-likelihood
    per point against the iteration, with the true parameters' value as a dashed line.

    Introduced in notebooks/00_overview.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, 2)
    fit : EMResult
        Its ``history`` gives the parameters drawn; its ``log_likelihoods`` the curve.
    truth_per_point : float
        The true parameters' log-likelihood per point (the dashed line).
    shown : sequence of int or None
        The iterations drawn, one panel each (titled with the iteration, the weights in the order of the
        components' numbers, and where those weights come from: the start's at iteration 0, else the responsibilities
        at the iteration before, which the M-step of iteration t averages (at t - 1), so the weights can
        lag the points' colours by one iteration; each mean is labelled with its component's number, 0 to K - 1,
        in its colour); None means the last one. On the curve each is a red dot labelled with its iteration.
    limits : ((x_min, x_max), (y_min, y_max))
        Shared by the data panels (room for every ellipse drawn).
    zoom_last : int, optional
        If given, an inset in the curve's lower right zooms on its last ``zoom_last`` iterations and the dashed
        line, so that a gap of a few thousandths per point can be seen.
    ncols : int
        Panels a row; the curve fills the rest of the last row (the whole row when the data panels fill theirs).
    ellipse_width : float
        A factor on the ellipses' line widths (``plot_mixture``'s), so that a light component's stay visible.
    shade : (first, last), optional
        Iterations to shade grey on the curve (a plateau), labelled on the curve.
    letters : bool
        If True, the panels are titled "(a) ...", "(b) ...", the curve last, and the red dots, each already
        labelled with its iteration, get no entry in the key.

    Returns
    -------
    fig : matplotlib Figure
        Axes: one per iteration shown, then the curve. Colours follow ``fit``'s
        numbering of its components: pass ``fit_in_reference_order(fit, truth)`` for the truth's.
        The curve's lowest values (iteration 0) may lie below its y-range; an arrow labels the first one.
        One key below the panels: the colours, the ellipses (dark 1σ and light 2σ in one entry, thicker for a
        larger weight), then the curve's marks; the grey band and the dashed line are named on the curve itself.
    """
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patheffects import withStroke
    from matplotlib.ticker import MultipleLocator

    from .plotting import component_legend, plot_mixture
    from .style import component_colour

    shown = [fit.n_iter if t is None else t for t in shown]
    N = len(X)
    curve_values = (fit.log_likelihoods / N).detach().cpu().double().numpy()
    nrows = -(-(len(shown) + 1) // ncols)
    width = min(6.5, 16.0 / ncols)  # each panel stays large enough to read on a projector
    fig = plt.figure(figsize=(width * ncols, width * 5.6 / 6.5 * nrows + 1.1))
    layout = fig.add_gridspec(nrows, ncols)
    axes = []
    for i, t in enumerate(shown):
        ax = fig.add_subplot(layout[i // ncols, i % ncols], sharex=axes[0] if axes else None,
                             sharey=axes[0] if axes else None)
        axes.append(ax)
        params = fit.history[t]  # the parameters after t iterations
        numbers = ", ".join(str(k) for k in range(params.K))
        weights = ", ".join(f"{float(w):.2f}" for w in params.weights)
        plot_mixture(X, params, resp=log_responsibilities(X, params).exp(), ax=ax, legend=False,
                     title=f"{f'({chr(97 + i)}) ' if letters else ''}iteration {t}\nweights of {numbers}: {weights}"
                           + ("\n(from the start)" if t == 0 else f"\n(from the r at iteration {t - 1})"),
                     ellipse_width=ellipse_width)
        for k, mean in enumerate(params.means.detach().cpu().double().numpy()):  # each mean labelled with its number
            ax.annotate(str(k), xy=mean[:2], xytext=(9, 7), textcoords="offset points", color=component_colour(k),
                        fontsize=17, fontweight="bold", path_effects=[withStroke(linewidth=4, foreground="white")])
        ax.set(xlim=limits[0], ylim=limits[1])
        ax.xaxis.set_major_locator(MultipleLocator(2))  # whole-number ticks (-6, -4, ...), not -7.5, -5.0, ...
        ax.yaxis.set_major_locator(MultipleLocator(2))
        if i % ncols:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        if i + ncols < len(shown):  # a panel below it shows the x-axis
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
    row, column = divmod(len(shown), ncols)
    curve = fig.add_subplot(layout[row, column:])
    axes.append(curve)
    if shade is not None:
        curve.axvspan(shade[0], shade[1], color="0.88", zorder=0)  # named on the curve, below
    curve.plot(range(len(curve_values)), curve_values, color="black", linewidth=2.5)
    curve.plot(shown, curve_values[shown], "o", color="crimson", markersize=12,
               label=None if letters else "the iterations drawn")
    curve.axhline(truth_per_point, color="0.4", linestyle="--")  # named on the curve, below
    low = min(float(curve_values[1:].min()) if len(curve_values) > 1 else curve_values[0], truth_per_point) - 0.1
    top = max(float(curve_values.max()), truth_per_point) + 0.08
    curve.set(xlabel="iteration", ylabel="log-likelihood per point", ylim=(low, top),
              title=f"{f'({chr(97 + len(shown))}) ' if letters else ''}log-likelihood per point")
    for t in shown:  # each red dot named by its iteration, as the panels are
        if low <= curve_values[t] <= top:
            curve.annotate(str(t), xy=(t, curve_values[t]), xytext=(-8, 9), textcoords="offset points", ha="right",
                           fontsize=14, color="crimson", fontweight="bold",
                           path_effects=[withStroke(linewidth=3, foreground="white")])
    # the band and the dashed line named where they are drawn, not in the key
    curve.text(0.3, truth_per_point + 0.01, "log-likelihood of the true parameters", fontsize=13, color="0.2", va="bottom")
    if shade is not None:
        curve.text((shade[0] + shade[1]) / 2, low + 0.3 * (top - low), f"plateau\n(iterations {shade[0]}-{shade[1]})",
                   ha="center", va="center", fontsize=13, color="0.2")
    if curve_values[0] < low:
        curve.annotate(f"iteration 0: {curve_values[0]:.2f}\n(below the axis)", xy=(0, low),
                       xytext=(0.12 * len(curve_values), low + 0.15 * (top - low)), arrowprops=dict(arrowstyle="->"),
                       fontsize=13)
    if zoom_last:  # the curve's end, enlarged: where it crosses the dashed line
        first = max(len(curve_values) - zoom_last, 0)
        end = curve_values[first:]
        span = ncols - column  # columns the curve spans: a wide curve gets a narrower inset
        zoom = curve.inset_axes([1 - 0.43 / span ** 0.5, 0.08, 0.4 / span ** 0.5, 0.3 + 0.05 * (span > 1)])
        zoom.plot(range(first, len(curve_values)), end, color="black", linewidth=2, marker="o", markersize=4)
        zoom.axhline(truth_per_point, color="0.4", linestyle="--")
        pad = 0.15 * (max(float(end.max()), truth_per_point) - min(float(end.min()), truth_per_point))
        zoom.set_ylim(min(float(end.min()), truth_per_point) - pad, max(float(end.max()), truth_per_point) + pad)
        zoom.set_title(f"the last {zoom_last} iterations", fontsize=13, pad=3)  # >= 12 pt: a projector
        zoom.tick_params(labelsize=12)
        curve.indicate_inset_zoom(zoom, edgecolor="0.3")
    fig.tight_layout(rect=(0, 0.8 / fig.get_figheight(), 1, 1))  # room below for the key's rows
    ellipse_keys = [(Line2D([], [], color="0.3", linewidth=3),  # plot_mixture's encoding: one entry, dark and light
                     Line2D([], [], color="0.3", linewidth=3, alpha=0.5)),
                    Line2D([], [], color="0.3", linewidth=6)]
    curve_keys, curve_labels = curve.get_legend_handles_labels()  # the curve's key joins the one below the panels
    labels = ([f"component {k}" for k in range(fit.params.K)] + ["mixed colour", "1σ / 2σ ellipse (dark / light)",
                                                                 "thicker ellipse: larger weight"] + curve_labels)
    legend = component_legend(fig, fit.params.K, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=3,
                              extra=ellipse_keys + curve_keys, labels=labels,
                              handler_map={tuple: HandlerTuple(ndivide=None)}, handlelength=3)
    legend.get_texts()[fit.params.K].set_text("mixed colour: a point's components' colours, blended by its $r_{nk}$")  # one swatch of many
    return fig


def plot_likelihood_slice(values, log_likelihoods, best: float, true: float, ax=None, xlabel: str = "parameter",
                          ylabel: str = "log-likelihood per point", true_label: str = "truth",
                          best_label: str = "maximum likelihood"):
    """A log-likelihood along one parameter, the others held fixed, with the maximum-likelihood value and the
    true value marked by vertical lines.

    Introduced in notebooks/01_synthetic_data.ipynb.

    Parameters
    ----------
    values : sequence of float
        The parameter values tried.
    log_likelihoods : sequence of float
        The log-likelihood (per point) at each value.
    best, true : float
        The maximum-likelihood value and the true value of the parameter.
    ax : matplotlib Axes, optional
    true_label, best_label : str
        The legend's names for the true and the maximum-likelihood value (each followed by ``: value``).

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    values = np.asarray(torch.as_tensor(values).cpu(), dtype=float)
    curve = np.asarray(log_likelihoods, dtype=float)
    ax.plot(values, curve, color="black", linewidth=2.5)
    for x, colour, style, label in [(best, "crimson", "-", f"{best_label}: {best:.3f}"),
                                    (true, "0.35", "--", f"{true_label}: {true:.3f}")]:
        ax.axvline(x, color=colour, linestyle=style, linewidth=2.5, label=label)
        ax.plot([x], [np.interp(x, values, curve)], "o", color=colour, markersize=11)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))  # outside, right: inside, it would cover a line
    return ax


def plot_mixture_1d(params: GMMParams, samples=None, ax=None, xlim=(-7.0, 6.0), n: int = 400, xlabel: str = "$x$",
                    bins: int = 40):
    """A 1-D mixture as weighted bell curves and their sum: each component's pi_k N(x | mu_k, sigma_k^2) dashed
    in its colour, the mixture density p(x) in black, and optionally a density histogram of samples behind.

    Introduced in notebooks/00_overview.ipynb.

    Parameters
    ----------
    params : GMMParams with D = 1
    samples : Tensor, shape (N,) or (N, 1), optional
    ax : matplotlib Axes, optional
    xlim : (float, float)
    n : int
        Grid points of the curves.
    xlabel : str
    bins : int
        Bars of the histogram over ``xlim`` (fewer bars: a smoother histogram).

    Returns
    -------
    ax : matplotlib Axes
    """
    from ..likelihoods import weighted_log_pdfs
    from .style import component_colour

    if params.D != 1:
        raise ValueError(f"params: expected a 1-D mixture (D = 1), got D = {params.D}")
    ax = ax or plt.gca()
    grid = torch.linspace(xlim[0], xlim[1], n, dtype=torch.float64)
    terms = weighted_log_pdfs(grid[:, None], params.to(torch.float64)).exp()  # (n, K): pi_k N(x | mu_k, sigma_k^2)
    if samples is not None:
        values = np.asarray(torch.as_tensor(samples).detach().cpu().double().reshape(-1))
        ax.hist(values, bins=bins, range=xlim, density=True, color="0.82", label=f"density histogram of {len(values)} points (area 1)")
    for k in range(params.K):
        ax.plot(grid.numpy(), terms[:, k].numpy(), linestyle="--", linewidth=3, color=component_colour(k), zorder=3,
                label=f"{float(params.weights[k]):.2f} × component {k}")  # on top of the sum
    ax.plot(grid.numpy(), terms.sum(dim=1).numpy(), color="black", linewidth=2, zorder=2, label="sum: mixture density")
    ax.set(xlim=xlim, xlabel=xlabel, ylabel="density")
    ax.set_ylim(0, 1.45 * max(ax.get_ylim()[1], float(terms.sum(dim=1).max())))  # room above the data for the legend
    ax.legend(loc="upper left", fontsize=12, framealpha=0.9)
    return ax


def plot_bayes_1d(params: GMMParams, x: float | None = None, axes=None, xlim=(-4.0, 5.0), n: int = 400,
                  legend_loc: str = "center right", mark_crossings: bool = False):
    """Bayes' rule in one dimension: above, each weighted bell pi_k N(x | mu_k, sigma_k^2) and their sum p(x);
    below, the responsibilities r_k(x) = pi_k N(x | mu_k, sigma_k^2) / p(x), each bell's share of the sum, labelled
    with the component index (component 0's share is r_0(x); maths and code both count from 0).

    Introduced in notebooks/05_posteriors.ipynb.

    Parameters
    ----------
    params : GMMParams with D = 1
    x : float, optional
        A point to mark: a dotted vertical line through both panels, with a dot on every curve.
    axes : two matplotlib Axes (above, below), optional
        Default: a new figure with two panels sharing the x-axis.
    xlim : (float, float)
    n : int
        Grid points of the curves.
    legend_loc : str
        Where the lower panel's legend goes (05 puts it in the "center", between the two crossings).
    mark_crossings : bool
        Mark and label, on the lower panel, every x where component 0's share crosses 1/2 (interpolated on the grid).

    Returns
    -------
    fig : matplotlib Figure
    """
    from ..likelihoods import weighted_log_pdfs
    from .style import component_colour

    if params.D != 1:
        raise ValueError(f"params: expected a 1-D mixture (D = 1), got D = {params.D}")
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top, bottom = axes
    plot_mixture_1d(params, ax=top, xlim=xlim, n=n)
    top.set_xlabel("")
    top.set_title("Bayes' rule: each weighted bell's share of their sum")
    p64 = params.to(torch.float64)
    grid = torch.linspace(xlim[0], xlim[1], n, dtype=torch.float64)
    peak = float(weighted_log_pdfs(grid[:, None], p64).exp().sum(dim=1).max())
    top.set_ylim(0, 1.15 * peak)  # the legend sits in the flat tail: no empty band above the curves
    resp = log_responsibilities(grid[:, None], p64).exp()  # (n, K)
    for k in range(params.K):
        bottom.plot(grid.numpy(), resp[:, k].numpy(), linewidth=3, color=component_colour(k), label=f"component {k}: $r_{k}(x)$")  # maths counts from 0, as the code does
    bottom.set(xlim=xlim, ylim=(-0.03, 1.03), xlabel="$x$", ylabel="responsibility $r_k(x)$")
    bottom.axhline(0.5, color="0.6", linewidth=1, linestyle=":")
    if mark_crossings:
        g, s = grid.numpy(), resp[:, 0].numpy() - 0.5
        for i in np.nonzero(np.sign(s[1:]) != np.sign(s[:-1]))[0]:
            xc = g[i] + (g[i + 1] - g[i]) * s[i] / (s[i] - s[i + 1])  # linear interpolation between grid points
            bottom.plot([xc], [0.5], "D", color="black", markersize=9, zorder=5)
            bottom.annotate(f"$x = {xc:.2f}$", (xc, 0.5), xytext=(8, 10), textcoords="offset points", fontsize=13)
    if x is not None:
        point = torch.tensor([[float(x)]], dtype=torch.float64)
        terms = weighted_log_pdfs(point, p64).exp()[0]  # (K,)
        r = log_responsibilities(point, p64).exp()[0]  # (K,)
        for ax in axes:
            ax.axvline(float(x), color="0.3", linestyle=":", linewidth=2, zorder=1)
        for k in range(params.K):
            top.plot([float(x)], [float(terms[k])], "o", color=component_colour(k), markersize=10, zorder=4)
            bottom.plot([float(x)], [float(r[k])], "o", color=component_colour(k), markersize=10, zorder=4)
        top.plot([float(x)], [float(terms.sum())], "o", color="black", markersize=10, zorder=4)
        top.annotate(f"$x = {float(x):g}$", (float(x), 1), xycoords=("data", "axes fraction"), xytext=(6, -22),
                     textcoords="offset points", fontsize=13)
    bottom.legend(loc=legend_loc, fontsize=12, framealpha=0.9)
    return top.figure
