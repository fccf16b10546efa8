"""`make bench` in miniature: the table comes out and the three implementations agree (no time is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_prints_the_table_and_all_agree():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_em.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.startswith("Machine: ") and "torch " in out
    header = next(line for line in out.splitlines() if line.startswith("| size |"))
    for column in ["fit_em s/iter", "sklearn s/iter", "broadcast s/iter", "sklearn / fit_em", "fit_em MB",
                   "matmul GFLOP/s", "bound s/iter", "fit_em / bound", "agree"]:
        assert column in header
    rows = [line for line in out.splitlines() if line.startswith("| Q") and line.count("|") == 18]  # the first table
    assert len(rows) == 4 and all(line.rstrip().endswith("| yes |") for line in rows)
    assert "all implementations agree" in out
    assert "| size | dtype | start s | start / iteration | start MB | fit_em(X, K) s | iterations | converged |" in out
    assert sum(line.startswith("| Q") for line in out.splitlines()) == 8
    assert "44/44" in run.stderr  # the progress bar reached the end


def test_the_gpu_benchmark_runs_its_code_on_the_cpu_and_agrees():
    """`make bench` with --device cuda runs bench/bench_gpu.py; here the same code on the CPU, small (no time is asserted)."""
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_em.py"), "--device", "cpu", "--quick"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.startswith("Device: the CPU")
    assert "| size | dtype | fit_em ms/iter | FastEM.step ms | full-batch step ms (bound) | fit_em / bound |" in out
    rows = [line for line in out.splitlines() if line.startswith("| Q2 |")]
    assert len(rows) == 4 and all("| yes (" in line for line in rows[:2])
    assert "the device and the CPU agree after 3 iterations" in out
