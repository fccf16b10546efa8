"""The log-density of a Gaussian with a diagonal covariance."""

from __future__ import annotations

import math

import torch

from ._validation import check_tensor, check_X


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
    if bool((variance <= 0).any()):
        raise ValueError(
            f"variance: expected values > 0 (a variance, not a standard deviation), "
            f"got minimum {float(variance.min()):.4g}"
        )
    sq_mahalanobis = ((X - mean) ** 2 / variance).sum(dim=1)  # (N, D) -> (N,)
    log_norm = D * math.log(2 * math.pi) + variance.log().sum()  # ()
    return -0.5 * (log_norm + sq_mahalanobis)  # (N,)
