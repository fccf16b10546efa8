"""Sufficient statistics: the sums over points that EM's M-step needs, which add over chunks and processes.

Introduced in notebooks/10_scaling_up.ipynb.

The M-step of notebook 06 looks at the data only through four sums per component (and the E-step
gives the log-likelihood as a fifth sum): with responsibilities r_nk and a fixed point s (the shift),

    N_k = sum_n r_nk,   S_k = sum_n r_nk (x_n - s),   Q_k = sum_n r_nk (x_n - s)^2,   log L = sum_n log p(x_n)

    pi_k = N_k / N,   mu_k = s + S_k / N_k,   sigma^2_k = Q_k / N_k - (S_k / N_k)^2 (+ reg_covar).

Sums over disjoint sets of points add, so the statistics of a data set are the sum of the statistics
of its chunks (``a + b``), in any order, on any process: EM over a stream or a cluster is the same
algorithm as EM in memory. Subtracting s (near the data) keeps the one-pass variance from
cancelling; s must be the same for statistics that are added.

``em_update`` is the one EM iteration every fit of this package runs (``fit_em``,
``fit_em_streaming``, ``fit_em_distributed``): statistics from a *source* of data, optionally summed
across processes, then the M-step from them, with an exact second pass for any variance the one-pass
form cannot resolve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .params import GMMParams
from .updates import collapsed_variances, raise_if_collapsed


@dataclass(frozen=True)
class SufficientStats:
    """The sums over a set of points that determine EM's M-step; they add (``a + b``, ``sum([...])``).

    Introduced in notebooks/10_scaling_up.ipynb.

    Attributes
    ----------
    count : Tensor, shape (), float64
        Number of points.
    log_likelihood : Tensor, shape (), float64
        sum_n log p(x_n) under the parameters the responsibilities came from.
    nk : Tensor, shape (K,), float64
        N_k = sum_n r_nk.
    sums : Tensor, shape (K, D), float64
        sum_n r_nk (x_n - shift).
    squares : Tensor, shape (K, D), float64
        sum_n r_nk (x_n - shift)^2.
    shift : Tensor, shape (D,)
        The point the sums are taken around, in the dtype of the data (its eps sets the M-step's
        N_k guard, and the new parameters get this dtype). Statistics with different shifts do not add.

    Examples
    --------
    >>> X = torch.tensor([[0.0], [1.0], [5.0]], dtype=torch.float64)
    >>> resp = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    >>> a = SufficientStats.from_resp(X[:2], resp[:2])
    >>> b = SufficientStats.from_resp(X[2:], resp[2:])
    >>> (a + b).nk.tolist(), (a + b).sums[:, 0].tolist()
    ([2.0, 1.0], [1.0, 5.0])
    """

    count: torch.Tensor
    log_likelihood: torch.Tensor
    nk: torch.Tensor
    sums: torch.Tensor
    squares: torch.Tensor
    shift: torch.Tensor

    @property
    def K(self) -> int:
        """Number of components."""
        return self.nk.shape[0]

    @property
    def D(self) -> int:
        """Number of dimensions."""
        return self.shift.shape[0]

    @classmethod
    def zeros(cls, K: int, D: int, shift: torch.Tensor) -> "SufficientStats":
        """The statistics of no points: the identity of ``+``."""
        kwargs = dict(dtype=torch.float64, device=shift.device)
        return cls(torch.zeros((), **kwargs), torch.zeros((), **kwargs), torch.zeros(K, **kwargs),
                   torch.zeros(K, D, **kwargs), torch.zeros(K, D, **kwargs), shift)

    @classmethod
    def from_resp(cls, X: torch.Tensor, resp: torch.Tensor, shift: torch.Tensor | None = None,
                  log_likelihood=0.0) -> "SufficientStats":
        """The statistics of the points X with responsibilities ``resp``, written as the definitions read.

        The plain form, (N, K) and (N, D) tensors in float64; ``gmm_helpers.fast.sufficient_statistics``
        computes the same numbers from the parameters in chunks without an (N, K) tensor.

        Parameters
        ----------
        X : Tensor, shape (N, D)
        resp : Tensor, shape (N, K)
        shift : Tensor, shape (D,), optional
            Default: zeros in the dtype of X.
        log_likelihood : float or Tensor, default 0
            The chunk's sum_n log p(x_n), when known.
        """
        if shift is None:
            shift = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
        centred = X.double() - shift.double()  # (N, D)
        r = resp.double()  # (N, K)
        return cls(torch.tensor(float(X.shape[0]), dtype=torch.float64, device=X.device),
                   torch.as_tensor(log_likelihood, dtype=torch.float64, device=X.device).reshape(()),
                   r.sum(dim=0), r.T @ centred, r.T @ centred**2, shift)

    def __add__(self, other: "SufficientStats") -> "SufficientStats":
        if not isinstance(other, SufficientStats):
            return NotImplemented
        if self.nk.shape != other.nk.shape or self.sums.shape != other.sums.shape:
            raise ValueError(f"other: expected statistics of K = {self.K} components in D = {self.D} dimensions, "
                             f"got K = {other.K}, D = {other.D}")
        if self.shift.dtype != other.shift.dtype or not torch.equal(self.shift, other.shift):
            raise ValueError("other: expected statistics taken around the same shift (and dtype) as these; "
                             "sums around different points do not add")
        return SufficientStats(self.count + other.count, self.log_likelihood + other.log_likelihood,
                               self.nk + other.nk, self.sums + other.sums, self.squares + other.squares, self.shift)

    def __radd__(self, other):
        if isinstance(other, (int, float)) and other == 0:  # sum([...]) starts from 0
            return self
        return NotImplemented

    def scaled(self, factor: float) -> "SufficientStats":
        """Every sum times ``factor`` (count and log-likelihood too): ``stats.scaled(1 / n)`` is a per-point average.

        The M-step is the same for ``stats`` and ``stats.scaled(c)``, c > 0, up to the N_k guard.
        """
        return SufficientStats(self.count * factor, self.log_likelihood * factor, self.nk * factor,
                               self.sums * factor, self.squares * factor, self.shift)

    def pack(self) -> torch.Tensor:
        """One float64 tensor of K(2D + 1) + 2 numbers: count, log-likelihood, N_k, sums, squares.

        What ``fit_em_distributed`` all-reduces once per iteration: its size depends on K and D, never on N.

        >>> SufficientStats.zeros(3, 2, torch.zeros(2)).pack().shape  # 3 * (2 * 2 + 1) + 2
        torch.Size([17])
        """
        return torch.cat([self.count.reshape(1), self.log_likelihood.reshape(1), self.nk,
                          self.sums.reshape(-1), self.squares.reshape(-1)])

    @classmethod
    def unpack(cls, packed: torch.Tensor, K: int, D: int, shift: torch.Tensor) -> "SufficientStats":
        """The inverse of ``pack``."""
        if packed.shape != (K * (2 * D + 1) + 2,):
            raise ValueError(f"packed: expected shape ({K * (2 * D + 1) + 2},) for K = {K}, D = {D}, "
                             f"got {tuple(packed.shape)}")
        nk = packed[2:2 + K]
        sums = packed[2 + K:2 + K + K * D].reshape(K, D)
        squares = packed[2 + K + K * D:].reshape(K, D)
        return cls(packed[0], packed[1], nk, sums, squares, shift)

    def to_params(self, reg_covar: float = 1e-6) -> GMMParams:
        """The M-step from these statistics alone: ``params_from_stats(self, reg_covar)``."""
        return params_from_stats(self, reg_covar)


def mixture_mean(params: GMMParams) -> torch.Tensor:
    """sum_k pi_k mu_k, shape (D,): the mean of the mixture, and the shift streams and processes agree on.

    After one M-step it equals the mean of the data the M-step saw (up to the N_k guard), so it lies
    among the data; every chunk and every process can compute it from the parameters alone.

    >>> mixture_mean(GMMParams(torch.tensor([0.25, 0.75]), torch.tensor([[0.0, 4.0], [4.0, 8.0]]), torch.ones(2, 2))).tolist()
    [3.0, 7.0]
    """
    return params.weights @ params.means  # (K,) @ (K, D) -> (D,)


def unresolved_variances(variances: torch.Tensor, offsets: torch.Tensor, reg_covar: float,
                         dtype: torch.dtype) -> torch.Tensor:
    """Which returned variances the one-pass form may not give to half their digits, shape (K, D), bool.

    The one-pass form E[(x-s)^2] - E[x-s]^2 subtracts two numbers of size sigma^2 + offset^2 (offset =
    mu - s) that carry rounding errors of about eps times that size. The variance returned is that
    difference plus ``reg_covar``; where the error could exceed sqrt(eps) of it (3e-4 relative in
    float32, 1.5e-8 in float64), ``em_update`` recomputes the variance exactly.

    >>> unresolved_variances(torch.tensor([[1e-12, 1.0, 1e-12]]), torch.tensor([[1.0, 1.0, 1e-3]]), 0.0, torch.float64).tolist()
    [[True, False, False]]
    >>> unresolved_variances(torch.tensor([[1e-12]]), torch.tensor([[1.0]]), 1e-6, torch.float64).tolist()  # reg_covar dominates
    [[False]]
    """
    eps = torch.finfo(dtype).eps
    return math.sqrt(eps) * (variances.abs() + offsets**2) > variances + reg_covar


def m_step_from_sums(counts, sums, squares, shift, dtype: torch.dtype):
    """The M-step of ``m_step`` from float64 sums over the data, centred at ``shift``, before ``reg_covar``.

    Parameters
    ----------
    counts : Tensor, shape (K,), float64
        sum_n r_nk.
    sums, squares : Tensor, shape (K, D), float64
        sum_n r_nk (x_n - shift) and sum_n r_nk (x_n - shift)^2.
    shift : Tensor, shape (D,)
    dtype : torch.dtype
        Of the data: its eps is the N_k guard, as in ``m_step``.

    Returns
    -------
    nk : Tensor, shape (K,), float64
        N_k + 10 eps, as in ``m_step``: a component with no responsibility gets mean 0.
    offsets : Tensor, shape (K, D), float64
        mu_k - shift.
    raw_variances : Tensor, shape (K, D), float64
        sum_n r_nk (x_n - mu_k)^2 / nk in the one-pass form, which cancels (and can go below 0) when
        the spread is tiny next to the offset: check it with ``unresolved_variances``.
    """
    shift = shift.to(torch.float64)
    nk = counts + 10 * torch.finfo(dtype).eps  # (K,): the N_k guard of m_step
    # mu_k = sum_n r_nk x_n / nk = (sums + counts * shift) / nk, written as shift + offset without cancellation
    offsets = (sums - (nk - counts)[:, None] * shift) / nk[:, None]  # (K, D)
    # sum_n r_nk (x_n - mu_k)^2 = squares - 2 offset * sums + counts * offset^2
    raw = (squares - 2 * offsets * sums + counts[:, None] * offsets**2) / nk[:, None]  # (K, D)
    return nk, offsets, raw


def _m_step(stats: SufficientStats, reg_covar: float, where: str, recompute=None, products_dtype=None) -> GMMParams:
    """The M-step from statistics; ``recompute(components, means)`` gives exact sum_n r_nk (x_n - mu_k)^2, (k, D).

    ``products_dtype``: the dtype the sums were computed in, when wider than the data's (its eps judges
    which one-pass variances need the exact pass).
    """
    dtype, device = stats.shift.dtype, stats.shift.device
    if device.type != "cpu":  # (K, D) arithmetic: on the CPU, after one transfer (a GPU would spend it on launches)
        stats = SufficientStats.unpack(stats.pack().cpu(), stats.K, stats.D, stats.shift.cpu())
    nk, offsets, raw = m_step_from_sums(stats.nk, stats.sums, stats.squares, stats.shift, dtype)
    means = stats.shift.to(torch.float64) + offsets  # (K, D)
    # A component with no responsibility at all has nothing to recompute (its sums are 0).
    unresolved = unresolved_variances(raw, offsets, reg_covar, products_dtype or dtype) & (stats.squares > 0)
    if bool(unresolved.any()):
        if recompute is None:
            raw = raw.clamp(min=0.0)  # no data to look at again: the one-pass value, never below 0
        else:
            components = unresolved.any(dim=1).nonzero()[:, 0]  # (k,)
            raw[components] = recompute(components, means[components]).to(raw.device) / nk[components, None]
    if reg_covar == 0:
        raise_if_collapsed(where, collapsed_variances(raw, stats.nk, means, stats.shift, dtype))
    return GMMParams((nk / nk.sum()).to(device, dtype), means.to(device, dtype), (raw + reg_covar).to(device, dtype))


def params_from_stats(stats: SufficientStats, reg_covar: float = 1e-6) -> GMMParams:
    """The M-step from sufficient statistics alone: the same numbers as ``m_step`` on the points they sum.

    Introduced in notebooks/10_scaling_up.ipynb.

    pi_k = N_k / sum_j N_j,  mu_k = shift + S_k / N_k,  sigma^2_k = Q_k / N_k - (S_k / N_k)^2 + reg_covar,
    with N_k guarded by 10 eps as in ``m_step``. Without the data, a variance the one-pass form cannot
    resolve (a spread below ~1e-8 of the distance to the shift, in float64) is kept at its one-pass
    value, clamped at 0; the exact fits (``fit_em``, ``fit_em_streaming``, ``fit_em_distributed``)
    recompute it from the data instead (``em_update``).

    Parameters
    ----------
    stats : SufficientStats
    reg_covar : float, default 1e-6

    Returns
    -------
    GMMParams
        In the dtype of ``stats.shift``.

    Raises
    ------
    FloatingPointError
        With ``reg_covar=0``, if a component collapsed (as ``m_step``).

    Examples
    --------
    >>> X = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> p = params_from_stats(SufficientStats.from_resp(X, torch.ones(2, 1, dtype=torch.float64)), reg_covar=0.0)
    >>> round(p.means.item(), 9), round(p.variances.item(), 9)  # off by 5 eps: the N_k guard
    (1.0, 1.0)
    """
    from ._validation import check_nonneg

    if not isinstance(stats, SufficientStats):
        from ._validation import _describe

        raise ValueError(f"stats: expected a SufficientStats, got {_describe(stats)}")
    return _m_step(stats, check_nonneg("reg_covar", reg_covar), "params_from_stats")


def em_update(source, params: GMMParams, reg_covar: float, reduce=None, where: str = "fit_em"):
    """One EM iteration from a source of data: statistics (summed by ``reduce``), then the M-step.

    The one implementation behind ``fit_em``, ``fit_em_streaming`` and ``fit_em_distributed``.

    Parameters
    ----------
    source
        An object with ``statistics(params) -> SufficientStats`` (a pass over its data) and
        ``centred_squares(params, components, means) -> Tensor (k, D) float64``, the exact
        sum_n r_nk (x_n - mu_k)^2 for the listed components (a second pass, needed only when a
        variance is unresolved): ``gmm_helpers.fast.FastEM`` (a tensor in memory), or a stream.
    params : GMMParams
        The parameters of the E-step.
    reg_covar : float
    reduce : callable, optional
        Tensor -> Tensor, the sum of a float64 tensor over all processes (``all_reduce``); called with
        the packed statistics, and with the exact squares when they are needed (on every process alike,
        since the decision is taken on the summed statistics).
    where : str
        The name errors and warnings give.

    Returns
    -------
    new_params : GMMParams
    stats : SufficientStats
        Of all the data (summed over processes) under ``params``; ``stats.log_likelihood`` is that of
        the **input** ``params``.

    Raises
    ------
    FloatingPointError
        If the log-likelihood is not finite, or (with ``reg_covar=0``) a variance collapses to 0.
    """
    stats = source.statistics(params)
    if reduce is not None:
        stats = SufficientStats.unpack(reduce(stats.pack()), stats.K, stats.D, stats.shift)
    if not bool(torch.isfinite(stats.log_likelihood)):
        hint = ("with reg_covar = 0 a component can shrink onto a point or duplicated points: pass reg_covar > 0, "
                "e.g. 1e-6" if reg_covar == 0 else "check the parameters (finite weights > 0, variances > 0)")
        raise FloatingPointError(f"{where}: the log-likelihood is {float(stats.log_likelihood)}; {hint}")

    def recompute(components, means):
        squares = source.centred_squares(params, components, means)
        return squares if reduce is None else reduce(squares)

    # A single source says how precisely it summed (FastEM runs float32 data's products in float64 when they
    # need it); summed over processes, every process must take the same decision: judge by the data's dtype.
    products_dtype = getattr(source, "products_dtype", None) if reduce is None else None
    return _m_step(stats, reg_covar, where, recompute, products_dtype), stats
