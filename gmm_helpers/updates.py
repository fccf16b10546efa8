"""The M-step: weighted maximum-likelihood estimates of the weights, means and variances."""

from __future__ import annotations

import torch

from ._validation import check_nonneg, check_resp, check_X
from .params import GMMParams


def effective_counts(resp: torch.Tensor) -> torch.Tensor:
    """N_k = sum_n r_nk, plus 10 machine epsilons so an empty component never divides by zero.

    Introduced in notebooks/06_parameter_updates.ipynb.

    Parameters
    ----------
    resp : Tensor, shape (N, K)

    Returns
    -------
    nk : Tensor, shape (K,)

    Examples
    --------
    >>> effective_counts(torch.tensor([[1.0, 0.0], [0.5, 0.5]])).tolist()  # doctest: +ELLIPSIS
    [1.50000..., 0.50000...]
    """
    return resp.sum(dim=0) + 10 * torch.finfo(resp.dtype).eps  # (N, K) -> (K,)


def raise_if_collapsed(where: str, collapsed: torch.Tensor) -> None:
    """Raise FloatingPointError naming the first component whose variance is 0 (``collapsed``: (K, D) bool)."""
    if bool(collapsed.any()):
        k, d = collapsed.nonzero()[0].tolist()
        raise FloatingPointError(
            f"{where}: component {k} collapsed to variance 0 in dimension {d} "
            f"(it sits on a single point or on duplicated points); pass reg_covar > 0, e.g. 1e-6"
        )


def m_step(X: torch.Tensor, resp: torch.Tensor, reg_covar: float = 1e-6) -> GMMParams:
    """New parameters from data and responsibilities (the M-step of EM).

    Introduced in notebooks/06_parameter_updates.ipynb.

    N_k = sum_n r_nk;  pi_k = N_k / N;  mu_k = sum_n r_nk x_n / N_k;
    sigma^2_kd = sum_n r_nk (x_nd - mu_kd)^2 / N_k + reg_covar.

    The variances use the centred form: the one-pass E[x^2] - mu^2 cancels catastrophically (and
    can go negative) in float32 for data far from the origin.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    resp : Tensor, shape (N, K)
        Responsibilities: non-negative, rows summing to one.
    reg_covar : float, default 1e-6
        Added to every variance so a component that collapses onto one point keeps a positive
        variance (as scikit-learn's ``reg_covar``).

    Returns
    -------
    GMMParams
        weights (K,), means (K, D), variances (K, D).

    Raises
    ------
    FloatingPointError
        If a variance comes out as zero, which only happens with ``reg_covar=0``.

    Examples
    --------
    >>> p = m_step(torch.randn(10, 2), torch.full((10, 3), 1 / 3))
    >>> tuple(p.weights.shape), tuple(p.means.shape), tuple(p.variances.shape)
    ((3,), (3, 2), (3, 2))
    """
    check_X(X)
    check_resp(resp, X)
    reg_covar = check_nonneg("reg_covar", reg_covar)
    nk = effective_counts(resp)  # (K,)
    means = (resp.T @ X) / nk[:, None]  # (K, N) @ (N, D) -> (K, D)
    diff = X[:, None, :] - means[None, :, :]  # (N, 1, D) - (1, K, D) -> (N, K, D)
    variances = (resp[:, :, None] * diff**2).sum(dim=0) / nk[:, None] + reg_covar  # (N, K, D) -> (K, D)
    raise_if_collapsed("m_step", ~(variances > 0))
    weights = nk / nk.sum()  # (K,)
    return GMMParams(weights, means, variances)
