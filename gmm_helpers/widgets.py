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

from .data import sample_gmm
from .init import init_kmeans_plusplus, init_random_points
from .params import GMMParams, toy_params
from .plotting import draw_ellipses, plot_density, plot_mixture

_STYLE = dict(style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
_LAYOUT = dict(_STYLE, continuous_update=False)  # sliders redraw when released, not on every pixel


def toy_with_component0(weight: float = 0.5, variance_scale: float = 1.0, dtype=torch.float64) -> GMMParams:
    """``toy_params()`` with component 0's weight set (the others share the rest 1:1) and its variances scaled.

    Introduced in notebooks/01_synthetic_data.ipynb.
    """
    base = toy_params(dtype)
    others = base.weights[1:] / base.weights[1:].sum() * (1 - weight)  # (K - 1,)
    weights = torch.cat([torch.tensor([weight], dtype=dtype), others])  # (K,)
    variances = base.variances.clone()
    variances[0] = variances[0] * variance_scale
    return GMMParams(weights, base.means, variances)


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
