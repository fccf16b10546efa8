"""The fast path behind ``fit_em``: EM as chunked matrix products, with no (N, K, D) tensor.

The notebooks teach the broadcast form (``component_log_pdfs``, ``m_step``) because it reads like the
maths. This module computes the same iteration the way a practitioner's fit should run:

- **E-step as one matrix product.** Expanding the square (notebooks/04_broadcasting_likelihoods.ipynb),
  log pi_k + log N(x_n | k) = [x_n, x_n^2, 1] . w_k, with w_k built from the parameters, so the
  log-joint is Z @ W with Z = [X, X^2, 1] of shape (N, 2D+1) and W of shape (2D+1, K) (computed
  transposed in float64, where that layout ran nearly twice as fast here).
- **Normalised in place** on one reused buffer: subtract each point's max, clamp, exp, divide.
- **M-step as one matrix product.** Z^T @ R gives sum_n r_nk x_n, sum_n r_nk x_n^2 and N_k at once
  (as a batched product over blocks of 256 rows, whose results are added in float64).
- **Chunked over N**, so the extra memory is one (chunk, K) buffer plus, when it fits a budget, Z^T
  kept between iterations (else rebuilt chunk by chunk).
- **Precision.** The expanded forms cancel when |x| >> sigma, so the data are centred once (the
  shift is undone in the returned means) and the statistics are accumulated in float64. What remains:
  each chunk's products run in the dtype of X, so in float32 a component whose spread is below about
  1e-3 of its distance from the data's mean gets a variance of poor relative accuracy (fit such data
  in float64, or standardise them first).
- **Speed traps.** exp of arguments far below 0 makes subnormal numbers, 10-40x slower on CPUs, and
  so do products with them in the M-step; arguments are clamped at half the dtype's log of its
  smallest normal number (exp(-43.7) ~ 1e-19 in float32), far below the dtype's precision next to the
  row's largest term, which is exactly 1.

Everything runs on the device of X (CPU or CUDA).
"""

from __future__ import annotations

import math

import torch

from .params import GMMParams
from .updates import raise_if_collapsed

DEFAULT_CACHE_BYTES = 384 * 2**20  # keep Z^T between iterations when it is at most this large
CHUNK_BYTES = 4 * 2**20  # a (chunk, K) buffer of about this size stays in cache


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
        Points per chunk; by default about 4 MB of (chunk, K) buffer.
    cache_bytes : int
        Keep Z^T, shape (2D+1, N), between iterations when it takes at most this many bytes.

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
        self.shift = X.mean(dim=0, dtype=torch.float64).to(X.dtype)  # (D,): centring removes most cancellation
        self.itemsize = torch.finfo(X.dtype).bits // 8
        self.chunk_rows = chunk_rows
        self.floor = 0.5 * math.log(torch.finfo(X.dtype).tiny)  # clamp for exp: no subnormal numbers
        self.Zt = None  # (2D+1, N) when cached
        if (2 * D + 1) * N * self.itemsize <= cache_bytes:
            self.Zt = torch.empty(2 * D + 1, N, dtype=X.dtype, device=X.device)
            for start in range(0, N, 65536):
                self._fill_Zt(self.Zt[:, start:start + 65536], X[start:start + 65536])
        self._buffers = {}

    def _fill_Zt(self, Zt: torch.Tensor, X_chunk: torch.Tensor) -> torch.Tensor:
        """Z^T = [x - shift; (x - shift)^2; 1] for one chunk, written into ``Zt`` of shape (2D+1, n)."""
        D = X_chunk.shape[1]
        centred = X_chunk - self.shift  # (n, D)
        Zt[:D] = centred.T
        Zt[D:2 * D] = (centred * centred).T
        Zt[2 * D] = 1
        return Zt

    def _weights_matrix(self, params: GMMParams) -> torch.Tensor:
        """W^T, shape (K, 2D+1), with W^T @ Z^T = log pi_k + log N(x_n | mu_k, sigma^2_k) for centred x."""
        weights, means, variances = params
        K, D = means.shape
        centred_means = means - self.shift  # (K, D)
        precisions = 1.0 / variances  # (K, D)
        constant = weights.log() - 0.5 * (D * math.log(2 * math.pi) + variances.log().sum(dim=1)
                                          + (centred_means**2 * precisions).sum(dim=1))  # (K,)
        return torch.cat([centred_means * precisions, -0.5 * precisions, constant[:, None]], dim=1)  # (K, 2D+1)

    def _buffer(self, name: str, shape) -> torch.Tensor:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = torch.empty(shape, dtype=self.X.dtype, device=self.X.device)
        return buffer

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
        K = params.K
        chunk = self.chunk_rows or max(1024, min(N, CHUNK_BYTES // (K * self.itemsize)))
        Wt = self._weights_matrix(params)  # (K, 2D+1)
        # Layout of the (points x components) buffer, by what ran fastest here: float64 products were
        # nearly twice as fast computed transposed, (K, n) = W^T @ Z^T; float32 ones about 8% faster as
        # (n, K) = Z @ W. Either way `resp` below is the (n, K) responsibilities (a view when transposed).
        transposed = X.dtype == torch.float64
        shape = (K, min(chunk, N)) if transposed else (min(chunk, N), K)
        buffer = self._buffer("R", shape)
        W = None if transposed else Wt.T.contiguous()  # (2D+1, K)
        stats = torch.zeros(2 * D + 1, K, dtype=torch.float64, device=X.device)  # [sum r x; sum r x^2; N_k]
        log_likelihood = torch.zeros((), dtype=torch.float64, device=X.device)
        for start in range(0, N, chunk):
            stop = min(start + chunk, N)
            if self.Zt is not None:
                Zt = self.Zt[:, start:stop]  # (2D+1, n)
            else:
                Zt = self._fill_Zt(self._buffer("Zt", (2 * D + 1, min(chunk, N)))[:, : stop - start], X[start:stop])
            if transposed:
                resp = torch.matmul(Wt, Zt, out=buffer[:, : stop - start]).T  # (K, 2D+1) @ (2D+1, n) -> (K, n), viewed (n, K)
            else:
                resp = torch.matmul(Zt.T, W, out=buffer[: stop - start])  # (n, 2D+1) @ (2D+1, K) -> (n, K)
            # resp holds the log-joint log pi_k + log N(x_n | k); normalise each point's row in place
            row_max = torch.amax(resp, dim=1, keepdim=True)  # (n, 1)
            resp.sub_(row_max).clamp_(min=self.floor).exp_()  # (n, K), largest entry of each row is 1
            row_sum = resp.sum(dim=1, keepdim=True)  # (n, 1), >= 1
            log_likelihood += (row_max + row_sum.log()).sum(dtype=torch.float64)  # sum of log p(x_n)
            resp.div_(row_sum)  # responsibilities
            stats += self._blocked_products(Zt, resp)  # (2D+1, n) @ (n, K) -> (2D+1, K), float64
        if not bool(torch.isfinite(log_likelihood)):
            raise FloatingPointError(f"fit_em: the log-likelihood is {float(log_likelihood)}; check the parameters")
        return self._m_step(stats, D), log_likelihood

    @staticmethod
    def _blocked_products(Zt: torch.Tensor, resp: torch.Tensor, block: int = 256) -> torch.Tensor:
        """Z^T @ R, shape (2D+1, K), summed over blocks of ``block`` points, each block's product added in float64.

        A float32 matrix product accumulates its n terms one after another, so its error grows with
        n; the variance E[x^2] - E[x]^2 then loses that error times (mean / std)^2. One batched
        product over blocks of 256 points costs the same as the plain product and bounds each float32
        sum to 256 terms. ``resp`` is (n, K), contiguous or a transposed view.
        """
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
