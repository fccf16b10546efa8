"""Benchmark: EM beyond one tensor in memory: streaming, flat memory, two processes, and a scaling model.

    python bench/bench_scale.py            # at S3 (N = 1,000,000, D = 32, K = 64): several minutes
    python bench/bench_scale.py --quick    # small sizes: a smoke test that every table comes out (a test runs it)

1. Streaming vs in memory: seconds per EM iteration of ``fit_em``'s engine (``FastEM``, the data in memory
   and cached transposed) against the same iteration over a stream of 65,536-row chunks, held in memory
   (a list of tensors) or read from a ``.npy`` file through ``array_chunks`` (a memory map); medians of
   interleaved repeats (so a change in the machine's load hits all three alike). The target: streaming
   at most 1.2x the in-memory iteration. The three agree to rounding (checked).
2. Flat memory: the peak resident set (RSS, pages of the file included) that a fresh process gains while
   ``fit_em_streaming`` fits a memory-mapped file of N points, for files up to several times the
   streaming budget, next to what the same file costs in memory.
3. Two processes x one thread (gloo on 127.0.0.1, ``run_local_processes``) against one process x two
   threads, per iteration at S3, and the bytes all-reduced per iteration: K(2D + 1) + 2 float64 numbers.
4. The scaling model, on paper: per-iteration time for N = 10^9, D = 64, K = 256 on P = 1..1024
   processes, from the per-point cost measured here (one thread) and an all-reduce cost model
   (``gmm_helpers.distributed.allreduce_seconds``: 20 µs per message, 10 GB/s, assumed).
5. CUDA rows, when a GPU is present.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
SIZE = {"full": (1_000_000, 32, 64), "quick": (20_000, 8, 8)}
MEMORY_N = {"full": (1_000_000, 2_000_000, 4_000_000), "quick": (100_000, 400_000)}
MEMORY_D, MEMORY_K, MEMORY_BUDGET_MB = 32, 16, 64  # the streaming budget the files are compared with
MODEL = dict(N=10**9, D=64, K=256, processes=[2**i for i in range(11)])
CHUNK_ROWS = 65536


def make_data(N, D, K, dtype, seed=0):
    """The benchmark's data (as bench_em.py's): K spread centres, unit noise; and a start of K random points."""
    import torch

    from gmm_helpers import init_random_points

    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(K, D, generator=g, dtype=torch.float64)
    X = torch.randn(N, D, generator=g, dtype=torch.float64) + centres[torch.randint(K, (N,), generator=g)]
    start = init_random_points(X, K, variance=float(X.var()), generator=g)
    return X.to(dtype), start.to(dtype)


def interleaved_medians(steps: dict, repeats: int) -> dict:
    """Median seconds of each ``step()``, run in turn (one warm-up each first)."""
    times = {name: [] for name in steps}
    for step in steps.values():
        step()
    for _ in range(repeats):
        for name, step in steps.items():
            begin = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - begin)
    return {name: statistics.median(values) for name, values in times.items()}


def streaming_rows(N, D, K, repeats, folder):
    import numpy as np
    import torch

    from gmm_helpers import array_chunks
    from gmm_helpers.fast import FastEM
    from gmm_helpers.stats import em_update, mixture_mean
    from gmm_helpers.streaming import StreamSource

    rows = []
    for dtype in (torch.float32, torch.float64):
        X, start = make_data(N, D, K, dtype)
        path = os.path.join(folder, f"stream_{str(dtype)[6:]}.npy")
        np.save(path, X.numpy())
        shift = mixture_mean(start)
        sources = {"fit_em": FastEM(X, 1e-6, shift=shift),
                   "stream (chunks in memory)": StreamSource(list(X.split(CHUNK_ROWS)), D, dtype, "cpu", shift),
                   "stream (memmap file)": StreamSource(array_chunks(path, CHUNK_ROWS), D, dtype, "cpu", shift)}
        state = {name: start for name in sources}

        def stepper(name):
            def step():
                state[name], _ = em_update(sources[name], state[name], 1e-6)
            return step

        seconds = interleaved_medians({name: stepper(name) for name in sources}, repeats)
        one = {name: em_update(source, start, 1e-6)[0] for name, source in sources.items()}  # one step from the start
        tol = 1e-4 if dtype == torch.float32 else 1e-10
        agree = all(torch.allclose(a, b, rtol=tol, atol=tol * float(X.abs().max()))
                    for name in sources for a, b in zip(one[name], one["fit_em"]))
        rows.append(dict(dtype=str(dtype)[6:], seconds=seconds, agree=agree))
        os.remove(path)
    return rows


MEMORY_SCRIPT = r"""
import json, sys, numpy as np, torch
from gmm_helpers import GMMParams, array_chunks, fit_em, fit_em_streaming

def status(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key)).split()[1]) * 1024

def peak_growth(run):
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident set size (VmHWM)
    before = status("VmRSS:")
    run()
    return (status("VmHWM:") - before) / 2**20

path, N, D, K = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(N, D))
rng = np.random.default_rng(0)
for i in range(0, N, 250_000):
    n = min(250_000, N - i)
    X[i:i + n] = rng.standard_normal((n, D), dtype=np.float32) + 3 * rng.integers(0, 4, (n, 1)).astype(np.float32)
X.flush(); del X
g = torch.Generator().manual_seed(0)
start = GMMParams(torch.full((K,), 1 / K), 3 * torch.rand(K, D, generator=g), torch.ones(K, D))
fit_em_streaming([torch.randn(1000, D)], start, max_iter=1, tol=0)  # torch's one-time set-up, not measured
streamed = peak_growth(lambda: fit_em_streaming(array_chunks(path, 65536), start, max_iter=2, tol=0))
holder = {}
loaded = peak_growth(lambda: holder.update(X=torch.from_numpy(np.load(path))))
in_memory = peak_growth(lambda: fit_em(holder["X"], start, max_iter=2, tol=0))
print(json.dumps(dict(N=N, file_mb=N * D * 4 / 2**20, streaming_mb=streamed, data_mb=loaded, fit_em_mb=in_memory)))
"""


def memory_rows(Ns, folder):
    rows = []
    for N in Ns:
        path = os.path.join(folder, f"memory_{N}.npy")
        # glibc returns freed blocks above 128 kB to the system, so each measurement starts from what it needs
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
        run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, path, str(N), str(MEMORY_D), str(MEMORY_K)],
                             capture_output=True, text=True, check=True, env=env)
        rows.append(json.loads(run.stdout))
        os.remove(path)
    return rows


def rank_timing(N, D, K, repeats):
    """On each of the 2 ranks: its half of the data, then seconds per EM iteration (one all_reduce each) and of
    the all_reduce alone. Runs in the processes ``run_local_processes`` starts."""
    import torch
    import torch.distributed as dist

    from gmm_helpers.distributed import _GuardedSource
    from gmm_helpers.fast import FastEM
    from gmm_helpers.stats import em_update, mixture_mean

    rank, world = dist.get_rank(), dist.get_world_size()
    X, start = make_data(N, D, K, torch.float32)
    X = X[rank * N // world:(rank + 1) * N // world].clone()
    guarded = _GuardedSource(FastEM(X, 1e-6, shift=mixture_mean(start)), None)
    state = {"p": start}

    def step():
        state["p"], _ = em_update(guarded, state["p"], 1e-6, reduce=guarded.reduce)

    packed = torch.zeros(K * (2 * D + 1) + 2, dtype=torch.float64)

    def reduce_only():
        dist.all_reduce(packed)

    dist.barrier()
    seconds = interleaved_medians({"iteration": step}, repeats)["iteration"]
    dist.barrier()
    reduce_seconds = interleaved_medians({"all_reduce": reduce_only}, 5 * repeats)["all_reduce"]
    return dict(seconds=seconds, all_reduce=reduce_seconds, points=X.shape[0])


def process_rows(N, D, K, repeats):
    import torch

    import bench_scale  # this file, imported by name, so that the spawned ranks can import rank_timing too
    from gmm_helpers.distributed import allreduce_bytes, run_local_processes
    from gmm_helpers.fast import FastEM
    from gmm_helpers.stats import em_update

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [BENCH, os.environ.get("PYTHONPATH")]))
    ranks = run_local_processes(bench_scale.rank_timing, (N, D, K, repeats), world_size=2, threads_per_process=1,
                                timeout=1800)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    X, start = make_data(N, D, K, torch.float32)
    engine, state = FastEM(X, 1e-6), {"p": start}

    def step():
        state["p"], _ = em_update(engine, state["p"], 1e-6)

    threads = interleaved_medians({"2 threads": step}, repeats)["2 threads"]
    torch.set_num_threads(before)
    return dict(processes=max(r["seconds"] for r in ranks), threads=threads,
                all_reduce=max(r["all_reduce"] for r in ranks), bytes=allreduce_bytes(K, D),
                points=[r["points"] for r in ranks])


def seconds_per_point(N, repeats):
    """One thread, D = 64, K = 256: the cost of one point in one EM iteration, for the model."""
    import torch

    from gmm_helpers.fast import FastEM
    from gmm_helpers.stats import em_update

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    X, start = make_data(N, MODEL["D"], MODEL["K"], torch.float32)
    engine, state = FastEM(X, 1e-6), {"p": start}

    def step():
        state["p"], _ = em_update(engine, state["p"], 1e-6)

    seconds = interleaved_medians({"step": step}, repeats)["step"]
    torch.set_num_threads(before)
    return seconds / N


def crossing(per_point, fraction):
    """The smallest power-of-two P at which communication takes ``fraction`` of the model's iteration."""
    from gmm_helpers.distributed import scaling_model

    P = 1
    while P < 2**40:
        row = scaling_model(MODEL["N"], MODEL["K"], MODEL["D"], per_point, [P])[0]
        if row["comm_fraction"] >= fraction:
            return P
        P *= 2
    return None


def cuda_rows(N, D, K, repeats):
    import torch

    from gmm_helpers.fast import FastEM
    from gmm_helpers.stats import em_update, mixture_mean
    from gmm_helpers.streaming import StreamSource

    rows = []
    for dtype in (torch.float32, torch.float64):
        X, start = make_data(N, D, K, dtype)
        Xg, startg = X.cuda(), start.to("cuda")
        sources = {"fit_em on cuda": FastEM(Xg, 1e-6),
                   "stream cpu chunks -> cuda": StreamSource([c.pin_memory() for c in X.split(CHUNK_ROWS)], D, dtype,
                                                             "cuda", mixture_mean(startg))}
        state = {name: startg for name in sources}

        def stepper(name):
            def step():
                state[name], _ = em_update(sources[name], state[name], 1e-6)
                torch.cuda.synchronize()
            return step

        rows.append(dict(dtype=str(dtype)[6:], seconds=interleaved_medians({n: stepper(n) for n in sources}, repeats)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test (a test runs it)")
    parser.add_argument("--repeats", type=int, default=None, help="timed iterations per measurement (default 5, quick 2)")
    parser.add_argument("--sections", type=int, nargs="*", default=[1, 2, 3, 4, 5], help="which tables (default: all)")
    parser.add_argument("--memory-n", type=int, nargs="*", default=None, help="the N of the flat-memory table")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    repeats = args.repeats or (2 if args.quick else 5)
    N, D, K = SIZE[mode]
    sys.path.insert(0, BENCH)

    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"Machine: {os.cpu_count()} cores ({cpu}); torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"repeats {repeats} (medians, interleaved)")
    print()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as folder:
        if 1 in args.sections:
            stream = streaming_rows(N, D, K, repeats, folder)
            print(f"## 1. Streaming vs in memory: seconds per EM iteration, N = {N}, D = {D}, K = {K}, chunks of {CHUNK_ROWS} rows")
            print()
            print("| dtype | fit_em s/iter | stream (chunks in memory) s/iter | ratio | stream (memmap file) s/iter | ratio | agree |")
            print("|" + "---|" * 7)
            for row in stream:
                s = row["seconds"]
                base = s["fit_em"]
                print(f"| {row['dtype']} | {base:.3g} | {s['stream (chunks in memory)']:.3g} "
                      f"| {s['stream (chunks in memory)'] / base:.2f}x | {s['stream (memmap file)']:.3g} "
                      f"| {s['stream (memmap file)'] / base:.2f}x | {'yes' if row['agree'] else 'NO'} |")
                ok &= row["agree"]
            print()
            print("(target: streaming at most 1.2x the in-memory iteration)")
            print()
        if 2 in args.sections:
            memory = memory_rows(args.memory_n or MEMORY_N[mode], folder)
            print(f"## 2. Flat memory: peak RSS growth of a fresh process fitting a memory-mapped float32 file "
                  f"(D = {MEMORY_D}, K = {MEMORY_K}, 2 iterations); streaming budget {MEMORY_BUDGET_MB} MB")
            print()
            print("| N | file MB | file / budget | fit_em_streaming MB | the file in memory MB | + fit_em MB |")
            print("|" + "---|" * 6)
            for row in memory:
                print(f"| {row['N']} | {row['file_mb']:.0f} | {row['file_mb'] / MEMORY_BUDGET_MB:.1f}x "
                      f"| {row['streaming_mb']:.0f} | {row['data_mb']:.0f} | {row['fit_em_mb']:.0f} |")
            print()
    if 3 in args.sections:
        procs = process_rows(N, D, K, repeats)
        print(f"## 3. Two processes x one thread (gloo, 127.0.0.1) vs one process x two threads, float32, "
              f"N = {N}, D = {D}, K = {K}")
        print()
        print("| setup | s/iter | ratio to 1 x 2 | all_reduce s | bytes all-reduced per iteration |")
        print("|---|---|---|---|---|")
        print(f"| 1 process x 2 threads | {procs['threads']:.3g} | 1.00x | – | – |")
        print(f"| 2 processes x 1 thread (shards {procs['points'][0]} + {procs['points'][1]}) | {procs['processes']:.3g} "
              f"| {procs['processes'] / procs['threads']:.2f}x | {procs['all_reduce']:.2g} | {procs['bytes']} "
              f"(K(2D+1)+2 = {procs['bytes'] // 8} float64 numbers, whatever N) |")
        print()
    if 4 in args.sections:
        from gmm_helpers.distributed import allreduce_bytes, scaling_model

        per_point = seconds_per_point(100_000 if mode == "full" else 5_000, repeats)
        rows = scaling_model(MODEL["N"], MODEL["K"], MODEL["D"], per_point, MODEL["processes"])
        print(f"## 4. The scaling model (on paper, not measured): N = 10^9, D = {MODEL['D']}, K = {MODEL['K']}")
        print()
        print(f"Per-point cost measured here on one thread: {per_point * 1e6:.3g} µs; all-reduce of "
              f"{allreduce_bytes(MODEL['K'], MODEL['D'])} bytes modelled as 2 ceil(log2 P) x 20 µs + 2 (P-1)/P x bytes "
              f"/ (10 GB/s).")
        print()
        print("| P | compute s | all_reduce s | total s/iter | communication share | speedup |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print(f"| {row['P']} | {row['compute']:.4g} | {row['communication']:.2g} | {row['total']:.4g} "
                  f"| {100 * row['comm_fraction']:.2g}% | {row['speedup']:.0f} |")
        print()
        p10, p50 = crossing(per_point, 0.10), crossing(per_point, 0.5)
        print(f"Communication reaches 10% of an iteration at P = {p10} and half of it at P = {p50} "
              f"({MODEL['N'] // p10} and {MODEL['N'] // p50} points per process).")
        print()
    if 5 in args.sections:
        if torch.cuda.is_available():
            print(f"## 5. CUDA ({torch.cuda.get_device_name()}): seconds per EM iteration, N = {N}, D = {D}, K = {K}")
            print()
            print("| dtype | fit_em on cuda s/iter | stream of pinned cpu chunks -> cuda s/iter |")
            print("|---|---|---|")
            for row in cuda_rows(N, D, K, repeats):
                print(f"| {row['dtype']} | {row['seconds']['fit_em on cuda']:.3g} "
                      f"| {row['seconds']['stream cpu chunks -> cuda']:.3g} |")
        else:
            print("## 5. CUDA: not available on this machine (torch.cuda.is_available() is False); GPU rows skipped")
        print()
    print("streaming and in-memory iterations agree" if ok else "DISAGREEMENT: see the 'agree' column")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
