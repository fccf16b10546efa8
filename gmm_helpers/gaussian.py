"""The log-density of a Gaussian with a diagonal covariance."""

from __future__ import annotations

import math

import torch

from ._validation import check_dtype, check_tensor, check_X


def log_normalisers(variances: torch.Tensor) -> torch.Tensor:
    """D log(2 pi) + sum_d log sigma^2_d: minus twice the log of a diagonal Gaussian's normalising constant.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    log N(x; mu, diag(sigma^2)) = -1/2 [log_normalisers(sigma^2) + sum_d (x_d - mu_d)^2 / sigma^2_d].

    Parameters
    ----------
    variances : Tensor, shape (..., D)
        Variances (not standard deviations), all > 0.

    Returns
    -------
    Tensor, shape (...)
        One value per Gaussian: the last dimension is summed.

    Examples
    --------
    >>> log_normalisers(torch.ones(3, 2))  # 2 log(2 pi) for each of three unit Gaussians in 2-D
    tensor([3.6758, 3.6758, 3.6758])
    """
    D = variances.shape[-1]
    return D * math.log(2 * math.pi) + variances.log().sum(dim=-1)


def diag_gaussian_log_pdf(X: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
    """log N(x_n; mean, diag(variance)) for every row of X.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    log N(x; mu, diag(s2)) = -1/2 * sum_d [ log(2 pi) + log s2_d + (x_d - mu_d)^2 / s2_d ]

    Parameters
    ----------
    X : Tensor, shape (N, D)
    mean : Tensor, shape (D,)
    variance : Tensor, shape (D,)
        Variances (not standard deviations), all > 0.

    Returns
    -------
    log_pdf : Tensor, shape (N,)

    Examples
    --------
    >>> diag_gaussian_log_pdf(torch.zeros(4, 3), torch.zeros(3), torch.ones(3)).shape
    torch.Size([4])
    """
    check_X(X)
    N, D = X.shape
    check_tensor("mean", mean, 1, f"(D,) with D = {D}")
    check_tensor("variance", variance, 1, f"(D,) with D = {D}")
    for name, t in (("mean", mean), ("variance", variance)):
        if t.shape[0] != D:
            raise ValueError(f"{name}: expected shape ({D},) to match X of shape {(N, D)}, got {tuple(t.shape)}")
        if t.dtype != X.dtype or t.device != X.device:
            raise ValueError(f"{name}: expected dtype {X.dtype} on {X.device} like X, got {t.dtype} on {t.device}")
    if bool((variance <= 0).any()):
        d = int(variance.detach().argmin())
        raise ValueError(
            f"variance: expected values > 0 (positive variances), got {float(variance.detach()[d]):.4g} at index {d}; "
            f"0 means a component collapsed (its points share one value there), and a negative number is not a variance"
        )
    sq_mahalanobis = ((X - mean) ** 2 / variance).sum(dim=1)  # (N, D) -> (N,)
    return -0.5 * (log_normalisers(variance) + sq_mahalanobis)  # () + (N,) -> (N,)


def underflow_dimension(dtype: torch.dtype = torch.float32) -> int:
    """The smallest D for which exp(log N(x; 0, I_D)) at x = (1, ..., 1) rounds to exactly 0 in ``dtype``.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    The density is a product of D factors N(1; 0, 1) = 0.242, so it shrinks geometrically with D until
    it falls below half the smallest positive (subnormal) number of the dtype and rounds to 0.

    >>> underflow_dimension(torch.float32), underflow_dimension(torch.float64)
    (74, 526)
    """
    check_dtype("dtype", dtype)
    per_dim = -0.5 * (math.log(2 * math.pi) + 1.0)  # log N(1; 0, 1)
    D = 1
    while torch.exp(torch.tensor(D * per_dim, dtype=dtype)) > 0:
        D += 1
    return D


def diagonal_cost(covariance: torch.Tensor) -> torch.Tensor:
    """What a diagonal covariance costs: the log-density per point lost by keeping only the diagonal of Sigma.

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    For points drawn from N(mu, Sigma), the diagonal Gaussian that fits them best, N(mu, diag(Sigma_11, ...,
    Sigma_DD)), gives each point on average

        E[log N(x; mu, Sigma)] - E[log N(x; mu, diag Sigma)] = 1/2 (sum_d log Sigma_dd - log det Sigma)

    less log-density. This is the Kullback-Leibler divergence KL(N(mu, Sigma) || N(mu, diag Sigma)); in 2-D
    it is -1/2 log(1 - rho^2) for the correlation rho, and 0 exactly when Sigma is diagonal.

    Parameters
    ----------
    covariance : Tensor, shape (..., D, D)
        Symmetric positive definite.

    Returns
    -------
    Tensor, shape (...)
        In nats per point (natural logarithms), >= 0.

    Examples
    --------
    >>> diagonal_cost(torch.tensor([[4.0, 0.0], [0.0, 1.0]]))
    tensor(0.)
    >>> round(float(diagonal_cost(torch.tensor([[1.0, 0.6], [0.6, 1.0]], dtype=torch.float64))), 4)  # -log(0.64) / 2
    0.2231
    """
    if not isinstance(covariance, torch.Tensor) or covariance.ndim < 2 or covariance.shape[-1] != covariance.shape[-2]:
        got = f"shape {tuple(covariance.shape)}" if isinstance(covariance, torch.Tensor) else type(covariance).__name__
        raise ValueError(f"covariance: expected a tensor of shape (..., D, D), got {got}")
    check_dtype("covariance", covariance.dtype)
    if not torch.allclose(covariance, covariance.transpose(-1, -2)):
        raise ValueError("covariance: expected a symmetric matrix, got one that differs from its transpose")
    cholesky, info = torch.linalg.cholesky_ex(covariance)
    if bool((info != 0).any()):
        raise ValueError("covariance: expected a positive definite matrix, got one with an eigenvalue <= 0")
    log_det = 2 * cholesky.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)  # log det Sigma = 2 sum log L_dd
    cost = 0.5 * (covariance.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1) - log_det)
    return cost.clamp_min(0.0)  # >= 0 exactly (Hadamard); rounding alone can put a diagonal matrix's a few ulps below
