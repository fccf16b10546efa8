"""The fast path behind ``fit_em``: EM as chunked matrix products, with no (N, K, D) tensor.

The notebooks teach the broadcast form (``component_log_pdfs``, ``m_step``) because it reads like the
maths. This module computes the same iteration the way a practitioner's fit should run:

- **E-step as one matrix product.** Expanding the square (notebooks/04_broadcasting_likelihoods.ipynb),
  log pi_k + log N(x_n | k) = [x_n, x_n^2, 1] . w_k, with w_k built from the parameters, so the
  log-joint is Z @ W with Z = [X, X^2, 1] of shape (N, 2D+1) and W of shape (2D+1, K). It is
  computed transposed, W^T @ Z^T of shape (K, N).
- **Normalised in place** on one reused buffer: subtract each point's max, exponentiate, multiply by
  the reciprocal of the row's sum. The log-joint is kept in base 2 (W is divided by log 2) and undone
  with exp2, which is cheaper than exp on common CPUs at the same accuracy.
- **M-step as one matrix product.** Z^T @ R gives sum_n r_nk x_n, sum_n r_nk x_n^2 and N_k at once
  (as a batched product over blocks of points, whose results are added in float64).
- **Chunked over N**, so the extra memory is one (K, chunk) buffer and one (2D+1, chunk) slice of
  Z^T per thread, plus, when it fits a budget, the centred data transposed (D, N), kept between
  iterations: copying contiguous rows from it builds a chunk of Z^T faster than transposing X.
- **Threads**: torch's own (``torch.get_num_threads()``), splitting each operation, as any torch code.
- **Precision.** The expanded forms cancel when |x| >> sigma, so the data are centred once (the
  shift is undone in the returned means) and the statistics are accumulated in float64. A variance
  that the one-pass form E[(x-s)^2] - E[x-s]^2 may not resolve to half the dtype's digits (a
  component much narrower than its distance from the data's mean, or collapsed) is recomputed
  exactly, sum_n r_nk (x_n - mu_k)^2, in a second pass over the data; it is never clamped.
- **The same answer as ``m_step``.** Responsibilities below 2**-511 (float64; 2**-63 in float32) of
  their row's largest are set to exactly 0, as exp underflows in the broadcast form, and the M-step
  from the sums is ``m_step``'s: N_k + 10 eps, so a component that receives no point gets mean 0 and
  variance ``reg_covar``, as in ``m_step`` and scikit-learn.
- **Speed traps.** exp of arguments far below 0 makes subnormal numbers, 10-40x slower on many CPUs,
  and so do products with them in the M-step; the zeroing above keeps every entry normal or 0.

Everything runs on the device of X (CPU or CUDA).
"""

from __future__ import annotations

import math

import torch

from .gaussian import log_normalisers
from .params import GMMParams
from .updates import collapsed_variances, raise_if_collapsed

DEFAULT_CACHE_BYTES = 384 * 2**20  # keep the centred data, transposed, when they take at most this much
CHUNK_BYTES = 4 * 2**20  # the (K, chunk) and (2D+1, chunk) buffers of one thread take about this much


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def unresolved_variances(variances: torch.Tensor, offsets: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Which one-pass variances may have lost half their digits: sigma^2 <= sqrt(eps) (sigma^2 + offset^2).

    The one-pass form E[(x-s)^2] - E[x-s]^2 subtracts two numbers of size sigma^2 + offset^2 (offset =
    mu - s) that carry rounding errors of a few eps times that size, so its relative error is about
    eps (sigma^2 + offset^2) / sigma^2. Where that could exceed sqrt(eps) (3e-4 in float32, 1.5e-8 in
    float64), ``FastEM`` recomputes the variance exactly. Returns a (K, D) bool tensor.

    >>> unresolved_variances(torch.tensor([[1e-12, 1.0]]), torch.tensor([[1.0, 1.0]]), torch.float64).tolist()
    [[True, False]]
    """
    return variances <= math.sqrt(torch.finfo(dtype).eps) * (variances + offsets**2)


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


class FastEM:
    """EM iterations for one data set, with its buffers allocated once.

    Introduced in notebooks/07_em_fit.ipynb (``fit_em`` runs it); the broadcast form it replaces is
    taught in notebooks/04-06. Not thread-safe: its buffers are reused from step to step, so use one
    ``FastEM`` per thread (``fit_em`` makes its own).

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
        # Entries below this (base 2, relative to the row's largest) become 0: half of log2 of the
        # smallest normal number, so exp2 never makes a subnormal and the products never meet one.
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
            Zt[:D] = self.Xct[:, start:stop]  # a copy of contiguous rows
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
        centred_means = means - self.shift  # (K, D)
        precisions = 1.0 / variances  # (K, D)
        constant = weights.log() - 0.5 * (log_normalisers(variances) + (centred_means**2 * precisions).sum(dim=1))  # (K,)
        Wt = torch.cat([centred_means * precisions, -0.5 * precisions, constant[:, None]], dim=1)  # (K, 2D+1), natural log
        return Wt / math.log(2)

    def _buffer(self, name, shape) -> torch.Tensor:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = torch.empty(shape, dtype=self.X.dtype, device=self.X.device)
        return buffer

    def chunk_rows_for(self, K: int) -> int:
        """Points per chunk for K components."""
        N, D = self.X.shape
        return self.chunk_rows or max(256, min(N, CHUNK_BYTES // ((K + 2 * D + 1) * self.itemsize)))

    def step(self, params: GMMParams) -> tuple[GMMParams, torch.Tensor]:
        """One E-step on ``params`` and the M-step after it.

        Returns
        -------
        new_params : GMMParams
        log_likelihood : Tensor, shape (), float64
            Of the **input** ``params``.

        Raises
        ------
        FloatingPointError
            If the log-likelihood is not finite, or (with ``reg_covar=0``) a variance collapses to 0.
        """
        N, D = self.X.shape
        chunk = self.chunk_rows_for(params.K)
        Wt = self._weights_matrix(params)  # (K, 2D+1)
        stats, log2_likelihood = self._chunks(Wt, range(0, N, chunk), chunk)  # (2D+1, K): [sum r (x-s); sum r (x-s)^2; N_k]
        log_likelihood = log2_likelihood * math.log(2)
        if not bool(torch.isfinite(log_likelihood)):
            raise FloatingPointError(f"fit_em: the log-likelihood is {float(log_likelihood)}; check the parameters")
        nk, offsets, raw = m_step_from_sums(stats[2 * D], stats[:D].T, stats[D:2 * D].T, self.shift, self.X.dtype)
        # Variances the one-pass form cannot resolve (a tiny spread far from the shift) are recomputed
        # exactly; a component with no responsibility at all has nothing to recompute (its sums are 0).
        unresolved = unresolved_variances(raw, offsets, self.X.dtype) & (stats[D:2 * D].T > 0)
        components = unresolved.any(dim=1).nonzero()[:, 0]  # (k,)
        means = self.shift.to(torch.float64) + offsets  # (K, D)
        if bool(unresolved.any()):
            raw[components] = self._centred_squares(Wt, components, means[components], chunk) / nk[components, None]
        if self.reg_covar == 0:
            raise_if_collapsed("fit_em", collapsed_variances(raw, stats[2 * D], means, self.X.dtype))
        dtype = self.X.dtype
        new = GMMParams((nk / nk.sum()).to(dtype), means.to(dtype), (raw + self.reg_covar).to(dtype))
        return new, log_likelihood

    def _responsibilities(self, Wt: torch.Tensor, start: int, stop: int, chunk: int):
        """Z^T and the responsibilities of points start..stop-1, in the reused buffers (chunk points long).

        Returns Zt (2D+1, n), resp (n, K) (a transposed view of a (K, n) buffer), and the float64 sum of
        log2 p(x_n) over those points.
        """
        N, D = self.X.shape
        K = Wt.shape[0]
        n_max = min(chunk, N)
        buffer = self._buffer("R", (K, n_max))
        Zt = self._fill_Zt(self._buffer("Zt", (2 * D + 1, n_max))[:, : stop - start], start, stop)
        resp = torch.matmul(Wt, Zt, out=buffer[:, : stop - start]).T  # (K, 2D+1) @ (2D+1, n) -> (K, n), viewed (n, K)
        # resp holds the log-joint log2 pi_k N(x_n | k); normalise each point's row in place
        row_max = torch.amax(resp, dim=1, keepdim=True)  # (n, 1)
        resp.sub_(row_max)
        torch.nn.functional.threshold_(resp, self.floor, -math.inf)  # far below the row's largest: exactly 0 after exp2
        resp.exp2_()  # (n, K), largest entry of each row is 1
        row_sum = resp.sum(dim=1, keepdim=True)  # (n, 1), >= 1
        log2_likelihood = (row_max + row_sum.log2()).sum(dtype=torch.float64)  # sum of log2 p(x_n)
        resp.mul_(row_sum.reciprocal_())  # responsibilities (multiplying by the reciprocal is cheaper than dividing)
        return Zt, resp, log2_likelihood

    def _chunks(self, Wt: torch.Tensor, starts: range, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
        """E-step and M-step statistics of the chunks beginning at ``starts``.

        Returns the (2D+1, K) float64 statistics and the float64 sum of log2 p(x_n) over those points.
        """
        N, D = self.X.shape
        stats = torch.zeros(2 * D + 1, Wt.shape[0], dtype=torch.float64, device=self.X.device)
        log2_likelihood = torch.zeros((), dtype=torch.float64, device=self.X.device)
        for start in starts:
            Zt, resp, chunk_log2_likelihood = self._responsibilities(Wt, start, min(start + chunk, N), chunk)
            log2_likelihood += chunk_log2_likelihood
            stats += self._blocked_products(Zt, resp)  # (2D+1, n) @ (n, K) -> (2D+1, K), float64
        return stats, log2_likelihood

    def _centred_squares(self, Wt: torch.Tensor, components: torch.Tensor, means: torch.Tensor, chunk: int) -> torch.Tensor:
        """sum_n r_nk (x_n - mu_k)^2 for the given components, shape (k, D), float64: a second, exact pass.

        Computed as ``m_step`` does, from X and the means (k, D) in the dtype of X; the responsibilities
        are recomputed chunk by chunk.
        """
        N, D = self.X.shape
        means = means.to(self.X.dtype)
        out = torch.zeros(len(components), D, dtype=torch.float64, device=self.X.device)
        for start in range(0, N, chunk):
            stop = min(start + chunk, N)
            _, resp, _ = self._responsibilities(Wt, start, stop, chunk)
            for i, k in enumerate(components.tolist()):
                deviations = (self.X[start:stop] - means[i]) ** 2  # (n, D)
                out[i] += (resp[:, k] @ deviations).to(torch.float64)  # (n,) @ (n, D) -> (D,)
        return out

    @staticmethod
    def _blocked_products(Zt: torch.Tensor, resp: torch.Tensor) -> torch.Tensor:
        """Z^T @ R, shape (2D+1, K), summed over blocks of points, each block's product added in float64.

        A float32 matrix product accumulates its n terms one after another, so its error grows with
        n; the variance E[x^2] - E[x]^2 then loses that error times (mean / std)^2. One batched
        product over blocks of 256 points costs the same as the plain product and bounds each float32
        sum to 256 terms. float64 needs no such care; its blocks are of 2048 points (fewer, larger
        products). ``resp`` is (n, K), contiguous or a transposed view.
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
