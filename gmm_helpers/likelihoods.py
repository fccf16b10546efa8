"""Every point under every component at once, by broadcasting; and the data log-likelihood."""

from __future__ import annotations

import math

import torch

from ._validation import check_params, check_X
from .gaussian import log_normalisers
from .params import GMMParams


def component_log_pdfs(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """log N(x_n; mu_k, diag(sigma^2_k)) for every point n and component k.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    The teaching form: it builds (N, K, D) intermediates, which is clear but costs memory: three of
    them are alive at once, a peak of 3*N*K*D numbers when D >= 2 (``log_pdfs_peak_bytes`` counts it
    for every D).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams
        weights (K,), means (K, D), variances (K, D); the weights are not used here.

    Returns
    -------
    log_pdfs : Tensor, shape (N, K)

    Examples
    --------
    >>> component_log_pdfs(torch.zeros(5, 2), toy_params()).shape
    torch.Size([5, 3])
    """
    check_X(X)
    check_params(params, X)
    N, D = X.shape
    _, means, variances = params
    diff = X[:, None, :] - means[None, :, :]  # (N, 1, D) - (1, K, D) -> (N, K, D)
    sq_mahalanobis = (diff**2 / variances[None, :, :]).sum(dim=2)  # (N, K, D) -> (N, K)
    return -0.5 * (log_normalisers(variances)[None, :] + sq_mahalanobis)  # (1, K) + (N, K) -> (N, K)


def weighted_log_pdfs(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """log pi_k + log N(x_n; mu_k, diag(sigma^2_k)): the log of the joint p(x_n, z_n = k).

    Introduced in notebooks/05_posteriors.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_joint : Tensor, shape (N, K)
        A component with weight 0 gets -inf.

    Examples
    --------
    >>> weighted_log_pdfs(torch.zeros(5, 2), toy_params()).shape
    torch.Size([5, 3])
    """
    log_pdfs = component_log_pdfs(X, params)  # (N, K)
    return log_pdfs + params.weights.log()[None, :]  # (N, K) + (1, K) -> (N, K)


def log_likelihood(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """The data log-likelihood sum_n log sum_k pi_k N(x_n; mu_k, diag(sigma^2_k)).

    Introduced in notebooks/00_overview.ipynb (section "Conventions and the toolkit"); the likelihood is
    defined in notebooks/01_synthetic_data.ipynb, and notebooks/05_posteriors.ipynb computes it step by step.

    Computed with ``torch.logsumexp`` so it stays finite when every density underflows.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_likelihood : Tensor, shape ()
        Divide by N for the per-point value that ``fit_em``'s ``tol`` is measured on.

    Examples
    --------
    >>> log_likelihood(torch.zeros(5, 2), toy_params()).shape
    torch.Size([])
    """
    log_px = torch.logsumexp(weighted_log_pdfs(X, params), dim=1)  # (N, K) -> (N,)
    return log_px.sum()


def component_log_pdfs_expanded(X: torch.Tensor, params: GMMParams) -> torch.Tensor:
    """The same (N, K) log-densities as ``component_log_pdfs``, from matrix products and no (N, K, D) tensor.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb ("going further").

    Expanding the square, sum_d (x_d - mu_kd)^2 / s2_kd
    = sum_d x_d^2 / s2_kd - 2 sum_d x_d mu_kd / s2_kd + sum_d mu_kd^2 / s2_kd,
    i.e. (X^2) @ (1/s2)^T - 2 X @ (mu/s2)^T + a (K,) constant. Fast and lean, but the three terms
    can be large and cancel: in float32, data far from the origin relative to their spread lose
    precision (the notebook measures how much).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_pdfs : Tensor, shape (N, K)

    Examples
    --------
    >>> X = torch.randn(5, 2, dtype=torch.float64)
    >>> p = toy_params(torch.float64)
    >>> torch.allclose(component_log_pdfs_expanded(X, p), component_log_pdfs(X, p))
    True
    """
    check_X(X)
    check_params(params, X)
    N, D = X.shape
    _, means, variances = params
    precisions = 1.0 / variances  # (K, D)
    sq_mahalanobis = (
        (X**2) @ precisions.T  # (N, D) @ (D, K) -> (N, K)
        - 2.0 * X @ (means * precisions).T  # (N, D) @ (D, K) -> (N, K)
        + (means**2 * precisions).sum(dim=1)  # (K,), broadcast over the N rows
    )
    return -0.5 * (log_normalisers(variances) + sq_mahalanobis)  # (K,) + (N, K) -> (N, K)


def broadcast_memory_bytes(N: int, K: int, D: int, dtype: torch.dtype = torch.float32) -> int:
    """Bytes of the (N, K, D) intermediate that the broadcast ``component_log_pdfs`` builds.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    >>> broadcast_memory_bytes(10**6, 64, 64) / 1e9  # gigabytes
    16.384
    """
    return N * K * D * torch.finfo(dtype).bits // 8


PEAK_FORMS = ("loop", "broadcast", "chunked", "expanded")


def log_pdfs_peak_bytes(N: int, K: int, D: int, dtype: torch.dtype = torch.float32, form: str = "broadcast",
                        chunk_rows: int = 4096) -> int:
    """Peak bytes of the tensors one form creates while it computes the (N, K) table of log-densities.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb.

    Counts the tensors alive at the worst moment, the (N, K) results included and the inputs X,
    means and variances excluded (allocator overheads aside, it is what the process's peak memory
    grows by; the tests measure that):

    - ``"loop"`` (``diag_gaussian_log_pdf`` once per component, then ``torch.stack``): while the last
      column is computed, the K - 1 columns done so far next to that call's worst moment, two (N, D)
      temporaries or the three (N,) tensors of its last line; or the K columns and their stacked copy:
      max((K - 1) N + max(2ND, 3N), 2NK) numbers.
    - ``"broadcast"`` (``component_log_pdfs``): ``diff``, ``diff**2`` and ``diff**2 / variances``
      are alive together (3NKD), and ``diff`` stays alive, held by its name, next to the three (N, K)
      tensors of the last line (NKD + 3NK): max(3NKD, NKD + 3NK) numbers, which is 3NKD unless D = 1.
    - ``"chunked"`` (the broadcast form on ``chunk_rows`` points at a time, then ``torch.cat``):
      the broadcast peak of one chunk of c rows next to the (N - c) K results of the chunks before
      it (worst at the last full chunk), or all the chunks' results and their concatenated copy:
      max(3 c K D + (N - c) K, 2NK) when N is a multiple of c and D > 1. With N <= chunk_rows it is
      the broadcast form's peak.
    - ``"expanded"`` (``component_log_pdfs_expanded``): ``X**2`` is freed after the first product;
      then ``2 * X`` (the second product's (N, D) operand) is alive next to both (N, K) products, or,
      in the subtraction, three (N, K) tensors: max(ND + 2NK, 3NK).

    Parameters
    ----------
    N, K, D : int
    dtype : torch.dtype
    form : {"loop", "broadcast", "chunked", "expanded"}
    chunk_rows : int
        Points per chunk, for ``"chunked"``.

    Returns
    -------
    int

    Examples
    --------
    >>> log_pdfs_peak_bytes(10**6, 64, 64) == 3 * broadcast_memory_bytes(10**6, 64, 64)
    True
    >>> format_bytes(log_pdfs_peak_bytes(10**6, 64, 64, form="expanded"))
    '732.4 MiB'
    """
    if form not in PEAK_FORMS:
        raise ValueError(f"form: expected one of {PEAK_FORMS}, got {form!r}")
    itemsize = torch.finfo(dtype).bits // 8
    def broadcast(rows):  # numbers alive at the peak of component_log_pdfs on `rows` points
        return max(3 * rows * K * D, rows * K * D + 3 * rows * K)

    if form == "chunked":
        # chunks start at 0, c, 2c, ...; while chunk j is computed the results of rows [0, start_j) are held
        c = min(N, chunk_rows)
        last_start = (N - 1) // c * c
        during = [broadcast(N - last_start) + last_start * K]  # the last (maybe short) chunk
        if last_start >= c:
            during.append(broadcast(c) + (last_start - c) * K)  # the last full-size chunk
        return max(*during, 2 * N * K) * itemsize
    numbers = {
        "loop": max((K - 1) * N + max(2 * N * D, 3 * N), 2 * N * K),
        "broadcast": broadcast(N),
        "expanded": max(N * D + 2 * N * K, 3 * N * K),
    }[form]
    return numbers * itemsize


def format_bytes(n: float, significant: int | None = None) -> str:
    """A number of bytes in binary units: 1536 -> '1.5 KiB' (one decimal), or to ``significant`` figures.

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb. Its memory widget asks for 3 significant figures, so
    that one notch of a slider (a factor 2) reads as one: 1.14 -> 2.29 GiB, not 1.1 -> 2.3 GiB.

    >>> format_bytes(1536), format_bytes(16 * 2**30)
    ('1.5 KiB', '16.0 GiB')
    >>> format_bytes(1.14 * 2**30, significant=3), format_bytes(390.6 * 2**20, significant=3)
    ('1.14 GiB', '391 MiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            if unit == "B":
                return f"{n:.0f} B"
            decimals = 1 if significant is None else max(0, significant - 1 - math.floor(math.log10(n)))
            return f"{n:.{decimals}f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def broadcast_shapes_table(N: int, K: int, D: int, dtype: torch.dtype = torch.float32,
                           significant: int | None = None) -> list[tuple[str, tuple, str]]:
    """Every tensor in the broadcast log-density computation: (expression, shape, its size in memory).

    Introduced in notebooks/04_broadcasting_likelihoods.ipynb. Views (indexing with None) add no memory. The sizes are
    ``format_bytes``'s, with ``significant`` passed on.

    >>> broadcast_shapes_table(1000, 3, 2)[6]
    ('diff = X[:, None, :] - means[None, :, :]', (1000, 3, 2), '23.4 KiB')
    """
    itemsize = torch.finfo(dtype).bits // 8

    def size(*shape):
        return format_bytes(itemsize * math.prod(shape), significant)

    return [
        ("X", (N, D), size(N, D)),
        ("means", (K, D), size(K, D)),
        ("variances", (K, D), size(K, D)),
        ("X[:, None, :]", (N, 1, D), "0 B (a view)"),
        ("means[None, :, :]", (1, K, D), "0 B (a view)"),
        ("variances[None, :, :]", (1, K, D), "0 B (a view)"),
        ("diff = X[:, None, :] - means[None, :, :]", (N, K, D), size(N, K, D)),
        ("diff ** 2", (N, K, D), size(N, K, D)),
        ("diff ** 2 / variances[None, :, :]", (N, K, D), size(N, K, D)),
        ("(...).sum(dim=2) -> delta^2", (N, K), size(N, K)),
        ("c_k = D log 2pi + sum log var", (K,), size(K)),
        ("c_k + delta^2", (N, K), size(N, K)),
        ("-0.5 * (...) -> log_pdfs", (N, K), size(N, K)),
    ]


def plane_grid(xlim, ylim, n: int):
    """An n x n grid of the plane, in float64: its x and y ticks, each (n,), and its points, (n*n, 2), row by row in y.

    >>> xs, ys, points = plane_grid((0, 1), (0, 2), 3)
    >>> points[:4].tolist()
    [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [0.0, 1.0]]
    """
    xs = torch.linspace(*xlim, n, dtype=torch.float64)
    ys = torch.linspace(*ylim, n, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # (n, n) each
    return xs, ys, torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (n*n, 2)


def mixture_density_grid(params: GMMParams, xlim, ylim, n: int = 200):
    """The mixture density p(x) = sum_k pi_k N(x; mu_k, diag(sigma^2_k)) on an n x n grid of the plane.

    Introduced in notebooks/00_overview.ipynb.

    Returns
    -------
    xs : Tensor, shape (n,)
    ys : Tensor, shape (n,)
    density : Tensor, shape (n, n), float64
        ``density[i, j]`` is p at (xs[j], ys[i]), ready for ``ax.contour(xs, ys, density)``.

    Examples
    --------
    >>> xs, ys, density = mixture_density_grid(toy_params(), (-12, 12), (-12, 12), n=300)
    >>> round(float(density.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0])), 4)  # integrates to 1
    1.0
    """
    xs, ys, grid = plane_grid(xlim, ylim, n)
    log_px = torch.logsumexp(weighted_log_pdfs(grid, params.to(torch.float64)), dim=1)  # (n*n, K) -> (n*n,)
    return xs, ys, log_px.exp().reshape(n, n)
