"""Sampling from a mixture: the generative story, pick a component z, then draw x from it."""

from __future__ import annotations

import torch

from ._validation import check_int, check_params
from .params import GMMParams


def sample_gmm(
    params: GMMParams, n: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``n`` points from a diagonal Gaussian mixture.

    Introduced in notebooks/01_synthetic_data.ipynb.

    z_n ~ Categorical(weights), then x_n ~ N(means[z_n], diag(variances[z_n])).

    Parameters
    ----------
    params : GMMParams
        weights (K,), means (K, D), variances (K, D).
    n : int
        Number of points, >= 0.
    generator : torch.Generator, optional
        The only source of randomness; pass a seeded one to get the same points every run.

    Returns
    -------
    X : Tensor, shape (n, D)
        The points, with the dtype and device of ``params``.
    labels : Tensor, shape (n,), int64
        The component each point was drawn from.

    Examples
    --------
    >>> X, labels = sample_gmm(toy_params(), 5, generator=torch.Generator().manual_seed(0))
    >>> tuple(X.shape), tuple(labels.shape), labels.dtype
    ((5, 2), (5,), torch.int64)
    """
    check_params(params)
    n = check_int("n", n, 0)
    weights, means, variances = params
    K, D = means.shape
    if n == 0:
        return means.new_empty(0, D), torch.empty(0, dtype=torch.int64, device=means.device)
    labels = torch.multinomial(weights, n, replacement=True, generator=generator)  # (n,)
    noise = torch.randn(n, D, generator=generator, dtype=means.dtype, device=means.device)  # (n, D)
    X = means[labels] + noise * variances[labels].sqrt()  # (n, D): mean + standard deviation * noise
    return X, labels

