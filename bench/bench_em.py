"""Benchmark: time per EM iteration of fit_em's fast path, scikit-learn and the broadcast form.

    python bench/bench_em.py            # S1, S2, S3 in float32 and float64 (several minutes)
    python bench/bench_em.py --quick    # small sizes: a smoke test that the tables come out and all agree
    python bench/bench_em.py --device cuda   # the GPU table instead: bench/bench_gpu.py (its options follow)

Each size runs in its own process. For each dtype it times, from the same start:
- ``fit_em``: one iteration of its engine, ``gmm_helpers.fast.FastEM.step`` (what fit_em runs per iteration);
- scikit-learn: ``GaussianMixture(covariance_type="diag")``, one ``_e_step`` + ``_m_step`` (what its fit loop runs);
- broadcast: ``gmm_helpers.em_step``, the (N, K, D) form the notebooks teach (skipped where it would not fit);
- the start: ``init_kmeans_plusplus(X, K)``, fit_em's default start, and ``fit_em(X, K)`` end to end (start
  included, to convergence at the default tol or 100 iterations), once.
Times are medians of --repeats iterations after one warm-up. Peak extra memory is the growth of the
process's resident set (RSS, sampled every 2 ms) over its value before each implementation starts,
measured in a second process per size that times nothing. The matrix-product bound is the FLOPs of
the E- and M-step products divided by torch's own throughput for exactly those products on fit_em's
chunks, measured on the spot (the best of 20 runs, with torch's threads or on fit_em's worker threads,
whichever is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import warnings

SIZES = {"S1": (10_000, 2, 3), "S2": (200_000, 16, 16), "S3": (1_000_000, 32, 64)}
QUICK_SIZES = {"Q1": (2_000, 2, 3), "Q2": (5_000, 8, 4)}
IMPLEMENTATIONS = ("fit_em", "sklearn", "broadcast", "start", "end_to_end")
BROADCAST_BUDGET = 6 * 2**30  # bytes the broadcast form may use (its (N, K, D) temporaries, about 3 alive)


class PeakRSS:
    """Peak resident memory above a baseline, sampled from /proc/self/statm in a thread."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")

    def rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def __enter__(self):
        import gc

        gc.collect()
        self.baseline = self.peak = self.rss()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.rss())
        self.extra_mb = (self.peak - self.baseline) / 2**20


def measure(run, repeats: int, mode: str) -> dict:
    """``mode="time"``: what ``run(repeats)`` returns, seconds (a median of ``repeats`` steps after a warm-up, or
    one whole run). ``mode="memory"``: the peak extra RSS of ``run(1)``, sampled by a thread (never during a timed
    run, which it would slow)."""
    if mode == "time":
        return dict(seconds=run(repeats))
    with PeakRSS() as mem:
        run(1)
    return dict(mb=mem.extra_mb)


def median_time(step, repeats: int) -> float:
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_bound(X, K, repeats):
    """torch's GFLOP/s for the E- and M-step products of one of FastEM's chunks of X, and the implied seconds
    per iteration if the products were all there was."""
    import torch

    from gmm_helpers.fast import FastEM

    N, D = X.shape
    n = min(FastEM(X, 1e-6, cache_bytes=0).chunk_rows_for(K), N)
    Wt, Zt, R = torch.randn(K, 2 * D + 1, dtype=X.dtype), torch.randn(2 * D + 1, n, dtype=X.dtype), torch.rand(K, n, dtype=X.dtype)

    def products():  # exactly the two products of FastEM._chunks, on one chunk
        resp = torch.matmul(Wt, Zt, out=R).T
        FastEM._blocked_products(Zt, resp)

    for _ in range(3):
        products()  # warm-up
    times = []
    for _ in range(max(4 * repeats, 20)):
        start = time.perf_counter()
        products()
        times.append(time.perf_counter() - start)
    flops = lambda rows: 2 * 2 * rows * (2 * D + 1) * K  # noqa: E731 - E: (K, 2D+1) @ (2D+1, n), M: (2D+1, n) @ (n, K)
    gflops = flops(n) / min(times) / 1e9  # the best run: the highest throughput, so the tightest bound
    return gflops, flops(N) / (gflops * 1e9)


def worker(name: str, N: int, D: int, K: int, repeats: int, mode: str) -> None:
    """Measure one size in this process (``mode``: "time" or "memory"); print one JSON line per measurement."""
    import numpy as np
    import torch
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    from gmm_helpers import (EMConvergenceWarning, GMMParams, broadcast_memory_bytes, em_step, fit_em,
                             init_kmeans_plusplus, init_random_points)
    from gmm_helpers.fast import FastEM

    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", EMConvergenceWarning)
    g = torch.Generator().manual_seed(0)
    centres = 3 * torch.randn(K, D, generator=g, dtype=torch.float64)
    X64 = torch.randn(N, D, generator=g, dtype=torch.float64) + centres[torch.randint(K, (N,), generator=g)]
    start64 = init_random_points(X64, K, variance=float(X64.var()), generator=g)

    def emit(**record):
        print(json.dumps(dict(size=name, N=N, D=D, K=K, mode=mode, **record)), flush=True)

    for dtype in (torch.float32, torch.float64):
        X = X64.to(dtype)
        start = GMMParams(*(t.to(dtype) for t in start64))
        dname = str(dtype).replace("torch.", "")
        results = {}

        # fit_em's engine
        def fast_run(steps):
            engine, state = FastEM(X, 1e-6), {"p": start}

            def step():
                state["p"], _ = engine.step(state["p"])

            return median_time(step, steps)

        results["fit_em"] = measure(fast_run, repeats, mode)
        emit(dtype=dname, impl="fit_em", **results["fit_em"])

        # fit_em's default start, and fit_em(X, K) end to end, start included
        def start_run(steps):
            return median_time(lambda: init_kmeans_plusplus(X, K, generator=torch.Generator().manual_seed(1)), steps)

        results["start"] = measure(start_run, repeats, mode)
        emit(dtype=dname, impl="start", **results["start"])
        record = {}

        def end_to_end_run(steps):
            begin = time.perf_counter()
            fit = fit_em(X, K, generator=torch.Generator().manual_seed(1))
            record.update(n_iter=fit.n_iter, converged=fit.converged)
            return time.perf_counter() - begin

        results["end_to_end"] = measure(end_to_end_run, 1, mode) | record
        emit(dtype=dname, impl="end_to_end", **results["end_to_end"])

        # scikit-learn
        Xn = X.numpy()

        def sklearn_run(steps):
            gm = GaussianMixture(K, covariance_type="diag", weights_init=start64.weights.numpy(),
                                 means_init=start.means.numpy(), precisions_init=1 / start.variances.numpy(),
                                 max_iter=1, tol=0, reg_covar=1e-6)
            gm.fit(Xn)  # sets the model up from the start; then its own loop body, iteration by iteration

            def step():
                _, log_resp = gm._e_step(Xn)
                gm._m_step(Xn, log_resp)

            return median_time(step, steps)

        results["sklearn"] = measure(sklearn_run, repeats, mode)
        emit(dtype=dname, impl="sklearn", **results["sklearn"])

        # the broadcast form of the notebooks
        needed = 3 * broadcast_memory_bytes(N, K, D, dtype)
        if needed > BROADCAST_BUDGET:
            results["broadcast"] = dict(skipped=f"needs ~{needed / 2**30:.0f} GiB")
        else:
            def broadcast_run(steps):
                state = {"p": start}

                def step():
                    state["p"], _ = em_step(X, state["p"])

                return median_time(step, steps)

            results["broadcast"] = measure(broadcast_run, repeats, mode)
        emit(dtype=dname, impl="broadcast", **results["broadcast"])
        if mode == "memory":
            continue

        # the matrix-product bound for fit_em's products at this size
        gflops, bound = matmul_bound(X, K, repeats)

        # agreement: three iterations of each from the same start
        iterations = 3
        fast = FastEM(X, 1e-6)
        p_fast = start
        for _ in range(iterations):
            p_fast, _ = fast.step(p_fast)
        gm = GaussianMixture(K, covariance_type="diag", weights_init=start64.weights.numpy(), means_init=start.means.numpy(),
                             precisions_init=1 / start.variances.numpy(), max_iter=iterations, tol=0, reg_covar=1e-6).fit(Xn)
        tol = 1e-3 if dtype == torch.float32 else 1e-7
        scale = float(X.abs().max())
        gaps = {"sklearn": max(float(np.abs(p_fast.means.numpy() - gm.means_).max()) / scale,
                               float(np.abs(p_fast.variances.numpy() - gm.covariances_).max() / gm.covariances_.max()))}
        if "skipped" not in results["broadcast"]:
            p_slow = start
            for _ in range(iterations):
                p_slow, _ = em_step(X, p_slow)
            gaps["broadcast"] = max(float((p_fast.means - p_slow.means).abs().max()) / scale,
                                    float((p_fast.variances - p_slow.variances).abs().max() / p_slow.variances.max()))
        emit(dtype=dname, impl="summary", gflops=gflops, bound=bound, gaps=gaps, agree=all(v < tol for v in gaps.values()))


def fmt_s(value):
    return "skipped" if value is None else f"{value:.3g}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a == "--device" or a.startswith("--device=") for a in argv):  # the GPU benchmark has its own script
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_gpu

        return bench_gpu.main(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test (used by make test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed iterations per measurement (default 5, quick 3)")
    parser.add_argument("--sizes", nargs="*", default=None, help="a subset of S1 S2 S3")
    parser.add_argument("--worker", nargs=5, metavar=("NAME", "N", "D", "K", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    if args.worker:
        name, N, D, K, mode = args.worker
        worker(name, int(N), int(D), int(K), repeats, mode)
        return 0

    sizes = QUICK_SIZES if args.quick else {k: v for k, v in SIZES.items() if not args.sizes or k in args.sizes}
    total = len(sizes) * 2 * (2 * len(IMPLEMENTATIONS) + 1)
    done, rows = 0, []
    for name, (N, D, K) in sizes.items():
        for mode in ("time", "memory"):
            command = [sys.executable, __file__, "--worker", name, str(N), str(D), str(K), mode, "--repeats", str(repeats)]
            env = dict(os.environ)
            if mode == "memory":
                # A fixed mmap threshold makes glibc give freed large blocks back to the system, so RSS growth
                # measures each implementation alone, not reuse of what an earlier one freed. (It slows
                # allocation, so timings run in another process without it.)
                env["MALLOC_MMAP_THRESHOLD_"] = "131072"
            with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
                for line in process.stdout:
                    record = json.loads(line)
                    rows.append(record)
                    done += 1
                    bar = "#" * (30 * done // total)
                    print(f"\r[{bar:30s}] {done}/{total} {name} {record['dtype']} {record['impl']:9s} {mode:6s}",
                          end="", file=sys.stderr, flush=True)
            if process.returncode:
                print(f"\nworker for {name} ({mode}) failed with exit code {process.returncode}", file=sys.stderr)
                return process.returncode
    print(file=sys.stderr)

    import sklearn
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"Machine: {os.cpu_count()} cores ({cpu}); torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"scikit-learn {sklearn.__version__}; repeats {repeats} (median after a warm-up)")
    print()
    print("| size | N | D | K | dtype | fit_em s/iter | sklearn s/iter | broadcast s/iter | sklearn / fit_em | broadcast / fit_em "
          "| fit_em MB | sklearn MB | broadcast MB | matmul GFLOP/s | bound s/iter | fit_em / bound | agree |")
    print("|" + "---|" * 17)
    all_agree = True
    table = {}
    for name, (N, D, K) in sizes.items():
        for dtype in ("float32", "float64"):
            by = {}
            for r in rows:
                if r["size"] == name and r["dtype"] == dtype:
                    by.setdefault(r["impl"], {}).update(r)  # the time and the memory record of each
            table[name, dtype] = by
            fast, sk, bc, summary = by["fit_em"], by["sklearn"], by["broadcast"], by["summary"]
            ratio_bc = "–" if "skipped" in bc else f"{bc['seconds'] / fast['seconds']:.1f}x"
            bc_time = f"skipped ({bc['skipped']})" if "skipped" in bc else fmt_s(bc["seconds"])
            bc_mb = "–" if "skipped" in bc else f"{bc['mb']:.0f}"
            all_agree &= summary["agree"]
            print(f"| {name} | {N} | {D} | {K} | {dtype} | {fmt_s(fast['seconds'])} | {fmt_s(sk['seconds'])} | {bc_time} "
                  f"| {sk['seconds'] / fast['seconds']:.1f}x | {ratio_bc} | {fast['mb']:.0f} | {sk['mb']:.0f} | {bc_mb} "
                  f"| {summary['gflops']:.0f} | {summary['bound']:.3g} | {fast['seconds'] / summary['bound']:.2f} "
                  f"| {'yes' if summary['agree'] else 'NO'} |")
    print()
    print("End to end: the default start (init_kmeans_plusplus, greedy k-means++ on at most 65,536 points) and "
          "fit_em(X, K), start included")
    print()
    print("| size | dtype | start s | start / iteration | start MB | fit_em(X, K) s | iterations | converged | fit_em(X, K) MB |")
    print("|" + "---|" * 9)
    for (name, dtype), by in table.items():
        st, e2e, fast = by["start"], by["end_to_end"], by["fit_em"]
        print(f"| {name} | {dtype} | {fmt_s(st['seconds'])} | {st['seconds'] / fast['seconds']:.2f} | {st['mb']:.0f} "
              f"| {fmt_s(e2e['seconds'])} | {e2e['n_iter']} | {'yes' if e2e['converged'] else 'no'} | {e2e['mb']:.0f} |")
    print()
    print("all implementations agree after 3 iterations from the same start" if all_agree
          else "DISAGREEMENT: see the 'agree' column")
    return 0 if all_agree else 1


if __name__ == "__main__":
    sys.exit(main())
