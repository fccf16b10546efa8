"""The classroom kit of notebooks/10_scaling_up.ipynb: measuring the three forms of an EM iteration, and its figures.

The numbers come from the library (``gmm_helpers``); this module times them, measures their memory in a
separate process, and draws.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..distributed import scaling_model
from ..likelihoods import log_likelihood
from ..online import fit_em_online

FORM_STYLES = {  # colours outside the component palette: these lines are methods, not components
    "broadcast": dict(color="#B2182B", marker="s", label="broadcast (N, K, D), notebook 04"),
    "fast": dict(color="#2166AC", marker="o", label="fit_em: chunks of the data in memory"),
    "streaming": dict(color="#1B7837", marker="^", label="fit_em_streaming: chunks read from a file"),
}

_MEASURE = r"""
import json, os, statistics, sys, time
import numpy as np, torch
from gmm_helpers import GMMParams, array_chunks, em_step, init_random_points, sample_gmm
from gmm_helpers.fast import FastEM
from gmm_helpers.stats import em_update, mixture_mean
from gmm_helpers.streaming import StreamSource

torch.set_num_threads(1)
LINUX = os.path.exists("/proc/self/clear_refs")

def status(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key)).split()[1]) / 1024

def peak_growth(run):
    if LINUX:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak resident set size (VmHWM) to the current one
        before = status("VmRSS:")
        run()
        return status("VmHWM:") - before
    import resource  # elsewhere the peak cannot be reset: this process measures one thing only
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 2**20  # macOS: bytes

def median_seconds(run, repeats=3):
    run()
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        run()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)

folder, D, K, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
out = []
for form, N in jobs:
    g = torch.Generator().manual_seed(0)
    truth = GMMParams(torch.full((K,), 1 / K), 3 * torch.randn(K, D, generator=g), torch.ones(K, D))
    X, _ = sample_gmm(truth, N, generator=g)
    start = init_random_points(X, K, variance=float(X.var()), generator=g)
    if form == "broadcast":
        run = timed = lambda: em_step(X, start)
    elif form == "fast":
        run = lambda: FastEM(X, 1e-6).step(start)  # memory: with the engine's set-up (its cache of the centred data)
        engine = FastEM(X, 1e-6)
        timed = lambda: engine.step(start)  # time: an iteration (the set-up is once per fit)
    else:
        path = os.path.join(folder, f"{N}.npy")
        np.save(path, X.numpy())
        del X
        source = StreamSource(array_chunks(path), D, torch.float32, "cpu", mixture_mean(start))
        run = timed = lambda: em_update(source, start, 1e-6)
    em_step(torch.randn(100, D), start)  # torch's one-time set-up, not measured
    mb = peak_growth(run)
    out.append(dict(form=form, N=N, seconds=median_seconds(timed), mb=mb))
print(json.dumps(out))
"""


def measure_em_forms(Ns, D: int = 16, K: int = 16, broadcast_max_N: int = 100_000) -> dict:
    """Seconds and peak extra memory (MB) of one EM iteration in each form, for each N (float32, one thread).

    Introduced in notebooks/10_scaling_up.ipynb.

    Forms: ``"broadcast"`` (``em_step``, the (N, K, D) form of notebooks 04-06, only up to
    ``broadcast_max_N``), ``"fast"`` (``fit_em``'s engine on the data in memory, its set-up included) and
    ``"streaming"`` (one pass of ``fit_em_streaming`` over a ``.npy`` file, 65,536 rows at a time). The
    memory is the growth of the resident set of a separate process (so this one's allocations do not
    blur it), on top of the data, which only the in-memory forms hold. Times are medians of 3.

    Returns
    -------
    dict
        form -> {"N": [...], "seconds": [...], "mb": [...]}.
    """
    jobs = [(form, N) for form in ("broadcast", "fast", "streaming") for N in Ns
            if form != "broadcast" or N <= broadcast_max_N]
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", OMP_NUM_THREADS="1")  # freed blocks return to the system
    linux = os.path.exists("/proc/self/clear_refs")
    records = []
    with tempfile.TemporaryDirectory(prefix="gmm_helpers_measure_") as folder:
        for batch in ([jobs] if linux else [[job] for job in jobs]):  # elsewhere, one process per measurement
            run = subprocess.run([sys.executable, "-c", _MEASURE, folder, str(D), str(K), json.dumps(batch)],
                                 capture_output=True, text=True, env=env)
            if run.returncode:
                raise RuntimeError(f"measure_em_forms: the measuring process failed:\n{run.stderr[-2000:]}")
            records += json.loads(run.stdout)
    results = {}
    for record in records:
        entry = results.setdefault(record["form"], {"N": [], "seconds": [], "mb": []})
        for key in entry:
            entry[key].append(record[key])
    return results


def measure_seconds_per_point(N: int = 20_000, D: int = 64, K: int = 256, repeats: int = 3) -> float:
    """Seconds one point costs in one EM iteration of ``fit_em``'s engine, on one thread (median of ``repeats``).

    Introduced in notebooks/10_scaling_up.ipynb: the measured input of the scaling model. float32 data
    from K well-separated unit-variance components; the engine's set-up (once per fit) is not timed.
    """
    import statistics
    import time

    from ..data import sample_gmm
    from ..fast import FastEM
    from ..init import init_random_points
    from ..params import GMMParams

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        truth = GMMParams(torch.full((K,), 1 / K), 3 * torch.randn(K, D, generator=g), torch.ones(K, D))
        X, _ = sample_gmm(truth, N, generator=g)
        start = init_random_points(X, K, variance=float(X.var()), generator=g)
        engine = FastEM(X, 1e-6)
        engine.step(start)  # warm-up: torch's one-time set-up and the engine's caches
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            engine.step(start)
            times.append(time.perf_counter() - begin)
    finally:
        torch.set_num_threads(threads)
    return statistics.median(times) / N


def plot_time_and_memory(results: dict, D: int, axes=None):
    """Two panels sharing the N axis: seconds per iteration and peak extra memory, log-log, one line per form.

    Introduced in notebooks/10_scaling_up.ipynb. The memory panel adds the data themselves, N x D float32
    (dashed): what the in-memory forms hold besides.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(16, 6), sharex=True)
    ax_time, ax_memory = axes
    for form, entry in results.items():
        style = FORM_STYLES[form]
        ax_time.loglog(entry["N"], entry["seconds"], markersize=9, **style)
        ax_memory.loglog(entry["N"], np.maximum(entry["mb"], 0.1), markersize=9, **style)
    Ns = np.array(sorted({N for entry in results.values() for N in entry["N"]}), dtype=float)
    ax_memory.loglog(Ns, Ns * D * 4 / 2**20, linestyle="--", color="0.35", label=f"the data: N x {D} float32")
    ax_time.set_ylabel("seconds per EM iteration")
    ax_memory.set_ylabel("peak extra memory (MB)")
    ax_time.set_title("Time")
    ax_memory.set_title("Memory")
    for ax in axes:
        ax.set_xlabel("number of points $N$")
    ax_time.legend(loc="lower right", fontsize=13)
    ax_memory.set_ylim(bottom=0.02)  # room below the lines for the legend
    ax_memory.legend(loc="lower right", fontsize=13)
    return axes


def plot_scaling_model(seconds_per_point: float, K: int, D: int, Ns=(10**9, 10**7), processes=None, ax=None):
    """The scaling model on paper: compute and all_reduce time per iteration against P, for each N.

    Introduced in notebooks/10_scaling_up.ipynb.
    """
    ax = ax or plt.gca()
    processes = processes or [2**i for i in range(11)]
    styles = ["-", ":"]
    for N, line in zip(Ns, styles):
        rows = scaling_model(N, K, D, seconds_per_point, processes)
        ax.loglog(processes, [r["compute"] for r in rows], linestyle=line, color="#2166AC", marker="o",
                  label=f"compute, N = $10^{{{int(round(np.log10(N)))}}}$")
    rows = scaling_model(Ns[0], K, D, seconds_per_point, processes)
    ax.loglog(processes[1:], [r["communication"] for r in rows[1:]], color="#B2182B", marker="s",
              label=f"all_reduce of {8 * (K * (2 * D + 1) + 2) // 1000} kB (any N)")
    ax.set_xlabel("processes $P$")
    ax.set_ylabel("seconds per EM iteration (model)")
    ax.set_title(f"On paper: D = {D}, K = {K}, 20 µs per message, 10 GB/s")
    ax.legend(fontsize=12)
    return ax


def online_curves(X: torch.Tensor, start, settings, passes: int = 3, every: int = 1):
    """Log-likelihood per point of all of X after each update of online EM, against passes over X.

    Introduced in notebooks/10_scaling_up.ipynb. For each (alpha, chunk_rows) in ``settings``, the stream is
    X in chunks of ``chunk_rows`` points, ``passes`` times over.

    Returns
    -------
    dict
        (alpha, chunk_rows) -> (passes seen, shape (n,), log-likelihood per point, shape (n,)).
    """
    N = X.shape[0]
    curves = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # chunks of tens of points: a second thread only adds overhead (several times slower)
    try:
        _online_curves(X, start, settings, passes, every, N, curves)
    finally:
        torch.set_num_threads(threads)
    return curves


def _online_curves(X, start, settings, passes, every, N, curves):
    for alpha, chunk_rows in settings:
        chunks = [c for _ in range(passes) for c in X.split(chunk_rows)]
        online = fit_em_online(chunks, start, alpha=alpha)
        seen = np.cumsum([0] + [c.shape[0] for c in chunks]) / N  # passes over the data after each update
        index = list(range(0, len(online.history), every))
        if index[-1] != len(online.history) - 1:
            index.append(len(online.history) - 1)  # always the last update
        curves[alpha, chunk_rows] = (seen[index], np.array([float(log_likelihood(X, online.history[i])) / N for i in index]))


def draw_online_em(exact_curve, curves, ylim, ax=None, title=None):
    """Exact EM (one update per pass) and online EM settings, log-likelihood per point against passes.

    Introduced in notebooks/10_scaling_up.ipynb. ``exact_curve`` is the per-point log-likelihood of EM's
    iterates (``fit.log_likelihoods / N``); ``curves`` as ``online_curves`` returns.
    """
    ax = ax or plt.gca()
    colours = ["#1B7837", "#762A83", "#E08214", "#4D4D4D"]
    passes = max(float(seen[-1]) for seen, _ in curves.values())
    exact = np.asarray(exact_curve, dtype=float)
    steps = np.arange(len(exact))
    keep = steps <= passes
    ax.plot(steps[keep], exact[keep], color="black", marker="o", markersize=8, linewidth=2.5,
            label="exact EM: one update per pass")
    for colour, ((alpha, rows), (seen, values)) in zip(colours, curves.items()):
        ax.plot(seen, values, color=colour, linewidth=2, label=rf"online, $\alpha$ = {alpha:g}, chunks of {rows}")
    ax.set_xlim(0, passes)
    ax.set_ylim(*ylim)
    ax.set_xlabel("passes over the data")
    ax.set_ylabel("log-likelihood per point")
    ax.set_title(title or "Exact EM and online EM, from the same poor start")
    ax.legend(loc="lower right", fontsize=13)
    return ax
