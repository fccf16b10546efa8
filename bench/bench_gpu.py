"""Benchmark: fit_em on a GPU against a hand-written full-batch step, and against scikit-learn on the CPU.

    python bench/bench_em.py --device cuda          # (what `make bench` runs with --device cuda) S3, then S2
    python bench/bench_gpu.py --device cuda         # the same
    python bench/bench_gpu.py --device cpu --quick  # the same code on a small problem on the CPU (a smoke test)

For each dtype, from the same start, on the device:
- ``fit_em`` s/iter: the marginal time of an iteration of ``fit_em(X, start, tol=0)``, (T(40) - T(10)) / 30
  iterations (each T the best of 3), so the loop's own work (convergence checks, history) counts and the
  engine's setup does not (on a busy CPU and a small problem this difference is noise);
- ``FastEM.step``: one step of fit_em's engine (a median);
- the bound: a 30-line full-batch step, Z = [X, X^2, 1] built once, L = Z @ W, logsumexp, exp, R^T @ Z and the
  M-step from that product, in the data's dtype with TF32 off (a median): what the hardware gives for this maths
  written the plain way;
- ``fit_em(X, K)`` end to end (its default start included, to convergence), the start alone, and the GPU memory
  each takes above the data (peak allocated), next to the (N, K) responsibilities' size;
- TF32: the full-batch step's log-likelihood with TF32 allowed, and ``fit_em``'s with TF32 allowed through each of
  PyTorch's two switches (fit_em forces full precision: its result must not change);
- on the CPU of the same machine: ``fit_em``'s engine step and scikit-learn's ``GaussianMixture`` iteration
  (``_e_step`` + ``_m_step``), for the ratios;
- agreement: 3 iterations on the device against 3 on the CPU from the same start.
Times are medians after a warm-up, with ``torch.cuda.synchronize()`` around each timed call.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings

PROFILE = False  # --profile: print torch.profiler's table of three engine steps per size and dtype (to stderr)
SIZES = {"S3": (1_000_000, 32, 64), "S2": (200_000, 16, 16)}
QUICK_SIZES = {"Q2": (5_000, 8, 4)}


def sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device):
    sync(device)
    begin = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - begin, out


def median_time(fn, device, repeats):
    fn()  # warm-up
    return statistics.median(timed(fn, device)[0] for _ in range(repeats))


def full_batch_step(Z, params, reg_covar=1e-6):
    """One EM iteration written the plain way: L = Z @ W, logsumexp, exp, R^T @ Z, the M-step. Z = [X, X^2, 1]."""
    import torch

    weights, means, variances = params
    D = means.shape[1]
    precisions = 1 / variances  # (K, D)
    constant = weights.log() - 0.5 * (torch.log(2 * math.pi * variances).sum(1) + (means**2 * precisions).sum(1))  # (K,)
    W = torch.cat([(means * precisions).T, (-0.5 * precisions).T, constant[None]])  # (2D+1, K)
    L = Z @ W  # (N, K): log pi_k N(x_n | k)
    lse = torch.logsumexp(L, dim=1, keepdim=True)  # (N, 1): log p(x_n)
    R = torch.exp(L - lse)  # (N, K)
    S = R.T @ Z  # (K, 2D+1): [sum r x, sum r x^2, N_k]
    nk = S[:, 2 * D] + 10 * torch.finfo(Z.dtype).eps
    new_means = S[:, :D] / nk[:, None]
    new_variances = S[:, D:2 * D] / nk[:, None] - new_means**2 + reg_covar
    return (nk / nk.sum(), new_means, new_variances), lse.sum()


def problem(N, D, K, device, dtype):
    import torch

    from gmm_helpers import GMMParams, init_random_points

    g = torch.Generator().manual_seed(0)
    centres = 3 * torch.randn(K, D, generator=g, dtype=torch.float64)
    X64 = torch.randn(N, D, generator=g, dtype=torch.float64) + centres[torch.randint(K, (N,), generator=g)]
    start64 = init_random_points(X64, K, variance=float(X64.var()), generator=g)
    return X64.to(device, dtype), GMMParams(*(t.to(device, dtype) for t in start64)), X64.to(dtype), GMMParams(*(t.to(dtype) for t in start64))


def measure(name, N, D, K, device, repeats, with_cpu):
    import numpy as np
    import torch

    from gmm_helpers import EMConvergenceWarning, fit_em, init_kmeans_plusplus
    from gmm_helpers.fast import FastEM

    warnings.simplefilter("ignore", EMConvergenceWarning)
    rows = []
    for dtype in (torch.float32, torch.float64):
        X, start, X_cpu, start_cpu = problem(N, D, K, device, dtype)
        row = dict(size=name, N=N, D=D, K=K, dtype=str(dtype).replace("torch.", ""))
        itemsize = torch.finfo(dtype).bits // 8
        row["resp_mb"], row["data_mb"] = N * K * itemsize / 2**20, N * D * itemsize / 2**20

        # fit_em per iteration (marginal), and its engine's step
        def fit(iterations):
            return fit_em(X, start, max_iter=iterations, tol=0)

        fit(3)  # warm-up
        t_long = min(timed(lambda: fit(40), device)[0] for _ in range(3))  # the best of 3: least disturbed
        t_short = min(timed(lambda: fit(10), device)[0] for _ in range(3))
        row["fit_em"] = (t_long - t_short) / 30
        engine, state = FastEM(X, 1e-6), {"p": start}

        def engine_step():
            state["p"], _ = engine.step(state["p"])

        row["step"] = median_time(engine_step, device, repeats)
        if PROFILE and device.type == "cuda":
            from torch.profiler import ProfilerActivity, profile

            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                for _ in range(3):
                    engine_step()
                sync(device)
            print(f"--- profile of 3 FastEM steps, {name} {row['dtype']}", file=sys.stderr)
            print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=18, max_name_column_width=60), file=sys.stderr)

        # the bound: the full-batch step, TF32 off
        Z = torch.cat([X, X * X, torch.ones(N, 1, dtype=dtype, device=device)], dim=1)  # built once, not timed
        bstate = {"p": tuple(start)}

        def bound_step():
            bstate["p"], _ = full_batch_step(Z, bstate["p"])

        row["bound"] = median_time(bound_step, device, repeats)

        # TF32: what it does to the plain step's log-likelihood, and that fit_em ignores it
        if device.type == "cuda" and dtype == torch.float32:
            _, ll_ieee = full_batch_step(Z, tuple(start))
            reference = fit_em(X, start, max_iter=5, tol=0).log_likelihoods
            matmul = torch.backends.cuda.matmul
            matmul.allow_tf32 = True
            _, ll_tf32 = full_batch_step(Z, tuple(start))
            legacy = fit_em(X, start, max_iter=5, tol=0).log_likelihoods
            matmul.allow_tf32 = False
            matmul.fp32_precision = "tf32"
            newer = fit_em(X, start, max_iter=5, tol=0).log_likelihoods
            matmul.fp32_precision = "ieee"
            row["tf32_plain_gap"] = abs(float(ll_tf32) - float(ll_ieee)) / N
            row["tf32_fit_em_same"] = bool(torch.equal(reference, legacy) and torch.equal(reference, newer))
        del Z

        # end to end, the start alone, and GPU memory above the data
        generator = torch.Generator(device=device).manual_seed(1)
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        seconds, result = timed(lambda: fit_em(X, K, generator=generator), device)
        row["e2e_cold"] = seconds  # the first call: CUDA loads each kernel at its first use, and the allocator grows
        if device.type == "cuda":
            row["e2e_mb"] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
        seconds, result = timed(lambda: fit_em(X, K, generator=torch.Generator(device=device).manual_seed(1)), device)
        row["e2e"], row["e2e_iter"], row["e2e_converged"] = seconds, result.n_iter, result.converged
        if device.type == "cuda":
            # where the memory goes: what an engine holds after a step, the peak of a step, and of the M-step product
            from gmm_helpers.fast import blocked_products

            torch.cuda.empty_cache()
            base = torch.cuda.memory_allocated(device)
            probe = FastEM(X, 1e-6)
            probe.step(result.history[1])
            row["engine_held_mb"] = (torch.cuda.memory_allocated(device) - base) / 2**20
            row["products_dtype"] = str(probe.products_dtype).replace("torch.", "")
            torch.cuda.reset_peak_memory_stats(device)
            probe.step(result.history[1])
            row["step_peak_mb"] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
            Zt, R = probe.kernel._buffers["Zt"], probe.kernel._buffers["R"]
            before = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            blocked_products(Zt, R.T)
            row["mstep_product_extra_mb"] = (torch.cuda.max_memory_allocated(device) - before) / 2**20
            del probe, Zt, R
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        row["start"] = median_time(lambda: init_kmeans_plusplus(X, K, generator=torch.Generator(device=device).manual_seed(1)),
                                   device, repeats)
        if device.type == "cuda":
            row["start_mb"] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
            # a CPU generator with CUDA data (the start draws on the generator's device, then moves the indices)
            row["cpu_generator_ok"] = fit_em(X, K, generator=torch.Generator().manual_seed(1), max_iter=2).n_iter == 2

        # agreement with the CPU path after 3 iterations from the same start
        on_device = fit_em(X, start, max_iter=3, tol=0).params
        on_cpu = fit_em(X_cpu, start_cpu, max_iter=3, tol=0).params
        scale = float(X_cpu.abs().max())
        row["gap"] = max(float((on_device.means.cpu() - on_cpu.means).abs().max()) / scale,
                         float((on_device.variances.cpu() - on_cpu.variances).abs().max() / on_cpu.variances.max()))
        row["agree"] = row["gap"] < (1e-3 if dtype == torch.float32 else 1e-7)

        # the same machine's CPU: fit_em's engine and scikit-learn
        if with_cpu:
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.mixture import GaussianMixture

            warnings.simplefilter("ignore", ConvergenceWarning)
            cpu = torch.device("cpu")
            cpu_engine, cstate = FastEM(X_cpu, 1e-6), {"p": start_cpu}

            def cpu_step():
                cstate["p"], _ = cpu_engine.step(cstate["p"])

            row["cpu_fit_em"] = median_time(cpu_step, cpu, 3)
            Xn = X_cpu.numpy()
            gm = GaussianMixture(K, covariance_type="diag", weights_init=start_cpu.weights.double().numpy(),
                                 means_init=start_cpu.means.numpy(), precisions_init=1 / start_cpu.variances.numpy(),
                                 max_iter=1, tol=0, reg_covar=1e-6).fit(Xn)

            def sklearn_step():
                _, log_resp = gm._e_step(Xn)
                gm._m_step(Xn, log_resp)

            row["sklearn"] = median_time(sklearn_step, cpu, 2)
            del Xn, gm
        rows.append(row)
        print(f"{name} {row['dtype']}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                      for k, v in row.items() if k not in ("size", "dtype")),
              file=sys.stderr, flush=True)
        del X, start, engine, state, result
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def ms(seconds):
    return f"{1e3 * seconds:.3g}"


def report(rows, device, repeats) -> bool:
    import torch

    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        where = f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"
    else:
        where = "the CPU"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"Device: {where}; CPU: {os.cpu_count()} cores ({cpu}); torch {torch.__version__}; repeats {repeats} "
          f"(median after a warm-up)")
    print()
    print("| size | dtype | fit_em ms/iter | FastEM.step ms | full-batch step ms (bound) | fit_em / bound "
          "| CPU fit_em ms/iter | CPU scikit-learn ms/iter | scikit-learn (CPU) / fit_em | agree with CPU |")
    print("|" + "---|" * 10)
    ok = True
    for r in rows:
        cpu_cells = (f"{ms(r['cpu_fit_em'])} | {ms(r['sklearn'])} | {r['sklearn'] / r['fit_em']:.0f}x"
                     if "sklearn" in r else "– | – | –")
        print(f"| {r['size']} | {r['dtype']} | {ms(r['fit_em'])} | {ms(r['step'])} | {ms(r['bound'])} "
              f"| {r['fit_em'] / r['bound']:.2f} | {cpu_cells} | {'yes' if r['agree'] else 'NO'} ({r['gap']:.1e}) |")
        ok &= r["agree"]
    print()
    print("End to end: fit_em(X, K) with its default start (greedy k-means++ on at most 65,536 points), to convergence")
    print()
    print("| size | dtype | fit_em(X, K) ms | first call ms | iterations | converged | beyond its iterations, in iterations | start ms "
          "| start in iterations | GPU MB above the data | (N, K) responsibilities MB | data MB | start GPU MB |")
    print("|" + "---|" * 13)
    nan = float("nan")
    for r in rows:
        print(f"| {r['size']} | {r['dtype']} | {ms(r['e2e'])} | {ms(r['e2e_cold'])} | {r['e2e_iter']} "
              f"| {'yes' if r['e2e_converged'] else 'no'} | {r['e2e'] / r['fit_em'] - r['e2e_iter']:.1f} | {ms(r['start'])} "
              f"| {r['start'] / r['fit_em']:.1f} | {r.get('e2e_mb', nan):.0f} | {r['resp_mb']:.0f} | {r['data_mb']:.0f} "
              f"| {r.get('start_mb', nan):.0f} |")
    if any("engine_held_mb" in r for r in rows):
        print()
        print("| size | dtype | products in | engine's buffers MB | peak of a step MB | M-step product's extra MB |")
        print("|" + "---|" * 6)
        for r in rows:
            print(f"| {r['size']} | {r['dtype']} | {r['products_dtype']} | {r['engine_held_mb']:.0f} | {r['step_peak_mb']:.0f} "
                  f"| {r['mstep_product_extra_mb']:.0f} |")
    tf32 = [r for r in rows if "tf32_plain_gap" in r]
    if tf32:
        print()
        for r in tf32:
            print(f"TF32 at {r['size']} float32: the full-batch step's log-likelihood moves by {r['tf32_plain_gap']:.2e} "
                  f"nats per point when TF32 is allowed; fit_em's log-likelihoods with TF32 allowed (either switch) "
                  f"are {'identical to' if r['tf32_fit_em_same'] else 'DIFFERENT from'} those without")
            ok &= r["tf32_fit_em_same"]
        print("A CPU generator with CUDA data: " + ("works" if all(r.get("cpu_generator_ok") for r in rows) else "FAILS"))
    print()
    print("the device and the CPU agree after 3 iterations from the same start" if ok else "DISAGREEMENT: see above")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (the same code, for a smoke test)")
    parser.add_argument("--quick", action="store_true", help="a small problem only")
    parser.add_argument("--sizes", nargs="*", default=None, help="a subset of S3 S2")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per median (default 10, quick 3)")
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU rows (scikit-learn, fit_em on the CPU)")
    parser.add_argument("--profile", action="store_true", help="torch.profiler's table of three engine steps (stderr)")
    args = parser.parse_args(argv)
    global PROFILE
    PROFILE = args.profile

    import torch

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_gpu: --device cuda, but this machine has no CUDA device", file=sys.stderr)
        return 2
    repeats = args.repeats or (3 if args.quick else 10)
    sizes = QUICK_SIZES if args.quick else {k: v for k, v in SIZES.items() if not args.sizes or k in args.sizes}
    rows = []
    for name, (N, D, K) in sizes.items():
        rows += measure(name, N, D, K, device, repeats, with_cpu=not args.no_cpu)
    return 0 if report(rows, device, repeats) else 1


if __name__ == "__main__":
    sys.exit(main())
