"""Sampling from a mixture: the generative story, pick a component z, then draw x from it."""

from __future__ import annotations

import torch

from ._validation import _describe, check_int, check_params, check_X
from .params import GMMParams, toy_params

RUNNING_EXAMPLE_N = 600
RUNNING_EXAMPLE_SEED = 0


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
        The only source of randomness; pass a seeded one to get the same points every run. It may
        live on another device than ``params`` (a CPU generator for CUDA parameters): the random
        numbers are drawn where it lives, then moved.

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
    where = generator.device if generator is not None else means.device
    labels = torch.multinomial(weights.to(where), n, replacement=True, generator=generator).to(means.device)  # (n,)
    noise = torch.randn(n, D, generator=generator, dtype=means.dtype, device=where).to(means.device)  # (n, D)
    X = means[labels] + noise * variances[labels].sqrt()  # (n, D): mean + standard deviation * noise
    return X, labels


def running_example(dtype: torch.dtype = torch.float32):
    """The running example of the series: 600 points from ``toy_params()``, drawn with seed 0.

    Introduced in notebooks/00_overview.ipynb.

    The points are drawn in float32 and then converted, so every dtype holds the same points
    (``sample_gmm`` in float64 would draw different ones).

    Returns
    -------
    X : Tensor, shape (600, 2)
    labels : Tensor, shape (600,), int64
        The true component of each point.
    truth : GMMParams
        ``toy_params()``, the parameters that made them, in ``dtype``.

    Examples
    --------
    >>> X, labels, truth = running_example()
    >>> tuple(X.shape), running_example(torch.float64)[0].equal(X.double())
    ((600, 2), True)
    """
    truth = toy_params(torch.float32)
    X, labels = sample_gmm(truth, RUNNING_EXAMPLE_N, generator=torch.Generator().manual_seed(RUNNING_EXAMPLE_SEED))
    return X.to(dtype), labels, truth.to(dtype)


def empirical_params(X: torch.Tensor, labels: torch.Tensor, K: int) -> GMMParams:
    """The parameters measured from labelled points: per-component fractions, means and variances.

    Introduced in notebooks/01_synthetic_data.ipynb.

    pi_k = N_k / N, mu_k = mean of the points with label k, sigma^2_k = their (biased) variance.
    This is the M-step with one-hot responsibilities (notebooks/06_parameter_updates.ipynb).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    labels : Tensor, shape (N,), int64
        Values in 0..K-1.
    K : int

    Returns
    -------
    GMMParams
        A component with no points gets weight ~0, mean 0 and variance 1e-6 rather than NaN.

    Examples
    --------
    >>> X, labels = sample_gmm(toy_params(), 50, generator=torch.Generator().manual_seed(0))
    >>> empirical_params(X, labels, 3).means.shape
    torch.Size([3, 2])
    """
    from .updates import m_step

    check_X(X)
    K = check_int("K", K, 1)
    if not isinstance(labels, torch.Tensor) or labels.shape != (X.shape[0],) or labels.dtype != torch.int64:
        raise ValueError(f"labels: expected an int64 tensor of shape ({X.shape[0]},), got {_describe(labels)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels: expected values in 0..{K - 1}, got {int(labels.min())}..{int(labels.max())}")
    one_hot = torch.nn.functional.one_hot(labels, K).to(X.dtype)  # (N, K)
    return m_step(X, one_hot, reg_covar=1e-6)


def estimation_errors(
    params: GMMParams, ns, repeats: int = 20, generator: torch.Generator | None = None, per_repeat: bool = False
) -> torch.Tensor:
    """How far the empirical parameters of n samples are from the truth, for each n.

    Introduced in notebooks/01_synthetic_data.ipynb.

    For each n, draw ``repeats`` samples of n points, measure ``empirical_params`` with the true
    labels, and average the absolute error over components and dimensions (and, unless
    ``per_repeat``, over the repeats). A component that drew no point in a sample has no mean or
    variance to compare: it is left out of those two averages (its weight error, the true weight,
    still counts).

    Parameters
    ----------
    params : GMMParams
    ns : sequence of int
    repeats : int
    generator : torch.Generator, optional
    per_repeat : bool, default False
        Return every repeat's error instead of their average, to show the spread.

    Returns
    -------
    errors : Tensor, shape (len(ns), 3), or (len(ns), repeats, 3) with ``per_repeat``
        Columns: mean absolute error of the weights, the means and the variances.

    Examples
    --------
    >>> estimation_errors(toy_params(), [100, 1000], repeats=2).shape
    torch.Size([2, 3])
    >>> estimation_errors(toy_params(), [100, 1000], repeats=2, per_repeat=True).shape
    torch.Size([2, 2, 3])
    """
    check_params(params)
    repeats = check_int("repeats", repeats, 1)
    rows = []
    for n in ns:
        n = check_int("n", n, 1)
        errors = torch.zeros(repeats, 3, dtype=params.means.dtype, device=params.means.device)
        for r in range(repeats):
            X, labels = sample_gmm(params, n, generator)
            est = empirical_params(X, labels, params.K)
            present = torch.bincount(labels, minlength=params.K) > 0  # (K,): a missing component has no mean to compare
            errors[r, 0] = (est.weights - params.weights).abs().mean()
            errors[r, 1] = (est.means - params.means)[present].abs().mean()
            errors[r, 2] = (est.variances - params.variances)[present].abs().mean()
        rows.append(errors if per_repeat else errors.mean(dim=0))
    return torch.stack(rows)
