"""Exact EM across processes and machines with ``torch.distributed``: one ``all_reduce`` per iteration.

Introduced in notebooks/10_scaling_up.ipynb.

Each process (a *rank*) holds its own shard of the data. An EM iteration is: every rank computes the
sufficient statistics of its shard (``gmm_helpers.stats``), one ``all_reduce`` adds them (K(2D + 1) + 2
float64 numbers, whatever N), and every rank takes the same M-step from the same sums, so all ranks
hold identical parameters without a broadcast: the same algorithm as ``fit_em`` on all the data.

Run it on a cluster with PyTorch's launcher (rank r reads every world_size-th file)::

    torchrun --nproc_per_node=4 -m gmm_helpers.distributed --data 'shards/*.npy' --k 16 --out params.pt

or, on one machine, ``run_local_processes`` spawns the processes for you (the tests and notebook 10
do). Processes are spawned, never forked: a forked child of a process whose GNU OpenMP threads have
run (any multi-threaded torch operation) can hang.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import json
import math
import os
import pickle
import socket
import sys
import time
import traceback

import torch
import torch.distributed as dist

from ._validation import _describe, check_int, check_K, check_nonneg, check_params, check_X
from .em import EMResult, em_loop
from .fast import FastEM, sufficient_statistics
from .init import MAX_SEED_POINTS, init_kmeans_plusplus
from .params import GMMParams
from .stats import SufficientStats, em_update, mixture_mean
from .streaming import Reservoir, StreamSource, _check_init, check_stream, scan_stream, start_from_stream


class DistributedError(RuntimeError):
    """Another rank failed; its error is in the message (that rank raises its own)."""


def _rank_and_size(group) -> tuple[int, int]:
    return dist.get_rank(group), dist.get_world_size(group)


def agree(error: str | None, info: dict, group=None) -> list:
    """Every rank learns every rank's ``info`` and error, before any rank goes on to wait on another collective.

    One ``all_gather_object``. If any rank reports an error, every rank raises ``ValueError`` naming the
    ranks and their messages, so no rank is left waiting on one that gave up.

    Returns
    -------
    list of dict
        ``info`` of each rank, by rank.
    """
    gathered = [None] * dist.get_world_size(group)
    dist.all_gather_object(gathered, dict(info, error=error), group=group)
    errors = [f"rank {rank}: {g['error']}" for rank, g in enumerate(gathered) if g["error"]]
    if errors:
        raise ValueError("; ".join(errors))
    return gathered


def _failed(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _GuardedSource:
    """A source whose failures on one rank reach every rank: a failing pass contributes NaN to the sum.

    ``reduce`` (em_update's) all-reduces; a NaN in the result means some rank failed, and then one
    ``all_gather_object`` tells everyone which and why: that rank re-raises its own exception, the
    others raise ``DistributedError``.
    """

    def __init__(self, source, group):
        self.source, self.group, self.failure = source, group, None

    def statistics(self, params: GMMParams) -> SufficientStats:
        try:
            return self.source.statistics(params)
        except Exception as exc:  # noqa: BLE001 - reported to every rank in reduce
            self.failure = exc
            zeros = SufficientStats.zeros(params.K, params.D, self.source.kernel.shift)
            return SufficientStats.unpack(torch.full_like(zeros.pack(), math.nan), params.K, params.D, zeros.shift)

    def centred_squares(self, params, components, means) -> torch.Tensor:
        try:
            return self.source.centred_squares(params, components, means)
        except Exception as exc:  # noqa: BLE001 - reported to every rank in reduce
            self.failure = exc
            return torch.full((len(components), params.D), math.nan, dtype=torch.float64, device=means.device)

    def reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        tensor = tensor.contiguous().clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=self.group)
        if bool(torch.isnan(tensor).any()):  # finite data give finite sums: a rank failed
            messages = [None] * dist.get_world_size(self.group)
            dist.all_gather_object(messages, None if self.failure is None else _failed(self.failure), group=self.group)
            if self.failure is not None:
                raise self.failure
            failed = "; ".join(f"rank {r}: {m}" for r, m in enumerate(messages) if m)
            raise DistributedError(f"fit_em_distributed: another rank failed during an EM pass: {failed}")
        return tensor


def _rank_generator(generator: torch.Generator | None, rank: int) -> torch.Generator:
    """A generator for this rank's own sample: seeded from ``generator``'s state and the rank, without drawing from it.

    So rank 0's ``generator`` is left as it was for k-means++ (the start equals ``fit_em``'s when every
    point fits in the sample), and the ranks' samples are independent and the same on every run.
    """
    base = generator if generator is not None else torch.default_generator
    digest = hashlib.sha256(base.get_state().numpy().tobytes() + rank.to_bytes(8, "little")).digest()
    local = torch.Generator(device=base.device)
    local.manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return local


def _allocation(counts: list[int], total: int) -> list[int]:
    """Split ``total`` sample points over ranks in proportion to their counts (largest remainders)."""
    N = sum(counts)
    if N <= total:
        return list(counts)
    exact = [total * c / N for c in counts]
    shares = [int(x) for x in exact]
    for r in sorted(range(len(counts)), key=lambda r: exact[r] - shares[r], reverse=True)[: total - sum(shares)]:
        shares[r] += 1
    return shares


def _params_digest(params: GMMParams) -> str:
    return hashlib.sha256(b"".join(t.detach().cpu().contiguous().numpy().tobytes() for t in params)).hexdigest()


def _local_sample(X_local, stream: bool, max_points: int, generator, device) -> Reservoir:
    """A Reservoir over this rank's points (the whole shard, in order, if it holds at most ``max_points``)."""
    reservoir = Reservoir(max_points, generator)
    if stream:
        scan_stream(X_local, device, reservoir)
    else:
        for block in X_local.split(65536):
            reservoir.add(block)
    return reservoir


def fit_em_distributed(X_local, init, *, max_iter: int = 100, tol: float = 1e-6, reg_covar: float = 1e-6,
                       generator: torch.Generator | None = None, group=None, max_points: int = MAX_SEED_POINTS,
                       device=None, callback=None) -> EMResult:
    """Exact EM over the shards of all ranks of a ``torch.distributed`` process group.

    Introduced in notebooks/10_scaling_up.ipynb.

    Call it on every rank of an initialised process group (``torchrun``, ``run_local_processes``, or
    ``torch.distributed.init_process_group``), each with its own shard. Every iteration each rank
    computes its shard's sufficient statistics and one ``all_reduce`` adds them; every rank then takes
    the same M-step, so all ranks end with identical parameters, equal to ``fit_em`` on all the
    shards (concatenated in any order) from the same start, to rounding (1e-10 in float64, tested).

    Before any work the ranks exchange what they hold (one ``all_gather_object``): a bad shard or
    argument on one rank becomes a ``ValueError`` on every rank, naming the rank, instead of a hang.
    A failure during an iteration on one rank also reaches all ranks.

    Parameters
    ----------
    X_local : Tensor, shape (N_r, D), or a stream
        This rank's shard: a tensor in memory, or a stream as ``fit_em_streaming`` takes (e.g.
        ``array_chunks`` over this rank's files). Shards may differ in size; each holds at least one point.
    init : GMMParams or int
        The same start on every rank (checked), or K: k-means++ (``init_kmeans_plusplus``) on rank 0, on
        a uniform sample of at most ``max_points`` points gathered from all ranks in proportion to
        their sizes (all the points, in rank order, when there are at most ``max_points``: then the
        start is ``fit_em``'s on the concatenated shards with the same generator), broadcast to all.
    max_iter, tol, reg_covar
        As in ``fit_em``; ``tol`` is per point of all the data.
    generator : torch.Generator, optional
        The same seed on every rank gives the same fit on every run. Used only when ``init`` is an int.
    group : ProcessGroup, optional
        Default: the default group.
    max_points : int, default 65536
    device : torch.device or str, optional
        For a stream: compute on this device (``cuda:LOCAL_RANK`` with the nccl backend).
    callback : callable, optional
        ``callback(iteration, log_likelihood, count)`` on every rank after each iteration's all_reduce.

    Returns
    -------
    EMResult
        The same on every rank.

    Raises
    ------
    ValueError
        On every rank, when any rank's shard or arguments are bad, or the ranks disagree on D, dtype,
        the start or the settings.
    DistributedError
        On the other ranks, when one rank fails during an iteration (that rank raises its own error).
    """
    if not dist.is_available() or not dist.is_initialized():
        raise ValueError("group: expected an initialised torch.distributed process group (run under torchrun, use "
                         "run_local_processes, or call torch.distributed.init_process_group first), got none")
    rank, world_size = _rank_and_size(group)
    stream = not isinstance(X_local, torch.Tensor)
    error, info, start, sample = None, {}, None, None
    with torch.no_grad():
        try:  # everything this rank can find wrong on its own, reported to all ranks by agree()
            max_iter = check_int("max_iter", max_iter, 1)
            tol = check_nonneg("tol", tol)
            reg_covar = check_nonneg("reg_covar", reg_covar)
            max_points = check_int("max_points", max_points, 1)
            _check_init(init)
            if stream:
                X_local = check_stream(X_local)
            else:
                X_local = check_X(X_local).detach()
            if isinstance(init, GMMParams):
                if stream:
                    start, first = start_from_stream(X_local, init, device=device)
                    D, dtype, where_on, count = first.shape[1], first.dtype, first.device, None
                else:
                    start = GMMParams(*(t.detach() for t in check_params(init, X_local)))
                    D, dtype, where_on, count = X_local.shape[1], X_local.dtype, X_local.device, X_local.shape[0]
                info = dict(start=_params_digest(start), N=count)
            else:
                reservoir = _local_sample(X_local, stream, max_points, _rank_generator(generator, rank), device)
                sample = reservoir.sample()
                D, dtype, where_on = sample.shape[1], sample.dtype, sample.device
                info = dict(start=f"K = {int(init)}", N=reservoir.count)
            info.update(D=D, dtype=str(dtype), device=where_on.type,
                        settings=(max_iter, tol, reg_covar, max_points, isinstance(init, GMMParams)))
        except Exception as exc:  # noqa: BLE001 - every error becomes every rank's error
            error = _failed(exc)
        gathered = agree(error, info, group)
        for key, what in [("D", "dimensions D"), ("dtype", "dtypes"), ("device", "device types"),
                          ("settings", "max_iter, tol, reg_covar, max_points"), ("start", "starts")]:
            values = [g[key] for g in gathered]
            if any(v != values[0] for v in values):
                raise ValueError(f"X_local: expected the same {what} on every rank, got "
                                 + ", ".join(f"rank {r}: {v}" for r, v in enumerate(values)))
        if start is None:
            start = _start_from_samples(sample, [g["N"] for g in gathered], int(init), generator, reg_covar,
                                        max_points, group)
        shift = mixture_mean(start)  # the same on every rank: the start is
        local = (StreamSource(X_local, D, dtype, where_on, shift, where="fit_em_distributed") if stream
                 else FastEM(X_local, reg_covar, shift=shift))
        guarded = _GuardedSource(local, group)

        def update(params):
            return em_update(guarded, params, reg_covar, reduce=guarded.reduce, where="fit_em_distributed")

        return em_loop(update, start, max_iter, tol, "fit_em_distributed", callback, stacklevel=3)


def _start_from_samples(sample, counts, K, generator, reg_covar, max_points, group) -> GMMParams:
    """k-means++ on rank 0 over the ranks' samples (gathered in rank order), broadcast to every rank."""
    rank, world_size = _rank_and_size(group)
    check_K(K, sum(counts))  # the same counts on every rank: the same verdict
    shares = _allocation(counts, max_points)
    mine = sample
    if shares[rank] < sample.shape[0]:  # a uniform subsample of this rank's uniform sample
        keep = torch.randperm(sample.shape[0], generator=_rank_generator(generator, rank + world_size))[: shares[rank]]
        mine = sample[keep.sort().values.to(sample.device)]
    padded = torch.zeros(max(shares), sample.shape[1], dtype=sample.dtype, device=sample.device)
    padded[: mine.shape[0]] = mine
    parts = [torch.empty_like(padded) for _ in range(world_size)] if rank == 0 else None
    dist.gather(padded, parts, dst=dist.get_global_rank(group, 0) if group is not None else 0, group=group)
    message = [None]
    if rank == 0:
        try:
            pooled = torch.cat([part[:share] for part, share in zip(parts, shares)])  # (m, D)
            start = init_kmeans_plusplus(pooled, K, generator=generator, reg_covar=reg_covar,
                                         max_points=max(pooled.shape[0], K))
            message = [("ok", tuple(t.cpu() for t in start))]
        except Exception as exc:  # noqa: BLE001 - sent to every rank
            message = [("error", f"rank 0: {_failed(exc)}")]
    dist.broadcast_object_list(message, src=dist.get_global_rank(group, 0) if group is not None else 0, group=group)
    status, payload = message[0]
    if status == "error":
        raise ValueError(payload)
    return GMMParams(*(t.to(sample.device) for t in payload))


# Spawning a process group on this machine ----------------------------------------------------------

class LocalProcessesError(RuntimeError):
    """One or more spawned ranks raised; ``errors`` maps rank -> (exception type name, message, traceback)."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__("; ".join(f"rank {r}: {kind}: {message}" for r, (kind, message, _) in sorted(errors.items())))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_task(folder: str) -> None:
    """The body of one rank started by ``run_local_processes``: join the group, run the task, write the outcome."""
    rank = int(os.environ["RANK"])
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    with open(os.path.join(folder, "task.pkl"), "rb") as f:
        fn, args, backend, timeout = pickle.load(f)
    try:
        dist.init_process_group(backend, init_method="env://", timeout=datetime.timedelta(seconds=timeout))
        try:
            outcome = (True, fn(*args))
        finally:
            dist.destroy_process_group()
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        outcome = (False, (type(exc).__name__, str(exc), traceback.format_exc()))
    path = os.path.join(folder, f"rank{rank}.result")
    with open(path + ".partial", "wb") as f:
        pickle.dump(outcome, f)  # plain pickle: tensors are copied
    os.replace(path + ".partial", path)


def _tail(path: str, n: int = 2000) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def run_local_processes(fn, args=(), *, world_size: int = 2, timeout: float = 120.0, threads_per_process: int = 1,
                        backend: str = "gloo") -> list:
    """Run ``fn(*args)`` on ``world_size`` new processes that form a process group on 127.0.0.1; return their results.

    Introduced in notebooks/10_scaling_up.ipynb.

    Each rank is a fresh Python interpreter (spawned, never forked, as ``torchrun`` does), joins a
    ``gloo`` group through ``MASTER_ADDR=127.0.0.1`` and a free port, and calls ``fn``, which reads its
    rank from ``torch.distributed.get_rank()``. ``fn`` must be importable by name (defined in a module
    on the path, not in a notebook or a script run as __main__), and ``args`` and the results are
    pickled (copied), so keep them modest; for big data use files and ``torchrun``. What the ranks
    print is kept, not shown (it appears in the errors). Nothing waits forever: collectives time out
    after ``timeout`` seconds, and the processes are killed if they have not finished by then.

    Parameters
    ----------
    fn : callable
        A module-level function.
    args : tuple
    world_size : int, default 2
    timeout : float, default 120
        Seconds for the whole run.
    threads_per_process : int, default 1
        torch threads in each process (``OMP_NUM_THREADS``).
    backend : str, default "gloo"

    Returns
    -------
    list
        ``fn``'s result on each rank, by rank.

    Raises
    ------
    LocalProcessesError
        If any rank raised (``errors`` holds each one's exception type, message and traceback).
    TimeoutError
        If the ranks did not all finish within ``timeout`` seconds.
    """
    import subprocess
    import tempfile

    world_size = check_int("world_size", world_size, 1)
    threads_per_process = check_int("threads_per_process", threads_per_process, 1)
    timeout = check_nonneg("timeout", timeout)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="gmm_helpers_ranks_") as folder:
        with open(os.path.join(folder, "task.pkl"), "wb") as f:
            pickle.dump((fn, tuple(args), backend, timeout), f)
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE=str(world_size),
                   OMP_NUM_THREADS=str(threads_per_process),
                   PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
        code = f"import gmm_helpers.distributed as d; d._run_task({folder!r})"
        processes = []
        for rank in range(world_size):
            with open(os.path.join(folder, f"rank{rank}.log"), "wb") as log:
                processes.append(subprocess.Popen([sys.executable, "-c", code], env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        try:
            while any(p.poll() is None for p in processes):
                if time.monotonic() > deadline:
                    running = [r for r, p in enumerate(processes) if p.poll() is None]
                    raise TimeoutError(f"run_local_processes: rank(s) {running} still running after {timeout:g} s; killed")
                time.sleep(0.05)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait()
        outcomes, errors = {}, {}
        for rank, process in enumerate(processes):
            path = os.path.join(folder, f"rank{rank}.result")
            if not os.path.exists(path):
                log = _tail(os.path.join(folder, f"rank{rank}.log"))
                errors[rank] = ("ProcessExit", f"exited with code {process.returncode} without a result", log)
                continue
            with open(path, "rb") as f:
                ok, value = pickle.load(f)
            (outcomes if ok else errors)[rank] = value
    if errors:
        raise LocalProcessesError(errors)
    return [outcomes[rank] for rank in range(world_size)]


def fit_shards(shards, init, options=None) -> EMResult:
    """``fit_em_distributed(shards[rank], init, **options)`` on this rank: for ``run_local_processes``.

    Introduced in notebooks/10_scaling_up.ipynb.
    """
    return fit_em_distributed(shards[dist.get_rank()], init, **(options or {}))


def all_reduce_statistics(shards, params: GMMParams) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's packed statistics of ``shards[rank]`` under ``params``, and their sum over all ranks.

    Introduced in notebooks/10_scaling_up.ipynb: the one collective of an EM iteration, run by hand.
    Every rank uses the same shift, ``mixture_mean(params)``.
    """
    mine = sufficient_statistics(shards[dist.get_rank()], params).pack()  # (K(2D+1)+2,) float64
    total = mine.clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return mine, total


def all_reduce_and_fit(shards, start: GMMParams, options=None):
    """Notebook 10's live demonstration, on each rank: ``all_reduce_statistics``, then ``fit_em_distributed``.

    Introduced in notebooks/10_scaling_up.ipynb. Returns (this rank's packed statistics, their sum over
    the ranks, this rank's EMResult).
    """
    mine, total = all_reduce_statistics(shards, start)
    return mine, total, fit_em_distributed(shards[dist.get_rank()], start, **(options or {}))


# The scaling model (on paper) -----------------------------------------------------------------------

def allreduce_bytes(K: int, D: int) -> int:
    """Bytes one EM iteration all-reduces: K(2D + 1) + 2 float64 numbers, independent of N.

    >>> allreduce_bytes(256, 64)
    264208
    """
    return 8 * (K * (2 * D + 1) + 2)


def allreduce_seconds(n_bytes: float, P: int, latency: float = 20e-6, bandwidth: float = 10e9) -> float:
    """A model of one all_reduce of ``n_bytes`` over P processes: 2 ceil(log2 P) latency + 2 (P-1)/P bytes / bandwidth.

    The usual cost of the algorithms MPI and NCCL pick for a mid-sized message (a reduce-scatter and
    an all-gather: each byte crosses the network about twice, and there are about log2 P rounds of
    messages). ``latency`` (seconds per message) and ``bandwidth`` (bytes per second) are
    assumptions about the network, not measurements: 20 µs and 10 GB/s describe a datacentre network of
    about 100 Gbit/s.

    >>> allreduce_seconds(1e6, 1), round(allreduce_seconds(1e6, 2) * 1e6, 1)
    (0.0, 140.0)
    """
    if P <= 1:
        return 0.0
    return 2 * math.ceil(math.log2(P)) * latency + 2 * (P - 1) / P * n_bytes / bandwidth


def scaling_model(N: int, K: int, D: int, seconds_per_point: float, processes, latency: float = 20e-6,
                  bandwidth: float = 10e9) -> list[dict]:
    """Per-iteration time on P processes, on paper: N / P points each, then one all_reduce.

    Introduced in notebooks/10_scaling_up.ipynb.

    compute(P) = (N / P) * seconds_per_point (measured on one process), communication(P) =
    ``allreduce_seconds(allreduce_bytes(K, D), P, latency, bandwidth)``. Ignores load imbalance,
    stragglers and the reading of the data.

    Returns
    -------
    list of dict
        One per P: P, compute, communication, total (seconds), comm_fraction, speedup over P = 1.
    """
    n_bytes = allreduce_bytes(K, D)
    rows = []
    for P in processes:
        compute = N / P * seconds_per_point
        communication = allreduce_seconds(n_bytes, P, latency, bandwidth)
        rows.append(dict(P=P, compute=compute, communication=communication, total=compute + communication,
                         comm_fraction=communication / (compute + communication)))
    for row in rows:
        row["speedup"] = N * seconds_per_point / row["total"]
    return rows


# The launcher: torchrun --nproc_per_node=N -m gmm_helpers.distributed --data 'shards/*.npy' --k 16 --out params.pt

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gmm_helpers.distributed",
        description="Fit a diagonal Gaussian mixture by exact EM to .npy shards, one process per rank "
                    "(run it under torchrun; rank r reads every world_size-th file, streaming it from disk).")
    parser.add_argument("--data", required=True, help="glob of .npy files, each (n, D) float32 or float64, e.g. 'shards/*.npy'")
    parser.add_argument("--k", type=_positive_int, required=True, help="number of components K")
    parser.add_argument("--out", required=True, help="where rank 0 writes the parameters (torch.save of a dict); "
                                                     "a JSON summary goes next to it (.json)")
    parser.add_argument("--max-iter", type=_positive_int, default=100)
    parser.add_argument("--tol", type=_nonneg_float, default=1e-6, help="on the change of the per-point log-likelihood")
    parser.add_argument("--reg-covar", type=_nonneg_float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0, help="seed of the k-means++ start (the same on every rank)")
    parser.add_argument("--chunk-rows", type=_positive_int, default=65536, help="rows read from disk at a time")
    parser.add_argument("--in-memory", action="store_true", help="load each rank's shards into memory instead of streaming them")
    parser.add_argument("--backend", choices=["auto", "gloo", "nccl"], default="auto",
                        help="auto: nccl when CUDA is available, else gloo")
    parser.add_argument("--timeout", type=_nonneg_float, default=600.0, help="seconds any collective may wait")
    return parser


def main(argv=None) -> int:
    """The launcher. Returns the exit status: 0, or 1 after printing the error on every rank (2: bad arguments)."""
    import numpy as np

    from .streaming import array_chunks

    args = _parser().parse_args(argv)  # the same arguments on every rank: the same verdict, before any collective
    backend = args.backend if args.backend != "auto" else ("nccl" if torch.cuda.is_available() else "gloo")
    device = torch.device("cpu")
    if backend == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    owns_group = not dist.is_initialized()  # run_local_processes (a test) may have made the group already
    if owns_group:
        if "WORLD_SIZE" not in os.environ:  # run directly, without torchrun: a group of one
            os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                              MASTER_PORT=str(_free_port()))
        dist.init_process_group(backend, init_method="env://", timeout=datetime.timedelta(seconds=args.timeout))
    rank, world_size = dist.get_rank(), dist.get_world_size()
    try:
        error, mine = None, []
        try:
            files = sorted(glob.glob(args.data))
            mine = files[rank::world_size]
            if not files:
                raise ValueError(f"--data: no file matches {args.data!r}")
            if not mine:
                raise ValueError(f"--data: {len(files)} file(s) match {args.data!r} for {world_size} processes, so "
                                 f"rank {rank} has none; run at most {len(files)} processes")
            out_dir = os.path.dirname(os.path.abspath(args.out))
            if rank == 0 and not os.path.isdir(out_dir):
                raise ValueError(f"--out: the folder {out_dir!r} does not exist")
            try:
                chunks = array_chunks(mine, args.chunk_rows)
            except ValueError as exc:
                raise ValueError("--data: " + str(exc).removeprefix("arrays: ")) from None
        except ValueError as exc:
            error = str(exc)
        agree(error, {}, None)
        data = chunks
        if args.in_memory:
            data = torch.cat([torch.from_numpy(np.array(a)) for a in chunks.arrays]).to(device)
        started = time.perf_counter()
        seen = {}

        def progress(iteration, log_likelihood, count):
            seen["N"] = int(count)
            if rank == 0:
                print(f"iteration {iteration:3d}: log-likelihood per point {float(log_likelihood) / float(count):.6f}",
                      flush=True)

        fit = fit_em_distributed(data, args.k, max_iter=args.max_iter, tol=args.tol, reg_covar=args.reg_covar,
                                 generator=torch.Generator().manual_seed(args.seed), device=device, callback=progress)
        seconds = time.perf_counter() - started
        if rank == 0:
            torch.save({name: t.cpu() for name, t in zip(GMMParams._fields, fit.params)}, args.out)
            summary = dict(N=seen["N"], D=fit.params.D, K=args.k, files=len(files), world_size=world_size,
                           backend=backend, n_iter=fit.n_iter, converged=fit.converged,
                           log_likelihood_per_point=float(fit.log_likelihoods[-1]) / seen["N"],
                           log_likelihoods=[float(x) for x in fit.log_likelihoods], seconds=round(seconds, 3),
                           parameters=os.path.abspath(args.out))
            summary_path = os.path.splitext(args.out)[0] + ".json"
            with open(summary_path, "w") as f:
                json.dump(summary, f, indent=2)
            print(f"wrote {args.out} and {summary_path}: N = {seen['N']}, K = {args.k}, {fit.n_iter} iterations, "
                  f"converged: {fit.converged}, {seconds:.1f} s on {world_size} process(es)", flush=True)
        return 0
    except (ValueError, FloatingPointError, DistributedError) as exc:
        print(f"gmm_helpers.distributed [rank {rank} of {world_size}]: error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if owns_group:
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
