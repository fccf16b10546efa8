"""Every point under every component at once, by broadcasting; and the data log-likelihood."""

from __future__ import annotations

import math

import torch

from ._validation import check_params, check_X
from .params import GMMParams


def component_log_pdfs(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """log N(x_n; mu_k, diag(sigma^2_k)) for every point n and component k.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    The teaching form: it builds an (N, K, D) intermediate, which is clear but costs N*K*D numbers
    of memory.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams
        weights (K,), means (K, D), variances (K, D); the weights are not used here.

    Returns
    -------
    log_pdfs : Tensor, shape (N, K)

    Examples
    --------
    >>> component_log_pdfs(torch.zeros(5, 2), toy_params()).shape
    torch.Size([5, 3])
    """
    check_X(X)
    check_params(params, X)
    N, D = X.shape
    _, means, variances = params
    diff = X[:, None, :] - means[None, :, :]  # (N, 1, D) - (1, K, D) -> (N, K, D)
    sq_mahalanobis = (diff**2 / variances[None, :, :]).sum(dim=2)  # (N, K, D) -> (N, K)
    log_norm = D * math.log(2 * math.pi) + variances.log().sum(dim=1)  # (K,)
    return -0.5 * (log_norm[None, :] + sq_mahalanobis)  # (1, K) + (N, K) -> (N, K)


def weighted_log_pdfs(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """log pi_k + log N(x_n; mu_k, diag(sigma^2_k)): the log of the joint p(x_n, z_n = k).

    Introduced in notebooks/05_posteriors.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_joint : Tensor, shape (N, K)
        A component with weight 0 gets -inf.

    Examples
    --------
    >>> weighted_log_pdfs(torch.zeros(5, 2), toy_params()).shape
    torch.Size([5, 3])
    """
    log_pdfs = component_log_pdfs(X, params)  # (N, K)
    return log_pdfs + params.weights.log()[None, :]  # (N, K) + (1, K) -> (N, K)


def log_likelihood(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """The data log-likelihood sum_n log sum_k pi_k N(x_n; mu_k, diag(sigma^2_k)).

    Introduced in notebooks/05_posteriors.ipynb.

    Computed with ``torch.logsumexp`` so it stays finite when every density underflows.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_likelihood : Tensor, shape ()
        Divide by N for the per-point value that ``fit_em``'s ``tol`` is measured on.

    Examples
    --------
    >>> log_likelihood(torch.zeros(5, 2), toy_params()).shape
    torch.Size([])
    """
    log_px = torch.logsumexp(weighted_log_pdfs(X, params), dim=1)  # (N, K) -> (N,)
    return log_px.sum()


def component_log_pdfs_expanded(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """The same (N, K) log-densities as ``component_log_pdfs``, from matrix products and no (N, K, D) tensor.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb ("going further").

    Expanding the square, sum_d (x_d - mu_kd)^2 / s2_kd
    = sum_d x_d^2 / s2_kd - 2 sum_d x_d mu_kd / s2_kd + sum_d mu_kd^2 / s2_kd,
    i.e. (X^2) @ (1/s2)^T - 2 X @ (mu/s2)^T + a (K,) constant. Fast and lean, but the three terms
    can be large and cancel: in float32, data far from the origin relative to their spread lose
    precision (the notebook measures how much).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_pdfs : Tensor, shape (N, K)

    Examples
    --------
    >>> X = torch.randn(5, 2, dtype=torch.float64)
    >>> p = toy_params(torch.float64)
    >>> torch.allclose(component_log_pdfs_expanded(X, p), component_log_pdfs(X, p))
    True
    """
    check_X(X)
    check_params(params, X)
    N, D = X.shape
    _, means, variances = params
    precisions = 1.0 / variances  # (K, D)
    sq_mahalanobis = (
        (X**2) @ precisions.T  # (N, D) @ (D, K) -> (N, K)
        - 2.0 * X @ (means * precisions).T  # (N, D) @ (D, K) -> (N, K)
        + (means**2 * precisions).sum(dim=1)  # (K,), broadcast over the N rows
    )
    log_norm = D * math.log(2 * math.pi) + variances.log().sum(dim=1)  # (K,)
    return -0.5 * (log_norm + sq_mahalanobis)  # (N, K)


def broadcast_memory_bytes(N: int, K: int, D: int, dtype: torch.dtype = torch.float32) -> int:
    """Bytes of the (N, K, D) intermediate that the broadcast ``component_log_pdfs`` builds.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    >>> broadcast_memory_bytes(10**6, 64, 64) / 1e9  # gigabytes
    16.384
    """
    return N * K * D * torch.finfo(dtype).bits // 8
