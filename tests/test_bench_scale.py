"""`bench/bench_scale.py --quick`: every table comes out and streaming agrees with fit_em (no time is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_scale_benchmark_prints_every_table():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_scale.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.startswith("Machine: ") and "torch " in out
    lines = out.splitlines()
    stream_rows = [line for line in lines if line.startswith(("| float32 |", "| float64 |"))]
    assert len(stream_rows) == 2 and all(line.endswith("| yes |") for line in stream_rows)
    assert "| dtype | fit_em s/iter | stream (chunks in memory) s/iter | ratio | stream (memmap file) s/iter |" in out
    assert sum(line.startswith(("| 100000 |", "| 400000 |")) for line in lines) == 2  # the flat-memory table
    assert "| 2 processes x 1 thread (shards 10000 + 10000) |" in out and "1104 (K(2D+1)+2 = 138 float64 numbers" in out
    model = [line for line in lines if line.startswith("| ") and line.split("|")[1].strip().isdigit()
             and int(line.split("|")[1]) in [2**i for i in range(11)] and line.count("|") == 7]
    assert len(model) == 11 and "## 4. The scaling model (on paper, not measured)" in out
    assert "Communication reaches 10% of an iteration at P = " in out
    assert "## 5. CUDA" in out
    assert "streaming and in-memory iterations agree" in out
