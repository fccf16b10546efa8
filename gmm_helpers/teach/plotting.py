"""Drawing primitives: Gaussians as ellipses, a mixture over its points, a mixture's density.

Every function draws on an axis it is given (``ax=None`` means ``plt.gca()``) and returns it, so
notebooks can compose panels. Importing this module changes no global matplotlib state; call
``style.use_classroom_style()`` explicitly for large, projector-friendly defaults.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Ellipse

from ..likelihoods import mixture_density_grid
from ..params import GMMParams
from .style import component_colour, responsibility_colours


def draw_covariance_ellipses(mean, covariance, ax=None, n_std=(1, 2), **kwargs):
    """Ellipses at ``n_std`` standard deviations of a 2-D Gaussian with any covariance matrix.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    The contour {x : (x - mu)^T Sigma^{-1} (x - mu) = n^2} is an ellipse whose axes are the
    eigenvectors of Sigma, with half-lengths n * sqrt(eigenvalue).

    Parameters
    ----------
    mean : Tensor or array, shape (2,)
    covariance : Tensor or array, shape (2, 2)
    ax : matplotlib Axes, optional
    n_std : sequence of float
        Which contours to draw; the outer ones are fainter.
    **kwargs
        Passed to ``matplotlib.patches.Ellipse`` (e.g. ``color``, ``linewidth``, ``label``).

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    mean = np.asarray(torch.as_tensor(mean).detach().cpu(), dtype=float)
    eigenvalues, eigenvectors = np.linalg.eigh(np.asarray(torch.as_tensor(covariance).detach().cpu(), dtype=float))
    angle = np.degrees(np.arctan2(eigenvectors[1, 0], eigenvectors[0, 0]))
    half_axes = np.sqrt(np.clip(eigenvalues, 0, None))
    kwargs.setdefault("fill", False)
    alpha = kwargs.pop("alpha", 1.0)
    label = kwargs.pop("label", None)
    for i, n in enumerate(n_std):
        ax.add_patch(Ellipse(mean, 2 * n * half_axes[0], 2 * n * half_axes[1], angle=angle,
                             alpha=alpha / (1 + i), label=label if i == 0 else None, **kwargs))
    return ax


def draw_ellipses(mean, variance, ax=None, n_std=(1, 2), **kwargs):
    """Axis-aligned ellipses at ``n_std`` standard deviations of a 2-D diagonal Gaussian.

    Introduced in notebooks/00_overview.ipynb.

    With a diagonal covariance the contours are ellipses along the coordinate axes, with
    half-widths n * sqrt(variance_d).

    Parameters
    ----------
    mean : Tensor, shape (2,)
    variance : Tensor, shape (2,)
        Variances (not standard deviations).
    ax, n_std, **kwargs
        As for ``draw_covariance_ellipses``.

    Returns
    -------
    ax : matplotlib Axes
    """
    covariance = torch.diag(torch.as_tensor(variance).detach().cpu().double())  # (2,) -> (2, 2)
    return draw_covariance_ellipses(mean, covariance, ax=ax, n_std=n_std, **kwargs)


def plot_density(params: GMMParams, ax=None, xlim=(-7, 7), ylim=(-6, 6), levels=10, colorbar: bool = True,
                 cmap: str = "viridis", log_scale: bool = False):
    """Filled contours of the mixture density p(x), with a colour bar.

    Introduced in notebooks/00_overview.ipynb.

    Parameters
    ----------
    params : GMMParams
    ax : matplotlib Axes, optional
    xlim, ylim : (float, float)
    levels : int or sequence of float
        A number of levels chosen from the data, or fixed level values (so that several panels, or the
        frames of a widget, share one colour scale; values above the last level get its colour).
    colorbar : bool
    cmap : str
        A multi-hue sequential colour map, so neighbouring levels can be told apart.
    log_scale : bool
        Colours on a log scale, for positive ``levels`` such as each twice the one below: hills of very
        different heights all show their rings; a density below the lowest level gets the darkest colour
        (``density_colorbar`` ticks its bar).

    Returns
    -------
    ax : matplotlib Axes
        Its last collection is the filled contour set (for a shared colour bar).
    """
    from matplotlib.colors import LogNorm

    ax = ax or plt.gca()
    xs, ys, density = (t.numpy() for t in mixture_density_grid(params, xlim, ylim))
    if log_scale:  # LogNorm would leave a density that underflows to 0 blank
        density = np.maximum(density, np.finfo(density.dtype).tiny)
        filled = ax.contourf(xs, ys, density, levels=levels, cmap=cmap, norm=LogNorm(), extend="both")
    else:
        filled = ax.contourf(xs, ys, density, levels=levels, cmap=cmap,
                             extend="neither" if np.isscalar(levels) else "max")
    if colorbar:
        density_colorbar(filled, ax=ax)
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_aspect("equal")
    return ax


def density_colorbar(filled, ax, **kwargs):
    """The colour bar of ``plot_density``'s filled contours ``filled``, labelled "density p(x)", on ``ax`` (an
    axis, or several that share it). On a log scale (``plot_density(..., log_scale=True)``) it is ticked at every
    other level, from the lowest, in plain decimals (levels each twice the one below: ticks 4 times).

    Introduced in notebooks/00_overview.ipynb. ``kwargs`` go to ``Figure.colorbar`` (``shrink``, ``pad``).
    Returns the colour bar.
    """
    from matplotlib.colors import LogNorm

    log_scale = isinstance(filled.norm, LogNorm)
    bar = _ax_figure(ax).colorbar(filled, ax=ax, label="density $p(x)$" + (" (log scale)" if log_scale else ""), **kwargs)
    if log_scale:
        ticks = list(filled.levels[::2])  # every other level, from the lowest
        bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    return bar


def _ax_figure(ax):
    """The figure of an axis, or of the first of several."""
    return (ax if not isinstance(ax, (list, tuple, np.ndarray)) else np.ravel(ax)[0]).figure


def _weight_label(weight: float) -> str:
    """A weight to two decimals, or three where a third is needed: 0.475, not 0.47 (the weight explorer's labels at
    weight 0.05 then add up to 1)."""
    text = f"{weight:.3f}"
    return text[:-1] if text.endswith("0") else text


def mark_peaks(params: GMMParams, ax=None, offsets=None, fontsize: float = 13):
    """A cross at each component's mean, labelled with its weight and its hill's height there.

    Introduced in notebooks/00_overview.ipynb.

    The height of component k's hill is its own term of the mixture at its mean,
    pi_k N(mu_k; mu_k, Sigma_k) = pi_k / (2 pi sigma_k1 sigma_k2) in 2-D (from the library's
    ``weighted_log_pdfs``): the weight is the hill's volume, the height also depends on its width.

    Parameters
    ----------
    params : GMMParams
        2-D.
    ax : matplotlib Axes, optional
    offsets : sequence of (dx, dy), optional
        Where each label sits relative to its mean (default: above it).
    fontsize : float

    Returns
    -------
    ax : matplotlib Axes
    """
    from matplotlib import patheffects

    from ..likelihoods import weighted_log_pdfs

    ax = ax or plt.gca()
    peaks = weighted_log_pdfs(params.means, params).diagonal().exp()  # (K,): hill k's own term at its mean
    weights, means = params.weights.detach().cpu().double(), params.means.detach().cpu().double()
    outline = [patheffects.withStroke(linewidth=3, foreground="black")]
    for k in range(len(weights)):
        colour = component_colour(k)
        ax.plot(*means[k].numpy(), marker="+", markersize=11, markeredgewidth=2.5, color=colour, linestyle="none",
                path_effects=outline)  # a thin cross: the top contour stays visible
        dx, dy = offsets[k] if offsets is not None else (0.0, 0.9)
        ax.text(float(means[k, 0]) + dx, float(means[k, 1]) + dy,
                f"component {k}\nweight {_weight_label(float(weights[k]))}\nheight {float(peaks[k]):.3f}",
                ha="center", va="bottom", color="white", fontsize=fontsize, path_effects=outline)
    return ax


def plot_mixture(
    X=None,
    params: GMMParams | None = None,
    *,
    labels=None,
    resp=None,
    ax=None,
    n_std=(1, 2),
    point_size: float = 12,
    legend: bool = True,
    title: str | None = None,
    colours=None,
    grow_shared: bool = False,
    ring_below: float | None = None,
    ellipse_width: float = 1.0,
):
    """Points (coloured by true label, by responsibility, or grey) and each component's ellipses.

    Introduced in notebooks/00_overview.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, 2), optional
    params : GMMParams, optional
        Drawn as a cross at each mean and 1σ/2σ ellipses; the line width grows with the weight.
    labels : Tensor, shape (N,), optional
        Colour points by component.
    resp : Tensor, shape (N, K), optional
        Colour points by blended responsibility (ignored if ``labels`` is given).
    ax : matplotlib Axes, optional
    n_std : sequence of float
    point_size : float
    legend : bool
        A legend entry per component (with its weight when ``params`` is given).
    title : str, optional
    colours : sequence of colours, optional
        One colour per component, in place of the series' ``component_colour(k)`` (for example when a panel
        has more components than the palette has clearly distinct colours).
    grow_shared : bool
        With ``resp``: the more a point is shared, the bigger its dot, from ``point_size`` (owned outright) to
        5 × ``point_size`` (shared equally by all K); white edges keep touching dots apart. Notebook 05.
    ring_below : float, optional
        With ``resp``: ring the points whose largest responsibility is below this (0.9: no component owns them
        to 90%). Notebook 05.
    ellipse_width : float
        A factor on the ellipses' line widths (below 1: thinner lines, so that blended points show). Notebook 05.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    if colours is not None and params is not None and len(colours) < params.means.shape[0]:
        raise ValueError(f"colours: expected at least one colour per component ({params.means.shape[0]}), got {len(colours)}")
    if X is not None:
        Xn = X.detach().cpu().double().numpy()
        if labels is not None:
            labels = torch.as_tensor(labels).cpu().numpy()
            for k in np.unique(labels):
                ax.scatter(*Xn[labels == k].T, s=point_size, color=component_colour(int(k)), alpha=0.5,
                           linewidths=0, label=None if params is not None or not legend else f"component {k}")
        elif resp is not None:
            resp = torch.as_tensor(resp).detach().cpu().double()
            largest = resp.max(dim=1).values  # (N,): the owner's share
            if grow_shared and resp.shape[1] > 1:  # 0 when owned outright, 1 when shared equally by all K
                spread = ((1 - largest) / (1 - 1 / resp.shape[1])).numpy()
                ax.scatter(*Xn.T, s=point_size * (1 + 4 * spread), c=responsibility_colours(resp), alpha=1,
                           edgecolors="white", linewidths=0.4)
            else:
                ax.scatter(*Xn.T, s=point_size, c=responsibility_colours(resp), alpha=0.7, linewidths=0)
            if ring_below is not None:
                ringed = (largest < ring_below).numpy()
                ax.scatter(*Xn[ringed].T, s=max(150, 7.5 * point_size), facecolors="none", edgecolors="0.2", linewidths=0.8, gid="ring")
        else:
            ax.scatter(*Xn.T, s=point_size, color="0.45", alpha=0.5, linewidths=0)
    if params is not None:
        weights, means, variances = (t.detach().cpu().double() for t in params)
        K = means.shape[0]
        for k in range(K):
            colour = component_colour(k) if colours is None else colours[k]
            width = (1.0 + 4.0 * float(weights[k]) * K / 2) * ellipse_width
            draw_ellipses(means[k], variances[k], ax=ax, n_std=n_std, color=colour, linewidth=width)
            ax.plot(*means[k].numpy(), marker="X", markersize=13, color=colour, markeredgecolor="white",
                    linestyle="none", label=f"component {k}: weight {float(weights[k]):.2f}" if legend else None)
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", framealpha=0.85)
    return ax


def data_limits(X, margin: float = 0.08):
    """Axis limits that hold every point of X (N, 2) with a margin: ((x_min, x_max), (y_min, y_max)).

    Introduced in notebooks/06_parameter_updates.ipynb: panels and widget frames that show the same
    data use the same limits, so that only the components move.

    >>> data_limits(torch.tensor([[0.0, 0.0], [10.0, 5.0]]), margin=0.1)
    ((-1.0, 11.0), (-0.5, 5.5))
    """
    X = torch.as_tensor(X).detach().cpu().double()
    lo, hi = X.min(dim=0).values, X.max(dim=0).values  # (2,) each
    pad = (hi - lo) * margin
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def component_legend(fig, K: int, *, blend: bool = True, loc: str = "lower center", ncol: int | None = None, extra=(),
                     **kwargs):
    """One legend for a whole figure: a marker in each component's colour, and what a mixed colour means
    (then the ``extra`` handles, e.g. a marker for the true means).

    Introduced in notebooks/06_parameter_updates.ipynb. Placed outside the panels (below them by
    default), so that it covers no data.

    Returns
    -------
    matplotlib.legend.Legend
    """
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", markersize=11, linestyle="none", color=component_colour(k),
                      label=f"component {k}") for k in range(K)]
    if blend:
        mixed = responsibility_colours(torch.full((1, min(K, 2)), 1 / min(K, 2)))[0]
        handles.append(Line2D([], [], marker="o", markersize=11, linestyle="none", color=mixed,
                              label="mixed colour: a point shared between components"))
    handles += list(extra)
    kwargs.setdefault("frameon", False)
    return fig.legend(handles=handles, loc=loc, ncol=ncol or len(handles), **kwargs)


def shared_points_key(point_size: float = 20, grow_shared: bool = True, ring_below: float | None = None,
                      ring_where: str = ""):
    """Legend handles for ``plot_mixture(..., resp=..., grow_shared=..., ring_below=...)``: the smallest and the
    largest dot (owned outright, shared equally), the ring, the ellipses and the mean's cross. Pass them to
    ``component_legend(fig, K, extra=...)``. ``ring_where`` names the panels that draw rings, e.g. " (left)".

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    from matplotlib.lines import Line2D

    handles = []
    if grow_shared:  # a Line2D's markersize is a diameter, a scatter's s an area: markersize = sqrt(s)
        handles += [Line2D([], [], marker="o", markersize=point_size ** 0.5, linestyle="none", color="0.55",
                           markeredgecolor="white", label="small dot: owned outright"),
                    Line2D([], [], marker="o", markersize=(5 * point_size) ** 0.5, linestyle="none", color="0.55",
                           markeredgecolor="white", label="big dot: shared equally by all")]
    if ring_below is not None:
        handles.append(Line2D([], [], marker="o", markersize=13, markerfacecolor="none", markeredgecolor="0.2",
                              linestyle="none", label=f"ringed{ring_where}: no component above {ring_below:.0%}"))
    return handles + [Line2D([], [], color="0.3", linewidth=2.5, label="1σ and 2σ ellipses"),
                      Line2D([], [], marker="X", markersize=13, color="0.3", markeredgecolor="white", linestyle="none",
                             label="mean")]


def mark_start_below(ax, value: float, x: float = 0.0, label: str = "start (iteration 0)", text: str | None = None,
                     color: str = "0.25"):
    """Mark a value below the axes' y-range: a short arrow at ``x`` pointing down at the bottom edge (so it cannot
    be mistaken for part of a curve), and a label in the upper left saying what lies below ("start (iteration 0):
    -7.68, below this scale (arrow at the bottom)"). Call it after the y-limits are set; they are kept. The label
    sits in the upper left: meant for rising curves. ``text``, if given, replaces the whole label; ``text=""``
    draws the arrow alone (in ``color``).

    Introduced in notebooks/06_parameter_updates.ipynb (and 07's log-likelihood curve). Returns the label (a Text),
    or the arrow's annotation when there is no label.
    """
    bottom, top = ax.get_ylim()
    if not value < bottom:
        raise ValueError(f"value: expected a value below the axes' y-range (below {bottom:.4g}), got {value:.4g}")
    arrow = ax.annotate("", xy=(x, bottom), xytext=(x, bottom + 0.09 * (top - bottom)),
                        arrowprops=dict(arrowstyle="-|>", color=color, linewidth=2.5, mutation_scale=20, shrinkA=0, shrinkB=0))
    text = f"{label}: {value:.2f},\nbelow this scale (arrow at the bottom)" if text is None else text
    ax.set_ylim(bottom, top)
    if not text:
        return arrow
    return ax.text(x, bottom + 0.72 * (top - bottom), text, ha="left", va="bottom", fontsize=12, color="0.25")


def label_weights(ax, params: GMMParams, fontsize: float = 14, offsets: dict | None = None):
    """Write each component's weight beside its mean ("weight 0.34"), in the component's colour on a pale box,
    so that a reader can tell which ellipse has which weight. ``offsets`` maps a component to the label's
    offset from its mean in points (default (14, 10): up and to the right), to pull apart labels of nearby
    means. Introduced in notebooks/06_parameter_updates.ipynb. Returns the list of text artists, one per component."""
    texts = []
    for k in range(params.K):
        x, y = (float(v) for v in params.means[k, :2])
        offset = (offsets or {}).get(k, (14, 10))
        texts.append(ax.annotate(f"weight {float(params.weights[k]):.2f}", (x, y), xytext=offset, textcoords="offset points",
                                 fontsize=fontsize, fontweight="bold", color=component_colour(k), zorder=9,
                                 bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85)))
    return texts
