"""The fast path (matrix products, chunked) against the broadcast form the notebooks teach."""

import os
import threading
import warnings

import pytest
import torch

from gmm_helpers import em_step, fit_em, init_random_points, log_likelihood, sample_gmm, toy_params
from gmm_helpers import fast
from gmm_helpers.fast import FastEM, _thread_pool
from tests.conftest import random_params


def realistic_problem(K, D, dtype, seed=0, N=3000):
    g = torch.Generator().manual_seed(seed)
    truth = random_params(K, D, g, torch.float64)
    X, _ = sample_gmm(truth, N, generator=g)
    start = init_random_points(X, K, variance=float(X.var()), generator=g)
    return X.to(dtype), start.to(dtype)


@pytest.mark.parametrize("K, D", [(1, 1), (3, 2), (8, 5), (16, 32)])
def test_one_step_matches_the_broadcast_em_step_float64(K, D):
    X, p = realistic_problem(K, D, torch.float64)
    for _ in range(3):
        fast, fast_ll = FastEM(X, 1e-6).step(p)
        slow, slow_ll = em_step(X, p)
        for a, b in zip(fast, slow):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(fast_ll, slow_ll, rtol=1e-10, atol=0)
        p = slow


@pytest.mark.parametrize("K, D", [(3, 2), (8, 5), (16, 32)])
def test_one_step_matches_the_broadcast_em_step_float32(K, D):
    X, p = realistic_problem(K, D, torch.float32)
    fast, fast_ll = FastEM(X, 1e-6).step(p)
    slow, slow_ll = em_step(X, p)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast_ll.float(), slow_ll, rtol=1e-4, atol=0)


def test_chunking_and_caching_do_not_change_the_answer():
    X, p = realistic_problem(4, 3, torch.float64, N=1000)
    reference, reference_ll = FastEM(X, 1e-6).step(p)
    for engine in (FastEM(X, 1e-6, chunk_rows=7), FastEM(X, 1e-6, chunk_rows=64, cache_bytes=0)):
        got, got_ll = engine.step(p)
        for a, b in zip(got, reference):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(got_ll, reference_ll, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extra_memory_is_bounded_by_a_chunk_without_the_cache(dtype):
    X, p = realistic_problem(4, 3, dtype, N=5000)
    engine = FastEM(X, 1e-6, chunk_rows=256, cache_bytes=0)
    engine.step(p)
    assert engine.Xct is None
    workers = min(torch.get_num_threads(), 20)  # 5000 points in chunks of 256: 20 chunks
    assert {key: tuple(b.shape) for key, b in engine._buffers.items()} == {
        **{("R", w): (4, 256) for w in range(workers)}, **{("Zt", w): (7, 256) for w in range(workers)}}


@pytest.fixture
def torch_threads():
    """Sets torch's thread count for one test and restores it after."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-13), (torch.float32, 1e-6)])
def test_chunks_on_worker_threads_agree_with_one_thread(torch_threads, dtype, rtol):
    X, p = realistic_problem(6, 4, dtype, N=20_000)
    results = {}
    for threads in (1, 2, 3):
        torch_threads(threads)
        results[threads] = FastEM(X, 1e-6, chunk_rows=1000).step(p)
        assert torch.get_num_threads() == threads  # the worker threads' own setting did not leak
    for threads in (2, 3):
        for a, b in zip(results[threads][0], results[1][0]):
            torch.testing.assert_close(a, b, rtol=rtol, atol=rtol * 1e-2)
        torch.testing.assert_close(results[threads][1], results[1][1], rtol=1e-12, atol=0)


def test_a_forked_child_starts_its_own_worker_threads(torch_threads):
    # The child of a fork has none of its parent's threads; a pool it inherited would hang it.
    # (torch's own OpenMP threads do not survive a fork either: the child runs no torch operation here.)
    torch_threads(2)
    parent_pool = _thread_pool(2)
    with warnings.catch_warnings():  # Python 3.12+ warns that forking a multi-threaded process is risky
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report through the exit code, and never return into pytest
        os._exit(0 if fast._POOLS == {} and not fast._POOLS_LOCK.locked() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert fast._POOLS[2] is parent_pool


def test_worker_threads_run_single_threaded_and_leave_the_default_alone(torch_threads):
    torch_threads(2)
    pool = _thread_pool(2)
    assert {pool.submit(torch.get_num_threads).result() for _ in range(4)} == {1}
    started_later = []
    thread = threading.Thread(target=lambda: started_later.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert started_later == [2] and torch.get_num_threads() == 2


def test_the_cache_holds_the_centred_data_transposed():
    X, _ = realistic_problem(4, 3, torch.float32, N=5000)
    X = X + 1e4  # far from the origin: the shift must be the mean to float32 precision
    engine = FastEM(X, 1e-6)
    torch.testing.assert_close(engine.shift.double(), X.double().mean(dim=0), rtol=1e-7, atol=0)
    torch.testing.assert_close(engine.Xct, (X - engine.shift).T, rtol=0, atol=0)


def test_float32_far_from_the_origin_gives_positive_accurate_variances():
    g = torch.Generator().manual_seed(0)
    X = (1e4 + 0.01 * torch.randn(20_000, 2, generator=g, dtype=torch.float64)).float()
    result = fit_em(X, 1, max_iter=3, tol=0, reg_covar=0.0, generator=g)
    true_var = X.double().var(dim=0, unbiased=False)
    assert (result.params.variances > 0).all()
    torch.testing.assert_close(result.params.variances[0].double(), true_var, rtol=0.02, atol=0)
    torch.testing.assert_close(result.params.means[0].double(), X.double().mean(0), rtol=1e-6, atol=0)


def test_far_points_and_high_dimension_stay_finite():
    X, p = realistic_problem(5, 1000, torch.float32, N=300)
    X = torch.cat([X, torch.full((1, 1000), 1e3)])
    new, ll = FastEM(X, 1e-6).step(p)
    assert torch.isfinite(ll) and all(torch.isfinite(t).all() for t in new)


def test_log_likelihood_is_that_of_the_input_parameters():
    X, p = realistic_problem(3, 2, torch.float64)
    _, ll = FastEM(X, 1e-6).step(p)
    torch.testing.assert_close(ll, log_likelihood(X, p), rtol=1e-12, atol=0)


def test_fit_em_toy_recovery_is_unchanged_by_the_fast_path():
    X, _ = sample_gmm(toy_params(torch.float64), 2000, generator=torch.Generator().manual_seed(0))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(1))
    fast = fit_em(X, p0, max_iter=50, tol=0)
    p = p0
    for _ in range(50):
        p, _ = em_step(X, p)
    for a, b in zip(fast.params, p):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_fast_path_on_cuda_matches_the_cpu_broadcast_path(dtype, rtol):
    X, p = realistic_problem(8, 5, dtype)
    fast, fast_ll = FastEM(X.cuda(), 1e-6).step(p.to("cuda"))
    assert fast.means.is_cuda and fast.means.dtype == dtype
    slow, slow_ll = em_step(X, p)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a.cpu(), b, rtol=rtol, atol=rtol)
    torch.testing.assert_close(fast_ll.cpu().to(dtype), slow_ll, rtol=rtol, atol=0)
    result = fit_em(X.cuda(), p.to("cuda"), max_iter=5, tol=0)
    assert result.params.variances.is_cuda and torch.isfinite(result.log_likelihoods).all()
