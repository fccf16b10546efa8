"""Colours and the projector-friendly matplotlib style of the series.

Importing this module changes no global matplotlib state; ``use_classroom_style()`` does, when called.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

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


def owner_colours(resp: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """Each point in its most responsible component's colour, mixed with white the more it is shared.

    Introduced in notebooks/05_posteriors.ipynb.

    Parameters
    ----------
    resp : Tensor, shape (N, K)

    Returns
    -------
    face : Tensor, shape (N, 3)
        RGB in [0, 1]: the owner's full colour when owned outright (largest share 1), 15% of it on white when
        shared equally by all K (largest share 1/K).
    edge : list of str
        The owner's full colour, one per point.

    Examples
    --------
    >>> face, edge = owner_colours(torch.tensor([[1.0, 0.0], [0.5, 0.5]]))  # owned outright; shared 50/50
    >>> [[round(v, 2) for v in row] for row in face.tolist()], edge == [component_colour(0)] * 2
    ([[0.0, 0.45, 0.7], [0.85, 0.92, 0.95]], True)
    """
    from matplotlib.colors import to_rgb

    K = resp.shape[1]
    largest, owner = resp.max(dim=1)
    strength = 0.15 + 0.85 * (largest - 1 / K) / (1 - 1 / K)  # (N,): 1 owned outright, 0.15 shared equally by all
    full = torch.tensor([to_rgb(component_colour(int(k))) for k in owner])  # (N, 3)
    return (1 - strength[:, None]) * 1.0 + strength[:, None] * full, [component_colour(int(k)) for k in owner]
