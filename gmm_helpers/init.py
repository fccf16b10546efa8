"""Where EM starts: two ways to choose initial parameters."""

from __future__ import annotations

import torch

from ._validation import check_K, check_positive, check_X
from .params import GMMParams


def init_random_points(
    X: torch.Tensor, K: int, variance: float = 1.0, generator: torch.Generator | None = None
) -> GMMParams:
    """K distinct data points as means, one fixed variance everywhere, uniform weights.

    Introduced in notebooks/02_initialisation.ipynb.

    The simplest start (the original blog's): mu_k = x_{i_k} for K distinct random indices i_k,
    sigma^2_kd = ``variance``, pi_k = 1/K.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    K : int
        Number of components, 1 <= K <= N.
    variance : float, default 1.0
        The variance (not standard deviation) given to every component and dimension, > 0.
    generator : torch.Generator, optional

    Returns
    -------
    GMMParams
        weights (K,), means (K, D), variances (K, D), with the dtype and device of X.

    Examples
    --------
    >>> p = init_random_points(torch.randn(20, 2), 3, generator=torch.Generator().manual_seed(0))
    >>> p.weights.tolist(), p.variances.unique().tolist()  # doctest: +ELLIPSIS
    ([0.333..., 0.333..., 0.333...], [1.0])
    """
    check_X(X)
    N, D = X.shape
    K = check_K(K, N)
    variance = check_positive("variance", variance)
    index = torch.randperm(N, generator=generator, device=X.device)[:K]  # (K,) distinct rows
    means = X[index].clone()  # (K, D)
    variances = torch.full((K, D), variance, dtype=X.dtype, device=X.device)
    weights = torch.full((K,), 1.0 / K, dtype=X.dtype, device=X.device)
    return GMMParams(weights, means, variances)


def kmeans_plusplus_means(X: torch.Tensor, K: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """K data points chosen by k-means++ (D^2 sampling).

    Introduced in notebooks/02_initialisation.ipynb.

    The first mean is a uniformly random point; each next one is point n with probability
    proportional to d_n^2, its squared distance to the nearest mean chosen so far. Points far from
    every chosen mean are likely picks, so the means spread over the clusters.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    K : int
        1 <= K <= N.
    generator : torch.Generator, optional

    Returns
    -------
    means : Tensor, shape (K, D)

    Examples
    --------
    >>> kmeans_plusplus_means(torch.randn(20, 2), 3).shape
    torch.Size([3, 2])
    """
    check_X(X)
    N, D = X.shape
    K = check_K(K, N)
    first = torch.randint(N, (1,), generator=generator, device=X.device)
    means = [X[first[0]]]
    d2 = ((X - means[0]) ** 2).sum(dim=1)  # (N, D) -> (N,)
    for _ in range(1, K):
        total = d2.sum()
        # When every point sits on a chosen mean (duplicated data), fall back to a uniform pick.
        probs = d2 / total if total > 0 else torch.ones_like(d2) / N  # (N,)
        pick = torch.multinomial(probs, 1, generator=generator)[0]
        means.append(X[pick])
        d2 = torch.minimum(d2, ((X - X[pick]) ** 2).sum(dim=1))  # (N,)
    return torch.stack(means)  # (K, D)


def init_kmeans_plusplus(
    X: torch.Tensor, K: int, generator: torch.Generator | None = None, reg_covar: float = 1e-6
) -> GMMParams:
    """k-means++ means, then weights and variances from the points nearest each mean.

    Introduced in notebooks/02_initialisation.ipynb.

    mu = ``kmeans_plusplus_means(X, K)``; each point goes to its nearest mean; pi_k is the fraction
    of points in cluster k and sigma^2_kd = mean over the cluster of (x_nd - mu_kd)^2 + reg_covar.
    A cluster with fewer than two points (possible with duplicated data) gets one point's worth of
    weight and the variance of the whole data set, so nothing is zero and nothing is NaN.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    K : int
        1 <= K <= N.
    generator : torch.Generator, optional
    reg_covar : float, default 1e-6
        Floor added to every variance, > 0 (data that are all one point have variance 0).

    Returns
    -------
    GMMParams
        weights (K,), means (K, D), variances (K, D), with the dtype and device of X.

    Examples
    --------
    >>> p = init_kmeans_plusplus(torch.randn(50, 2), 3, generator=torch.Generator().manual_seed(0))
    >>> tuple(p.means.shape), round(p.weights.sum().item(), 6)
    ((3, 2), 1.0)
    """
    check_X(X)
    N, D = X.shape
    K = check_K(K, N)
    reg_covar = check_positive("reg_covar", reg_covar)
    means = kmeans_plusplus_means(X, K, generator)  # (K, D)
    d2 = ((X[:, None, :] - means[None, :, :]) ** 2).sum(dim=2)  # (N, 1, D) - (1, K, D) -> (N, K)
    nearest = d2.argmin(dim=1)  # (N,)
    onehot = torch.nn.functional.one_hot(nearest, K).to(X.dtype)  # (N, K)
    counts = onehot.sum(dim=0)  # (K,)
    sq_dev = onehot.T @ ((X - means[nearest]) ** 2)  # (K, N) @ (N, D) -> (K, D), centred
    cluster_var = sq_dev / counts.clamp(min=1)[:, None]  # (K, D)
    global_var = X.var(dim=0, unbiased=False).expand(K, D)  # (K, D)
    small = counts[:, None] < 2  # (K, 1)
    variances = torch.where(small, global_var, cluster_var) + reg_covar  # (K, D)
    counts = counts.clamp(min=1)
    weights = counts / counts.sum()  # (K,)
    return GMMParams(weights, means, variances)
