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
  Z^T, plus, when it fits a budget, the centred data transposed (D, N), kept between iterations:
  copying contiguous rows from it builds a chunk of Z^T faster than transposing X. On a CPU a chunk's
  buffers take about 4 MB (they stay in cache); on a GPU, where each chunk costs kernel launches,
  chunks are as large as a quarter of the device's free memory allows, so that a million points of
  D = 32 with K = 64 are one chunk. When all of X is one chunk, Z^T itself is kept between iterations
  (built once, as a hand-written full-batch step would).
- **Threads**: torch's own (``torch.get_num_threads()``), splitting each operation, as any torch code.
- **Precision.** The expanded forms cancel when |x| >> sigma, so the data are centred once (the
  shift is undone in the returned means) and the statistics are accumulated in float64. The
  E-step's product still adds terms as large as prec_kd (|x_d| + |mu_kd|)^2 (prec = 1/sigma^2) whose
  rounding errors do not cancel; where their bound, eps * sum_d of those terms, could exceed 0.01 nats
  for some component (a component nearly constant along a dimension the data spread over, as in pixel
  data), a float32 chunk runs its products in float64, and in float64 those components' log-densities
  are computed directly, sum_d prec_kd (x_d - mu_kd)^2. A variance that the one-pass form
  E[(x-s)^2] - E[x-s]^2 may not give to half the dtype's digits, once ``reg_covar`` is added (a
  component much narrower than its distance from the data's mean, or collapsed, with a small
  ``reg_covar``), is recomputed exactly, sum_n r_nk (x_n - mu_k)^2, in a second pass over the data;
  it is never clamped.
- **The same answer as ``m_step``** (to rounding). Responsibilities below 2**-511 (float64; 2**-63 in
  float32) of their row's largest are set to exactly 0 (the broadcast form keeps those between its
  dtype's smallest normal number and that bound: a difference far below the dtype's precision of the
  row's sum), and the M-step from the sums is ``m_step``'s: N_k + 10 eps, so a component that
  receives no point gets mean 0 and variance ``reg_covar``, as in ``m_step`` and scikit-learn.
- **Speed traps.** exp of arguments far below 0 makes subnormal numbers, 10-40x slower on many CPUs,
  and so do products with them in the M-step; the zeroing above keeps every entry normal or 0.

Everything runs on the device of X (CPU or CUDA). On CUDA the products run in full float32 (IEEE)
precision even where a user allowed TF32 (``torch.backends.cuda.matmul.allow_tf32`` or
``fp32_precision = "tf32"``): TF32 keeps 10 bits of a float32's 23, so a log-joint of size 1e3 would be
off by about 1 nat (``full_precision_matmuls``).

The work is split in two so that every fit shares it (notebooks/10_scaling_up.ipynb): ``ChunkKernel``
turns chunks of points into sufficient statistics (``gmm_helpers.stats``), and a *source* feeds it
chunks: ``FastEM`` a tensor in memory (this module), a stream or a shard on another process
(``gmm_helpers.streaming``, ``gmm_helpers.distributed``). The M-step from the statistics is
``gmm_helpers.stats.em_update``, the same for all of them.
"""

from __future__ import annotations

import contextlib
import math

import torch

from .gaussian import log_normalisers
from .params import GMMParams
from .stats import SufficientStats, em_update, m_step_from_sums, unresolved_variances  # noqa: F401 - re-exported

DEFAULT_CACHE_BYTES = 384 * 2**20  # keep the centred data, transposed, when they take at most this much
CHUNK_BYTES = 4 * 2**20  # the (K, chunk) and (2D+1, chunk) buffers take about this much
E_STEP_TOLERANCE = 0.01  # nats: the rounding bound above which the E-step's product is made more precise
GPU_MEMORY_SHARE = 0.25  # on a GPU, a chunk's buffers may take this share of the device's free memory
GPU_PRODUCTS_BYTES = 64 * 2**20  # on a GPU, the M-step's blocked products are formed at most this many bytes at a time


@contextlib.contextmanager
def full_precision_matmuls(device):
    """Run float32 matrix products on ``device`` in full (IEEE) precision, whatever TF32 setting is in force.

    On a CUDA device a user may have allowed TF32 for float32 products, through the legacy flag
    ``torch.backends.cuda.matmul.allow_tf32`` or the newer ``torch.backends.cuda.matmul.fp32_precision``
    (PyTorch refuses to mix the two, so the setting is changed through whichever the user's state
    accepts). The setting is restored on exit. Elsewhere it does nothing.

    >>> with full_precision_matmuls("cpu"):
    ...     pass
    """
    if torch.device(device).type != "cuda":
        yield
        return
    matmul = torch.backends.cuda.matmul
    try:
        previous, name = matmul.fp32_precision, "fp32_precision"
        matmul.fp32_precision = "ieee"
    except RuntimeError:  # TF32 was set through the legacy flag: answer in kind
        previous, name = matmul.allow_tf32, "allow_tf32"
        matmul.allow_tf32 = False
    try:
        yield
    finally:
        setattr(matmul, name, previous)


def chunk_rows(K: int, D: int, n: int, itemsize: int, device, free_bytes: int | None = None) -> int:
    """Points per chunk for K components in D dimensions, n points, products of ``itemsize`` bytes.

    On a CPU the chunk's (K, chunk) and (2D+1, chunk) buffers take about ``CHUNK_BYTES`` (4 MB, to stay
    in cache); on a CUDA device up to ``GPU_MEMORY_SHARE`` of the free memory (``free_bytes``, by default
    what the driver reports plus what torch's allocator holds unused), so that few chunks, often one,
    cover the data. At least 256 points, at most n.

    >>> chunk_rows(64, 32, 10**6, 4, "cpu")
    8128
    >>> chunk_rows(64, 32, 10**6, 4, "cuda", free_bytes=70 * 2**30)  # a GPU: all of it
    1000000
    """
    per_point = (K + 2 * D + 1) * itemsize
    device = torch.device(device)
    if device.type == "cuda":
        if free_bytes is None:
            free_bytes = torch.cuda.mem_get_info(device)[0] + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        budget = int(GPU_MEMORY_SHARE * free_bytes)
    else:
        budget = CHUNK_BYTES
    return max(256, min(n, budget // per_point))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def blocked_products(Zt: torch.Tensor, resp: torch.Tensor) -> torch.Tensor:
    """Z^T @ R, shape (2D+1, K), summed over blocks of points, each block's product added in float64.

    A float32 matrix product accumulates its n terms one after another, so its error grows with
    n; the variance E[x^2] - E[x]^2 then loses that error times (mean / std)^2. One batched
    product over blocks of 256 points costs the same as the plain product and bounds each float32
    sum to 256 terms (1024 on a GPU, whose product kernels add in tiles, and whose whole batch would
    otherwise make a million-point batch 4,000 blocks). float64 needs no such care; its blocks are of
    2048 points (fewer, larger products). ``resp`` is (n, K), contiguous or a transposed view.

    The blocks' products are added in float64 on a CPU (a sum over the blocks one after another). On a
    GPU they are formed a group of blocks at a time (``GPU_PRODUCTS_BYTES``; one group for a million
    points of D = 32, K = 64) and added by its
    reduction, a tree of pairwise sums whose float32 error grows with the log of the number of blocks;
    only each group's (2D+1, K) sum is converted: asking torch for a float64 sum of float32 data would
    first copy all the products to float64.
    """
    on_gpu = resp.device.type == "cuda"
    block = 2048 if resp.dtype == torch.float64 else 1024 if on_gpu else 256
    n, K = resp.shape
    full = (n // block) * block
    out = torch.zeros(Zt.shape[0], K, dtype=torch.float64, device=resp.device)
    if full:
        Z_blocks = Zt[:, :full].view(Zt.shape[0], full // block, block).transpose(0, 1)  # (B, 2D+1, block)
        R_blocks = resp[:full].view(full // block, block, K)  # (B, block, K)
        if on_gpu:
            # groups of blocks whose (group, 2D+1, K) products take at most 64 MB: a GPU's whole batch can be
            # tens of millions of points, and all its blocks' products at once would take (n / block) (2D+1) K
            # numbers
            group = max(1, GPU_PRODUCTS_BYTES // (Zt.shape[0] * K * resp.element_size()))
            for first in range(0, full // block, group):
                products = torch.bmm(Z_blocks[first:first + group], R_blocks[first:first + group])
                out += products.sum(dim=0).to(torch.float64)  # (2D+1, K)
        else:
            out += torch.bmm(Z_blocks, R_blocks).sum(dim=0, dtype=torch.float64)  # (2D+1, K)
    if full < n:
        out += (Zt[:, full:] @ resp[full:]).to(torch.float64)
    return out


def params_on_host(params: GMMParams):
    """(weights, means, variances) as float64 CPU tensors, copied from a GPU in one transfer.

    The fast path does its small (K, D) arithmetic (the E-step's weights, the M-step from the sums) on
    the CPU: on a GPU each of those tiny operations would cost a kernel launch, and the launches, not the
    arithmetic, would take the time.
    """
    weights, means, variances = params
    if weights.device.type == "cpu":
        return tuple(t.to(torch.float64) for t in params)
    K, D = means.shape
    flat = torch.cat([weights.double(), means.double().reshape(-1), variances.double().reshape(-1)]).cpu()
    return flat[:K], flat[K:K + K * D].reshape(K, D), flat[K + K * D:].reshape(K, D)


class EStepPlan:
    """The E-step's parameters in the forms the kernel uses, float64 on the CPU, with copies kept per dtype
    on the kernel's device.

    ``Wt`` (K, 2D+1): the log-joint's weights, base 2; ``centred_means`` (K, D): mu - shift;
    ``precisions`` (K, D); ``log2_scales`` (K,): log2 pi_k minus log2 of the Gaussian's normaliser.
    """

    def __init__(self, Wt, centred_means, precisions, log2_scales, device=None):
        self.Wt, self.centred_means, self.precisions, self.log2_scales = Wt, centred_means, precisions, log2_scales
        self.device = torch.device("cpu") if device is None else torch.device(device)
        self._casts = {}

    @property
    def K(self) -> int:
        return self.Wt.shape[0]

    def cast(self, dtype: torch.dtype):
        """(W^T, centred means, precisions, log2 scales) in ``dtype``, on the kernel's device."""
        if dtype not in self._casts:
            self._casts[dtype] = tuple(t.to(device=self.device, dtype=dtype)
                                       for t in (self.Wt, self.centred_means, self.precisions, self.log2_scales))
        return self._casts[dtype]


class ChunkKernel:
    """The fast path's per-chunk work: sufficient statistics of a chunk of points, with reused buffers.

    Introduced in notebooks/10_scaling_up.ipynb. Not thread-safe (its buffers are reused).

    Parameters
    ----------
    D : int
    dtype : torch.dtype
        Of the data (float32 or float64).
    device : torch.device
    shift : Tensor, shape (D,)
        Every chunk is centred at this point (in ``dtype``); statistics are sums around it.
    chunk_rows : int, optional
        Points per inner chunk; by default its (K, chunk) and (2D+1, chunk) buffers take about 4 MB.
    """

    def __init__(self, D: int, dtype: torch.dtype, device, shift: torch.Tensor, chunk_rows: int | None = None):
        self.D, self.dtype, self.device = D, dtype, torch.device(device)
        self.shift = shift.to(dtype=dtype, device=device)
        self.shift_host = self.shift.to("cpu", torch.float64)
        self.itemsize = torch.finfo(dtype).bits // 8
        self.chunk_rows = chunk_rows
        self._rows = {}  # (K, n, products' itemsize) -> points per chunk, decided once (free memory changes as buffers are made)
        self._kept = None  # (start, stop, dtype) of the Z^T in its buffer, when a caller asked to keep it
        # Entries below this (base 2, relative to the row's largest) become 0: half of log2 of the
        # smallest normal number, so exp2 never makes a subnormal and the products never meet one.
        self.floor = 0.5 * math.log2(torch.finfo(dtype).tiny)
        self._buffers = {}

    def rows_for(self, K: int, n: int, dtype: torch.dtype | None = None) -> int:
        """Points per inner chunk for K components and a block of n points, products in ``dtype`` (``chunk_rows``)."""
        if self.chunk_rows:
            return self.chunk_rows
        itemsize = torch.finfo(dtype or self.dtype).bits // 8
        key = (K, n, itemsize)
        if key not in self._rows:
            self._rows[key] = chunk_rows(K, self.D, n, itemsize, self.device)
        return self._rows[key]

    def weights_matrix(self, params: GMMParams) -> "EStepPlan":
        """What every chunk's E-step under ``params`` needs, computed once per pass: an ``EStepPlan``.

        Its W^T, shape (K, 2D+1), gives W^T @ Z^T = log2 of pi_k N(x_n | mu_k, sigma^2_k) for centred x:
        the log-joint of notebook 05, divided by log 2 (base-2 logarithms, so that exp2 can undo them).
        """
        weights, means, variances = params_on_host(params)  # (K, D) arithmetic on the CPU, in float64
        centred_means = means - self.shift_host  # (K, D)
        precisions = 1.0 / variances  # (K, D)
        log2_scales = (weights.log() - 0.5 * log_normalisers(variances)) / math.log(2)  # (K,): log2 pi_k - log2 of the normaliser
        constant = log2_scales - 0.5 * (centred_means**2 * precisions).sum(dim=1) / math.log(2)  # (K,)
        Wt = torch.cat([centred_means * precisions / math.log(2), -0.5 * precisions / math.log(2), constant[:, None]], dim=1)
        return EStepPlan(Wt, centred_means, precisions, log2_scales, self.device)

    def reach(self, X: torch.Tensor) -> torch.Tensor:
        """(D,) float64: the largest |x_nd - shift_d| over the points X, for the rounding bound of the E-step."""
        if X.shape[0] == 0:
            return torch.zeros(self.D, dtype=torch.float64, device=self.device)
        return torch.stack([(X[start:start + 65536] - self.shift).abs().amax(dim=0)
                            for start in range(0, X.shape[0], 65536)]).amax(dim=0).double()

    def products_dtype(self, plan: "EStepPlan", reach: torch.Tensor):
        """The dtype the E-step's products run in for points within ``reach``, and the components whose
        log-densities are computed directly in it (the module's docstring, Precision)."""
        reach = reach.to("cpu", torch.float64)  # the plan is on the CPU
        bound = (plan.precisions * (reach + plan.centred_means.abs()) ** 2).sum(dim=1)  # (K,): the size of the terms summed
        dtype = self.dtype
        if torch.finfo(dtype).eps * float(bound.max()) > E_STEP_TOLERANCE:
            dtype = torch.float64
        direct = (torch.finfo(dtype).eps * bound > E_STEP_TOLERANCE).nonzero()[:, 0]  # (k,)
        return dtype, direct

    def _buffer(self, name: str, rows: int, columns: int, dtype: torch.dtype) -> torch.Tensor:
        """A (rows, columns) view of a reused buffer, grown when a wider one is asked for."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape[0] != rows or buffer.shape[1] < columns or buffer.dtype != dtype:
            buffer = self._buffers[name] = torch.empty(rows, columns, dtype=dtype, device=self.device)
        return buffer[:, :columns]

    def _fill_Zt(self, X: torch.Tensor, Xct: torch.Tensor | None, start: int, stop: int, dtype: torch.dtype,
                 keep: bool = False) -> torch.Tensor:
        """Z^T = [x - shift; (x - shift)^2; 1] for points start..stop-1 of X, in a reused (2D+1, n) buffer.

        ``Xct``, when given, is X centred and transposed, (D, N): copying its contiguous rows is faster
        than transposing X. ``dtype`` is that of the products (float64 for float32 data whose products
        need it: then the data are centred exactly, in float64). ``keep``: the caller's X never changes,
        and the buffer is reused as it is when it already holds these points in this dtype.
        """
        D = self.D
        Zt = self._buffer("Zt", 2 * D + 1, stop - start, dtype)
        key = (start, stop, dtype, Zt.data_ptr())
        if keep and self._kept == key:
            return Zt
        self._kept = key if keep else None
        if dtype != self.dtype:
            torch.sub(X[start:stop].to(dtype), self.shift.to(dtype), out=Zt[:D].T)
        elif Xct is not None:
            Zt[:D] = Xct[:, start:stop]  # a copy of contiguous rows
        else:
            torch.sub(X[start:stop], self.shift, out=Zt[:D].T)
        torch.mul(Zt[:D], Zt[:D], out=Zt[D:2 * D])
        Zt[2 * D] = 1
        return Zt

    def _responsibilities(self, plan: "EStepPlan", X, Xct, start: int, stop: int, dtype, direct, keep: bool = False):
        """Z^T and the responsibilities of points start..stop-1, in the reused buffers.

        ``dtype`` is the products' and ``direct`` the components whose log-densities are computed
        directly (``products_dtype``). Returns Zt (2D+1, n), resp (n, K) (a transposed view of a (K, n)
        buffer), and the float64 sum of log2 p(x_n) over those points.
        """
        D = self.D
        Wt, centred_means, precisions, log2_scales = plan.cast(dtype)
        Zt = self._fill_Zt(X, Xct, start, stop, dtype, keep)
        buffer = self._buffer("R", Wt.shape[0], stop - start, dtype)
        log_joint = torch.matmul(Wt, Zt, out=buffer)  # (K, 2D+1) @ (2D+1, n) -> (K, n)
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

    def add_statistics(self, plan: "EStepPlan", X: torch.Tensor, acc: torch.Tensor, Xct: torch.Tensor | None = None,
                       reach: torch.Tensor | None = None, keep: bool = False):
        """Add the statistics of the points X to ``acc``, (2D+1, K) float64: [sum r (x-s); sum r (x-s)^2; N_k].

        ``plan`` is ``weights_matrix(params)``; ``reach`` (``reach(X)``, computed when not given) sets the
        products' precision; ``keep``: X is the same tensor, unchanged, at every call (``FastEM``), so a
        Z^T already built for it is reused. Returns the float64 sum of log2 p(x_n) over X (a tensor of
        shape ()) and the dtype the products ran in.
        """
        N = X.shape[0]
        dtype, direct = self.products_dtype(plan, self.reach(X) if reach is None else reach)
        chunk = self.rows_for(plan.K, N, dtype)
        log2_likelihood = torch.zeros((), dtype=torch.float64, device=self.device)
        with full_precision_matmuls(self.device):
            for start in range(0, N, chunk):
                Zt, resp, chunk_log2_likelihood = self._responsibilities(plan, X, Xct, start, min(start + chunk, N), dtype,
                                                                         direct, keep)
                log2_likelihood += chunk_log2_likelihood
                acc += blocked_products(Zt, resp)  # (2D+1, n) @ (n, K) -> (2D+1, K), float64
        return log2_likelihood, dtype

    def add_centred_squares(self, plan: "EStepPlan", X: torch.Tensor, components: torch.Tensor, means: torch.Tensor,
                            out: torch.Tensor, Xct: torch.Tensor | None = None, reach: torch.Tensor | None = None,
                            keep: bool = False) -> None:
        """Add sum_n r_nk (x_n - mu_k)^2 over the points X, for the given components, to ``out`` (k, D) float64.

        The exact second pass: computed as ``m_step`` does, from X and the means (k, D) in the dtype of X;
        the responsibilities are recomputed chunk by chunk, and only points with some responsibility for
        these components are visited.
        """
        N = X.shape[0]
        dtype, direct = self.products_dtype(plan, self.reach(X) if reach is None else reach)
        chunk = self.rows_for(plan.K, N, dtype)
        means, components = means.to(self.device, self.dtype), components.to(self.device)
        with full_precision_matmuls(self.device):
            for start in range(0, N, chunk):
                stop = min(start + chunk, N)
                _, resp, _ = self._responsibilities(plan, X, Xct, start, stop, dtype, direct, keep)
                weights = resp[:, components]  # (n, k)
                rows = (weights > 0).any(dim=1).nonzero()[:, 0]  # points that count for these components
                if len(rows):
                    deviations = (X[start:stop][rows][:, None, :] - means[None, :, :]) ** 2  # (m, 1, D) - (1, k, D) -> (m, k, D)
                    out += torch.einsum("mk,mkd->kd", weights[rows].to(self.dtype), deviations).to(torch.float64)

    def log_joint(self, plan: "EStepPlan", X: torch.Tensor) -> torch.Tensor:
        """log pi_k + log N(x_n | k) of the points X, shape (n, K), in X's dtype (natural logarithms).

        Computed as the E-step computes it, with the same precision rules (products in float64, or
        direct log-densities, where the expanded square would lose digits): what a fitted model's
        ``score_samples`` and ``predict_proba`` need. X is one block of points (no chunking here).
        """
        D = self.D
        dtype, direct = self.products_dtype(plan, self.reach(X))
        Wt, centred_means, precisions, log2_scales = plan.cast(dtype)
        Zt = torch.empty(2 * D + 1, X.shape[0], dtype=dtype, device=self.device)
        torch.sub(X.to(dtype), self.shift.to(dtype), out=Zt[:D].T)
        torch.mul(Zt[:D], Zt[:D], out=Zt[D:2 * D])
        Zt[2 * D] = 1
        with full_precision_matmuls(self.device):
            log2_joint = Wt @ Zt  # (K, n)
        for k in direct.tolist():  # no cancellation: sum_d prec_kd (x_d - mu_kd)^2 directly
            sq_mahalanobis = (precisions[k][:, None] * (Zt[:D] - centred_means[k][:, None]) ** 2).sum(dim=0)
            log2_joint[k] = log2_scales[k] - 0.5 * sq_mahalanobis / math.log(2)
        return (log2_joint.T * math.log(2)).to(self.dtype)

    def new_accumulator(self, K: int) -> torch.Tensor:
        """A zero (2D+1, K) float64 accumulator for ``add_statistics``."""
        return torch.zeros(2 * self.D + 1, K, dtype=torch.float64, device=self.device)

    def stats_from(self, acc: torch.Tensor, log2_likelihood: torch.Tensor, count: int) -> SufficientStats:
        """The accumulator (2D+1, K) as ``SufficientStats``."""
        D = self.D
        return SufficientStats(torch.tensor(float(count), dtype=torch.float64, device=self.device),
                               log2_likelihood * math.log(2), acc[2 * D], acc[:D].T, acc[D:2 * D].T, self.shift)


def sufficient_statistics(X: torch.Tensor, params: GMMParams, shift: torch.Tensor | None = None,
                          chunk_rows: int | None = None) -> SufficientStats:
    """The E-step's sufficient statistics of the points X under ``params``, by the fast path's kernel.

    Introduced in notebooks/10_scaling_up.ipynb.

    The same numbers as ``SufficientStats.from_resp(X, log_responsibilities(X, params).exp(), shift)``
    (with the log-likelihood filled in), computed in chunks without an (N, K) tensor: what one chunk
    of a stream, or one process, contributes to an EM iteration.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams
        With the dtype and device of X.
    shift : Tensor, shape (D,), optional
        The point sums are taken around; the same for every chunk whose statistics will be added.
        Default: ``mixture_mean(params)``, which every chunk computes alike.
    chunk_rows : int, optional

    Returns
    -------
    SufficientStats

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 100, generator=torch.Generator().manual_seed(0))
    >>> halves = sufficient_statistics(X[:40], toy_params(torch.float64)) + sufficient_statistics(X[40:], toy_params(torch.float64))
    >>> whole = sufficient_statistics(X, toy_params(torch.float64))
    >>> bool(torch.allclose(halves.sums, whole.sums)), float(whole.count)
    (True, 100.0)
    """
    from ._validation import check_params, check_X
    from .stats import mixture_mean

    check_X(X)
    check_params(params, X)
    N, D = X.shape
    if shift is None:
        shift = mixture_mean(params)
    if not isinstance(shift, torch.Tensor) or shift.shape != (D,):
        from ._validation import _describe

        raise ValueError(f"shift: expected a tensor of shape ({D},), got {_describe(shift)}")
    with torch.no_grad():
        kernel = ChunkKernel(D, X.dtype, X.device, shift, chunk_rows)
        acc = kernel.new_accumulator(params.K)
        log2_likelihood, _ = kernel.add_statistics(kernel.weights_matrix(params), X, acc)
        return kernel.stats_from(acc, log2_likelihood, N)


class FastEM:
    """EM iterations for one data set in memory, with its buffers allocated once.

    Introduced in notebooks/07_em_fit.ipynb (``fit_em`` runs it); the broadcast form it replaces is
    taught in notebooks/04-06. Not thread-safe: its buffers are reused from step to step, so use one
    ``FastEM`` per thread (``fit_em`` makes its own). A *source* for ``gmm_helpers.stats.em_update``.

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
    shift : Tensor, shape (D,), optional
        The point the statistics are taken around. Default: the mean of X (``fit_em``);
        ``fit_em_distributed`` passes the one every process agrees on.
    where : str
        The name its errors give (``"fit_em"``; the estimator passes its ``fit``).

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 100, generator=torch.Generator().manual_seed(0))
    >>> new_params, log_likelihood = FastEM(X, 1e-6).step(toy_params(torch.float64))
    >>> tuple(new_params.means.shape), tuple(log_likelihood.shape)
    ((3, 2), ())
    """

    def __init__(self, X: torch.Tensor, reg_covar: float, chunk_rows: int | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES, shift: torch.Tensor | None = None, where: str = "fit_em"):
        N, D = X.shape
        self.X, self.reg_covar, self.where = X, reg_covar, where
        if shift is None:
            # (D,): centring removes most cancellation; summed in float64 a block at a time (one float64 copy
            # of a float32 X would double the memory this engine needs)
            total = sum(X[start:start + 65536].sum(dim=0, dtype=torch.float64) for start in range(0, N, 65536))
            shift = total / N
        self.kernel = ChunkKernel(D, X.dtype, X.device, shift, chunk_rows)
        self.shift = self.kernel.shift
        self.Xct = None  # (D, N): the centred data, transposed, when kept (made at the first pass that needs it)
        self._cache_fits = D * N * self.kernel.itemsize <= cache_bytes
        self.reach = self.kernel.reach(X).cpu()  # (D,) float64, for the rounding bound of the E-step's product
        # the dtype the last pass's products ran in: em_update judges the one-pass variances by its eps
        self.products_dtype = X.dtype

    def chunk_rows_for(self, K: int) -> int:
        """Points per chunk for K components."""
        return self.kernel.rows_for(K, self.X.shape[0])

    def _centred_transposed(self, K: int) -> torch.Tensor | None:
        """The centred data, transposed, (D, N), when they fit the cache budget and X takes several chunks
        (one chunk keeps Z^T itself between passes, which holds them already)."""
        N = self.X.shape[0]
        if self.Xct is None and self._cache_fits and self.kernel.rows_for(K, N) < N:
            self.Xct = torch.empty(self.X.shape[1], N, dtype=self.X.dtype, device=self.X.device)
            for start in range(0, N, 65536):
                torch.sub(self.X[start:start + 65536], self.shift, out=self.Xct[:, start:start + 65536].T)
        return self.Xct

    def statistics(self, params: GMMParams) -> SufficientStats:
        """The sufficient statistics of all of X under ``params`` (one pass)."""
        acc = self.kernel.new_accumulator(params.K)
        log2_likelihood, self.products_dtype = self.kernel.add_statistics(
            self.kernel.weights_matrix(params), self.X, acc, self._centred_transposed(params.K), self.reach, keep=True)
        return self.kernel.stats_from(acc, log2_likelihood, self.X.shape[0])

    def centred_squares(self, params: GMMParams, components: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
        """sum_n r_nk (x_n - mu_k)^2 for the given components, shape (k, D), float64: a second, exact pass."""
        out = torch.zeros(len(components), self.X.shape[1], dtype=torch.float64, device=self.X.device)
        self.kernel.add_centred_squares(self.kernel.weights_matrix(params), self.X, components, means, out,
                                        self._centred_transposed(params.K), self.reach, keep=True)
        return out

    def step(self, params: GMMParams) -> tuple[GMMParams, torch.Tensor]:
        """One E-step on ``params`` and the M-step after it: ``em_update`` on this data set.

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
        new_params, stats = em_update(self, params, self.reg_covar, where=self.where)
        return new_params, stats.log_likelihood

    _blocked_products = staticmethod(blocked_products)
