"""Responsibilities: who belongs where, by Bayes' rule in the log domain."""

from __future__ import annotations

import torch

from .likelihoods import weighted_log_pdfs
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
