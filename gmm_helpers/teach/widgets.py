"""Interactive explorers for the notebooks: sliders wired to the drawing functions of ``plotting``.

Each ``*_explorer`` returns an ``ipywidgets.interactive``; its ``result`` is the figure the last
slider move drew, so the wiring can be tested without a browser. Each ``draw_*`` function is the
figure on its own, for a static picture or a test.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patheffects

from ..data import empirical_params, sample_gmm
from ..em import em_half_steps
from ..init import init_kmeans_plusplus, init_random_points, nearest_means
from ..likelihoods import broadcast_shapes_table, component_log_pdfs, mixture_density_grid
from ..params import GMMParams, toy_with_component0
from ..posteriors import log_responsibilities
from .plotting import _weight_label, draw_covariance_ellipses, draw_ellipses, mark_peaks, plot_density, plot_mixture
from .style import component_colour

_STYLE = dict(style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
_LAYOUT = dict(_STYLE, continuous_update=False)  # sliders redraw when released, not on every pixel


def _new_axes(ax, figsize):
    """(figure, axes): a new figure when ``ax`` is None, else (None, ax)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return None, ax


# Fixed colour levels for the weight explorer, on a log scale, each twice the one below: the same colour means the
# same density at every slider setting, and every hill shows its rings. Over the sliders' range (weight 0.05 to 0.9,
# variances x 0.25 to x 4) the hills stand 0.0017 (component 0 at 0.05 and x 4) to 0.48 high (at 0.9 and x 0.25):
# each rises at least two bands above the lowest level, and none reaches the highest (tests/test_widgets.py).
WEIGHT_LEVELS = 0.00025 * 2.0 ** np.arange(12)  # 0.00025, 0.0005, 0.001, ..., 0.512
WEIGHT_XLIM = (-9, 7)  # component 0 at variances x 4 (sd 2.7 along x1): its 2 sd reach -7.9
WEIGHT_PEAK_OFFSETS = [(-3.3, 1.9), (-2.8, 0.4), (0.0, -3.45)]  # labels beside, not on, the hills and their ellipses (even at variances x4)


def component0_volume_and_height(params: GMMParams) -> tuple[float, float]:
    """Component 0's hill: its volume (a Riemann sum of its own term pi_0 N(x | mu_0, Sigma_0) on a fine grid
    wide enough to hold it) and its height at its mean. Introduced in notebooks/00_overview.ipynb."""
    from ..gaussian import diag_gaussian_log_pdf

    mean, variances = params.means[0].double(), params.variances[0].double()
    half_width = 8 * variances.sqrt()  # (2,): eight standard deviations either side
    axes = [torch.linspace(float(mean[d] - half_width[d]), float(mean[d] + half_width[d]), 401, dtype=torch.float64)
            for d in range(2)]
    gx, gy = torch.meshgrid(*axes, indexing="xy")
    term = float(params.weights[0]) * diag_gaussian_log_pdf(torch.stack([gx, gy], dim=-1).reshape(-1, 2), mean,
                                                            variances).exp()  # (401 * 401,)
    cell = float((axes[0][1] - axes[0][0]) * (axes[1][1] - axes[1][0]))
    height = float(params.weights[0]) / (2 * np.pi * float(variances.prod().sqrt()))
    return float(term.sum()) * cell, height


def draw_weight_effect(weight: float = 0.5, ax=None, colorbar: bool = True, variance_scale: float = 1.0):
    """The toy mixture's density with component 0's weight set to ``weight`` (the others share the rest 1:1)
    and its variances multiplied by ``variance_scale``.

    Introduced in notebooks/00_overview.ipynb.

    Colour levels are fixed (``WEIGHT_LEVELS``, on a log scale, each twice the one below; thin dark lines mark
    them), so heights can be compared across settings and every hill, low or tall, shows its rings; each hill is
    labelled with its weight and height, and the title gives component 0's volume (computed) and height.
    Each component's 1σ ellipse is drawn as a thick white line (solid, as notebook 00 draws every 1σ ellipse;
    thicker than the thin band edges): a lower hill can look narrower on fixed colour levels, and the ellipse
    shows its width did not change. Returns the new figure, or ``ax`` when one
    is given.
    """
    params = toy_with_component0(weight, variance_scale)
    fig, ax = _new_axes(ax, (8.5, 6))
    plot_density(params, ax=ax, xlim=WEIGHT_XLIM, levels=WEIGHT_LEVELS, colorbar=colorbar, log_scale=True)
    xs, ys, density = (t.numpy() for t in mixture_density_grid(params, WEIGHT_XLIM, (-6, 6)))  # plot_density's grid
    ax.contour(xs, ys, density, levels=WEIGHT_LEVELS, colors="0.1", linewidths=0.9, alpha=0.8)  # the band edges: dark, to count
    for k in range(params.K):
        # zorder 2.5: above the band edges (contour lines, zorder 2), so an ellipse on a level still shows thick white
        draw_ellipses(params.means[k], params.variances[k], ax=ax, n_std=(1,), color="white", linewidth=2.5, zorder=2.5)
    mark_peaks(params, ax=ax, offsets=WEIGHT_PEAK_OFFSETS)
    volume, height = component0_volume_and_height(params)
    scale = "" if variance_scale == 1 else f", variances ×{variance_scale:.3g}"
    ax.set_title(f"component 0: weight {weight:.2f}{scale}\nvolume {volume:.2f}, height {height:.3f}", fontsize=14)
    return fig if fig is not None else ax


def weight_explorer():
    """Sliders for component 0's weight and its variances (0.25 to 4 times: narrowing a light component makes it
    the tallest hill), over the mixture density. Introduced in notebooks/00_overview.ipynb."""
    return widgets.interactive(
        draw_weight_effect,
        weight=widgets.FloatSlider(value=0.5, min=0.05, max=0.9, step=0.05, description="weight of component 0", **_LAYOUT),
        ax=widgets.fixed(None),
        colorbar=widgets.fixed(True),
        variance_scale=widgets.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.5,
                                              description="variances × (component 0)", **_LAYOUT),
    )


SAMPLE_XLIM, SAMPLE_YLIM = (-11, 7), (-6.5, 6.5)  # component 0 at variance x 4 (sd 2.7 along x1) stays inside


def draw_sample(n: int = 500, weight: float = 0.5, variance_scale: float = 1.0, seed: int = 0, ax=None,
                legend: bool = False, true_weights: bool = True, estimate: bool = False):
    """n points from the toy mixture (component 0 changed), coloured by component, with the true ellipses.
    Components are drawn from the heaviest to the lightest, so a small component's few points lie on top
    (outlined in black when its weight is below 0.2), where they can be counted.

    Introduced in notebooks/01_synthetic_data.ipynb.

    With ``estimate``, each component's estimate from the sample (``empirical_params``: its points' average and
    spread) is drawn dashed next to the truth: a + at the estimated mean and the 2σ ellipse (components with
    fewer than 2 points have no spread to estimate and get none). All ellipses lie above the points.
    The title gives the number and the fraction of points each component drew and, with ``true_weights``, the true weights
    (three decimals where a third is needed, so that they add up to 1: 0.05, 0.475, 0.475); ``seed`` picks
    another sample of the same size. The axes are fixed. ``legend`` adds a legend naming each component by its
    colour (at its mean) and its weight, with the title's digits.
    Returns the new figure, or ``ax`` when one is given.
    """
    params = toy_with_component0(weight, variance_scale)
    X, labels = sample_gmm(params, n, generator=torch.Generator().manual_seed(seed))
    counts = torch.bincount(labels, minlength=params.K)  # (K,)
    fractions = counts.double() / max(n, 1)
    fig, ax = _new_axes(ax, (8, 6))
    size = max(4, 40 / np.sqrt(max(n, 1) / 100))
    plot_mixture(None, params, ax=ax, legend=legend)
    for line in ax.get_lines():  # plot_mixture's labels give two decimals: three where needed (0.475, not 0.47)
        if line.get_label().startswith("component "):
            k = int(line.get_label().split()[1].rstrip(":"))
            line.set_label(f"component {k}: weight {_weight_label(float(params.weights[k]))}")
    Xn, labels_n = X.double().numpy(), labels.numpy()
    for k in torch.argsort(params.weights, descending=True, stable=True).tolist():  # the lightest component on top
        ax.scatter(*Xn[labels_n == k].T, s=size, color=component_colour(k), alpha=0.6, linewidths=0.5,
                   edgecolors="black" if params.weights[k] < 0.2 else "none")
    if legend:  # an empty line: a legend key only, saying which marks are the truth
        ax.plot([], [], marker="X", markersize=13, color="0.3", linewidth=2.5, label="the truth:\nmean (X), ellipses (solid)")
    if estimate:  # the sample's own estimate, dashed, on top of the points
        measured = empirical_params(X.double(), labels, params.K)
        estimated = [k for k in range(params.K) if counts[k] >= 2]
        for k in estimated:
            draw_ellipses(measured.means[k], measured.variances[k], ax=ax, n_std=(2,), color=component_colour(k),
                          linewidth=2.5, linestyle="--")
            ax.plot(*measured.means[k].tolist(), marker="P", markersize=13, color=component_colour(k),
                    markeredgecolor="black", linestyle="none",
                    label="the sample's estimate:\nmean, 2σ ellipse (dashed)" if legend and k == estimated[0] else None)
    for ellipse in ax.patches:  # truth (solid) and estimate (dashed) above the points, visible even at N = 5000,
        ellipse.set_zorder(1.9)  # and below the mean markers (lines: zorder 2)
    title = (f"N = {n}, sample {seed}: counts ({', '.join(str(c) for c in counts.tolist())})\n"
             f"fractions ({', '.join(f'{c:.2f}' for c in fractions.tolist())})")
    if true_weights:
        title += f"\ntrue weights ({', '.join(_weight_label(w) for w in params.weights.tolist())})"
    ax.set_title(title, fontsize=13)
    ax.set_xlim(*SAMPLE_XLIM)
    ax.set_ylim(*SAMPLE_YLIM)
    if legend:  # outside the axes, right: inside, every corner hides points at some slider setting
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return fig if fig is not None else ax


def sampling_explorer():
    """Sliders for N, a new sample of the same size, component 0's weight and its variance scale; a box to
    draw (or hide) the sample's estimated means and 2σ ellipses, dashed.

    Introduced in notebooks/01_synthetic_data.ipynb.
    """
    return widgets.interactive(
        draw_sample,
        n=widgets.SelectionSlider(options=[20, 50, 100, 200, 500, 1000, 2000, 5000], value=20, description="N points", **_LAYOUT),
        weight=widgets.FloatSlider(value=0.5, min=0.05, max=0.9, step=0.05, description="weight of component 0", **_LAYOUT),
        variance_scale=widgets.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.5, description="variance × (component 0)", **_LAYOUT),
        seed=widgets.IntSlider(value=0, min=0, max=49, description="sample number (seed)", **_LAYOUT),
        ax=widgets.fixed(None),
        legend=widgets.fixed(True),
        true_weights=widgets.fixed(True),
        estimate=widgets.Checkbox(value=True, description="the sample's estimate (dashed)", **_STYLE),
    )


INIT_SCHEMES = {"random data points": init_random_points, "greedy k-means++": init_kmeans_plusplus,
                "plain k-means++ (one draw per step)": lambda X, K, generator: init_kmeans_plusplus(
                    X, K, generator=generator, n_local_trials=1)}


def start_coverage(means: torch.Tensor, centres: torch.Tensor) -> str:
    """Which groups (true centres) no start mean lies nearest to, in words: "one mean per group",
    "group 2 has no mean of its own", "groups 0 and 2 have no mean of their own". Each start mean counts for
    its nearest centre (``gmm_helpers.nearest_means``); with as many means as centres, the start is "one mean
    per group" exactly when the mean paired with each group by ``GMMParams.matched_to`` lies nearest that
    group (02 colours each mean by its nearest group, so a bad start shows two means of one colour). Introduced in notebooks/02_initialisation.ipynb."""
    nearest = nearest_means(means, centres.to(means.dtype)).tolist()  # (K,): the nearest true centre of each start mean
    lacking = [g for g in range(len(centres)) if g not in nearest]
    if not lacking:
        return "one mean per group"
    if len(lacking) == 1:
        return f"group {lacking[0]} has no mean of its own"
    return "groups " + ", ".join(map(str, lacking[:-1])) + f" and {lacking[-1]} have no mean of their own"


def _clear_label_side(centre, means, half_axes, scale, up: bool = True):
    """Where to put a group label by ``centre`` so that it stays clear of the start means and their 1-sigma
    ellipses (half-axes ``half_axes``, shape (K, D)), a mean on the centre itself included: the label's corner, in
    data units, and the side it extends to (dx, dy in {-1, 1}). Above the centre (below with ``up=False``, for a
    group low in the plot, so the label points away from the other groups) unless that side is crowded; the
    label's box is taken as about 1.9 x 0.6 units of the unscaled data (02's figures)."""
    box = torch.tensor([[x, y] for x in (0.0, 1.0, 1.9) for y in (0.0, 0.3, 0.6)], dtype=means.dtype)  # (9, 2)
    half_axes = half_axes.clamp(min=1e-12)
    best, best_clearance = None, -1.0
    first = 1 if up else -1
    for dy in (first, -first):  # the preferred side first, at any distance
        for lift in (0.2, 0.8, 1.4, 2.0):  # next to the centre first, then farther out
            for dx in (1, -1):
                corner = torch.tensor([0.4 * dx, lift * dy], dtype=means.dtype) * scale
                points = centre + corner + box * torch.tensor([dx, dy], dtype=means.dtype) * scale  # (9, 2): the label's box
                offset = points[:, None, :] - means[None]  # (9, K, 2)
                to_mean = offset.norm(dim=2)  # (9, K)
                to_ellipse = ((offset / half_axes[None]).norm(dim=2) - 1).abs() * half_axes.amin(dim=1)[None]  # (9, K), roughly
                clearance = float(torch.minimum(to_mean, to_ellipse).min()) / scale
                if clearance >= 0.3:  # clear enough: keep the first such place in the list
                    return centre + corner, dx, dy
                if clearance > best_clearance:
                    best, best_clearance = (centre + corner, dx, dy), clearance
    return best


def draw_start(X: torch.Tensor, scheme: str = "random data points", seed: int = 0, K: int = 3, scale: float = 1.0,
               ax=None, title: str | None = None, centres: torch.Tensor | None = None, numbered_like_centres: bool = False,
               labels: torch.Tensor | None = None, colour_by: str | None = None):
    """The starting parameters one initialisation scheme picks for ``scale * X``, drawn on those data.

    Introduced in notebooks/02_initialisation.ipynb.

    The axes follow the data (``scale`` times the limits of X), so the cloud looks the same at every scale
    and only the ellipses that ignore the data's units change size. With ``centres`` (the true means, shape
    (G, D), in the units of X), each is marked with a black plus labelled "group g", and the default title
    says which groups got no mean. With ``numbered_like_centres`` (and K centres) the start's components are
    renumbered like the centres they are paired with (``GMMParams.matched_to``), so the colours are those the
    later notebooks give the same start; otherwise colours follow the scheme's own order. With ``labels``
    (shape (N,), the true group of each point) the points are coloured by group, so that pairing can be seen;
    otherwise they are grey. With ``colour_by="nearest"`` (and ``centres``) each start mean takes the colour of
    its nearest group instead (02's rule: a bad start shows two means of one colour), whatever
    ``numbered_like_centres`` says; with ``colour_by="neutral"`` every mean and ellipse is black (02's poor start,
    before EM has given its means a group). Returns the new figure, or ``ax``.
    """
    if colour_by not in (None, "nearest", "neutral") or (colour_by == "nearest" and centres is None):
        raise ValueError(f"colour_by: expected None, 'neutral', or 'nearest' together with centres, got {colour_by!r}")
    X = X * scale
    start = INIT_SCHEMES[scheme](X, K, generator=torch.Generator().manual_seed(seed))
    colours = None  # plot_mixture's default: component k in colour k
    if colour_by == "nearest":
        colours = [component_colour(g) for g in nearest_means(start.means, centres.to(X.dtype) * scale).tolist()]
    elif colour_by == "neutral":  # one colour for all: no mean's colour claims a group
        colours = ["black"] * K
    elif numbered_like_centres and centres is not None and len(centres) == K:  # only the colours change
        start = start.matched_to(GMMParams(start.weights, centres.to(X.dtype) * scale, start.variances))
    fig, ax = _new_axes(ax, (8, 6))
    default = f"{scheme}, seed {seed}" + (f", data × {scale:.2g}" if scale != 1 else "")  # 0.32, not 0.316228
    if centres is not None:
        default += "\n" + start_coverage(start.means / scale, centres)
    plot_mixture(X, start, labels=labels, ax=ax, n_std=(1,), legend=False, title=title or default, colours=colours)
    if centres is not None:
        for g, c in enumerate(centres.to(X.dtype) * scale):
            ax.plot(float(c[0]), float(c[1]), marker="+", markersize=26, markeredgewidth=3, color="black",
                    linestyle="none", zorder=1.5)  # thin lines under the start means' crosses (size 13, zorder 2) and
            # longer, so a mean on a centre shows as a cross on a plus
            corner, dx, dy = _clear_label_side(c, start.means, start.variances.sqrt(), scale,
                                                 up=bool(c[1] >= centres[:, 1].mean() * scale))  # away from the others
            ax.annotate(f"group {g}", (float(c[0]), float(c[1])), xytext=corner.tolist(), textcoords="data",
                        ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top",
                        fontsize=14, fontweight="bold", color="black", zorder=1.5,  # no box: it hid means and ellipses;
                        path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])  # a halo, legible on lines
    low, high = (X / scale).amin(dim=0) - 1.0, (X / scale).amax(dim=0) + 1.0  # (D,): the unscaled data's box
    ax.set_xlim(scale * float(low[0]), scale * float(high[0]))
    ax.set_ylim(scale * float(low[1]), scale * float(high[1]))
    return fig if fig is not None else ax


def init_explorer(X: torch.Tensor, K: int = 3, centres: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                  colour_by: str | None = None, seeds: range = range(20)):
    """A scheme menu, a seed slider and a data-scale slider showing the start on the data; with
    ``centres`` (the true means) the groups are marked, each start mean takes the colour of the group it is
    paired with (``numbered_like_centres``), or of its nearest group with ``colour_by="nearest"`` (as
    ``draw_start``), and the title says which got no mean. With ``labels`` (each point's
    true group, shape (N,)) the points take their group's colour, so a mean coloured unlike its cloud stands out.
    The seed slider runs over ``seeds`` (a range with step 1; 02 leaves out seed 0, the poor start it draws itself).

    Introduced in notebooks/02_initialisation.ipynb.
    """
    if not isinstance(seeds, range) or seeds.step != 1 or len(seeds) == 0:
        raise ValueError(f"seeds: expected a non-empty range with step 1 (the slider's seeds), got {seeds!r}")
    return widgets.interactive(
        draw_start,
        X=widgets.fixed(X),
        scheme=widgets.Dropdown(options=list(INIT_SCHEMES), value="random data points", description="scheme", **_STYLE),
        seed=widgets.IntSlider(value=seeds.start, min=seeds.start, max=seeds[-1], description="seed", **_LAYOUT),
        K=widgets.fixed(K),
        scale=widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.25, description="data units × ", **_LAYOUT),
        ax=widgets.fixed(None),
        title=widgets.fixed(None),
        centres=widgets.fixed(centres),
        numbered_like_centres=widgets.fixed(centres is not None),  # no checkbox; means in their paired group's colour
        labels=widgets.fixed(labels),
        colour_by=widgets.fixed(colour_by),  # "nearest": means in their nearest group's colour instead
    )


# Fixed for the Gaussian explorer: density levels on a log scale (a peak can range from about 0.02 to 16
# over the sliders' range). The plane shown is +-3 of the larger standard deviation (+-6 at variances 4 and 1),
# so a narrow Gaussian is not shrunk to a dot; densities are floored at GAUSSIAN_FLOOR so that a value that
# underflows to exactly 0 is drawn in the colour of "below the lowest level", not left blank.
GAUSSIAN_LEVELS = np.geomspace(1e-3, 10, 21)  # five bands per factor of 10
GAUSSIAN_FLOOR = 1e-30  # far below the lowest level, 1e-3


def variance_text(v: float) -> str:
    """A slider variance as the title writes it: a fraction 1/n when it is one, else 3 significant figures.

    >>> variance_text(1 / 32), variance_text(4.0), variance_text(2 ** 0.5)
    ('1/32', '4', '1.41')
    """
    n = 1 / v
    if v < 1 and abs(n - round(n)) < 1e-9:
        return f"1/{round(n)}"
    return f"{v:.3g}"


def gaussian_window(var_x: float, var_y: float) -> float:
    """Half the width of the square the Gaussian explorer shows: 3 standard deviations of the wider coordinate.

    >>> gaussian_window(4.0, 1.0)
    6.0
    """
    return 3.0 * float(np.sqrt(max(var_x, var_y)))


def gaussian_covariance(var_x: float, var_y: float, correlation: float) -> torch.Tensor:
    """The 2x2 covariance [[var_x, c], [c, var_y]], c = correlation * sqrt(var_x * var_y), in float64."""
    c = correlation * float(np.sqrt(var_x * var_y))
    return torch.tensor([[var_x, c], [c, var_y]], dtype=torch.float64)


def gaussian_tilt(var_x: float, var_y: float, correlation: float) -> float:
    """The angle, in degrees, of a 2-D Gaussian's long axis to the x_0 axis (its covariance's top eigenvector).

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    >>> round(gaussian_tilt(4.0, 1.0, 0.9)), round(gaussian_tilt(8.0, 1 / 32, 0.9))
    (25, 3)
    """
    long_axis = torch.linalg.eigh(gaussian_covariance(var_x, var_y, correlation)).eigenvectors[:, -1]
    return float(np.degrees(np.arctan(float(long_axis[1] / long_axis[0]))))


def draw_gaussian(var_x: float = 1.0, var_y: float = 1.0, correlation: float = 0.0, ax=None, colorbar: bool = True,
                  legend: bool = True, levels=None, window=None):
    """A 2-D Gaussian with variances (var_x, var_y) and a correlation, and the diagonal Gaussian closest to it.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    Filled contours: the density of N(0, Sigma) with Sigma = [[var_x, c], [c, var_y]], c = correlation *
    sqrt(var_x var_y), on fixed log-spaced levels, in a square of +-3 standard deviations of the wider
    coordinate (``gaussian_window``); a density below the lowest level (even one that underflows to 0) gets
    the darkest colour. Solid ellipses: its 1 and 2 sigma contours. Dashed:
    those of N(0, diag(var_x, var_y)), the diagonal Gaussian with the same variances. The title gives the variances, the peak density
    and what the diagonal fit loses per point (``diagonal_cost``). ``legend=False`` leaves the legend out (for
    all but one panel of a static companion). ``levels`` replaces the widget's fixed levels (``GAUSSIAN_LEVELS``), so
    a static companion can spread its own range of densities over the colours. ``window``: the half-widths
    (along x_0, along x_1) of the region drawn, at equal scale, instead of the square; a zoom for a thin Gaussian.
    Returns the new figure, or ``ax`` when one is given.
    """
    from matplotlib.colors import LogNorm
    from torch.distributions import MultivariateNormal

    from ..gaussian import diagonal_cost

    covariance = gaussian_covariance(var_x, var_y, correlation)
    lim = gaussian_window(var_x, var_y)
    half_x, half_y = (lim, lim) if window is None else window
    gx, gy = torch.meshgrid(torch.linspace(-half_x, half_x, 301, dtype=torch.float64),
                            torch.linspace(-half_y, half_y, 301, dtype=torch.float64), indexing="xy")
    density = MultivariateNormal(torch.zeros(2, dtype=torch.float64), covariance).log_prob(
        torch.stack([gx, gy], dim=-1)).exp().clamp(min=GAUSSIAN_FLOOR)  # (301, 301); LogNorm would blank a 0
    fig, ax = _new_axes(ax, (8, 6.5))
    filled = ax.contourf(gx.numpy(), gy.numpy(), density.numpy(), levels=GAUSSIAN_LEVELS if levels is None else levels,
                         norm=LogNorm(), cmap="viridis", extend="both")
    if colorbar:
        bar = ax.figure.colorbar(filled, ax=ax, label="density (log scale)")
        decades = [level for level in (1e-3, 1e-2, 1e-1, 1.0, 10.0) if filled.levels[0] <= level <= filled.levels[-1]]
        bar.set_ticks(decades, labels=[f"{level:g}" for level in decades])  # one tick per decade, not one per band
    for n in (1, 2):  # 2σ as opaque as 1σ (the default fades it): it must show on the bright bands too
        draw_covariance_ellipses(torch.zeros(2), covariance, ax=ax, n_std=(n,), color="#FF3D9A", linewidth=3,
                                 label="this Gaussian: 1σ, 2σ" if n == 1 else None)
        draw_ellipses(torch.zeros(2), covariance.diagonal(), ax=ax, n_std=(n,), color="white", linewidth=2.5, linestyle="--",
                      label="diagonal, same variances" if n == 1 else None)
    peak = 1 / (2 * np.pi * np.sqrt(float(torch.linalg.det(covariance))))
    ax.set_title(f"σ₀² = {variance_text(var_x)}, σ₁² = {variance_text(var_y)}, ρ = {correlation:+.2f}: peak {peak:.3f}\n"
                 f"diagonal fit loses {float(diagonal_cost(covariance)):.2f} nats per point", fontsize=14)
    ax.set_xlim(-half_x, half_x)
    ax.set_ylim(-half_y, half_y)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    if legend:
        ax.legend(loc="upper left", fontsize=11, framealpha=0.85)
    return fig if fig is not None else ax


def gaussian_explorer():
    """Sliders for a 2-D Gaussian's two variances and its correlation. Introduced in notebooks/03_diagonal_gaussian.ipynb."""
    variance = dict(base=2, min=-5, max=3, step=0.5, **_LAYOUT)  # 1/32 to 8, through 1 and 4
    return widgets.interactive(
        draw_gaussian,
        var_x=widgets.FloatLogSlider(value=4.0, description="variance σ₀²", **variance),
        var_y=widgets.FloatLogSlider(value=1.0, description="variance σ₁²", **variance),
        correlation=widgets.FloatSlider(value=0.0, min=-0.95, max=0.95, step=0.05, description="correlation ρ", **_LAYOUT),
        ax=widgets.fixed(None),
        colorbar=widgets.fixed(True),
        legend=widgets.fixed(True),  # not a control: a stray checkbox otherwise
        levels=widgets.fixed(None),  # the fixed GAUSSIAN_LEVELS
        window=widgets.fixed(None),  # the square of gaussian_window
    )


# 04-07 ------------------------------------------------------------------------------------------
# (imported here, not at the top, to keep the sections of this file independent)
from ..likelihoods import log_likelihood  # noqa: E402
from .figures import plot_peak_memory  # noqa: E402
from .plotting import component_legend, data_limits  # noqa: E402


def draw_memory(N: int = 100_000, K: int = 32, D: int = 32, dtype: str = "float32", forms=None):
    """The broadcast form's tensors, step by step (printed), and each form's peak memory (bars).

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb. Returns the figure; the printed rows
    come from ``broadcast_shapes_table``. ``forms``: the bars to draw (``plot_peak_memory``; default all).
    """
    rows = broadcast_shapes_table(N, K, D, getattr(torch, dtype), significant=3)  # 3 digits: a notch's factor 2 reads right
    print("the broadcast form, step by step (each tensor and its size; X, means and variances are\n"
          "the inputs, which exist before and after, so no bar counts them):")
    for expression, shape, memory in rows:
        print(f"  {expression:42s} {str(shape):22s} {memory}")
    from ..likelihoods import format_bytes, log_pdfs_peak_bytes

    peak = format_bytes(log_pdfs_peak_bytes(N, K, D, getattr(torch, dtype), 'broadcast'), significant=3)
    if D == 1:  # diff, held by its name, next to the three (N, K) tensors of the last line: 4NK > 3NK (Exercise 4.3)
        print("at D = 1 (Exercise 4.3): the broadcast bar; counting it is the exercise")  # no number: it would give the answer away
    else:
        print(f"diff, diff ** 2 and the quotient are alive together: the broadcast bar, {peak}")
    fig, ax = plt.subplots(figsize=(9, 4.2))
    plot_peak_memory(N, K, D, getattr(torch, dtype), ax=ax, forms=forms, significant=3)
    return fig


def memory_explorer(forms=None):
    """Sliders for N, K, D and the dtype: each intermediate's shape, and the peak memory of the loop,
    the broadcast form, the chunked broadcast form and the matrix-product form (``forms`` picks which;
    04's main path shows the loop and the broadcast form only).

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.
    """
    return widgets.interactive(
        draw_memory,
        forms=widgets.fixed(forms),  # not a control
        N=widgets.SelectionSlider(options=[10**i for i in range(2, 8)], value=100_000, description="N points", **_LAYOUT),
        K=widgets.SelectionSlider(options=[1, 2, 3, 4, 8, 16, 32, 64, 128], value=32, description="K components", **_LAYOUT),
        D=widgets.SelectionSlider(options=[1, 2, 4, 8, 16, 32, 64, 128, 784], value=32, description="D dimensions", **_LAYOUT),
        dtype=widgets.Dropdown(options=["float32", "float64"], value="float32", description="dtype", **_STYLE),
    )


E_STEP_CHOICES = ("with the weights π_k", "without the weights (the blog's bug)")


def _e_step_params(params: GMMParams, e_step: str) -> GMMParams:
    """The parameters the E-step uses: ``params``, or the same with equal weights (dropping log pi_k
    from every row of the log-joint changes the responsibilities exactly as equal weights do)."""
    if e_step == E_STEP_CHOICES[0]:
        return params
    return params._replace(weights=torch.full_like(params.weights, 1 / params.K))


def draw_probe(params: GMMParams, X: torch.Tensor | None = None, probes=((0.0, 0.0),), e_step: str = E_STEP_CHOICES[0],
               lim: float = 15.0, names=None, band: bool = True, centre=(0.0, 0.0), label_offsets=None):
    """Probe points on the map of who owns the plane, and their responsibilities as bars.

    Introduced in notebooks/05_posteriors.ipynb. One probe (the widget): a bar panel with each share and its log.
    Several probes (a static figure): one grouped bar chart, a group of K bars per probe, shares only, so that
    the figure stays readable at notebook width; a share that rounds to 0.00 gets no label (a row of "0.00"
    hides the bars that matter), and a key of the map's colours sits under the map. The map spans ±``lim``
    around ``centre`` (the origin unless given). Each component's mean (a cross) and 1σ ellipse are drawn in its
    colour on the map (gid "component"), so a probe's place relative to each component shows. ``band=False`` leaves
    out the dashed "no component above 90%" band and its legend entry (on a wide map it hugs the boundaries), and
    its key says the blends are too thin to see there.
    ``label_offsets`` maps a probe's letter to its label's (dx, dy) offset in points, for a label that would
    otherwise sit on a component's mean.
    """
    from matplotlib import patheffects

    from .figures import _owner_key, plot_owners

    used = _e_step_params(params, e_step)
    names = names or [f"probe ({x1:+.1f}, {x2:+.1f})" for x1, x2 in probes]
    P = len(probes)
    if P == 1:
        fig, (ax_map, ax) = plt.subplots(1, 2, figsize=(11.7, 6.2), gridspec_kw={"width_ratios": [1.55, 1]})
    else:
        fig, (ax_map, ax) = plt.subplots(1, 2, figsize=(13, 6), gridspec_kw={"width_ratios": [1, 1.1]})
    (c1, c2) = centre
    plot_owners(used, ax=ax_map, xlim=(c1 - lim, c1 + lim), ylim=(c2 - lim, c2 + lim), n=240, band=band)
    if X is not None:
        ax_map.scatter(*X.detach().cpu().double().numpy().T, s=3, color="black", alpha=0.6, linewidths=0)
    K = params.K
    halo = [patheffects.withStroke(linewidth=5, foreground="white")]  # white under the colour: apart from the black boundaries
    for k in range(K):  # where each component sits: its mean and 1σ ellipse
        draw_ellipses(params.means[k], params.variances[k], ax=ax_map, n_std=(1,), color=component_colour(k), linewidth=2.5,
                      path_effects=halo, gid="component")
        ax_map.plot(*params.means[k].tolist(), marker="X", markersize=13, color=component_colour(k), markeredgecolor="white",
                    markeredgewidth=1.5, linestyle="none", gid="component")
    probe_points = torch.tensor([list(xy) for xy in probes], dtype=params.means.dtype)
    log_resp = log_responsibilities(probe_points, used)  # (P, K)
    resp = log_resp.exp()
    middle = sorted(x2 for _, x2 in probes)[P // 2] if P > 1 else 0.0  # labels above the probes at or above it, below the rest
    for (x1, x2), name in zip(probes, names):
        ax_map.plot([x1], [x2], marker="*", markersize=24 if P == 1 else 17, color="white", markeredgecolor="black", linestyle="none")
        if P > 1:
            above = x2 >= middle
            letter = name.split()[0].rstrip(":")
            dx, dy = (label_offsets or {}).get(letter, (8, 6 if above else -6))
            label = ax_map.annotate(letter, (x1, x2), textcoords="offset points", xytext=(dx, dy), fontsize=16, weight="bold",
                                    ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top")
            label.set_path_effects([patheffects.withStroke(linewidth=4, foreground="white")])  # readable over the data
    if P == 1:
        ax.bar(range(K), resp[0].numpy(), color=[component_colour(k) for k in range(K)])
        for k, (r, lr) in enumerate(zip(resp[0].tolist(), log_resp[0].tolist())):
            log_text = "log 0.00" if lr > -0.005 else f"log {lr:.2f}"  # of the unrounded share; a log that rounds to 0 says 0.00
            ax.text(k, r + 0.02, f"{r:.2f}\n{log_text}", ha="center", va="bottom", fontsize=12)
        ax.set_xticks(range(K), [f"comp. {k}" for k in range(K)])
        ax.set_title(names[0])
    else:
        width = 0.8 / K
        for k in range(K):
            xs = [i + (k - (K - 1) / 2) * width for i in range(P)]
            ax.bar(xs, resp[:, k].numpy(), width=width, color=component_colour(k), label=f"component {k}")
            for x, r in zip(xs, resp[:, k].tolist()):
                if r < 0.005:
                    continue  # it would print 0.00
                ax.text(x, r + 0.02, f"{r:.2f}", ha="center", va="bottom", fontsize=13, rotation=90)
        ax.set_xticks(range(P), [name.replace(": ", "\n", 1) for name in names])
        ax.legend(loc="upper center", ncol=K, fontsize=12, framealpha=0.9, columnspacing=0.8, handlelength=1.2)
        ax.set_title("responsibilities of each probe")
    ax.set_ylim(0, 1.3)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("responsibility $r_k(x)$")
    setting = "with" if e_step == E_STEP_CHOICES[0] else "without"
    ax_map.set_title(f"who owns the plane\n(E-step {setting} the weights)")  # two lines either way: the map keeps its size
    handles = [Line2D([], [], color="black", linewidth=2.2, label="decision boundary"),
               Line2D([], [], color="0.35", linewidth=2.5, marker="X", markersize=11, markeredgecolor="white",
                      label="component: mean, 1σ ellipse")]
    if band:
        handles.append(Line2D([], [], color="black", linewidth=1.2, linestyle="--", label="no component above 90%"))
    ax_map.legend(handles=handles, loc="upper left", fontsize=11, framealpha=0.9)
    if P == 1:
        fig.tight_layout()
        return fig
    fig.tight_layout(rect=(0, 0.08 if band else 0.11, 1, 1))  # room for the key: its title has two lines without the band
    box = ax_map.get_position()
    fig.legend(handles=_owner_key(K), loc="lower center", bbox_to_anchor=((box.x0 + box.x1) / 2, 0.0), ncol=K,
               frameon=False, fontsize=12, handlelength=1.2, columnspacing=0.8,
               title="map: the components' colours, blended by responsibility" if band  # blends show only on a close map
               else f"map: the components' colours, blended by responsibility\n(at ±{lim:g} the blends are too thin to see)",
               title_fontsize=12)
    return fig


PROBE_ZOOM = 3.0  # the probe explorer's zoomed map: ±3 around the probe, where the boundary band shows


def probe_explorer(params: GMMParams, X: torch.Tensor | None = None, lim: float = 15.0, zoomed: bool = False):
    """Sliders that move a probe point over the map of owners; bars show its responsibilities; a menu
    drops the weights from the E-step; another zooms the map to ±``PROBE_ZOOM`` around the probe (the sliders
    still span ±``lim``); ``zoomed=True`` opens on the zoomed map. Introduced in notebooks/05_posteriors.ipynb."""
    zooms = (f"±{lim:g} around the origin", f"±{PROBE_ZOOM:g} around the probe")

    def draw(x1, x2, e_step, zoom):
        if zoom == zooms[1]:
            return draw_probe(params, X, probes=((x1, x2),), e_step=e_step, lim=PROBE_ZOOM, centre=(x1, x2))
        return draw_probe(params, X, probes=((x1, x2),), e_step=e_step, lim=lim)

    return widgets.interactive(
        draw,
        x1=widgets.FloatSlider(value=0.0, min=-lim, max=lim, step=0.25, description="probe x₀", **_LAYOUT),
        x2=widgets.FloatSlider(value=0.0, min=-lim, max=lim, step=0.25, description="probe x₁", **_LAYOUT),
        e_step=widgets.Dropdown(options=list(E_STEP_CHOICES), value=E_STEP_CHOICES[0], description="E-step", **_STYLE),
        zoom=widgets.Dropdown(options=list(zooms), value=zooms[int(zoomed)], description="map", **_STYLE),
    )


from matplotlib.lines import Line2D  # noqa: E402  (06)

from matplotlib.transforms import offset_copy  # noqa: E402  (06)

from .plotting import mark_start_below  # noqa: E402  (06)

from .figures import BOUND_COLOUR  # noqa: E402  (06)

Q_COLOUR = "#8C510A"  # Q(theta; theta_old) beside the log-likelihood (06): brown, a colour no component uses
F_COLOUR = BOUND_COLOUR  # the lower bound F = Q + H: purple dashes, as in 06's bound slice (plot_bound_slice)


def half_step_log_likelihoods(X: torch.Tensor, states) -> torch.Tensor:
    """The per-point log-likelihood of the parameters in each state of ``em_half_steps``, shape (len(states),)."""
    return torch.stack([log_likelihood(X, params) for params, _, _ in states]).double() / X.shape[0]


def half_step_q_values(X: torch.Tensor, states) -> torch.Tensor:
    """Q(theta; theta_old) per point in each state of ``em_half_steps``: sum_nk r_nk [log pi_k + log N(x_n | k)] / N
    with the state's parameters and responsibilities (NaN for the start, which has none), shape (len(states),).
    An E-step changes the responsibilities (a new Q); an M-step raises Q. Introduced in notebooks/06_parameter_updates.ipynb."""
    values = []
    for params, resp, _ in states:
        if resp is None:
            values.append(torch.tensor(float("nan"), dtype=torch.float64))
        else:
            log_joint = component_log_pdfs(X, params) + params.weights.log()  # (N, K)
            values.append((resp * log_joint).sum().double() / X.shape[0])
    return torch.stack(values)


def _q_steps(x, qs, last: int):
    """x and y of Q drawn as steps, one line of NaN-separated pieces per kind, up to half-step ``last``. Q is constant
    between half-steps. Solid: one piece per E-step's Q (from the E-step to the next one, its M-step's climb the
    vertical in it). Dotted: each later E-step's jump to a new Q (a vertical at the E-step). Used by ``draw_em_lines``."""
    solid, dotted = ([np.nan], [np.nan]), ([np.nan], [np.nan])  # never empty, so that the lines exist (their order is fixed)
    for h in range(1, last + 1, 2):  # E-step h: its Q holds q[h] to the M-step h + 1, then q[h + 1] to the next E-step
        corners = [(h, h)] + [(h + 1, h), (h + 1, h + 1)] * (h + 1 <= last) + [(h + 2, h + 1)] * (h + 2 <= last)
        solid[0].extend([float(x[i]) for i, _ in corners] + [np.nan])
        solid[1].extend([float(qs[j]) for _, j in corners] + [np.nan])
        if h >= 3:  # the jump from the old Q's last value to the new Q's first, at the same theta
            dotted[0].extend([float(x[h])] * 2 + [np.nan])
            dotted[1].extend([float(qs[h - 1]), float(qs[h]), np.nan])
    return solid, dotted


def draw_em_lines(ax, lls, qs, last: int):
    """The lines of ``draw_em_curve`` alone (no labels, limits or key), half-steps 0 to ``last`` at h / 2, in this
    order: l's steps, l's dots, Q's solid steps, Q's squares, F's purple dashed steps (under l), Q's dotted E-step jumps.
    Introduced in notebooks/06_parameter_updates.ipynb (its zoom draws the same lines again)."""
    x = np.arange(len(lls)) / 2  # half-step h is drawn at iteration h / 2: E-steps at t - 1/2, M-steps at t
    ax.step(x[: last + 1], lls[: last + 1].numpy(), where="post", color="black")
    ax.plot(x[: last + 1], lls[: last + 1].numpy(), marker="o", markersize=4, linestyle="none", color="black")
    solid, dotted = _q_steps(x, qs, last)
    ax.plot(*solid, color=Q_COLOUR, linewidth=2.5)  # Q is constant between half-steps: drawn as steps, like l and F
    ax.plot(x[1: last + 1], qs[1: last + 1].numpy(), marker="s", markersize=5, linestyle="none", color=Q_COLOUR)
    # F = Q + H, H of the latest E-step (l - Q right after it): = l after an E-step, just below l after an M-step;
    # purple dashes under l's black line, so that F shows only where it leaves l
    h_latest = (lls - qs)[[h if h % 2 else h - 1 for h in range(1, last + 1)]]
    ax.step(x[1: last + 1], (qs[1: last + 1] + h_latest).numpy(), where="post", color=F_COLOUR, linewidth=3,
            linestyle="--", zorder=1.8)
    ax.plot(*dotted, color=Q_COLOUR, linewidth=1.8, linestyle=":")  # E-step t + 1: a new Q, not a move along the old one


def draw_em_curve(ax_curve, lls, qs, last: int, key_size: float = 11, key_outside: bool = False, extra=()):
    """The log-likelihood l after each half-step of ``em_half_steps`` (``lls``, per point) up to half-step ``last``,
    Q(theta; theta_old) (``qs``, ``half_step_q_values``) and the bound F = Q + H of notebook 06, all as steps
    (``draw_em_lines``): each E-step defines a new Q, so Q is drawn solid from one E-step to the next (its M-step
    climbs it) and its jump at the next E-step dotted. F (F_COLOUR, the bound's colour in ``plot_bound_slice`` too),
    purple dashes under l, uses H, the entropy of the latest E-step's responsibilities (l - Q right after it): equal to
    l after an E-step, below it by the gap an M-step opens. The x-axis counts iterations: half-step h is drawn at h / 2
    (an E-step at t - 1/2, an M-step at t); values far below the scale (the start's l, Q after the first E-step) are
    marked by arrows. ``key_size`` is the font size of the legend and of the below-the-scale note (larger in a big
    figure); ``key_outside`` puts the legend to the right of the axes, clear of every line; ``extra``: more legend handles.

    Introduced in notebooks/06_parameter_updates.ipynb (used by ``draw_half_step``)."""
    draw_em_lines(ax_curve, lls, qs, last)
    ax_curve.set_xlim(-1.25, (len(lls) - 1) / 2 + 0.25)  # the arrows at 0 and 0.5 stand clear of the y-axis
    # the scale of the states after the first M-step: the start is usually far below
    top = float(lls.max())
    bottom = min(float(lls[2:].min()), float(qs[2:].min())) if len(lls) > 2 else float(lls.min())
    pad = 0.08 * (top - bottom) + 1e-9
    ax_curve.set_ylim(bottom - pad, top + pad)
    ll_below = float(lls[0]) < bottom - pad
    q_below = len(qs) > 1 and last >= 1 and float(qs[1]) < bottom - pad
    if ll_below or q_below:
        lines = (["below this scale", "(arrows at the bottom left):"]
                 + ([f"$\\ell$ at the start {float(lls[0]):.2f} (black)"] if ll_below else [])
                 + ([f"$Q$ after the 1st E-step {float(qs[1]):.2f} (brown)"] if q_below else []))
        if ll_below:  # drawn 8 points to the left of t = 0, so that it stands apart from Q's arrow at t = 1/2
            arrow = mark_start_below(ax_curve, float(lls[0]), text="")
            arrow.xycoords = arrow.anncoords = offset_copy(ax_curve.transData, fig=ax_curve.figure, x=-8, units="points")
        if q_below:
            mark_start_below(ax_curve, float(qs[1]), x=0.5, text="", color=Q_COLOUR)
        ax_curve.text(0.98, 0.03, "\n".join(lines), transform=ax_curve.transAxes, ha="right", va="bottom",
                      fontsize=key_size, color="0.25")  # lower right: under Q, which rises from the left
    ax_curve.set_xlabel("iteration $t$ (E-step at $t - \\frac{1}{2}$, M-step at $t$)")
    ax_curve.set_ylabel("per point: $\\ell$, $Q$ and $F$")
    ax_curve.set_title("$\\ell$: flat after an E-step, up after an M-step\n$Q$: replaced by an E-step, up after an M-step",
                       fontsize=15)
    place = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0)) if key_outside else dict(loc="upper left")
    ax_curve.legend(handles=[Line2D([], [], color="black", marker="o", label=r"log-likelihood $\ell(\theta)$"),
                             Line2D([], [], color=Q_COLOUR, marker="s", linewidth=2.5,
                                    label="$Q$: current $\\theta$, last E-step's $r$"),
                             Line2D([], [], color=Q_COLOUR, linewidth=1.8, linestyle=":",
                                    label="E-step: jump to a new $Q$ (dotted)"),
                             Line2D([], [], color=F_COLOUR, linewidth=3, linestyle="--",
                                    label="bound $F = Q + H$ (under $\\ell$)"), *extra],
                    fontsize=key_size, **place)  # inside: above l's early rise and plateau, clear of every Q square


def draw_half_step(X: torch.Tensor, states, step: int = 0, ax_data=None, ax_curve=None, lls=None, limits=None, qs=None,
                   curve_to: int | None = None, key_size: float = 11):
    """One state from ``em_half_steps``: points coloured by the current responsibilities (grey before the
    first E-step; the title names the theta they were computed at), the components' ellipses, and, if ``ax_curve``
    is given or made, ``draw_em_curve`` up to half-step ``curve_to`` (default ``step``): l, Q(theta; theta_old)
    (``half_step_q_values``; pass ``lls`` and ``qs`` to reuse them) and F. ``key_size`` is the font size of the curve's legend and note.

    Introduced in notebooks/06_parameter_updates.ipynb. Returns the figure.
    """
    params, resp, description = states[step]  # the description names which r colours the points
    if ax_data is None:
        fig, (ax_data, ax_curve) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.2, 1]})
    fig = ax_data.figure
    lls = half_step_log_likelihoods(X, states) if lls is None else lls
    (x0, x1), (y0, y1) = limits or data_limits(X)
    plot_mixture(X, params, resp=resp, ax=ax_data, legend=False, point_size=14)
    ax_data.set_xlim(x0, x1)
    ax_data.set_ylim(y0, y1)
    qs = half_step_q_values(X, states) if qs is None else qs
    q_now = "" if torch.isnan(qs[step]) else f"$Q$ {float(qs[step]):.4f}, "  # no Q before the first E-step
    ax_data.set_title(f"{description}\nper point: {q_now}log-likelihood {float(lls[step]):.4f}")
    if ax_curve is not None:
        draw_em_curve(ax_curve, lls, qs, step if curve_to is None else curve_to, key_size=key_size)
    return fig


def em_stepper(X: torch.Tensor, start: GMMParams, n_iter: int = 10):
    """A slider through E- and M-steps from ``start``, with the log-likelihood after each half-step and
    fixed axes. Introduced in notebooks/06_parameter_updates.ipynb."""
    states = em_half_steps(X, start, n_iter)
    lls, qs = half_step_log_likelihoods(X, states), half_step_q_values(X, states)
    limits = data_limits(X)

    def draw(step):
        fig = draw_half_step(X, states, step, lls=lls, limits=limits, qs=qs)
        rings = Line2D([], [], color="0.3", linewidth=3, label="1σ, 2σ (faint) ellipses; thicker: more weight")  # plot_mixture's rings
        component_legend(fig, start.K, loc="lower center", bbox_to_anchor=(0.5, -0.08), extra=[rings])
        return fig

    return widgets.interactive(
        draw,
        step=widgets.IntSlider(value=0, min=0, max=len(states) - 1, description="half-step (E, M, E, M, ...)", **_LAYOUT),
    )


def fit_in_reference_order(fit, reference: GMMParams):
    """``fit`` (an EMResult) with its components reordered, at every iteration, so that its final
    parameters line up with ``reference`` (``GMMParams.matched_to``): component k keeps reference k's
    colour in every frame. Introduced in notebooks/00_overview.ipynb (its EM teaser); 07 uses it too."""
    order = fit.params.matching_order(reference)  # the order matched_to applies
    return fit._replace(params=fit.params.permuted(order), history=[params.permuted(order) for params in fit.history])


def start_explorer(X: torch.Tensor, K: int = 3, seeds=range(20), max_iter: int = 1000, truth: GMMParams | None = None):
    """Pick a start (scheme and seed) and an iteration: EM's state from that start, with its log-likelihood
    curve. Different starts climb to different optima.

    Introduced in notebooks/07_em_fit.ipynb. The fits are run once, when the widget is made. The
    iteration slider runs from 0 to the chosen fit's last iteration (it is reset to the end when the
    start changes). With ``truth``, every fit's components are put in truth's order
    (``fit_in_reference_order``), so colours match figures drawn with ``params.matched_to(truth)``. The curve's
    y-range is the same for every fit, with a dashed line at the best final log-likelihood among them.
    """
    import warnings

    from ..em import EMConvergenceWarning, fit_em
    from ..init import init_kmeans_plusplus, init_random_points
    from .animate import draw_em_iteration

    schemes = {"random data points": init_random_points, "k-means++": init_kmeans_plusplus}
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EMConvergenceWarning)
        for scheme, init in schemes.items():
            for seed in seeds:
                fit = fit_em(X, init(X, K, generator=torch.Generator().manual_seed(seed)), max_iter=max_iter)
                fits[scheme, seed] = fit if truth is None else fit_in_reference_order(fit, truth)
    first = fits["random data points", min(seeds)]
    # one y-range for every fit (a poor optimum must look lower than the best), from the best final value down to the
    # lowest value after iteration 1 (at most 1 per point below the best); a dashed line marks the best fit
    per_point = [fit.log_likelihoods.double() / X.shape[0] for fit in fits.values()]
    best = max(float(lls[-1]) for lls in per_point)
    bottom = max(min(float(lls[1:].min()) for lls in per_point if len(lls) > 1), best - 1.0)
    curve_ylim = (bottom - 0.05 * (best - bottom), best + 0.08 * (best - bottom))

    def draw(iteration, scheme, seed):
        fit = fits[scheme, seed]
        fig = draw_em_iteration(X, fit, min(iteration, fit.n_iter), curve_ylim=curve_ylim, best=best)
        fig.suptitle(f"{scheme}, seed {seed}: fit_em stopped after {fit.n_iter} iterations at "
                     f"{float(fit.log_likelihoods[-1]) / X.shape[0]:.4f} per point", y=1.02)
        return fig

    iteration = widgets.IntSlider(value=first.n_iter, min=0, max=first.n_iter, description="iteration", **_LAYOUT)
    scheme = widgets.Dropdown(options=list(schemes), value="random data points", description="start", **_STYLE)
    seed = widgets.IntSlider(value=min(seeds), min=min(seeds), max=max(seeds), description="seed", **_LAYOUT)

    def fit_the_slider(_change):  # the slider's range is the chosen fit's length, and it jumps to the end
        n_iter = fits[scheme.value, seed.value].n_iter
        if n_iter > iteration.max:
            iteration.max = n_iter
            iteration.value = n_iter
        else:
            iteration.value = n_iter
            iteration.max = n_iter

    scheme.observe(fit_the_slider, names="value")
    seed.observe(fit_the_slider, names="value")
    return widgets.interactive(draw, iteration=iteration, scheme=scheme, seed=seed)


# 10_scaling_up --------------------------------------------------------------------------------------

ONLINE_ALPHAS = [0.55, 0.6, 0.7, 0.8, 0.9, 1.0]
ONLINE_CHUNK_ROWS = [20, 50, 100, 200, 600]


def draw_online_setting(X: torch.Tensor, start: GMMParams, exact_curve, ylim, alpha: float = 0.6, chunk_rows: int = 50,
                        passes: int = 30):
    """Online EM with one (alpha, chunk size) against exact EM, per pass, on fixed axes.

    Introduced in notebooks/10_scaling_up.ipynb. ``exact_curve`` is exact EM's log-likelihood per point
    per iteration (one iteration = one pass); ``ylim`` fixes the vertical axis while sliders move.
    """
    from .scaling import draw_online_em, online_curves

    every = max(1, passes * X.shape[0] // chunk_rows // 100)  # about 100 points per curve: a quick redraw
    fig, ax = plt.subplots(figsize=(9, 6))
    draw_online_em(exact_curve, online_curves(X, start, [(alpha, chunk_rows)], passes, every), ylim, ax=ax)
    return fig


def online_em_explorer(X: torch.Tensor, start: GMMParams, exact_curve, ylim, passes: int = 30):
    """Sliders for online EM's step-size exponent alpha and chunk size, on fixed axes.

    Introduced in notebooks/10_scaling_up.ipynb.
    """
    return widgets.interactive(
        draw_online_setting,
        X=widgets.fixed(X),
        start=widgets.fixed(start),
        exact_curve=widgets.fixed(exact_curve),
        ylim=widgets.fixed(ylim),
        alpha=widgets.SelectionSlider(options=ONLINE_ALPHAS, value=0.6, description="step-size exponent α", **_LAYOUT),
        chunk_rows=widgets.SelectionSlider(options=ONLINE_CHUNK_ROWS, value=50, description="points per chunk", **_LAYOUT),
        passes=widgets.fixed(passes),
    )


# 08_choosing_k -------------------------------------------------------------------------------------

K_CHOICE_LIMITS = dict(xlim=(-7.5, 6.5), ylim=(-6.0, 6.5))  # the running example, with room for the ellipses


def draw_k_choice(X: torch.Tensor, fits: dict, bics: dict, K: int = 3, limits: dict = K_CHOICE_LIMITS, axes=None,
                  held_out: dict | None = None):
    """The fit with K components on the data (left) and where it sits on the BIC curve (right).

    Introduced in notebooks/08_choosing_k.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, 2)
    fits : dict int -> GMMParams
        A fitted mixture for each K.
    bics : dict int -> float
        Its BIC on X.
    K : int
        The fit to show.
    limits : dict with xlim and ylim
        Fixed axes, so the picture does not jump as K changes.
    axes : pair of matplotlib Axes, optional
        Draw there instead of in a new figure.
    held_out : dict int -> float, optional
        The fit's log-likelihood per point on held-out data, written in the left panel's title.

    Returns
    -------
    The new figure, or ``axes`` when given.
    """
    params = fits[K]
    if axes is None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.15, 1]})
    else:
        fig, (left, right) = None, axes
    _draw_k_fit(X, params, K, limits, left, held_out)
    _draw_bic_curve(right, bics, "where this K sits on the BIC curve", current=K)
    if fig is None:
        return axes
    fig.tight_layout()
    return fig


def _draw_bic_curve(ax, bics: dict, title: str, current: int | None = None, ringed: dict | None = None) -> None:
    """BIC against K on ``ax``, the lowest starred; ``current`` K as a filled black dot (legend entry), or the
    Ks of ``ringed`` (letter -> K) as black rings labelled with their panel's letter."""
    Ks = sorted(bics)
    best = min(Ks, key=bics.get)
    ax.plot(Ks, [bics[k] for k in Ks], marker="o", markersize=8, color="#B2182B", label="BIC")
    if current is not None:
        ax.plot([current], [bics[current]], marker="o", markersize=20, color="black", linestyle="none",
                label=f"K = {current}: BIC {bics[current]:.1f}")
    for letter, K in (ringed or {}).items():
        ax.plot([K], [bics[K]], marker="o", markersize=20, markerfacecolor="none", markeredgecolor="black",
                markeredgewidth=2.5, linestyle="none")
        ax.annotate(f"({letter})", (K, bics[K]), textcoords="offset points", xytext=(0, 18), ha="center", fontsize=16)
    ax.plot([best], [bics[best]], marker="*", markersize=22, color="#E69F00", markeredgecolor="black",
            linestyle="none", label=f"lowest BIC: K = {best}")
    ax.set_xticks(Ks)
    ax.set_xlabel("number of components $K$")
    ax.set_ylabel("BIC (lower is better)")
    ax.set_title(title)
    ax.legend(loc="upper right")


def _k_title(K: int, held_out: dict | None) -> str:
    title = f"K = {K}: {K} component{'s' if K > 1 else ''}, 1σ and 2σ ellipses"
    return title if held_out is None else f"{title}\nheld-out {held_out[K]:.4f} per point"


def _draw_k_fit(X, params, K, limits, ax, held_out):
    plot_mixture(X, params, resp=log_responsibilities(X, params).exp(), ax=ax, legend=False, n_std=(1, 2),
                 title=_k_title(K, held_out))
    ax.set_xlim(*limits["xlim"])
    ax.set_ylim(*limits["ylim"])


def draw_k_choice_panels(X: torch.Tensor, fits: dict, bics: dict, shown=(2, 3, 6), held_out: dict | None = None,
                         limits: dict = K_CHOICE_LIMITS):
    """The static companion of ``k_explorer``: the fits for the Ks in ``shown`` and one BIC curve marking them.

    Introduced in notebooks/08_choosing_k.ipynb. A 2 x 2 grid: the fits share their (fixed) axes; the
    fourth panel is the BIC curve with each shown K ringed in the colour of its panel's letter.

    Returns
    -------
    fig : matplotlib Figure
    """
    if len(shown) != 3:
        raise ValueError(f"draw_k_choice_panels: shown must hold 3 values of K, got {len(shown)}: {tuple(shown)}")
    fig, axes = plt.subplots(2, 2, figsize=(16, 14))
    fit_axes = [axes[0, 0], axes[0, 1], axes[1, 0]]
    for ax in fit_axes[1:]:
        ax.sharex(fit_axes[0])
        ax.sharey(fit_axes[0])
    for letter, ax, K in zip("abc", fit_axes, shown):
        _draw_k_fit(X, fits[K], K, limits, ax, held_out)
        ax.set_title(f"({letter}) " + ax.get_title())
    _draw_bic_curve(axes[1, 1], bics, "(d) the BIC curve, panels (a)-(c) ringed", ringed=dict(zip("abc", shown)))
    fig.tight_layout()
    return fig


def k_explorer(X: torch.Tensor, fits: dict, bics: dict, held_out: dict | None = None):
    """A K slider over ``draw_k_choice``. Introduced in notebooks/08_choosing_k.ipynb."""
    Ks = sorted(fits)
    return widgets.interactive(
        draw_k_choice,
        X=widgets.fixed(X),
        fits=widgets.fixed(fits),
        bics=widgets.fixed(bics),
        K=widgets.SelectionSlider(options=Ks, value=3 if 3 in Ks else Ks[0], description="K components", **_LAYOUT),
        limits=widgets.fixed(K_CHOICE_LIMITS),
        axes=widgets.fixed(None),
        held_out=widgets.fixed(held_out),
    )


# 09_real_data --------------------------------------------------------------------------------------

def draw_segmentation_k(segmentations: dict, K: int, axes=None):
    """The photo segmented with K colours (hard assignment) and its uncertainty map, side by side.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    segmentations : dict int -> (hard, uncertainty)
        For each K: the (H, W, 3) image painted with each pixel's most probable component's mean
        colour, and the (H, W) map of 1 - max_k r_nk. The colour scale of the uncertainty is fixed
        (0 to 0.5), so maps for different K compare.
    K : int
    axes : pair of matplotlib Axes, optional
        Draw there (a row of a static companion) instead of in a new figure.

    Returns
    -------
    The new figure, or ``axes`` when given.
    """
    hard, uncertainty = segmentations[K]
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(16, 5.6), sharex=True, sharey=True)
    else:
        fig = None
    left, right = axes
    left.imshow(np.clip(np.asarray(hard.detach().cpu() if isinstance(hard, torch.Tensor) else hard, dtype=float), 0, 1))
    u = np.asarray(uncertainty.detach().cpu() if isinstance(uncertainty, torch.Tensor) else uncertainty, dtype=float)
    shown = right.imshow(u, cmap="magma", vmin=0.0, vmax=0.5)
    left.set_title(f"K = {K} colours (hard assignment)")
    right.set_title(f"K = {K}: uncertainty, {float((u > 0.1).mean()):.0%} of pixels above 0.1")
    right.figure.colorbar(shown, ax=right, shrink=0.85, label="1 − max responsibility")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if fig is None:
        return axes
    return fig


def _jpeg(array: np.ndarray, quality: int = 85) -> bytes:
    """An (H, W, 3) float image in [0, 1] as JPEG bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((np.clip(array, 0, 1) * 255).round().astype(np.uint8)).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def segmentation_images(segmentations: dict, K: int) -> tuple[bytes, bytes]:
    """JPEG bytes of the K-colour segmentation and of its uncertainty map (magma, fixed scale 0 to 0.5).

    Introduced in notebooks/09_real_data.ipynb. What ``segmentation_explorer`` shows.
    """
    hard, uncertainty = segmentations[K]
    hard = np.asarray(hard.detach().cpu() if isinstance(hard, torch.Tensor) else hard, dtype=float)
    u = np.asarray(uncertainty.detach().cpu() if isinstance(uncertainty, torch.Tensor) else uncertainty, dtype=float)
    coloured = plt.get_cmap("magma")(np.clip(u / 0.5, 0, 1))[..., :3]  # the colour scale of draw_segmentation_k
    return _jpeg(hard), _jpeg(coloured)


def segmentation_explorer(segmentations: dict):
    """A K slider over the segmentation and its uncertainty map. Introduced in notebooks/09_real_data.ipynb.

    Unlike the other explorers it shows two ``ipywidgets.Image`` (JPEG) rather than a matplotlib
    figure: a photo-sized PNG inside an interactive's output stalled notebook execution here (nbclient
    waited until the cell timeout), while JPEG bytes in an Image widget go through at once. The same two pictures with titles and a colour bar are
    ``draw_segmentation_k``. Returns a ``VBox``: the slider, a caption, and the two images.
    """
    Ks = sorted(segmentations)
    slider = widgets.SelectionSlider(options=Ks, value=Ks[len(Ks) // 2], description="K colours", **_LAYOUT)
    caption = widgets.HTML()
    height, width = np.asarray(segmentations[Ks[0]][1]).shape
    left, right = (widgets.Image(format="jpeg", layout=widgets.Layout(width="48%")) for _ in range(2))

    def show(change=None):
        K = slider.value
        left.value, right.value = segmentation_images(segmentations, K)
        u = np.asarray(segmentations[K][1].detach().cpu() if isinstance(segmentations[K][1], torch.Tensor) else segmentations[K][1])
        caption.value = (f"<b>K = {K}</b>: left, each pixel painted with its most probable component's mean colour; "
                         f"right, its uncertainty 1 − max r (black 0, yellow 0.5 or more): "
                         f"{float((u > 0.1).mean()):.0%} of pixels above 0.1")

    slider.observe(show, names="value")
    show()
    return widgets.VBox([slider, caption, widgets.HBox([left, right])])
