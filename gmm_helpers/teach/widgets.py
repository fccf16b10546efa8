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


# 08_choosing_k -------------------------------------------------------------------------------------

K_CHOICE_LIMITS = dict(xlim=(-7.5, 6.5), ylim=(-6.0, 6.5))  # the running example, with room for the ellipses


def draw_k_choice(X: torch.Tensor, fits: dict, bics: dict, K: int = 3, limits: dict = K_CHOICE_LIMITS, axes=None):
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
        Draw there (a row of a static companion) instead of in a new figure.

    Returns
    -------
    The new figure, or ``axes`` when given.
    """
    params = fits[K]
    Ks = sorted(bics)
    best = min(Ks, key=bics.get)
    if axes is None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.15, 1]})
    else:
        fig, (left, right) = None, axes
    plot_mixture(X, params, resp=log_responsibilities(X, params).exp(), ax=left, legend=False, n_std=(1, 2),
                 title=f"K = {K}: {K} ellipses (1σ and 2σ)")
    left.set_xlim(*limits["xlim"])
    left.set_ylim(*limits["ylim"])
    right.plot(Ks, [bics[k] for k in Ks], marker="o", markersize=8, color="#B2182B", label="BIC")
    right.plot([K], [bics[K]], marker="o", markersize=20, color="black", linestyle="none", label=f"K = {K}: BIC {bics[K]:.1f}")
    right.plot([best], [bics[best]], marker="*", markersize=22, color="#E69F00", markeredgecolor="black",
               linestyle="none", label=f"lowest BIC: K = {best}")
    right.set_xticks(Ks)
    right.set_xlabel("number of components $K$")
    right.set_ylabel("BIC (lower is better)")
    right.set_title("where this K sits on the BIC curve")
    right.legend(loc="upper right")
    if fig is None:
        return axes
    fig.tight_layout()
    return fig


def k_explorer(X: torch.Tensor, fits: dict, bics: dict):
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
