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


COLLAPSE_ULPS = 4  # a spread below this many rounding steps of the mean's magnitude counts as none


def collapsed_variances(variances: torch.Tensor, counts: torch.Tensor, means: torch.Tensor, centre: torch.Tensor,
                        dtype: torch.dtype) -> torch.Tensor:
    """Which components have collapsed: no points, or a spread below 4 rounding steps of the data's magnitude.

    Introduced in notebooks/06_parameter_updates.ipynb.

    A component on a single point (or on duplicated points) does not get a variance of exactly 0:
    its mean sum_n r_nk x_n / (N_k + 10 eps) sits 10 eps |x| / N_k away from the point, so its variance
    is about (10 eps |x| / N_k)^2. This test first removes that bias, taking the spread about the
    unguarded mean, s^2 = variance (N_k + 10 eps) / N_k - (10 eps mu / N_k)^2, and calls the component
    collapsed when s <= 4 eps max(|mu|, |centre|), or when N_k <= 10 eps (it has no points). The centre
    (the data's mean) enters because the fast path computes from data centred there, so its rounding
    steps are those of max(|mu|, |centre|). Data spread over more than a few rounding steps are never
    called collapsed. It is the one test both ``m_step`` and ``fit_em``'s fast path apply when
    ``reg_covar=0``.

    Parameters
    ----------
    variances : Tensor, shape (K, D)
        sum_n r_nk (x_n - mu_k)^2 / (N_k + 10 eps), before ``reg_covar`` is added.
    counts : Tensor, shape (K,)
        N_k = sum_n r_nk, without the guard.
    means : Tensor, shape (K, D)
    centre : Tensor, shape (D,)
        The data's mean.
    dtype : torch.dtype
        The dtype the data were computed in (its eps).

    Returns
    -------
    Tensor, shape (K, D), bool

    Examples
    --------
    >>> eps = torch.finfo(torch.float64).eps
    >>> one_point = (10 * eps * 5.0) ** 2  # a component on the single point x = 5, as m_step computes it
    >>> collapsed_variances(torch.tensor([[one_point, 1e-8]]), torch.tensor([1.0]), torch.tensor([[5.0, 5.0]]),
    ...                     torch.zeros(2), torch.float64).tolist()
    [[True, False]]
    """
    eps = torch.finfo(dtype).eps
    variances, counts, means = variances.double(), counts.double()[:, None], means.double()
    scale = torch.maximum(means.abs(), centre.double().abs())  # (K, D)
    safe = counts.clamp(min=10 * eps)  # (K, 1)
    spread = variances * (counts + 10 * eps) / safe - (10 * eps * means / safe) ** 2  # (K, D), about sum r x / N_k
    return (counts <= 10 * eps) | (spread <= (COLLAPSE_ULPS * eps * scale) ** 2)


def raise_if_collapsed(where: str, collapsed: torch.Tensor) -> None:
    """Raise FloatingPointError naming the first component whose variance is 0 (``collapsed``: (K, D) bool)."""
    if bool(collapsed.any()):
        k, d = collapsed.nonzero()[0].tolist()
        raise FloatingPointError(
            f"{where}: component {k} collapsed to variance 0 in dimension {d} "
            f"(its points share one value there: a single point, duplicated points or a constant feature); "
            f"pass reg_covar > 0, e.g. 1e-6"
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
        With ``reg_covar=0``, if a component collapsed (``collapsed_variances``).

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
    variances = (resp[:, :, None] * diff**2).sum(dim=0) / nk[:, None]  # (N, K, D) -> (K, D)
    if reg_covar == 0:
        raise_if_collapsed("m_step", collapsed_variances(variances.detach(), resp.sum(dim=0).detach(), means.detach(),
                                                         X.detach().mean(dim=0), X.dtype))
    weights = nk / nk.sum()  # (K,)
    return GMMParams(weights, means, variances + reg_covar)
