"""Exact EM over data that do not fit in memory: one pass over a stream of chunks per iteration.

Introduced in notebooks/10_scaling_up.ipynb.

EM's M-step needs only sums over the points (``gmm_helpers.stats``), and a sum can be taken chunk by
chunk: read a chunk, add its statistics, forget it. One pass over the data per iteration gives the
same parameters as ``fit_em`` on all the data at once, from the same start, to rounding; the memory
needed is that of one chunk and the fast path's buffers, whatever the number of points.

A *stream* is anything that can be iterated over again for each pass and yields chunks of shape
(n, D): a list of tensors, a ``torch.utils.data.DataLoader`` (a batch that is a tuple or list is
taken by its first element), ``array_chunks(...)`` over a ``numpy.memmap`` or ``.npy`` files, or a
function with no arguments that returns a fresh iterator for each pass.
"""

from __future__ import annotations

import ctypes
import numbers
import os
import sys

import numpy as np
import torch

from ._validation import SUPPORTED_DTYPES, _describe, check_int, check_K, check_nonneg, check_params, check_tensor
from .em import EMResult, em_loop
from .fast import ChunkKernel
from .init import MAX_SEED_POINTS, init_kmeans_plusplus
from .params import GMMParams
from .stats import SufficientStats, em_update, mixture_mean

_MADV_DONTNEED = 4  # Linux


def _drop_pages(block: np.ndarray) -> None:
    """Tell the kernel this process no longer needs the pages of a read-only memory-mapped block.

    The file's pages stay in the page cache (a later pass reads them from there, or from disk), but
    they leave this process's resident set, so reading a file bigger than memory keeps RSS flat.
    Linux only; elsewhere nothing is done.
    """
    if not sys.platform.startswith("linux") or block.nbytes == 0:
        return
    page = os.sysconf("SC_PAGE_SIZE")
    address = block.__array_interface__["data"][0]
    start = address - address % page
    length = address + block.nbytes - start
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(length), _MADV_DONTNEED)  # failure only keeps pages


class ArrayChunks:
    """Consecutive rows of one or more 2-D arrays, as tensors of ``chunk_rows`` rows; iterable again and again.

    Introduced in notebooks/10_scaling_up.ipynb.

    Made by ``array_chunks``. Each chunk is a fresh tensor copied from the array; when the array is a
    read-only ``numpy.memmap`` (``.npy`` paths are opened so), the pages just read are released
    afterwards, so memory stays flat however large the file.

    Attributes
    ----------
    shape : tuple (N, D)
        All the rows of all the arrays.
    dtype : torch.dtype
    """

    def __init__(self, arrays, names, chunk_rows: int):
        self.arrays, self.names, self.chunk_rows = arrays, names, chunk_rows
        self.shape = (sum(a.shape[0] for a in arrays), arrays[0].shape[1])
        self.dtype = torch.float32 if arrays[0].dtype == np.float32 else torch.float64

    def __len__(self) -> int:
        return sum(-(-a.shape[0] // self.chunk_rows) for a in self.arrays)

    def __iter__(self):
        for array in self.arrays:
            release = isinstance(array, np.memmap) and array.mode in ("r", "readonly")
            for start in range(0, array.shape[0], self.chunk_rows):
                block = array[start:start + self.chunk_rows]
                chunk = torch.from_numpy(np.array(block, order="C"))  # a copy: the file's bytes are read here
                if release:
                    _drop_pages(block)
                yield chunk

    def __repr__(self) -> str:
        return f"ArrayChunks({len(self.arrays)} array(s), shape={self.shape}, dtype={self.dtype}, chunk_rows={self.chunk_rows})"


def array_chunks(arrays, chunk_rows: int = 65536) -> ArrayChunks:
    """A stream over the rows of 2-D arrays: ``numpy`` arrays (a ``numpy.memmap`` too), or ``.npy`` paths.

    Introduced in notebooks/10_scaling_up.ipynb.

    Parameters
    ----------
    arrays : array, path, or a list of them
        float32 or float64, 2-D, all with the same D and dtype. A path (str or ``os.PathLike``) is opened
        with ``numpy.load(path, mmap_mode="r")``: nothing is read until a chunk is.
    chunk_rows : int, default 65536

    Returns
    -------
    ArrayChunks
        Re-iterable; pass it to ``fit_em_streaming``.

    Raises
    ------
    ValueError
        Naming the file or array that cannot be read, is not 2-D float32/float64, or disagrees in D or dtype.

    Examples
    --------
    >>> chunks = array_chunks(np.zeros((10, 2), dtype=np.float32), chunk_rows=4)
    >>> [tuple(c.shape) for c in chunks], chunks.shape
    ([(4, 2), (4, 2), (2, 2)], (10, 2))
    """
    chunk_rows = check_int("chunk_rows", chunk_rows, 1)
    items = list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
    if not items:
        raise ValueError("arrays: expected at least one array or path, got an empty list")
    loaded, names = [], []
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            name = os.fspath(item)
            try:
                array = np.load(name, mmap_mode="r", allow_pickle=False)
            except Exception as exc:  # noqa: BLE001 - any reason a file cannot be read: say which file and why
                raise ValueError(f"arrays: cannot read {name!r}: {type(exc).__name__}: {exc}") from exc
        elif isinstance(item, np.ndarray):
            name, array = f"array {i}", item
        else:
            raise ValueError(f"arrays: expected numpy arrays or .npy paths, got {_describe(item)} at position {i}")
        if array.ndim != 2 or array.dtype not in (np.float32, np.float64) or 0 in array.shape:
            raise ValueError(f"arrays: expected a non-empty 2-D float32 or float64 array in {name}, "
                             f"got shape {array.shape} and dtype {array.dtype}")
        if loaded and (array.shape[1] != loaded[0].shape[1] or array.dtype != loaded[0].dtype):
            raise ValueError(f"arrays: expected D = {loaded[0].shape[1]} and dtype {loaded[0].dtype} like {names[0]}, "
                             f"got D = {array.shape[1]} and dtype {array.dtype} in {name}")
        loaded.append(array)
        names.append(name)
    return ArrayChunks(loaded, names, chunk_rows)


def _as_chunk(item, index: int, device, finite: bool = True) -> torch.Tensor:
    """One item of a stream as a (n, D) tensor: a DataLoader's (x, ...) batch gives x; arrays are copied.

    ``finite=False`` skips the scan for NaN and inf (a pass that meets one finds it afterwards: see
    ``StreamSource.statistics``), so the hot loop reads each chunk only once.
    """
    if isinstance(item, (list, tuple)) and item:
        item = item[0]
    if isinstance(item, np.ndarray):
        item = torch.from_numpy(item if item.flags.writeable else np.array(item))
    name = f"chunk {index}"
    if finite or not isinstance(item, torch.Tensor) or item.ndim != 2 or item.dtype not in SUPPORTED_DTYPES:
        check_tensor(name, item, 2, "(n, D)")
    return item if device is None else item.to(device)


def _chunks(data):
    """A fresh iterator over the stream ``data`` (one pass)."""
    if callable(data) and not hasattr(data, "__iter__"):
        data = data()
    return iter(data)


def check_stream(data):
    """``data`` can be iterated over once per pass: not a one-shot iterator or generator."""
    if isinstance(data, torch.Tensor) or isinstance(data, np.ndarray):
        raise ValueError(f"data: expected a stream of chunks (a list of tensors, a DataLoader, array_chunks(...)), "
                         f"got {_describe(data)}; for a tensor in memory use fit_em, or pass [X]")
    if callable(data) and not hasattr(data, "__iter__"):
        return data
    if not hasattr(data, "__iter__"):
        raise ValueError(f"data: expected an iterable of (n, D) chunks, got {_describe(data)}")
    if iter(data) is data:
        raise ValueError("data: expected a stream that can be iterated over once per EM iteration (a list, a "
                         "DataLoader, array_chunks(...), or a function returning an iterator), got a one-shot "
                         f"iterator ({type(data).__name__}); wrap it: lambda: make_iterator()")
    return data


class StreamSource:
    """A stream of chunks as a source for ``em_update``: each pass reads every chunk once.

    Introduced in notebooks/10_scaling_up.ipynb.

    Parameters
    ----------
    data
        A stream (see the module's docstring).
    D : int
    dtype : torch.dtype
    device : torch.device
        Where the chunks are computed on (each chunk is moved there).
    shift : Tensor, shape (D,)
    where : str
        The name errors give.
    """

    def __init__(self, data, D: int, dtype: torch.dtype, device, shift: torch.Tensor, where: str = "fit_em_streaming"):
        self.data, self.D, self.dtype, self.device, self.where = data, D, dtype, torch.device(device), where
        self.kernel = ChunkKernel(D, dtype, device, shift)
        self.count = None  # the number of points of the first full pass

    def chunks(self, finite: bool = False):
        """One pass: every chunk, checked (2-D, D columns, the dtype of the first; finite if asked) and on ``device``."""
        count, index = 0, -1
        for index, item in enumerate(_chunks(self.data)):
            chunk = _as_chunk(item, index, self.device, finite)
            if chunk.shape[1] != self.D or chunk.dtype != self.dtype:
                raise ValueError(f"chunk {index}: expected {self.dtype} of shape (n, {self.D}) like the first chunk, "
                                 f"got {chunk.dtype} of shape {tuple(chunk.shape)}")
            if chunk.shape[0] == 0:
                continue
            count += chunk.shape[0]
            yield chunk
        if self.count is None:
            if count == 0:
                raise ValueError(f"data: expected at least one point, got {index + 1} chunk(s) and no points")
            self.count = count
        elif count != self.count:
            raise ValueError(f"data: a pass yielded {count} points, the first pass {self.count}; exact EM needs the "
                             "same points on every pass (for a stream that never repeats, use fit_em_online)")

    def statistics(self, params: GMMParams) -> SufficientStats:
        """Sufficient statistics of all the chunks under ``params``: one pass."""
        Wt = self.kernel.weights_matrix(params)
        acc = self.kernel.new_accumulator(params.K)
        log2_likelihood = torch.zeros((), dtype=torch.float64, device=self.device)
        count = 0
        for chunk in self.chunks():
            log2_likelihood += self.kernel.add_statistics(Wt, chunk, acc)[0]
            count += chunk.shape[0]
        if not bool(torch.isfinite(acc).all() & torch.isfinite(log2_likelihood)):
            for _ in self.chunks(finite=True):  # a NaN or inf in the data? name its chunk (ValueError)
                pass
        return self.kernel.stats_from(acc, log2_likelihood, count)

    def centred_squares(self, params: GMMParams, components: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
        """Exact sum_n r_nk (x_n - mu_k)^2 for the given components, (k, D) float64: another pass."""
        Wt = self.kernel.weights_matrix(params)
        out = torch.zeros(len(components), self.D, dtype=torch.float64, device=self.device)
        for chunk in self.chunks():
            self.kernel.add_centred_squares(Wt, chunk, components, means, out)
        return out


class Reservoir:
    """A uniform random sample of at most ``size`` points of a stream, kept as it goes by.

    Until more than ``size`` points have come, it keeps them all, in order, and draws no random
    number (so a short stream's sample is the whole data, as ``fit_em``'s start sees it). After that,
    each point gets a uniform random key and the ``size`` smallest keys are kept: a sample without
    replacement, the same for the same generator and the same stream.

    Examples
    --------
    >>> r = Reservoir(3, torch.Generator().manual_seed(0))
    >>> r.add(torch.arange(4.0)[:, None]); r.add(torch.arange(4.0, 6.0)[:, None])
    >>> tuple(r.sample().shape), r.count
    ((3, 1), 6)
    """

    def __init__(self, size: int, generator: torch.Generator | None = None):
        self.size, self.generator = size, generator
        self.rows, self.keys, self.count = [], None, 0

    def _keys(self, n: int, device) -> torch.Tensor:
        where = self.generator.device if self.generator is not None else torch.device("cpu")
        return torch.rand(n, generator=self.generator, dtype=torch.float64, device=where).to(device)

    def add(self, chunk: torch.Tensor) -> None:
        n = chunk.shape[0]
        self.count += n
        if self.keys is None and self.count <= self.size:
            self.rows.append(chunk)
            return
        if self.keys is None:  # the stream just outgrew the sample: give every kept point its key
            self.rows = torch.cat(self.rows) if self.rows else chunk[:0]
            self.keys = self._keys(self.rows.shape[0], chunk.device)
        rows, keys = torch.cat([self.rows, chunk]), torch.cat([self.keys, self._keys(n, chunk.device)])
        if rows.shape[0] > self.size:
            keep = torch.topk(keys, self.size, largest=False).indices  # (size,)
            rows, keys = rows[keep], keys[keep]
        self.rows, self.keys = rows, keys

    def sample(self) -> torch.Tensor:
        """The sample, (min(count, size), D)."""
        return torch.cat(self.rows) if self.keys is None else self.rows


def scan_stream(data, device=None, reservoir: Reservoir | None = None) -> torch.Tensor:
    """Read a stream once to check it: returns its first chunk (after only that one, without a ``reservoir``).

    With a ``reservoir``, every chunk is read, checked against the first (D and dtype) and added to it.
    """
    first = None
    for index, item in enumerate(_chunks(data)):
        chunk = _as_chunk(item, index, device)
        if first is None:
            first = chunk
        elif chunk.shape[1] != first.shape[1] or chunk.dtype != first.dtype:
            raise ValueError(f"chunk {index}: expected {first.dtype} of shape (n, {first.shape[1]}) like the first "
                             f"chunk, got {chunk.dtype} of shape {tuple(chunk.shape)}")
        if reservoir is None:
            break
        reservoir.add(chunk)
    if first is None or (reservoir is not None and reservoir.count == 0):
        raise ValueError("data: expected a stream with at least one point, got an empty one")
    return first


def start_from_stream(data, init, *, device=None, generator=None, reg_covar=1e-6, max_points=MAX_SEED_POINTS):
    """Look at the stream to check it and to start: (start params, its first chunk).

    With ``init`` = K, one full pass gathers a ``Reservoir`` sample of ``max_points`` points and runs
    ``init_kmeans_plusplus`` on it; with a ``GMMParams``, only the first chunk is read, to check D,
    dtype and device against it.
    """
    if isinstance(init, GMMParams):
        first = scan_stream(data, device)
        return GMMParams(*(t.detach() for t in check_params(init, first))), first
    reservoir = Reservoir(max_points, generator)
    first = scan_stream(data, device, reservoir)
    K = check_K(init, reservoir.count)
    sample = reservoir.sample()
    return init_kmeans_plusplus(sample, K, generator=generator, reg_covar=reg_covar,
                                max_points=max(sample.shape[0], K)), first


def _check_init(init):
    if not isinstance(init, GMMParams) and (isinstance(init, bool) or not isinstance(init, numbers.Integral)):
        raise ValueError(f"init: expected a GMMParams or an int K, got {_describe(init)}")


def fit_em_streaming(data, init, *, max_iter: int = 100, tol: float = 1e-6, reg_covar: float = 1e-6,
                     generator: torch.Generator | None = None, device=None, max_points: int = MAX_SEED_POINTS,
                     callback=None) -> EMResult:
    """Exact EM over a stream of chunks: one pass over the data per iteration, memory of one chunk.

    Introduced in notebooks/10_scaling_up.ipynb.

    Each iteration reads every chunk once, adds its sufficient statistics (the fast path's kernel,
    float64 sums around a fixed shift), and takes the M-step from the sums (``em_update``, as
    ``fit_em``). From the same start the result equals ``fit_em`` on the concatenated chunks to
    rounding (1e-10 in float64, tested). Statistics are taken around the start's mixture mean
    ``sum_k pi_k mu_k`` (``fit_em`` uses the data mean it can see; any fixed point near the data
    gives the same answer).

    Parameters
    ----------
    data
        A stream: a list of (n, D) tensors, a ``DataLoader``, ``array_chunks(...)``, or a function
        returning a fresh iterator; every pass must yield the same points (in any order).
    init : GMMParams or int
        The start, or K: then one extra pass gathers a uniform sample of at most ``max_points``
        points and ``init_kmeans_plusplus`` starts from it (the whole stream, in order, when it holds at
        most ``max_points`` points: then the start is ``fit_em``'s for the same generator).
    max_iter, tol, reg_covar
        As in ``fit_em``.
    generator : torch.Generator, optional
        Used only when ``init`` is an int.
    device : torch.device or str, optional
        Compute on this device (each chunk is moved there); default: where the chunks are.
    max_points : int, default 65536
    callback : callable, optional
        ``callback(iteration, log_likelihood, count)`` after each pass (see ``em_loop``).

    Returns
    -------
    EMResult
        As ``fit_em``'s.

    Raises
    ------
    ValueError
        For a one-shot iterator, a chunk that is not (n, D) float32/float64 and finite (naming the
        chunk), chunks that disagree in D or dtype, or passes that yield different numbers of points.

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 300, generator=torch.Generator().manual_seed(0))
    >>> start = init_random_points(X, 3, generator=torch.Generator().manual_seed(1))
    >>> streamed = fit_em_streaming(list(X.split(64)), start, max_iter=5, tol=0)
    >>> in_memory = fit_em(X, start, max_iter=5, tol=0)
    >>> bool(torch.allclose(streamed.params.means, in_memory.params.means, rtol=1e-12))
    True
    """
    data = check_stream(data)
    max_iter = check_int("max_iter", max_iter, 1)
    tol = check_nonneg("tol", tol)
    reg_covar = check_nonneg("reg_covar", reg_covar)
    max_points = check_int("max_points", max_points, 1)
    _check_init(init)
    with torch.no_grad():
        params, first = start_from_stream(data, init, device=device, generator=generator, reg_covar=reg_covar,
                                          max_points=max_points)
        source = StreamSource(data, first.shape[1], first.dtype, first.device, mixture_mean(params))
        return em_loop(lambda p: em_update(source, p, reg_covar, where="fit_em_streaming"), params, max_iter, tol,
                       "fit_em_streaming", callback, stacklevel=3)
