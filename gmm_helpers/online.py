"""Online (stepwise) EM for streams that never end: blend each chunk's statistics into a running average.

Introduced in notebooks/10_scaling_up.ipynb.

Exact EM (``fit_em_streaming``) reads all the data once per iteration. When the data never stop
coming, or one pass is all there is time for, stepwise EM (Cappé & Moulines, "On-line
expectation-maximization algorithm for latent data models", JRSS B, 2009) updates the parameters
after every chunk. It keeps per-point statistics s and, for chunk t of n_t points,

    s_t = (1 - gamma_t) s_{t-1} + gamma_t * (statistics of chunk t under theta_{t-1}) / n_t,
    theta_t = M-step(s_t),        gamma_t = t^(-alpha),  1/2 < alpha <= 1.

The step sizes add up to infinity (every chunk keeps mattering) while their squares add up to a finite
number (the noise of single chunks averages out), the conditions under which it converges. It is an
approximation of EM, not EM: each chunk's responsibilities come from the parameters of the moment.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import torch

from ._validation import _describe, check_int, check_nonneg, check_params
from .fast import ChunkKernel
from .init import init_kmeans_plusplus
from .params import GMMParams
from .stats import _m_step, mixture_mean
from .streaming import _as_chunk


class OnlineEMResult(NamedTuple):
    """What ``fit_em_online`` returns.

    Attributes
    ----------
    params : GMMParams
        After the last chunk.
    history : list of GMMParams
        ``history[0]`` is the start, ``history[t]`` the parameters after chunk t.
    chunk_log_likelihoods : Tensor, shape (n_chunks,), float64
        Per point, of chunk t under ``history[t - 1]`` (before it was used): a running, noisy estimate.
    n_chunks : int
    n_points : int
    """

    params: GMMParams
    history: list
    chunk_log_likelihoods: torch.Tensor
    n_chunks: int
    n_points: int


def step_sizes(n: int, alpha: float = 0.6) -> torch.Tensor:
    """gamma_t = t^(-alpha) for t = 1..n, float64. gamma_1 = 1: the first chunk replaces the start.

    >>> step_sizes(4, alpha=1.0).tolist()  # 1/t: the running mean of the chunks' statistics
    [1.0, 0.5, 0.3333333333333333, 0.25]
    """
    return torch.arange(1, n + 1, dtype=torch.float64) ** -alpha


def fit_em_online(chunks, init, *, alpha: float = 0.6, reg_covar: float = 1e-6, max_chunks: int | None = None,
                  generator: torch.Generator | None = None, device=None) -> OnlineEMResult:
    """Stepwise EM over a stream read once: new parameters after every chunk.

    Introduced in notebooks/10_scaling_up.ipynb.

    Parameters
    ----------
    chunks : iterable of Tensor, shape (n_t, D)
        Read once, chunk by chunk (it may never end: see ``max_chunks``). A DataLoader batch that
        is a tuple or list is taken by its first element.
    init : GMMParams or int
        The start, or K: ``init_kmeans_plusplus`` on the first chunk.
    alpha : float, default 0.6
        Step sizes gamma_t = t^(-alpha), with 1/2 < alpha <= 1 (1 is the running mean: the slowest to
        forget a poor start).
    reg_covar : float, default 1e-6
    max_chunks : int, optional
        Stop after this many chunks.
    generator : torch.Generator, optional
        Used only when ``init`` is an int.
    device : torch.device or str, optional
        Compute on this device.

    Returns
    -------
    OnlineEMResult

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 3000, generator=torch.Generator().manual_seed(0))
    >>> online = fit_em_online(X.split(100), 3, generator=torch.Generator().manual_seed(0))
    >>> online.n_chunks, online.n_points, len(online.history)
    (30, 3000, 31)
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.5 < alpha <= 1:
        raise ValueError(f"alpha: expected a float with 0.5 < alpha <= 1, got {_describe(alpha)}")
    reg_covar = check_nonneg("reg_covar", reg_covar)
    if max_chunks is not None:
        max_chunks = check_int("max_chunks", max_chunks, 1)
    if not isinstance(init, GMMParams) and (isinstance(init, bool) or not isinstance(init, int)):
        raise ValueError(f"init: expected a GMMParams or an int K, got {_describe(init)}")
    if not hasattr(chunks, "__iter__"):
        raise ValueError(f"chunks: expected an iterable of (n, D) tensors, got {_describe(chunks)}")
    stream = itertools.islice(iter(chunks), max_chunks)
    params = kernel = running = None
    history, chunk_log_likelihoods, n_points = [], [], 0
    with torch.no_grad():
        for t, item in enumerate(stream, start=1):
            chunk = _as_chunk(item, t - 1, device)
            if params is None:  # the first chunk fixes D, dtype and device, and gives the start for init = K
                params = (GMMParams(*(x.detach() for x in check_params(init, chunk))) if isinstance(init, GMMParams)
                          else init_kmeans_plusplus(chunk, init, generator=generator, reg_covar=reg_covar))
                kernel = ChunkKernel(chunk.shape[1], chunk.dtype, chunk.device, mixture_mean(params))
                history.append(params)
            elif chunk.shape[1] != kernel.D or chunk.dtype != kernel.dtype:
                raise ValueError(f"chunk {t - 1}: expected {kernel.dtype} of shape (n, {kernel.D}) like the first chunk, "
                                 f"got {chunk.dtype} of shape {tuple(chunk.shape)}")
            n = chunk.shape[0]
            if n == 0:
                continue
            acc = kernel.new_accumulator(params.K)
            log2_likelihood, _ = kernel.add_statistics(kernel.weights_matrix(params), chunk, acc)
            chunk_stats = kernel.stats_from(acc, log2_likelihood, n).scaled(1.0 / n)  # per point
            gamma = float(t) ** -alpha
            running = chunk_stats if running is None else running.scaled(1 - gamma) + chunk_stats.scaled(gamma)
            params = _m_step(running, reg_covar, "fit_em_online")
            history.append(params)
            chunk_log_likelihoods.append(chunk_stats.log_likelihood)
            n_points += n
    if params is None or not chunk_log_likelihoods:
        raise ValueError("chunks: expected at least one chunk with points, got none")
    return OnlineEMResult(params, history, torch.stack(chunk_log_likelihoods), len(chunk_log_likelihoods), n_points)
