"""Where EM starts: two ways to choose initial parameters."""

from __future__ import annotations

import math

import torch

from ._validation import check_int, check_K, check_nonneg, check_positive, check_tensor, check_X
from .params import GMMParams

MAX_SEED_POINTS = 2**16  # k-means++ runs on at most this many points (a uniform sample of larger data)
DISTANCE_BLOCK = 2**22  # entries of one block of squared distances


def _draw_device(generator: torch.Generator | None, like: torch.device) -> torch.device:
    """Where random numbers are drawn: on the generator's own device (a CPU generator for CUDA data is fine)."""
    return generator.device if generator is not None else like


def draw_indices(N: int, weights: torch.Tensor | None, n: int, generator: torch.Generator | None = None,
                 device=None) -> torch.Tensor:
    """n indices in 0..N-1, independently, uniform or with probability proportional to ``weights``.

    Works for any N (``torch.multinomial`` refuses more than 2**24 categories): a uniform number
    times the total is looked up in the float64 cumulative sum of the weights. An index whose weight
    is 0 is never drawn.

    Parameters
    ----------
    N : int
    weights : Tensor, shape (N,), optional
        Non-negative, not all 0. None: uniform.
    n : int
    generator : torch.Generator, optional
    device : torch.device, optional
        Where the indices are returned (default: that of ``weights``, else the CPU).

    Returns
    -------
    Tensor, shape (n,), int64

    Examples
    --------
    >>> draw_indices(4, torch.tensor([0.0, 1.0, 0.0, 3.0]), 8, torch.Generator().manual_seed(0)).tolist()
    [3, 3, 3, 3, 3, 3, 1, 3]
    """
    device = device if device is not None else (weights.device if weights is not None else torch.device("cpu"))
    where = _draw_device(generator, device)
    if weights is None:
        return torch.randint(N, (n,), generator=generator, device=where).to(device)
    cumulative = weights.to(torch.float64).cumsum(dim=0)  # (N,)
    u = torch.rand(n, generator=generator, dtype=torch.float64, device=where).to(cumulative.device)
    index = torch.searchsorted(cumulative, u * cumulative[-1], right=True)  # first index whose cumulative sum exceeds u
    last = int(torch.nonzero(weights > 0)[-1])  # u * total rounding up to the total must not pick a trailing 0
    return index.clamp_(max=last).to(device)


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
        On any device: the indices are drawn where the generator lives.

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
    index = torch.randperm(N, generator=generator, device=_draw_device(generator, X.device))[:K].to(X.device)  # (K,) distinct
    means = X[index].clone()  # (K, D)
    variances = torch.full((K, D), variance, dtype=X.dtype, device=X.device)
    weights = torch.full((K,), 1.0 / K, dtype=X.dtype, device=X.device)
    return GMMParams(weights, means, variances)


def _sq_distances(A: torch.Tensor, sq_norms_A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """||a - b||^2 for every row a of A and b of B, shape (len(A), len(B)), as matrix products.

    ||a||^2 - 2 a.b + ||b||^2, with results within rounding of 0 set to exactly 0, so a point's
    distance to itself (or to its duplicate) is 0. A and B should be centred near 0.
    """
    sq_norms_B = (B * B).sum(dim=1)  # (n_B,)
    scale = sq_norms_A[:, None] + sq_norms_B[None, :]  # (n_A, n_B)
    d2 = torch.addmm(scale, A, B.T, alpha=-2)  # (n_A, D) @ (D, n_B) -> (n_A, n_B)
    return d2.masked_fill_(d2 <= 8 * torch.finfo(A.dtype).eps * scale, 0.0)


def kmeans_plusplus_means(
    X: torch.Tensor, K: int, generator: torch.Generator | None = None, n_local_trials: int | None = None
) -> torch.Tensor:
    """K data points chosen by k-means++ (D^2 sampling), greedily by default.

    Introduced in notebooks/02_initialisation.ipynb.

    The first mean is a uniformly random point. Each next one is drawn with probability proportional
    to d(x_n)^2, the squared distance from x_n to the nearest mean chosen so far, so points far from
    every chosen mean are likely picks and the means spread over the clusters. **Greedy** k-means++
    (scikit-learn's default) draws ``n_local_trials`` candidates that way at each step and keeps the
    one that lowers sum_n d(x_n)^2 the most: fewer outliers get picked than with one draw.

    Distances are matrix products, never an (N, K, D) tensor: each step holds ``n_local_trials``
    distances per point (a few (n_local_trials, N) tensors) and costs about ``n_local_trials`` passes
    over the points. ``init_kmeans_plusplus`` calls it on at most 65,536 points.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    K : int
        1 <= K <= N.
    generator : torch.Generator, optional
        On any device: random numbers are drawn where the generator lives.
    n_local_trials : int, optional
        Candidates per step. Default 2 + floor(ln K) (greedy, as scikit-learn); 1 is plain D^2
        sampling (the original k-means++).

    Returns
    -------
    means : Tensor, shape (K, D)
        Rows of X.

    Examples
    --------
    >>> kmeans_plusplus_means(torch.randn(20, 2), 3).shape
    torch.Size([3, 2])
    """
    check_X(X)
    N, D = X.shape
    K = check_K(K, N)
    trials = 2 + int(math.log(K)) if n_local_trials is None else check_int("n_local_trials", n_local_trials, 1)
    centred = X - X.mean(dim=0)  # (N, D): distances are differences of large numbers far from the origin
    sq_norms = (centred * centred).sum(dim=1)  # (N,)
    chosen = [int(draw_indices(N, None, 1, generator, X.device)[0])]
    closest = _sq_distances(centred[chosen], sq_norms[chosen], centred)[0]  # (N,): d(x_n)^2
    for _ in range(1, K):
        total = float(closest.sum())
        # When every point sits on a chosen mean (duplicated data), any point is as good: pick uniformly.
        candidates = draw_indices(N, closest if total > 0 else None, trials, generator, X.device)  # (trials,)
        if trials == 1:
            best = 0
            d2 = _sq_distances(centred[candidates], sq_norms[candidates], centred)  # (1, N)
            closest = torch.minimum(closest, d2[0])
        else:
            d2 = torch.minimum(closest, _sq_distances(centred[candidates], sq_norms[candidates], centred))  # (trials, N)
            best = int(d2.sum(dim=1, dtype=torch.float64).argmin())  # the candidate that lowers the potential most
            closest = d2[best]
        chosen.append(int(candidates[best]))
    return X[chosen].clone()  # (K, D)


def nearest_means(X: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """For each point, the index of its nearest mean, shape (N,): matrix products over blocks, never (N, K, D).

    Introduced in notebooks/02_initialisation.ipynb.

    Examples
    --------
    >>> nearest_means(torch.tensor([[0.0], [0.9], [5.0]]), torch.tensor([[0.0], [4.0]])).tolist()
    [0, 0, 1]
    """
    check_X(X)
    check_tensor("means", means, 2, f"(K, D) with D = {X.shape[1]}")
    if means.shape[1] != X.shape[1] or means.shape[0] == 0 or means.dtype != X.dtype or means.device != X.device:
        raise ValueError(f"means: expected a {X.dtype} tensor of shape (K, {X.shape[1]}) with K >= 1 on {X.device} like X, "
                         f"got a {means.dtype} tensor of shape {tuple(means.shape)} on {means.device}")
    centre = X.mean(dim=0)
    centred_means = means - centre  # (K, D)
    block = max(1, DISTANCE_BLOCK // means.shape[0])
    nearest = torch.empty(X.shape[0], dtype=torch.int64, device=X.device)
    for start in range(0, X.shape[0], block):
        rows = X[start:start + block] - centre  # (n, D)
        d2 = torch.addmm((centred_means * centred_means).sum(dim=1)[None, :], rows, centred_means.T, alpha=-2)  # (n, K)
        nearest[start:start + block] = d2.argmin(dim=1)  # ||x||^2 is the same for every mean: left out
    return nearest


def init_kmeans_plusplus(
    X: torch.Tensor, K: int, generator: torch.Generator | None = None, reg_covar: float = 1e-6,
    n_local_trials: int | None = None, max_points: int = MAX_SEED_POINTS,
) -> GMMParams:
    """The default start: k-means++ picks K data points; each picked point's cluster gives a component.

    Introduced in notebooks/02_initialisation.ipynb.

    The picked points = ``kmeans_plusplus_means(X, K)`` (greedy by default); each point goes to its nearest
    picked point (one assignment step of k-means); component k gets the fraction of points in cluster k as its weight,
    the cluster's centroid as its mean and the cluster's variance per dimension, around that centroid,
    plus ``reg_covar`` (the Gaussian parameters of the hard clusters, as scikit-learn computes them from
    one-hot responsibilities; its own ``init_params="k-means++"`` puts a one-hot only at the picked
    points themselves, giving every component the variance ``reg_covar``). A cluster of fewer than
    two points (an isolated picked point, or one whose points all went to a duplicate) has no spread to
    measure: it gets the variance of the whole data set (and weight of at least one point), so no
    component starts as a spike.

    When N > ``max_points``, all of this runs on ``max_points`` points drawn uniformly at random (with
    replacement), so the start costs the same for a million points as for 65,536: a uniform sample
    of that size represents every cluster holding more than a few thousandths of the data.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    K : int
        1 <= K <= N.
    generator : torch.Generator, optional
        On any device: random numbers are drawn where the generator lives.
    reg_covar : float, default 1e-6
        Added to every variance, >= 0 (as in the M-step).
    n_local_trials : int, optional
        Passed to ``kmeans_plusplus_means``.
    max_points : int, default 65536

    Returns
    -------
    GMMParams
        weights (K,), means (K, D), variances (K, D), with the dtype and device of X.

    Raises
    ------
    ValueError
        With ``reg_covar=0``, when X has the same value in every point along some dimension (no
        Gaussian with variance 0 exists).

    Examples
    --------
    >>> p = init_kmeans_plusplus(torch.randn(50, 2), 3, generator=torch.Generator().manual_seed(0))
    >>> tuple(p.means.shape), round(p.weights.sum().item(), 6)
    ((3, 2), 1.0)
    """
    check_X(X)
    N, D = X.shape
    K = check_K(K, N)
    reg_covar = check_nonneg("reg_covar", reg_covar)
    max_points = check_int("max_points", max_points, K)
    if N > max_points:
        X = X[draw_indices(N, None, max_points, generator, X.device).sort().values]  # (m, D), a uniform sample
    seeds = kmeans_plusplus_means(X, K, generator, n_local_trials)  # (K, D)
    nearest = nearest_means(X, seeds)  # (m,)
    counts = torch.bincount(nearest, minlength=K).to(X.dtype)  # (K,)
    sums = torch.zeros(K, D, dtype=X.dtype, device=X.device).index_add_(0, nearest, X)  # (K, D)
    centroids = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], seeds)  # (K, D)
    squares = torch.zeros(K, D, dtype=X.dtype, device=X.device).index_add_(0, nearest, (X - centroids[nearest]) ** 2)
    cluster_var = squares / counts.clamp(min=1)[:, None]  # (K, D), around each centroid
    global_var = X.var(dim=0, unbiased=False).expand(K, D)  # (K, D)
    variances = torch.where(counts[:, None] < 2, global_var, cluster_var) + reg_covar  # (K, D)
    if not bool((variances > 0).all()):
        d = int((variances <= 0).any(dim=0).nonzero()[0])
        raise ValueError(f"reg_covar: expected > 0 for these data (every point of a cluster has the same value in "
                         f"dimension {d}, so its variance is 0), got {reg_covar}")
    counts = counts.clamp(min=1)
    return GMMParams(counts / counts.sum(), centroids, variances)
