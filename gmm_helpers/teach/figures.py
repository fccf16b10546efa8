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
    errors : Tensor, shape (len(ns), 3) or (len(ns), repeats, 3)
        From ``estimation_errors``: weights, means, variances. With a repeats axis, each line is the
        average over the repeats and a band shows the middle 80% of them (10th to 90th percentile).
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
    for column, (name, marker, colour) in enumerate(styles):
        ax.loglog(ns, mean[:, column], marker=marker, markersize=8, color=colour, label=name)
        if spread:
            low, high = np.percentile(errors[:, :, column], [10, 90], axis=1)
            ax.fill_between(ns, low, high, color=colour, alpha=0.18, linewidth=0,
                            label=f"middle 80% of {errors.shape[1]} samples" if column == 0 else None)
    guide = mean[0].max() * np.sqrt(ns[0] / ns)  # c / sqrt(N), through the first point
    ax.loglog(ns, guide, linestyle="--", color="0.3", label=r"$\propto 1/\sqrt{N}$")
    ax.set_xlabel("number of points $N$")
    ax.set_ylabel("mean absolute error")
    ax.legend()
    return ax


def plot_pdf_on_samples(samples, pdf=None, ax=None, grid=(-4.0, 6.0)):
    """A histogram of 1-D samples (scaled to a density) with ``pdf`` drawn over it, if given.

    Introduced in notebooks/01_synthetic_data.ipynb (Exercise 1.1).

    ``pdf`` is a reader's function of a 1-D float64 tensor; it may return a tensor, an array or a list.
    If it raises, the histogram is drawn alone and the error is printed.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    samples = np.asarray(torch.as_tensor(samples).detach().cpu(), dtype=float).reshape(-1)
    ax.hist(samples, bins=80, density=True, color="0.75", label=f"{len(samples):,} samples")
    if pdf is not None:
        x = torch.linspace(*grid, 400, dtype=torch.float64)
        try:
            y = np.asarray(torch.as_tensor(pdf(x)).detach().cpu(), dtype=float).reshape(-1)
        except Exception as exc:  # noqa: BLE001 - a reader's function may fail in any way; say how
            print(f"pdf_1d raised {type(exc).__name__}: {exc}; drawing the samples alone.")
        else:
            ax.plot(x.numpy(), y, color="black", label="your pdf_1d")
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def plot_underflow(dims, log_density, computed, ax=None):
    """A density that shrinks with the dimension D, and what each floating-point type makes of it.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    Parameters
    ----------
    dims : sequence of int
    log_density : Tensor, shape (len(dims),)
        The natural log of the density at each D, computed in the log domain (so never 0).
    computed : dict of str -> Tensor, shape (len(dims),)
        The density as a float type holds it, keyed by the type's name ("float32", "float64"); the
        type is read from each tensor. Values that are exactly 0 are drawn on a row of their own at the
        bottom, and the first D at which each type gives 0 is marked.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = ax or plt.gca()
    dims = np.asarray(dims, dtype=float)
    exact = np.asarray(torch.as_tensor(log_density).cpu(), dtype=float) / np.log(10)
    lowest = min(exact.min(), np.log10(torch.finfo(torch.float64).smallest_normal * torch.finfo(torch.float64).eps))
    zero_row = lowest - 25  # where "exactly 0" is drawn
    ax.plot(dims, exact, color="black", linewidth=2, label="the density, computed in logs")
    colours = {"float32": "#D55E00", "float64": "#0072B2"}
    # float32 as large open circles, float64 as small dots, every 5th D: where both hold the same value both show
    styles = [dict(marker="o", markersize=8, markerfacecolor="none", markeredgewidth=1.5), dict(marker="o", markersize=3.5)]
    for (name, values), offset, style in zip(computed.items(), (4, -4), styles):
        colour = colours.get(name, "0.4")
        info = torch.finfo(values.dtype)
        v = np.asarray(values.detach().cpu(), dtype=float)
        positive = v > 0
        every = np.arange(len(dims)) % 5 == 0
        ax.plot(dims[positive & every], np.log10(v[positive & every]), linestyle="none", color=colour,
                label=f"as {name} holds it", **style)
        ax.plot(dims[~positive & every], np.full((~positive & every).sum(), zero_row + offset / 2), linestyle="none",
                color=colour, **style)
        ax.axhline(np.log10(info.smallest_normal), color=colour, linestyle="--", linewidth=1.5)
        ax.axhline(np.log10(info.smallest_normal * info.eps), color=colour, linestyle=":", linewidth=2)
        if (~positive).any():
            first_zero = dims[~positive][0]
            ax.axvline(first_zero, color=colour, linewidth=1, alpha=0.6)
            ax.annotate(f"{name}: 0 from D = {first_zero:.0f}", (first_zero, zero_row + offset / 2), xytext=(8, 14),
                        textcoords="offset points", color=colour, fontsize=13)
    ax.text(dims[-1], np.log10(torch.finfo(torch.float32).smallest_normal * torch.finfo(torch.float32).eps) - 6,
            "dashed: smallest normal number\ndotted: smallest subnormal number", ha="right", va="top", fontsize=12, color="0.25")
    ticks = [t for t in ax.get_yticks() if t > zero_row + 15]
    ax.set_yticks(ticks + [zero_row], [f"{t:.0f}" for t in ticks] + ["exactly 0"])
    ax.set_ylim(zero_row - 12, max(exact.max(), 0) + 10)
    ax.set_xlabel("number of dimensions $D$")
    ax.set_ylabel(r"$\log_{10}$ density")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 0.12))
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
