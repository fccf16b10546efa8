"""The one-notebook figures of the series: each draws one picture that one notebook explains.

Every function draws on an axis it is given (``ax=None`` means ``plt.gca()``) and returns it. The
numbers they show come from the library (``gmm_helpers``); nothing here computes a model quantity.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..likelihoods import broadcast_memory_bytes
from ..params import GMMParams
from ..posteriors import responsibility_grid


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


def plot_uncertainty(params: GMMParams, ax=None, xlim=(-7, 7), ylim=(-6, 6)):
    """A map of 1 - max_k r_k(x): 0 where one component clearly owns x, up to 1 - 1/K on a boundary.

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    xs, ys, resp = responsibility_grid(params, xlim, ylim)  # (n,), (n,), (n, n, K)
    K = resp.shape[-1]
    uncertainty = (1 - resp.amax(dim=-1)).numpy()  # (n, n)
    filled = ax.contourf(xs.numpy(), ys.numpy(), uncertainty, levels=np.linspace(0, 1 - 1 / K, 11), cmap="Greys")
    ax.figure.colorbar(filled, ax=ax, label=r"uncertainty $1 - \max_k r_k(x)$", format="%.2f")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
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
        ax.legend()
    return axes


def plot_collapse(variances, log_likelihoods, ax=None):
    """The log-likelihood per point against the variance of a component that sits on one data point.

    Introduced in notebooks/08_choosing_k.ipynb. The variance axis is logarithmic and runs from large
    to small, so that the collapse reads left to right.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    ax.semilogx(np.asarray(variances, dtype=float), np.asarray(log_likelihoods, dtype=float), marker="o", color="black")
    ax.invert_xaxis()
    ax.set_xlabel(r"variance $\sigma^2$ of the component on the point (shrinking →)")
    ax.set_ylabel("log-likelihood per point")
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
