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

from ..data import sample_gmm
from ..em import em_half_steps
from ..init import init_kmeans_plusplus, init_random_points
from ..likelihoods import broadcast_shapes_table
from ..params import GMMParams, toy_with_component0
from ..posteriors import log_responsibilities
from .plotting import draw_ellipses, plot_density, plot_mixture
from .style import component_colour

_STYLE = dict(style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
_LAYOUT = dict(_STYLE, continuous_update=False)  # sliders redraw when released, not on every pixel


def draw_weight_effect(weight: float = 0.5):
    """The toy mixture's density with component 0's weight set to ``weight``.

    Introduced in notebooks/00_overview.ipynb.
    """
    params = toy_with_component0(weight)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plot_density(params, ax=ax)
    plot_mixture(params=params, ax=ax, n_std=(1,))
    ax.set_title(f"weights = ({', '.join(f'{w:.2f}' for w in params.weights.tolist())})")
    return fig


def weight_explorer():
    """A slider for component 0's weight over the mixture density. Introduced in notebooks/00_overview.ipynb."""
    return widgets.interactive(
        draw_weight_effect,
        weight=widgets.FloatSlider(value=0.5, min=0.05, max=0.9, step=0.05, description="weight of component 0", **_LAYOUT),
    )


def draw_sample(n: int = 500, weight: float = 0.5, variance_scale: float = 1.0, seed: int = 0):
    """n points from the toy mixture (component 0 changed), coloured by component, with the true ellipses.

    Introduced in notebooks/01_synthetic_data.ipynb.
    """
    params = toy_with_component0(weight, variance_scale)
    X, labels = sample_gmm(params, n, generator=torch.Generator().manual_seed(seed))
    counts = torch.bincount(labels, minlength=params.K).double() / max(n, 1)
    fig, ax = plt.subplots(figsize=(8, 6))
    plot_mixture(X, params, labels=labels, ax=ax, point_size=max(4, 40 / np.sqrt(max(n, 1) / 100)))
    ax.set_title(f"N = {n}: fractions drawn ({', '.join(f'{c:.2f}' for c in counts.tolist())})")
    ax.set_xlim(-8, 7)
    ax.set_ylim(-6, 6)
    return fig


def sampling_explorer(seed: int = 0):
    """Sliders for N, component 0's weight and its variance scale. Introduced in notebooks/01_synthetic_data.ipynb."""
    return widgets.interactive(
        draw_sample,
        n=widgets.SelectionSlider(options=[20, 50, 100, 200, 500, 1000, 2000, 5000], value=500, description="N points", **_LAYOUT),
        weight=widgets.FloatSlider(value=0.5, min=0.05, max=0.9, step=0.05, description="weight of component 0", **_LAYOUT),
        variance_scale=widgets.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.5, description="variance × (component 0)", **_LAYOUT),
        seed=widgets.fixed(seed),
    )


INIT_SCHEMES = {"random data points": init_random_points, "k-means++": init_kmeans_plusplus}


def draw_start(X: torch.Tensor, scheme: str = "random data points", seed: int = 0, K: int = 3, ax=None):
    """The starting parameters one initialisation scheme picks for X, drawn on the data.

    Introduced in notebooks/02_initialisation.ipynb.
    """
    start = INIT_SCHEMES[scheme](X, K, generator=torch.Generator().manual_seed(seed))
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 6))
    plot_mixture(X, start, ax=ax, n_std=(1,), legend=False, title=f"{scheme}, seed {seed}")
    return fig if fig is not None else ax


def init_explorer(X: torch.Tensor, K: int = 3):
    """A seed slider and a scheme menu showing the start on the data. Introduced in notebooks/02_initialisation.ipynb."""
    return widgets.interactive(
        draw_start,
        X=widgets.fixed(X),
        scheme=widgets.Dropdown(options=list(INIT_SCHEMES), value="random data points", description="scheme", **_STYLE),
        seed=widgets.IntSlider(value=0, min=0, max=19, description="seed", **_LAYOUT),
        K=widgets.fixed(K),
        ax=widgets.fixed(None),
    )


def draw_gaussian(mean_x: float = 0.0, mean_y: float = 0.0, var_x: float = 1.0, var_y: float = 1.0):
    """Contours of one 2-D diagonal Gaussian, its 1σ and 2σ ellipses, and its peak height.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.
    """
    params = GMMParams(torch.ones(1, dtype=torch.float64), torch.tensor([[mean_x, mean_y]], dtype=torch.float64),
                       torch.tensor([[var_x, var_y]], dtype=torch.float64))
    peak = 1 / (2 * np.pi * np.sqrt(var_x * var_y))
    fig, ax = plt.subplots(figsize=(8, 6))
    plot_density(params, ax=ax, xlim=(-6, 6), ylim=(-6, 6))
    draw_ellipses(params.means[0], params.variances[0], ax=ax, color="white", linewidth=2)
    ax.set_title(f"peak density 1/(2π σ₁ σ₂) = {peak:.3f}")
    return fig


def gaussian_explorer():
    """Sliders for a 2-D diagonal Gaussian's mean and variances. Introduced in notebooks/03_diagonal_gaussian.ipynb."""
    variance = dict(base=10, min=-1.5, max=1, step=0.25, **_LAYOUT)
    return widgets.interactive(
        draw_gaussian,
        mean_x=widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.5, description="mean μ₁", **_LAYOUT),
        mean_y=widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.5, description="mean μ₂", **_LAYOUT),
        var_x=widgets.FloatLogSlider(value=1.0, description="variance σ₁²", **variance),
        var_y=widgets.FloatLogSlider(value=1.0, description="variance σ₂²", **variance),
    )


def print_broadcast_shapes(N: int = 1000, K: int = 3, D: int = 2, dtype: str = "float32"):
    """Print ``broadcast_shapes_table`` as aligned text and return it."""
    rows = broadcast_shapes_table(N, K, D, getattr(torch, dtype))
    for expression, shape, memory in rows:
        print(f"{expression:30s} {str(shape):18s} {memory}")
    return rows


def shapes_explorer():
    """Sliders for N, K, D and the dtype: every intermediate's shape and memory. Introduced in notebooks/04."""
    return widgets.interactive(
        print_broadcast_shapes,
        N=widgets.SelectionSlider(options=[10**i for i in range(1, 8)], value=1000, description="N points", **_LAYOUT),
        K=widgets.SelectionSlider(options=[1, 2, 3, 4, 8, 16, 32, 64, 128], value=3, description="K components", **_LAYOUT),
        D=widgets.SelectionSlider(options=[1, 2, 4, 8, 16, 32, 64, 128, 784], value=2, description="D dimensions", **_LAYOUT),
        dtype=widgets.Dropdown(options=["float32", "float64"], value="float32", description="dtype", **_STYLE),
    )


def draw_probe(params: GMMParams, X: torch.Tensor | None = None, x1: float = 0.0, x2: float = 0.0):
    """A probe point on the data, and its responsibilities as bars.

    Introduced in notebooks/05_posteriors.ipynb.
    """
    probe = torch.tensor([[x1, x2]], dtype=params.means.dtype)
    resp = log_responsibilities(probe, params).exp()[0]  # (K,)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [1.4, 1]})
    plot_mixture(X, params, ax=left, legend=False, n_std=(1, 2))
    left.plot([x1], [x2], marker="*", markersize=26, color="black", markeredgecolor="white", linestyle="none")
    left.set_title(f"probe x = ({x1:+.1f}, {x2:+.1f})")
    K = len(resp)
    right.bar(range(K), resp.numpy(), color=[component_colour(k) for k in range(K)])
    for k, r in enumerate(resp.tolist()):
        right.text(k, r + 0.02, f"{r:.2f}", ha="center", fontsize=14)
    right.set_ylim(0, 1.12)
    right.set_xticks(range(K), [f"component {k}" for k in range(K)])
    right.set_ylabel("responsibility $r_k(x)$")
    right.set_title("who owns the probe?")
    fig.tight_layout()
    return fig


def probe_explorer(params: GMMParams, X: torch.Tensor | None = None):
    """Sliders that move a probe point; bars show its responsibilities. Introduced in notebooks/05_posteriors.ipynb."""
    return widgets.interactive(
        draw_probe,
        params=widgets.fixed(params),
        X=widgets.fixed(X),
        x1=widgets.FloatSlider(value=0.0, min=-6, max=6, step=0.25, description="probe x₁", **_LAYOUT),
        x2=widgets.FloatSlider(value=0.0, min=-5, max=5, step=0.25, description="probe x₂", **_LAYOUT),
    )


def draw_half_step(X: torch.Tensor, states, step: int = 0):
    """One state from ``em_half_steps``: points coloured by the current responsibilities."""
    params, resp, description = states[step]
    fig, ax = plt.subplots(figsize=(8, 6))
    plot_mixture(X, params, resp=resp, ax=ax, title=description, legend=False)
    return fig


def em_stepper(X: torch.Tensor, start: GMMParams, n_iter: int = 10):
    """A slider through E- and M-steps from ``start``. Introduced in notebooks/06_parameter_updates.ipynb."""
    states = em_half_steps(X, start, n_iter)
    return widgets.interactive(
        draw_half_step,
        X=widgets.fixed(X),
        states=widgets.fixed(states),
        step=widgets.IntSlider(value=0, min=0, max=len(states) - 1, description="half-step (E, M, E, M, ...)", **_LAYOUT),
    )


def iteration_scrubber(X: torch.Tensor, result):
    """A slider over ``result.history`` that draws EM's state at any iteration. Introduced in notebooks/07_em_fit.ipynb."""
    from .animate import draw_em_iteration

    return widgets.interactive(
        draw_em_iteration,
        X=widgets.fixed(X),
        result=widgets.fixed(result),
        t=widgets.IntSlider(value=result.n_iter, min=0, max=result.n_iter, description="iteration", **_LAYOUT),
        ax_data=widgets.fixed(None),
        ax_curve=widgets.fixed(None),
    )


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
