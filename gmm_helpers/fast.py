"""The fast path behind ``fit_em``: EM as chunked matrix products, with no (N, K, D) tensor.

The notebooks teach the broadcast form (``component_log_pdfs``, ``m_step``) because it reads like the
maths. This module computes the same iteration the way a practitioner's fit should run:

- **E-step as one matrix product.** Expanding the square (notebooks/04_broadcasting_likelihoods.ipynb),
  log pi_k + log N(x_n | k) = [x_n, x_n^2, 1] . w_k, with w_k built from the parameters, so the
  log-joint is Z @ W with Z = [X, X^2, 1] of shape (N, 2D+1) and W of shape (2D+1, K). It is
  computed transposed, W^T @ Z^T of shape (K, N), the layout that ran fastest here.
- **Normalised in place** on one reused buffer: subtract each point's max, clamp, exponentiate,
  multiply by the reciprocal of the row's sum. The log-joint is kept in base 2 (W is divided by log 2) and undone with
  exp2, which ran 3.4x faster than exp here (float64, torch 2.13 on an AVX-512 CPU) at the same accuracy.
- **M-step as one matrix product.** Z^T @ R gives sum_n r_nk x_n, sum_n r_nk x_n^2 and N_k at once
  (as a batched product over blocks of points, whose results are added in float64).
- **Chunked over N**, so the extra memory is one (K, chunk) buffer and one (2D+1, chunk) slice of
  Z^T per thread, plus, when it fits a budget, the centred data transposed (D, N), kept between
  iterations: copying contiguous rows from it builds a chunk of Z^T 4x faster than transposing X.
- **Threads over chunks.** On a CPU, torch.get_num_threads() worker threads take turns at the
  chunks, each running its operations on one thread, and their statistics are added at the end:
  fewer, larger pieces of work than splitting every operation across threads, which on these
  virtual machines at times made small operations up to 3x slower.
- **Precision.** The expanded forms cancel when |x| >> sigma, so the data are centred once (the
  shift is undone in the returned means) and the statistics are accumulated in float64. What remains:
  each chunk's products run in the dtype of X, so in float32 a component whose spread is below about
  1e-3 of its distance from the data's mean gets a variance of poor relative accuracy (fit such data
  in float64, or standardise them first).
- **Speed traps.** exp of arguments far below 0 makes subnormal numbers, 10-40x slower on many CPUs,
  and so do products with them in the M-step; arguments are clamped at half the dtype's log of its
  smallest normal number (2**-63 ~ 1e-19 in float32), far below the dtype's precision next to the
  row's largest term, which is exactly 1.

Everything runs on the device of X (CPU or CUDA).
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import threading

import torch

from .params import GMMParams
from .updates import raise_if_collapsed

DEFAULT_CACHE_BYTES = 384 * 2**20  # keep the centred data, transposed, when they take at most this much
CHUNK_BYTES = 4 * 2**20  # the (K, chunk) and (2D+1, chunk) buffers of one thread take about this much

_POOLS: dict[int, concurrent.futures.ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _forget_pools_after_fork() -> None:
    """A forked child has none of its parent's threads: it must start its own pools."""
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_after_fork)


def _thread_pool(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    """``workers`` threads whose torch operations each run on one thread (started once per count)."""
    with _POOLS_LOCK:
        if workers not in _POOLS:
            threads_before = torch.get_num_threads()
            started = threading.Barrier(workers + 1)

            def one_thread_each():
                # get_num_threads first: a thread's first torch call copies the process default into
                # it, which would undo an earlier set_num_threads. OpenMP and MKL keep it per thread.
                torch.get_num_threads()
                torch.set_num_threads(1)
                started.wait()

            pool = concurrent.futures.ThreadPoolExecutor(workers, "gmm_helpers.fast", initializer=one_thread_each)
            for _ in range(workers):
                pool.submit(int)  # each submission starts one more thread, up to `workers`
            started.wait()
            # set_num_threads(1) also set the default that threads started later begin with: restore it.
            torch.set_num_threads(threads_before)
            _POOLS[workers] = pool
        return _POOLS[workers]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class FastEM:
    """EM iterations for one data set, with its buffers allocated once.

    Introduced in notebooks/07_em_fit.ipynb (``fit_em`` runs it); the broadcast form it replaces is
    taught in notebooks/04-06.

    Parameters
    ----------
    X : Tensor, shape (N, D)
        Already validated.
    reg_covar : float
        Added to every variance in the M-step.
    chunk_rows : int, optional
        Points per chunk; by default its (K, chunk) and (2D+1, chunk) buffers take about 4 MB.
    cache_bytes : int
        Keep the centred data, transposed, shape (D, N), between iterations when they take at most
        this many bytes (else each chunk of Z^T is built from X itself, more slowly).

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 100, generator=torch.Generator().manual_seed(0))
    >>> new_params, log_likelihood = FastEM(X, 1e-6).step(toy_params(torch.float64))
    >>> tuple(new_params.means.shape), tuple(log_likelihood.shape)
    ((3, 2), ())
    """

    def __init__(self, X: torch.Tensor, reg_covar: float, chunk_rows: int | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES):
        N, D = X.shape
        self.X, self.reg_covar = X, reg_covar
        # (D,): centring removes most cancellation; summed in float64 a block at a time (one float64 copy
        # of a float32 X would double the memory this engine needs)
        total = sum(X[start:start + 65536].sum(dim=0, dtype=torch.float64) for start in range(0, N, 65536))
        self.shift = (total / N).to(X.dtype)
        self.itemsize = torch.finfo(X.dtype).bits // 8
        self.chunk_rows = chunk_rows
        # exp is computed as exp2 of the log-joint in base 2 (exp2 ran 3.4x faster than exp here), so the
        # clamp is in base 2 too: half of log2 of the smallest normal number, 2**-511 in float64.
        self.floor = 0.5 * math.log2(torch.finfo(X.dtype).tiny)
        self.Xct = None  # (D, N): the centred data, transposed, when kept
        if D * N * self.itemsize <= cache_bytes:
            self.Xct = torch.empty(D, N, dtype=X.dtype, device=X.device)
            for start in range(0, N, 65536):
                torch.sub(X[start:start + 65536], self.shift, out=self.Xct[:, start:start + 65536].T)
        self._buffers = {}

    def _fill_Zt(self, Zt: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Z^T = [x - shift; (x - shift)^2; 1] for points start..stop-1, written into ``Zt`` of shape (2D+1, n)."""
        D = self.X.shape[1]
        if self.Xct is not None:
            Zt[:D] = self.Xct[:, start:stop]  # a copy of contiguous rows: 4x faster than transposing X here
        else:
            torch.sub(self.X[start:stop], self.shift, out=Zt[:D].T)
        torch.mul(Zt[:D], Zt[:D], out=Zt[D:2 * D])
        Zt[2 * D] = 1
        return Zt

    def _weights_matrix(self, params: GMMParams) -> torch.Tensor:
        """W^T, shape (K, 2D+1), with W^T @ Z^T = log2 of pi_k N(x_n | mu_k, sigma^2_k) for centred x.

        The log-joint of notebook 05, divided by log 2: base-2 logarithms, so that exp2 can undo them.
        """
        weights, means, variances = params
        K, D = means.shape
        centred_means = means - self.shift  # (K, D)
        precisions = 1.0 / variances  # (K, D)
        constant = weights.log() - 0.5 * (D * math.log(2 * math.pi) + variances.log().sum(dim=1)
                                          + (centred_means**2 * precisions).sum(dim=1))  # (K,)
        Wt = torch.cat([centred_means * precisions, -0.5 * precisions, constant[:, None]], dim=1)  # (K, 2D+1), natural log
        return Wt / math.log(2)

    def _buffer(self, name, shape) -> torch.Tensor:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = torch.empty(shape, dtype=self.X.dtype, device=self.X.device)
        return buffer

    def plan(self, K: int) -> tuple[int, int]:
        """Points per chunk and the number of threads that share the chunks, for K components."""
        N, D = self.X.shape
        chunk = self.chunk_rows or max(256, min(N, CHUNK_BYTES // ((K + 2 * D + 1) * self.itemsize)))
        n_chunks = _ceil_div(N, chunk)
        workers = min(torch.get_num_threads(), n_chunks) if self.X.device.type == "cpu" else 1
        if workers > 1 and self.chunk_rows is None:  # as many chunks for each worker, a multiple of 256 points each
            n_chunks = _ceil_div(n_chunks, workers) * workers
            chunk = _ceil_div(_ceil_div(N, n_chunks), 256) * 256
        return chunk, workers

    def step(self, params: GMMParams) -> tuple[GMMParams, torch.Tensor]:
        """One E-step on ``params`` and the M-step after it.

        Returns
        -------
        new_params : GMMParams
        log_likelihood : Tensor, shape (), float64
            Of the **input** ``params``.
        """
        X = self.X
        N, D = X.shape
        chunk, workers = self.plan(params.K)
        Wt = self._weights_matrix(params)  # (K, 2D+1)
        starts = range(0, N, chunk)
        if workers == 1:
            parts = [self._chunks(Wt, starts, chunk, 0)]
        else:
            # Each worker thread takes every workers-th chunk and runs its operations single-threaded.
            # This ran as fast as one thread per operation when this machine was at its best, and kept
            # that speed when two-thread operations on small tensors slowed by up to 3x (which they do
            # here, at times, for minutes on end).
            pool = _thread_pool(workers)
            futures = [pool.submit(self._chunks, Wt, starts[w::workers], chunk, w) for w in range(workers)]
            concurrent.futures.wait(futures)  # all of them, even when one fails: they share this engine's buffers
            parts = [future.result() for future in futures]
        stats = sum(part[0] for part in parts)  # (2D+1, K), float64: [sum r x; sum r x^2; N_k]
        log_likelihood = sum(part[1] for part in parts) * math.log(2)
        if not bool(torch.isfinite(log_likelihood)):
            raise FloatingPointError(f"fit_em: the log-likelihood is {float(log_likelihood)}; check the parameters")
        return self._m_step(stats, D), log_likelihood

    def _chunks(self, Wt: torch.Tensor, starts: range, chunk: int, worker: int) -> tuple[torch.Tensor, torch.Tensor]:
        """E-step and M-step statistics of the chunks beginning at ``starts``, with the buffers of ``worker``.

        Returns the (2D+1, K) float64 statistics and the float64 sum of log2 p(x_n) over those points.
        """
        N, D = self.X.shape
        K = Wt.shape[0]
        n_max = min(chunk, N)
        # The (components x points) buffer is filled transposed, (K, n) = W^T @ Z^T: in float64 that
        # product ran nearly twice as fast as (n, K) = Z @ W here. `resp` below is its (n, K) view.
        buffer = self._buffer(("R", worker), (K, n_max))
        Zt_buffer = self._buffer(("Zt", worker), (2 * D + 1, n_max))
        stats = torch.zeros(2 * D + 1, K, dtype=torch.float64, device=self.X.device)
        log2_likelihood = torch.zeros((), dtype=torch.float64, device=self.X.device)
        for start in starts:
            stop = min(start + chunk, N)
            Zt = self._fill_Zt(Zt_buffer[:, : stop - start], start, stop)
            resp = torch.matmul(Wt, Zt, out=buffer[:, : stop - start]).T  # (K, 2D+1) @ (2D+1, n) -> (K, n), viewed (n, K)
            # resp holds the log-joint log2 pi_k N(x_n | k); normalise each point's row in place
            row_max = torch.amax(resp, dim=1, keepdim=True)  # (n, 1)
            resp.sub_(row_max).clamp_(min=self.floor).exp2_()  # (n, K), largest entry of each row is 1
            row_sum = resp.sum(dim=1, keepdim=True)  # (n, 1), >= 1
            log2_likelihood += (row_max + row_sum.log2()).sum(dtype=torch.float64)  # sum of log2 p(x_n)
            resp.mul_(row_sum.reciprocal_())  # responsibilities (a product ran 2x faster than a division here)
            stats += self._blocked_products(Zt, resp)  # (2D+1, n) @ (n, K) -> (2D+1, K), float64
        return stats, log2_likelihood

    @staticmethod
    def _blocked_products(Zt: torch.Tensor, resp: torch.Tensor) -> torch.Tensor:
        """Z^T @ R, shape (2D+1, K), summed over blocks of points, each block's product added in float64.

        A float32 matrix product accumulates its n terms one after another, so its error grows with
        n; the variance E[x^2] - E[x]^2 then loses that error times (mean / std)^2. One batched
        product over blocks of 256 points costs the same as the plain product and bounds each float32
        sum to 256 terms. float64 needs no such care; its blocks are of 2048 points, which ran 7%
        faster than 256 here. ``resp`` is (n, K), contiguous or a transposed view.
        """
        block = 2048 if resp.dtype == torch.float64 else 256
        n, K = resp.shape
        full = (n // block) * block
        out = torch.zeros(Zt.shape[0], K, dtype=torch.float64, device=resp.device)
        if full:
            Z_blocks = Zt[:, :full].view(Zt.shape[0], full // block, block).transpose(0, 1)  # (B, 2D+1, block)
            R_blocks = resp[:full].view(full // block, block, K)  # (B, block, K)
            out += torch.bmm(Z_blocks, R_blocks).sum(dim=0, dtype=torch.float64)  # (2D+1, K)
        if full < n:
            out += (Zt[:, full:] @ resp[full:]).to(torch.float64)
        return out

    def _m_step(self, stats: torch.Tensor, D: int) -> GMMParams:
        """Weights, means and variances from the accumulated float64 statistics."""
        dtype = self.X.dtype
        nk = stats[2 * D] + 10 * torch.finfo(dtype).eps  # (K,): the N_k guard of m_step
        centred_means = stats[:D].T / nk[:, None]  # (K, D)
        mean_sq = stats[D:2 * D].T / nk[:, None]  # (K, D): E_r[(x - shift)^2]
        raw = mean_sq - centred_means**2  # (K, D): E[x^2] - E[x]^2 of the centred data
        if self.reg_covar == 0:
            # Below the rounding error of the subtraction above, a variance is indistinguishable from 0.
            raise_if_collapsed("fit_em", raw <= 10 * torch.finfo(dtype).eps * mean_sq)
        variances = raw.clamp(min=0) + self.reg_covar  # (K, D)
        means = centred_means + self.shift.to(torch.float64)  # undo the centring
        return GMMParams((nk / nk.sum()).to(dtype), means.to(dtype), variances.to(dtype))
