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
  shift is undone in the returned means) and the statistics are accumulated in float64. The
  E-step's product still adds terms as large as prec_kd (|x_d| + |mu_kd|)^2 (prec = 1/sigma^2) whose
  rounding errors do not cancel; where their bound, eps * sum_d of those terms, could exceed 0.01 nats
  for some component (a component nearly constant along a dimension the data spread over, as in pixel
  data), a float32 step runs its products in float64, and in float64 those components' log-densities
  are computed directly, sum_d prec_kd (x_d - mu_kd)^2, chunk by chunk. A variance
  that the one-pass form E[(x-s)^2] - E[x-s]^2 may not give to half the dtype's digits, once
  ``reg_covar`` is added (a component much narrower than its distance from the data's mean, or
  collapsed, with a small ``reg_covar``), is recomputed exactly, sum_n r_nk (x_n - mu_k)^2, in a second
  pass over the data; it is never clamped.
- **The same answer as ``m_step``** (to rounding). Responsibilities below 2**-511 (float64; 2**-63 in
  float32) of their row's largest are set to exactly 0 (the broadcast form keeps those between its
  dtype's smallest normal number and that bound: a difference far below the dtype's precision of the
  row's sum), and the M-step
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
CHUNK_BYTES = 4 * 2**20  # the (K, chunk) and (2D+1, chunk) buffers take about this much
E_STEP_TOLERANCE = 0.01  # nats: the rounding bound above which the E-step's product is made more precise


def unresolved_variances(variances: torch.Tensor, offsets: torch.Tensor, reg_covar: float,
                         dtype: torch.dtype) -> torch.Tensor:
    """Which returned variances the one-pass form may not give to half their digits, shape (K, D), bool.

    The one-pass form E[(x-s)^2] - E[x-s]^2 subtracts two numbers of size sigma^2 + offset^2 (offset =
    mu - s) that carry rounding errors of about eps times that size. The variance returned is that
    difference plus ``reg_covar``; where the error could exceed sqrt(eps) of it (3e-4 relative in
    float32, 1.5e-8 in float64), ``FastEM`` recomputes the variance exactly.

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
        # (D,) float64: the largest |x_nd - shift_d|, for the rounding bound of the E-step's product
        self.reach = torch.stack([(X[start:start + 65536] - self.shift).abs().amax(dim=0)
                                  for start in range(0, N, 65536)]).amax(dim=0).double()
        self._buffers = {}

    def _fill_Zt(self, Zt: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Z^T = [x - shift; (x - shift)^2; 1] for points start..stop-1, written into ``Zt`` of shape (2D+1, n)."""
        D = self.X.shape[1]
        if Zt.dtype != self.X.dtype:  # float32 data, products in float64: centre exactly, in float64
            torch.sub(self.X[start:stop].to(Zt.dtype), self.shift.to(Zt.dtype), out=Zt[:D].T)
        elif self.Xct is not None:
            Zt[:D] = self.Xct[:, start:stop]  # a copy of contiguous rows
        else:
            torch.sub(self.X[start:stop], self.shift, out=Zt[:D].T)
        torch.mul(Zt[:D], Zt[:D], out=Zt[D:2 * D])
        Zt[2 * D] = 1
        return Zt

    def _weights_matrix(self, params: GMMParams):
        """W^T, shape (K, 2D+1), float64, with W^T @ Z^T = log2 of pi_k N(x_n | mu_k, sigma^2_k) for centred x,
        and the rounding bound of that product for each component, shape (K,), in nats per unit eps.

        The log-joint of notebook 05, divided by log 2: base-2 logarithms, so that exp2 can undo them.
        """
        weights, means, variances = (t.to(torch.float64) for t in params)
        centred_means = means - self.shift.to(torch.float64)  # (K, D)
        precisions = 1.0 / variances  # (K, D)
        constant = weights.log() - 0.5 * (log_normalisers(variances) + (centred_means**2 * precisions).sum(dim=1))  # (K,)
        Wt = torch.cat([centred_means * precisions, -0.5 * precisions, constant[:, None]], dim=1)  # (K, 2D+1), natural log
        bound = (precisions * (self.reach + centred_means.abs()) ** 2).sum(dim=1)  # (K,): the size of the terms summed
        return Wt / math.log(2), bound

    def _buffer(self, name, shape, dtype) -> torch.Tensor:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = self._buffers[name] = torch.empty(shape, dtype=dtype, device=self.X.device)
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
        Wt, bound = self._weights_matrix(params)  # (K, 2D+1), (K,)
        # The precision of the E-step's product (see the module's docstring): float32 data whose bound is too
        # large run it in float64; in float64, the components still above it get their log-densities directly.
        dtype = self.X.dtype
        if torch.finfo(dtype).eps * float(bound.max()) > E_STEP_TOLERANCE:
            dtype = torch.float64
        direct = (torch.finfo(dtype).eps * bound > E_STEP_TOLERANCE).nonzero()[:, 0]  # (k,)
        weights, means, variances = (t.to(torch.float64) for t in params)
        log2_scales = (weights.log() - 0.5 * log_normalisers(variances)) / math.log(2)  # (K,): log2 pi_k - log2 of the normaliser
        plan = (Wt.to(dtype), (means - self.shift.to(torch.float64)).to(dtype), (1 / variances).to(dtype),
                log2_scales.to(dtype), direct)
        stats, log2_likelihood = self._chunks(plan, range(0, N, chunk), chunk)  # (2D+1, K): [sum r (x-s); sum r (x-s)^2; N_k]
        log_likelihood = log2_likelihood * math.log(2)
        if not bool(torch.isfinite(log_likelihood)):
            raise FloatingPointError(f"fit_em: the log-likelihood is {float(log_likelihood)}; check the parameters")
        nk, offsets, raw = m_step_from_sums(stats[2 * D], stats[:D].T, stats[D:2 * D].T, self.shift, self.X.dtype)
        # Variances the one-pass form cannot give to half their digits (a tiny spread far from the shift, with
        # a small reg_covar) are recomputed exactly; a component with no responsibility at all has nothing to
        # recompute (its sums are 0).
        unresolved = unresolved_variances(raw, offsets, self.reg_covar, dtype) & (stats[D:2 * D].T > 0)
        means = self.shift.to(torch.float64) + offsets  # (K, D)
        if bool(unresolved.any()):
            components = unresolved.any(dim=1).nonzero()[:, 0]  # (k,)
            raw[components] = self._centred_squares(plan, components, means[components], chunk) / nk[components, None]
        if self.reg_covar == 0:
            raise_if_collapsed("fit_em", collapsed_variances(raw, stats[2 * D], means, self.shift, self.X.dtype))
        new = GMMParams((nk / nk.sum()).to(self.X.dtype), means.to(self.X.dtype), (raw + self.reg_covar).to(self.X.dtype))
        return new, log_likelihood

    def _responsibilities(self, plan, start: int, stop: int, chunk: int):
        """Z^T and the responsibilities of points start..stop-1, in the reused buffers (chunk points long).

        ``plan`` is (W^T, centred means, precisions, log2 of pi_k over the normaliser, components whose
        log-densities are computed directly), in the dtype the products run in. Returns Zt (2D+1, n), resp (n, K) (a transposed view of a (K, n)
        buffer), and the float64 sum of log2 p(x_n) over those points.
        """
        Wt, centred_means, precisions, log2_scales, direct = plan
        N, D = self.X.shape
        K = Wt.shape[0]
        n_max = min(chunk, N)
        buffer = self._buffer("R", (K, n_max), Wt.dtype)
        Zt = self._fill_Zt(self._buffer("Zt", (2 * D + 1, n_max), Wt.dtype)[:, : stop - start], start, stop)
        log_joint = torch.matmul(Wt, Zt, out=buffer[:, : stop - start])  # (K, 2D+1) @ (2D+1, n) -> (K, n)
        for k in direct.tolist():  # log2 pi_k N(x | k) without the expanded square: no cancellation
            sq_mahalanobis = (precisions[k][:, None] * (Zt[:D] - centred_means[k][:, None]) ** 2).sum(dim=0)  # (n,)
            log_joint[k] = log2_scales[k] - 0.5 * sq_mahalanobis / math.log(2)
        resp = log_joint.T  # (n, K) view
        # resp holds the log-joint log2 pi_k N(x_n | k); normalise each point's row in place
        row_max = torch.amax(resp, dim=1, keepdim=True)  # (n, 1)
        resp.sub_(row_max)
        torch.nn.functional.threshold_(resp, self.floor, -math.inf)  # far below the row's largest: exactly 0 after exp2
        resp.exp2_()  # (n, K), largest entry of each row is 1
        row_sum = resp.sum(dim=1, keepdim=True)  # (n, 1), >= 1
        log2_likelihood = (row_max + row_sum.log2()).sum(dtype=torch.float64)  # sum of log2 p(x_n)
        resp.mul_(row_sum.reciprocal_())  # responsibilities (multiplying by the reciprocal is cheaper than dividing)
        return Zt, resp, log2_likelihood

    def _chunks(self, plan, starts: range, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
        """E-step and M-step statistics of the chunks beginning at ``starts``.

        Returns the (2D+1, K) float64 statistics and the float64 sum of log2 p(x_n) over those points.
        """
        N, D = self.X.shape
        stats = torch.zeros(2 * D + 1, plan[0].shape[0], dtype=torch.float64, device=self.X.device)
        log2_likelihood = torch.zeros((), dtype=torch.float64, device=self.X.device)
        for start in starts:
            Zt, resp, chunk_log2_likelihood = self._responsibilities(plan, start, min(start + chunk, N), chunk)
            log2_likelihood += chunk_log2_likelihood
            stats += self._blocked_products(Zt, resp)  # (2D+1, n) @ (n, K) -> (2D+1, K), float64
        return stats, log2_likelihood

    def _centred_squares(self, plan, components: torch.Tensor, means: torch.Tensor, chunk: int) -> torch.Tensor:
        """sum_n r_nk (x_n - mu_k)^2 for the given components, shape (k, D), float64: a second, exact pass.

        Computed as ``m_step`` does, from X and the means (k, D) in the dtype of X; the responsibilities
        are recomputed chunk by chunk, and only points with some responsibility are visited.
        """
        N, D = self.X.shape
        means = means.to(self.X.dtype)
        out = torch.zeros(len(components), D, dtype=torch.float64, device=self.X.device)
        for start in range(0, N, chunk):
            stop = min(start + chunk, N)
            _, resp, _ = self._responsibilities(plan, start, stop, chunk)
            weights = resp[:, components]  # (n, k)
            rows = (weights > 0).any(dim=1).nonzero()[:, 0]  # points that count for these components
            if len(rows):
                deviations = (self.X[start:stop][rows][:, None, :] - means[None, :, :]) ** 2  # (m, 1, D) - (1, k, D) -> (m, k, D)
                out += torch.einsum("mk,mkd->kd", weights[rows].to(self.X.dtype), deviations).to(torch.float64)
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
