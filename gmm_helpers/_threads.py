"""Worker threads for the fast path: each runs its torch operations on one thread of its own.

``FastEM`` on a CPU gives each of ``torch.get_num_threads()`` worker threads a share of the chunks
of data; each worker runs whole chunks with single-threaded torch operations, and their statistics
are added at the end. ``make bench`` compares this with torch's own threads (every operation split
across the threads) and the README's Performance section gives the measured ratio.

How a worker becomes single-threaded, and what that does to the rest of the process: torch keeps
one thread count per OS thread (OpenMP and MKL settings are per thread), copied from a process-wide
default the first time a thread calls into torch. ``torch.set_num_threads(1)`` in a worker sets its
own count *and* that default, so the pool is started under a lock and the default is put back
before the lock is released; code that starts threads of its own while a pool is being made (once
per thread count, the first time ``fit_em`` runs) can still see the default at 1 for that moment,
and the pool is therefore made at most once per count, never per call.

A pool is shared by every ``FastEM`` of the process; a ``FastEM`` itself is not thread-safe (its
buffers are reused between steps): use one per user thread.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading

import torch

_POOLS: dict[int, concurrent.futures.ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _forget_pools_after_fork() -> None:
    """A forked child has none of its parent's threads: it must start its own pools."""
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_after_fork)


def thread_pool(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    """``workers`` threads whose torch operations each run on one thread (started once per count).

    Raises
    ------
    RuntimeError
        If a worker could not be set up (no pool is kept, nothing waits forever).
    """
    with _POOLS_LOCK:
        if workers in _POOLS:
            return _POOLS[workers]
        threads_before = torch.get_num_threads()
        started = threading.Barrier(workers + 1)

        def one_thread_each():
            try:
                # get_num_threads first: a thread's first torch call copies the process default into
                # it, which would undo an earlier set_num_threads.
                torch.get_num_threads()
                torch.set_num_threads(1)
            except BaseException:
                started.abort()  # the others, and the caller, stop waiting
                raise
            started.wait()

        pool = concurrent.futures.ThreadPoolExecutor(workers, "gmm_helpers.fast")
        # Each task waits at the barrier until all have arrived, so each runs on a thread of its own.
        setups = [pool.submit(one_thread_each) for _ in range(workers)]
        try:
            started.wait()
        except threading.BrokenBarrierError:
            pool.shutdown(wait=True)
            failures = [f.exception() for f in setups if f.exception() is not None]
            raise RuntimeError(f"gmm_helpers: could not start {workers} worker threads") from (failures or [None])[0]
        finally:
            # set_num_threads(1) in a worker also set the default that threads started later begin with
            torch.set_num_threads(threads_before)
        _POOLS[workers] = pool
        return pool


def run_on_workers(function, jobs: list) -> list:
    """``[function(*job) for job in jobs]``, one job per worker thread, all at once; waits for every job.

    Every job is awaited even when one fails (they may share buffers); the first failure is re-raised.
    """
    if len(jobs) == 1:
        return [function(*jobs[0])]
    pool = thread_pool(len(jobs))
    futures = [pool.submit(function, *job) for job in jobs]
    concurrent.futures.wait(futures)
    return [future.result() for future in futures]
