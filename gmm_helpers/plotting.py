"""Figures for the series: mixtures as points and ellipses, coloured by component or responsibility.

Every function draws on an axis it is given (``ax=None`` means ``plt.gca()``) and returns it, so
notebooks can compose panels. Importing this module changes no global matplotlib state; call
``use_classroom_style()`` explicitly for large, projector-friendly defaults.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Ellipse

from .params import GMMParams

# Okabe–Ito colours: distinguishable with the common forms of colour blindness.
COMPONENT_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

CLASSROOM_RC = {
    "figure.figsize": (7.0, 5.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "lines.linewidth": 2.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def use_classroom_style() -> None:
    """Large fonts and thick lines that read from the back of a classroom (changes ``plt.rcParams``).

    Introduced in notebooks/00_overview.ipynb.
    """
    plt.rcParams.update(CLASSROOM_RC)


def component_colour(k: int) -> str:
    """The colour of component k, the same in every figure of the series."""
    return COMPONENT_COLOURS[k % len(COMPONENT_COLOURS)]


def responsibility_colours(resp: torch.Tensor) -> np.ndarray:
    """Blend the component colours by responsibility: a point shared 50/50 gets the mixed colour.

    Introduced in notebooks/05_posteriors.ipynb.

    Parameters
    ----------
    resp : Tensor, shape (N, K)

    Returns
    -------
    colours : ndarray, shape (N, 3)
        RGB in [0, 1].

    Examples
    --------
    >>> responsibility_colours(torch.tensor([[1.0, 0.0], [0.5, 0.5]])).shape
    (2, 3)
    """
    from matplotlib.colors import to_rgb

    K = resp.shape[1]
    palette = np.array([to_rgb(component_colour(k)) for k in range(K)])  # (K, 3)
    return np.clip(resp.detach().cpu().double().numpy() @ palette, 0, 1)  # (N, K) @ (K, 3) -> (N, 3)


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


def _plane_grid(xlim, ylim, n: int):
    """An n x n grid of the plane: its x and y ticks, each (n,), and its points, (n*n, 2), row by row in y."""
    xs = torch.linspace(*xlim, n, dtype=torch.float64)
    ys = torch.linspace(*ylim, n, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # (n, n) each
    return xs, ys, torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (n*n, 2)


def mixture_density_grid(params: GMMParams, xlim, ylim, n: int = 200):
    """The mixture density p(x) = sum_k pi_k N(x; mu_k, diag(sigma^2_k)) on an n x n grid.

    Introduced in notebooks/00_overview.ipynb.

    Returns
    -------
    xs : ndarray, shape (n,)
    ys : ndarray, shape (n,)
    density : ndarray, shape (n, n)
        ``density[i, j]`` is p at (xs[j], ys[i]), ready for ``ax.contour(xs, ys, density)``.
    """
    from .likelihoods import weighted_log_pdfs

    xs, ys, grid = _plane_grid(xlim, ylim, n)
    log_px = torch.logsumexp(weighted_log_pdfs(grid, params.to(torch.float64)), dim=1)  # (n*n, K) -> (n*n,)
    return xs.numpy(), ys.numpy(), log_px.exp().reshape(n, n).numpy()


def plot_density(params: GMMParams, ax=None, xlim=(-7, 7), ylim=(-6, 6), levels: int = 12, colorbar: bool = True):
    """Filled contours of the mixture density p(x), with a colour bar.

    Introduced in notebooks/00_overview.ipynb.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    xs, ys, density = mixture_density_grid(params, xlim, ylim)
    filled = ax.contourf(xs, ys, density, levels=levels, cmap="Greys")
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label="density $p(x)$")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
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

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    if X is not None:
        Xn = X.detach().cpu().double().numpy()
        if labels is not None:
            labels = torch.as_tensor(labels).cpu().numpy()
            for k in np.unique(labels):
                ax.scatter(*Xn[labels == k].T, s=point_size, color=component_colour(int(k)), alpha=0.5,
                           linewidths=0, label=None if params is not None or not legend else f"component {k}")
        elif resp is not None:
            ax.scatter(*Xn.T, s=point_size, c=responsibility_colours(resp), alpha=0.7, linewidths=0)
        else:
            ax.scatter(*Xn.T, s=point_size, color="0.45", alpha=0.5, linewidths=0)
    if params is not None:
        weights, means, variances = (t.detach().cpu().double() for t in params)
        K = means.shape[0]
        for k in range(K):
            colour = component_colour(k)
            width = 1.0 + 4.0 * float(weights[k]) * K / 2
            draw_ellipses(means[k], variances[k], ax=ax, n_std=n_std, color=colour, linewidth=width)
            ax.plot(*means[k].numpy(), marker="X", markersize=13, color=colour, markeredgecolor="white",
                    linestyle="none", label=f"component {k}: weight {float(weights[k]):.2f}" if legend else None)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", framealpha=0.85)
    return ax


def plot_error_vs_n(ns, errors, ax=None):
    """Estimation error against sample size on log–log axes, with a 1/sqrt(N) guide line.

    Introduced in notebooks/01_synthetic_data.ipynb.

    Parameters
    ----------
    ns : sequence of int
    errors : Tensor, shape (len(ns), 3)
        From ``estimation_errors``: weights, means, variances.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    ns = np.asarray(ns, dtype=float)
    errors = np.asarray(torch.as_tensor(errors).cpu(), dtype=float)
    # colours outside the component palette: these lines are quantities, not components
    styles = [("weights", "o", "#6A3D9A"), ("means", "s", "#8C510A"), ("variances", "^", "#01665E")]
    for column, (name, marker, colour) in enumerate(styles):
        ax.loglog(ns, errors[:, column], marker=marker, markersize=8, color=colour, label=name)
    guide = errors[0].max() * np.sqrt(ns[0] / ns)  # c / sqrt(N), through the first point
    ax.loglog(ns, guide, linestyle="--", color="0.3", label=r"$\propto 1/\sqrt{N}$")
    ax.set_xlabel("number of points $N$")
    ax.set_ylabel("mean absolute error")
    ax.legend()
    return ax


def plot_underflow(max_dim: int = 800, ax=None):
    """log10 of the density of x = (1, ..., 1) under N(0, I_D) against D, with float32/float64 limits.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    The density is a product of D one-dimensional densities, each about 0.242, so it falls
    geometrically; the horizontal lines mark the smallest positive numbers each dtype can hold.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    dims = np.arange(1, max_dim + 1)
    log10_per_dim = (-0.5 * (np.log(2 * np.pi) + 1.0)) / np.log(10)  # log10 N(1; 0, 1)
    ax.plot(dims, dims * log10_per_dim, color="black", label=r"$\log_{10} p(x)$, exact")
    for dtype, colour in ((torch.float32, "#D55E00"), (torch.float64, "#0072B2")):
        info = torch.finfo(dtype)
        name = str(dtype).replace("torch.", "")
        ax.axhline(np.log10(info.tiny), color=colour, linestyle="--", label=f"smallest normal {name}")
        ax.axhline(np.log10(info.smallest_normal * info.eps), color=colour, linestyle=":",
                   label=f"smallest {name} > 0 (subnormal)")
    ax.set_xlabel("number of dimensions $D$")
    ax.set_ylabel(r"$\log_{10}$ density")
    ax.legend(loc="lower left")
    return ax


def _draw_box(ax, x0: float, y0: float, rows: int, depth: int, cols: int, colour: str, label: str) -> float:
    """An oblique-projected box of rows x depth x cols unit cells; returns its right edge."""
    from matplotlib.patches import Polygon

    dx, dy = 0.45, 0.35  # the oblique offset of one unit of depth
    w, h = cols, rows
    ox, oy = depth * dx, depth * dy
    faces = [
        [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)],  # front
        [(x0, y0 + h), (x0 + w, y0 + h), (x0 + w + ox, y0 + h + oy), (x0 + ox, y0 + h + oy)],  # top
        [(x0 + w, y0), (x0 + w + ox, y0 + oy), (x0 + w + ox, y0 + h + oy), (x0 + w, y0 + h)],  # side
    ]
    for face, shade in zip(faces, (1.0, 0.8, 0.6)):
        ax.add_patch(Polygon(face, closed=True, facecolor=colour, alpha=0.35 * shade + 0.2, edgecolor="black", linewidth=1.5))
    for i in range(1, cols):  # grid lines on the front face: one column per dimension
        ax.plot([x0 + i, x0 + i], [y0, y0 + h], color="black", linewidth=0.5)
    for j in range(1, rows):
        ax.plot([x0, x0 + w], [y0 + j, y0 + j], color="black", linewidth=0.5)
    ax.text(x0 + (w + ox) / 2, y0 - 0.9, label, ha="center", va="top", fontsize=15)
    return x0 + w + ox


def draw_broadcast_shapes(N: int = 6, K: int = 3, D: int = 4, ax=None):
    """The shapes in ``component_log_pdfs``: (N,1,D) - (1,K,D) -> (N,K,D) -> sum over D -> (N,K).

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    Rows are points (N), columns dimensions (D), depth components (K); a size-1 axis is
    stretched by broadcasting to match the other operand.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    x = 0.0
    pieces = [
        ((N, 1, D), "#0072B2", "X[:, None, :]\n(N, 1, D)"),
        ("−", None, None),
        ((1, K, D), "#D55E00", "means[None, :, :]\n(1, K, D)"),
        ("→", None, None),
        ((N, K, D), "#CC79A7", "(x − μ)² / σ²\n(N, K, D)"),
        ("sum over D\n→", None, None),
        ((N, K, 1), "#009E73", "log_pdfs\n(N, K)"),
    ]
    for shape, colour, label in pieces:
        if colour is None:
            width = 1.8 if len(shape) == 1 else 4.4
            ax.text(x + width / 2, N / 2, shape, ha="center", va="center", fontsize=22 if len(shape) == 1 else 15)
            x += width
            continue
        rows, depth, cols = shape
        if shape == (N, K, 1):  # an (N, K) matrix: draw it with components as columns
            rows, depth, cols = N, 0, K
        x = _draw_box(ax, x, 0.0, rows, depth, cols, colour, label) + 0.3
    ax.set_xlim(-0.5, x + 0.2)
    ax.set_ylim(-3.2, N + K * 0.35 + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_broadcast_memory(ax=None, Ns=None, KDs=((8, 8), (16, 32), (64, 64)), dtype=torch.float32):
    """Memory of the (N, K, D) intermediate against N, one line per (K, D), with laptop-sized guides.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    Returns
    -------
    ax : matplotlib Axes
    """
    from .likelihoods import broadcast_memory_bytes

    ax = ax or plt.gca()
    Ns = np.logspace(2, 7, 21) if Ns is None else np.asarray(Ns, dtype=float)
    for (K, D), colour in zip(KDs, ["#6A3D9A", "#8C510A", "#01665E", "#B2182B"]):
        gb = [broadcast_memory_bytes(int(n), K, D, dtype) / 1e9 for n in Ns]
        ax.loglog(Ns, gb, color=colour, label=f"K = {K}, D = {D}")
    for gb, text in ((16, "16 GB: a laptop's memory"), (0.001, "1 MB")):
        ax.axhline(gb, color="0.4", linestyle=":", linewidth=1.5)
        ax.text(Ns[0], gb * 1.25, text, color="0.3", fontsize=12)
    ax.set_xlabel("number of points $N$")
    ax.set_ylabel(f"GB for one (N, K, D) {str(dtype).replace('torch.', '')} tensor")
    ax.legend(loc="lower right")
    return ax


def responsibility_grid(params: GMMParams, xlim, ylim, n: int = 200):
    """Responsibilities r_k(x) on an n x n grid of the plane.

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    xs, ys : ndarray, shape (n,)
    resp : ndarray, shape (n, n, K)
    """
    from .posteriors import log_responsibilities

    xs, ys, grid = _plane_grid(xlim, ylim, n)
    resp = log_responsibilities(grid, params.to(torch.float64)).exp()  # (n*n, K)
    return xs.numpy(), ys.numpy(), resp.reshape(n, n, -1).numpy()


def plot_uncertainty(params: GMMParams, ax=None, xlim=(-7, 7), ylim=(-6, 6)):
    """A map of 1 - max_k r_k(x): 0 where one component clearly owns x, up to 1 - 1/K on a boundary.

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    xs, ys, resp = responsibility_grid(params, xlim, ylim)
    K = resp.shape[-1]
    filled = ax.contourf(xs, ys, 1 - resp.max(axis=-1), levels=np.linspace(0, 1 - 1 / K, 11), cmap="Greys")
    ax.figure.colorbar(filled, ax=ax, label=r"uncertainty $1 - \max_k r_k(x)$", format="%.2f")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    return ax
