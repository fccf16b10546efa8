"""Two processes (gloo, 127.0.0.1, spawned by the test): the same fit as fit_em, identical on both ranks, and
errors on one rank reach every rank without a hang. The launcher under torchrun.

The functions run on the ranks are defined at the top of this module, so that the spawned processes can import
them (as ``tests.test_distributed``).
"""

import io
import json
import math
import os
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from gmm_helpers import (GMMParams, fit_em, fit_em_distributed, init_random_points, running_example,
                         sufficient_statistics)
from gmm_helpers.distributed import (LocalProcessesError, all_reduce_statistics, allreduce_bytes,
                                     allreduce_seconds, fit_shards, main, run_local_processes, scaling_model)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 90  # seconds for any spawned run: a hang fails the test instead of blocking CI


# --- run on each rank --------------------------------------------------------------------------------

def fits_on_my_shard(shards, start):
    """From ``start``: a tensor shard; the same shard as a stream of chunks; K = 3 with a seed (on all the points,
    then on a 100-point sample); and the all_reduce of one iteration by hand."""
    mine = shards[dist.get_rank()]
    seen = []
    tensor_fit = fit_em_distributed(mine, start, callback=lambda t, ll, n: seen.append((t, float(n))))
    stream_fit = fit_em_distributed(list(mine.split(37)), start)
    k_fit = fit_em_distributed(mine, 3, generator=torch.Generator().manual_seed(5))
    sampled = fit_em_distributed(mine, 3, max_points=100, max_iter=3, tol=0, generator=torch.Generator().manual_seed(5))
    return tensor_fit, stream_fit, k_fit, sampled.history[0], seen, all_reduce_statistics(shards, start)


def _outcome(run):
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - returned to the test, to compare the ranks
        return type(exc).__name__, str(exc)
    return None


def error_scenarios(shards, start):
    """What each rank raises (none may hang): a NaN in rank 1's shard; a different start on rank 1; K larger than
    all the points together; rank 1's stream failing in the third pass. One process group serves them all."""
    rank = dist.get_rank()
    mine = shards[rank]
    outcomes = []
    bad = mine.clone()
    bad[3, 0] = math.nan
    outcomes.append(_outcome(lambda: fit_em_distributed(bad if rank == 1 else mine, start)))
    moved = GMMParams(start.weights, start.means + rank, start.variances)
    outcomes.append(_outcome(lambda: fit_em_distributed(mine, moved)))
    outcomes.append(_outcome(lambda: fit_em_distributed(mine, 601)))
    passes = []

    def read():  # rank 1's stream breaks during the third pass (an unreadable file, a lost connection)
        passes.append(1)
        if rank == 1 and len(passes) == 4:  # the check of the first chunk, then passes 1, 2, 3
            raise OSError("disk went away")
        return iter(mine.split(100))

    outcomes.append(_outcome(lambda: fit_em_distributed(read, start)))
    outcomes.append(_outcome(lambda: fit_em_distributed(mine, start, max_iter=3, tol=0)))  # the group still works
    return outcomes


def launcher_on_my_rank(argvs):
    """The launcher's exit status and error output for each argument list, in one process group."""
    outcomes = []
    for argv in argvs:
        stderr = io.StringIO()
        with redirect_stderr(stderr):
            code = main(argv)
        outcomes.append((code, stderr.getvalue()))
    return outcomes


# --- the tests ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example():
    X, _, _ = running_example(torch.float64)
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    return X, [X[:250], X[250:]], start


def test_two_processes_give_fit_em_on_all_the_data_identically_on_both_ranks(example):
    X, shards, start = example
    ranks = run_local_processes(fits_on_my_shard, (shards, start), world_size=2, timeout=TIMEOUT)
    reference = fit_em(X, start)
    reference_k = fit_em(X, 3, generator=torch.Generator().manual_seed(5))
    for tensor_fit, stream_fit, k_fit, _, seen, _ in ranks:
        for fit, ref in [(tensor_fit, reference), (stream_fit, reference), (k_fit, reference_k)]:
            assert fit.n_iter == ref.n_iter and fit.converged
            for a, b in zip(fit.params, ref.params):
                torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
            torch.testing.assert_close(fit.log_likelihoods, ref.log_likelihoods, rtol=1e-10, atol=0)
        assert all(a.equal(b) for a, b in zip(k_fit.history[0], reference_k.history[0]))  # the same k-means++ start
        assert seen == [(t, 600.0) for t in range(reference.n_iter + 1)]  # every rank sees the global count
    assert reference.n_iter == 32
    for i in range(3):
        assert all(a.equal(b) for a, b in zip(ranks[0][i].params, ranks[1][i].params))  # bit for bit
    sampled = [r[3] for r in ranks]  # K = 3 on a 100-point sample gathered from both ranks
    assert all(a.equal(b) for a, b in zip(*sampled)) and not sampled[0].means.equal(reference_k.history[0].means)
    (mine0, total0), (mine1, total1) = [r[5] for r in ranks]  # one iteration's all_reduce, by hand
    assert total0.equal(total1) and mine0[0] == 250 and mine1[0] == 350
    torch.testing.assert_close(total0, sufficient_statistics(X, start).pack(), rtol=1e-12, atol=1e-9)
    assert total0.numel() * 8 == allreduce_bytes(3, 2)


def test_errors_on_one_rank_reach_every_rank_and_nobody_hangs(example):
    X, shards, start = example
    rank0, rank1 = run_local_processes(error_scenarios, (shards, start), world_size=2, timeout=TIMEOUT)
    for outcome in (rank0[0], rank1[0]):  # found before any work: the same ValueError on both ranks
        assert outcome == ("ValueError", "rank 1: ValueError: X: expected finite values, got 1 NaN or inf entries")
    for outcome in (rank0[1], rank1[1]):
        assert outcome[0] == "ValueError" and outcome[1].startswith("X_local: expected the same starts on every rank")
    for outcome in (rank0[2], rank1[2]):
        assert outcome == ("ValueError", "K: expected an int >= 1 and <= N = 600 (the number of points), got 601")
    assert rank1[3] == ("OSError", "disk went away")  # during an iteration: the failing rank raises its own error,
    assert rank0[3][0] == "DistributedError" and "rank 1: OSError: disk went away" in rank0[3][1]  # the other learns it
    assert rank0[4] is None and rank1[4] is None


def test_without_a_process_group_the_error_says_how_to_make_one(example):
    X, shards, start = example
    with pytest.raises(ValueError, match=r"group: expected an initialised torch.distributed process group"):
        fit_em_distributed(X, start)


def test_a_rank_that_raises_is_reported_by_rank(example):
    X, shards, start = example
    with pytest.raises(LocalProcessesError, match=r"rank 0: ValueError: .*rank 1: ValueError"):
        run_local_processes(fit_shards, (shards, start, {"max_iter": 0}), timeout=TIMEOUT)


def test_the_launcher_refuses_a_rank_without_shards_and_an_unreadable_shard_on_every_rank(tmp_path, example):
    X, shards, start = example
    np.save(tmp_path / "only.npy", X.numpy())
    (tmp_path / "bad").mkdir()
    np.save(tmp_path / "bad" / "first.npy", X.numpy())
    (tmp_path / "bad" / "second.npy").write_bytes(b"not an array")
    argvs = [["--data", str(tmp_path / "*.npy"), "--k", "3", "--out", str(tmp_path / "p.pt")],
             ["--data", str(tmp_path / "bad" / "*.npy"), "--k", "3", "--out", str(tmp_path / "p.pt")]]
    ranks = run_local_processes(launcher_on_my_rank, (argvs,), timeout=TIMEOUT)
    for (code, stderr), _ in ranks:
        assert code == 1 and "1 file(s) match" in stderr and "rank 1 has none; run at most 1 processes" in stderr
    for _, (code, stderr) in ranks:
        assert code == 1 and "rank 1: --data: cannot read" in stderr and "second.npy" in stderr


def test_the_launcher_rejects_bad_arguments_before_starting():
    run = subprocess.run([sys.executable, "-m", "gmm_helpers.distributed", "--data", "x", "--k", "0", "--out", "p.pt"],
                         capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert run.returncode == 2 and "argument --k: expected a positive integer, got 0" in run.stderr


def test_torchrun_with_two_processes_writes_the_fit_of_all_shards(tmp_path, example):
    # float64 shards: in float32 the per-point log-likelihood is exact to ~1e-7 only, so on this slowly converging
    # example the iteration where its change first falls below tol = 1e-6 can differ by one between 1 and 2
    # processes (their sums round differently), and one iteration moves the means by ~1e-3
    X, shards, start = example
    parts = X.split([150, 100, 200, 150])
    for i, part in enumerate(parts):
        np.save(tmp_path / f"part{i}.npy", part.numpy())
    out = tmp_path / "params.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "gmm_helpers.distributed", "--data", str(tmp_path / "part*.npy"), "--k", "3", "--out", str(out),
               "--seed", "5", "--timeout", "60"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=2 * TIMEOUT, cwd=ROOT,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "iteration   0: log-likelihood per point" in run.stdout and "converged: True" in run.stdout
    params = GMMParams(**torch.load(out))
    summary = json.loads(out.with_suffix(".json").read_text())
    # rank 0 reads part0 and part2, rank 1 part1 and part3: fit_em on them in that order, from the same seed
    reference = fit_em(torch.cat([parts[0], parts[2], parts[1], parts[3]]), 3, generator=torch.Generator().manual_seed(5))
    for a, b in zip(params, reference.params):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    assert summary["N"] == 600 and summary["world_size"] == 2 and summary["n_iter"] == reference.n_iter
    assert summary["converged"] and summary["files"] == 4


def test_the_scaling_model_on_paper():
    assert allreduce_bytes(256, 64) == 8 * (256 * 129 + 2)
    assert allreduce_seconds(1e6, 1) == 0.0
    assert allreduce_seconds(1e6, 1024, latency=1e-5, bandwidth=1e9) == pytest.approx(20 * 1e-5 + 2 * 1023 / 1024 * 1e-3)
    rows = scaling_model(10**9, 256, 64, 1e-6, [1, 2, 1024])
    assert rows[0]["communication"] == 0 and rows[0]["speedup"] == pytest.approx(1.0)
    assert rows[2]["compute"] == pytest.approx(1000 / 1024) and rows[2]["speedup"] < 1024
    assert rows[1]["comm_fraction"] < rows[2]["comm_fraction"] < 0.01


def test_a_rank_that_never_finishes_is_killed_after_the_timeout():
    begin = time.monotonic()
    with pytest.raises(TimeoutError, match=r"rank\(s\) \[0\] still running after 6 s; killed"):
        run_local_processes(time.sleep, (3600,), world_size=1, timeout=6)
    assert time.monotonic() - begin < 20
