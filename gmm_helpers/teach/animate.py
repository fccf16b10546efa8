"""The animated EM fit, drawn afterwards from ``EMResult.history`` (never inside the EM loop)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.lines import Line2D

from ..em import EMResult
from ..posteriors import log_responsibilities
from .plotting import component_legend, data_limits, mark_start_below, plot_mixture


def draw_em_iteration(X: torch.Tensor, result: EMResult, t: int, ax_data=None, ax_curve=None, curve_ylim=None,
                      best: float | None = None):
    """Draw EM's state after iteration ``t``: the data coloured by responsibility, and the log-likelihood so far.

    Introduced in notebooks/07_em_fit.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, 2)
    result : EMResult
    t : int
        0 <= t <= result.n_iter; 0 is the start.
    ax_data, ax_curve : matplotlib Axes, optional
        Both given, or neither (then a new figure with two panels is made).
    curve_ylim : (float, float), optional
        The curve's y-range, per point (fixed across fits in 07's widget); by default that of iterations 1, 2, ...
    best : float, optional
        A per-point value to mark with a dashed line (the best fit's), to compare fits by.

    Returns
    -------
    fig : matplotlib Figure
    """
    if not 0 <= t <= result.n_iter:
        raise ValueError(f"t: expected an int in 0..{result.n_iter} (result.n_iter), got {t}")
    if ax_data is None:
        fig, (ax_data, ax_curve) = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [1.25, 1]})
    fig = ax_data.figure
    N = X.shape[0]
    params = result.history[t]
    resp = log_responsibilities(X, params).exp()  # (N, K)
    per_point = (result.log_likelihoods / N).detach().cpu().double().numpy()  # (n_iter + 1,)
    ax_data.clear()
    plot_mixture(X, params, resp=resp, ax=ax_data, legend=False, point_size=9)
    xlim, ylim = data_limits(X)
    ax_data.set_xlim(*xlim)
    ax_data.set_ylim(*ylim)
    ax_data.set_title(f"iteration {t}: log-likelihood per point {per_point[t]:.3f}")
    ax_curve.clear()
    ax_curve.plot(np.arange(t + 1), per_point[: t + 1], color="black", marker="o", markersize=4)
    ax_curve.set_xlim(-0.5, result.n_iter + 0.5)
    # the scale of iterations 1, 2, ...: the start is usually far below and would flatten the climb
    shown = per_point[1:] if result.n_iter >= 1 else per_point
    spread = shown.max() - shown.min()
    bottom, top = curve_ylim if curve_ylim is not None else (shown.min() - 0.08 * spread - 1e-9, shown.max() + 0.08 * spread + 1e-9)
    ax_curve.set_ylim(bottom, top)
    if best is not None:
        ax_curve.axhline(best, color="0.4", linestyle="--", linewidth=1.5)
        ax_curve.text(result.n_iter + 0.5, best, f"best fit {best:.3f}", ha="right", va="bottom", fontsize=11, color="0.3")
    if per_point[0] < bottom:
        mark_start_below(ax_curve, float(per_point[0]))  # an arrow at iteration 0, pointing down off the scale
    ax_curve.set_xlabel("iteration")
    ax_curve.set_ylabel("log-likelihood per point")
    ax_curve.set_title("log-likelihood so far")
    ax_curve.grid(True, alpha=0.3)
    return fig


def animate_em(X: torch.Tensor, result: EMResult, *, interval: int = 300, figsize=(7.5, 9.5), dpi: int = 80,
               gif_path=None, hold_last: int = 8, slow=(), slow_repeat: int = 3) -> FuncAnimation:
    """An animation of an EM fit: one frame per entry of ``result.history``, then the last one held.

    Introduced in notebooks/07_em_fit.ipynb.

    Each frame shows the points coloured by their responsibilities, each component's 1σ and 2σ
    ellipses (line width grows with the weight), the iteration and log-likelihood in the title, and
    below them the log-likelihood curve growing (on the scale of iterations 1, 2, ...; the start is
    marked below it). A key under the panels names the component colours and the fitted-mean marker. The two panels are
    stacked, so that a frame stays narrow enough to be shown at its own size, fonts readable.

    Parameters
    ----------
    X : Tensor, shape (N, 2)
    result : EMResult
        From ``fit_em(X, ...)``.
    interval : int
        Milliseconds between frames.
    figsize, dpi
        Size of the figure; the defaults (600 x 760 pixels) keep a 30-frame GIF under 1 MB.
    gif_path : str or Path, optional
        Also write the animation there as a GIF, at this ``interval`` and ``dpi`` (``save_gif``).
    hold_last : int, default 8
        Repeat the final frame this many more times, so a looping GIF pauses on the result.
    slow : iterable of int, default ()
        Iterations to linger on: each is shown for ``slow_repeat`` frames instead of one (a moment that would
        otherwise flash by).

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected shape (N, 2) to draw in the plane, got {tuple(X.shape)}")
    if hold_last < 0:
        raise ValueError(f"hold_last: expected an int >= 0, got {hold_last}")
    slow = set(int(t) for t in slow)
    if any(not 0 <= t < len(result.history) for t in slow):
        raise ValueError(f"slow: expected iterations in 0..{len(result.history) - 1}, got {sorted(slow)}")
    if slow_repeat < 1:
        raise ValueError(f"slow_repeat: expected an int >= 1, got {slow_repeat}")
    fig, (ax_data, ax_curve) = plt.subplots(2, 1, figsize=figsize, dpi=dpi, gridspec_kw={"height_ratios": [1.6, 1]})
    fig.subplots_adjust(left=0.15, right=0.96, bottom=0.2, top=0.95, hspace=0.42)
    fitted_mean = Line2D([], [], marker="X", markersize=12, markeredgecolor="white", linestyle="none", color="0.35",
                         label="fitted mean (X)")
    component_legend(fig, result.params.K, loc="lower center", ncol=2, fontsize=14, extra=[fitted_mean],
                     handletextpad=0.3, columnspacing=1.0)

    def update(t):
        draw_em_iteration(X, result, t, ax_data, ax_curve)
        return []

    frames = [t for t in range(len(result.history)) for _ in range(slow_repeat if t in slow else 1)]
    frames += [len(result.history) - 1] * hold_last
    animation = FuncAnimation(fig, update, frames=frames, interval=interval, blit=False, repeat=True)
    plt.close(fig)  # shown as a GIF, not as a live figure
    if gif_path is not None:
        save_gif(animation, gif_path, fps=1000 / interval, dpi=dpi)
    return animation


def save_gif(animation: FuncAnimation, path, *, fps: float, dpi: float) -> None:
    """Write an animation as a GIF with matplotlib's Pillow writer (no ffmpeg needed).

    Introduced in notebooks/07_em_fit.ipynb.

    ``fps`` frames per second and ``dpi`` dots per inch (pass the figure's own, as ``animate_em``
    does, so that ``savefig.dpi`` from a style cannot enlarge the file).
    """
    animation.save(str(path), writer=PillowWriter(fps=fps), dpi=dpi)
