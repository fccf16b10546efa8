"""Responsibilities: who belongs where, by Bayes' rule in the log domain."""

from __future__ import annotations

import torch

from .likelihoods import plane_grid, weighted_log_pdfs
from .params import GMMParams


def log_responsibilities(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """log r_nk = log pi_k + log N(x_n | k) - log sum_j pi_j N(x_n | j).

    Introduced in notebooks/05_posteriors.ipynb.

    The posterior probability that point n came from component k. The normaliser is computed with
    the log-sum-exp trick, so a point far from every component (all densities underflow to 0 in
    probability space) still gets well-defined responsibilities.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams
        weights (K,), means (K, D), variances (K, D).

    Returns
    -------
    log_resp : Tensor, shape (N, K)
        ``log_resp.exp()`` has rows that sum to one.

    Examples
    --------
    >>> log_resp = log_responsibilities(torch.zeros(4, 2), toy_params())
    >>> tuple(log_resp.shape), torch.allclose(log_resp.exp().sum(dim=1), torch.ones(4))
    ((4, 3), True)
    """
    log_joint = weighted_log_pdfs(X, params)  # (N, K)
    log_px = torch.logsumexp(log_joint, dim=1, keepdim=True)  # (N, 1)
    return log_joint - log_px  # (N, K) - (N, 1) -> (N, K)


def responsibility_grid(params: GMMParams, xlim, ylim, n: int = 200):
    """Responsibilities r_k(x) on an n x n grid of the plane.

    Introduced in notebooks/05_posteriors.ipynb.

    Returns
    -------
    xs, ys : Tensor, shape (n,)
    resp : Tensor, shape (n, n, K), float64
        ``resp[i, j, k]`` is r_k at (xs[j], ys[i]).

    Examples
    --------
    >>> xs, ys, resp = responsibility_grid(toy_params(), (-5, 5), (-5, 5), n=11)
    >>> tuple(resp.shape), bool(torch.allclose(resp.sum(dim=-1), torch.ones(11, 11, dtype=torch.float64)))
    ((11, 11, 3), True)
    """
    xs, ys, grid = plane_grid(xlim, ylim, n)
    resp = log_responsibilities(grid, params.to(torch.float64)).exp()  # (n*n, K)
    return xs, ys, resp.reshape(n, n, -1)
