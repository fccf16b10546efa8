"""The fast path (matrix products, chunked) against the broadcast form and scikit-learn."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_helpers import (GMMParams, em_step, fit_em, init_random_points, log_likelihood, log_responsibilities, m_step,
                         sample_gmm, toy_params)
from gmm_helpers.fast import FastEM
from tests.conftest import random_params


def realistic_problem(K, D, dtype, seed=0, N=3000):
    g = torch.Generator().manual_seed(seed)
    truth = random_params(K, D, g, torch.float64)
    X, _ = sample_gmm(truth, N, generator=g)
    start = init_random_points(X, K, variance=float(X.var()), generator=g)
    return X.to(dtype), start.to(dtype)


def sklearn_steps(X, start, n_iter, reg_covar=1e-6):
    """scikit-learn's GaussianMixture(covariance_type="diag") run for n_iter iterations from ``start``, in float64."""
    gm = GaussianMixture(start.K, covariance_type="diag", weights_init=start.weights.double().numpy(),
                         means_init=start.means.double().numpy(), precisions_init=1 / start.variances.double().numpy(),
                         max_iter=n_iter, tol=0, reg_covar=reg_covar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X.double().numpy())
    return gm


@pytest.fixture
def torch_threads():
    """Sets torch's thread count for one test and restores it after."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


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


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-9), (torch.float32, 2e-4)])
def test_many_chunks_on_two_threads_match_scikit_learn_with_an_empty_component(torch_threads, dtype, rtol):
    """60k points in many chunks, on two threads; component 3 starts far from every point,
    receives nothing, and ends where scikit-learn puts it: mean 0, variance reg_covar."""
    torch_threads(2)
    X, start = realistic_problem(3, 4, torch.float64, seed=3, N=60_000)
    far = GMMParams(torch.tensor([0.3, 0.3, 0.3, 0.1], dtype=torch.float64),
                    torch.cat([start.means, torch.full((1, 4), 1e3, dtype=torch.float64)]),
                    torch.cat([start.variances, torch.ones(1, 4, dtype=torch.float64)]))
    X64, far64 = X, far
    X, far = X.to(dtype), far.to(dtype)
    engine = FastEM(X, 1e-6, chunk_rows=4096)  # 15 chunks
    params, done = far, 0
    for n_iter in (1, 6):
        while done < n_iter:
            params, _ = engine.step(params)
            done += 1
        gm = sklearn_steps(X64, far64, n_iter)
        scale = float(X.abs().max())
        np.testing.assert_allclose(params.weights.double().numpy(), gm.weights_, rtol=rtol, atol=rtol * 1e-2)
        np.testing.assert_allclose(params.means.double().numpy(), gm.means_, rtol=rtol, atol=rtol * scale)
        np.testing.assert_allclose(params.variances.double().numpy(), gm.covariances_, rtol=rtol, atol=1e-12)
    assert params.means[3].abs().max() == 0 and params.variances[3].tolist() == pytest.approx([1e-6] * 4)


def test_a_component_far_from_every_point_ends_where_m_step_puts_it():
    """Its clamped responsibilities are exactly 0, so its mean is m_step's 0 / (10 eps) = the origin, not the data mean."""
    X, start = realistic_problem(2, 2, torch.float64)
    X = X + 50.0  # the data mean is far from the origin: the two answers would differ by 50
    far = GMMParams(torch.tensor([0.45, 0.45, 0.1], dtype=torch.float64),
                    torch.cat([start.means + 50, torch.tensor([[-1e3, 1e3]], dtype=torch.float64)]),
                    torch.cat([start.variances, torch.ones(1, 2, dtype=torch.float64)]))
    fast, _ = FastEM(X, 1e-6).step(far)
    slow, _ = em_step(X, far)
    assert slow.means[2].tolist() == [0.0, 0.0]
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_narrow_component_far_from_the_mean_gets_its_exact_variance(dtype):
    """The one-pass E[(x-s)^2] - E[x-s]^2 cancels for a spread of 1e-3 at distance 100 (in float32 it gives garbage,
    often a negative number); such variances are recomputed exactly, never clamped to reg_covar."""
    g = torch.Generator().manual_seed(0)
    wide = torch.randn(5000, 2, generator=g, dtype=torch.float64)
    narrow = 100 + 1e-3 * torch.randn(5000, 2, generator=g, dtype=torch.float64)
    X = torch.cat([wide, narrow]).to(dtype)
    start = GMMParams(torch.tensor([0.5, 0.5], dtype=dtype), torch.tensor([[0.0, 0.0], [100.0, 100.0]], dtype=dtype),
                      torch.tensor([[1.0, 1.0], [1e-6, 1e-6]], dtype=dtype))
    fast, _ = FastEM(X, 0.0).step(start)
    exact = m_step(X.double(), log_responsibilities(X.double(), start.to(torch.float64)).exp(), reg_covar=0.0)
    torch.testing.assert_close(fast.variances.double(), exact.variances, rtol=1e-3 if dtype == torch.float32 else 1e-9, atol=0)
    assert fast.variances[1].double().min() > 0.5e-6  # (1e-3)^2 = 1e-6, not 0 and not clamped


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pixel_like_data_with_constant_dimensions_give_the_true_log_likelihood(dtype, monkeypatch):
    """Digits: pixels 0..16 with components constant along some pixels (variance reg_covar = 1e-6). The expanded
    E-step would lose whole nats in float32 (eps * 1e6 * 16^2 per pixel); the recorded log-likelihood must be the
    float64 truth, rise at every step, and no variance recompute is needed (reg_covar dominates their error)."""
    from sklearn.datasets import load_digits

    from gmm_helpers import fast as fast_module

    recomputes = []
    original = fast_module.FastEM.centred_squares
    monkeypatch.setattr(fast_module.FastEM, "centred_squares", lambda self, *a: recomputes.append(1) or original(self, *a))
    X64 = torch.from_numpy(load_digits().data).double()
    fit = fit_em(X64.to(dtype), 10, max_iter=40, generator=torch.Generator().manual_seed(0))
    per_point = fit.log_likelihoods / len(X64)
    for t in (1, fit.n_iter // 2, fit.n_iter):
        truth = log_likelihood(X64, fit.history[t].to(torch.float64)) / len(X64)
        assert abs(float(per_point[t] - truth)) < 1e-4
    assert (per_point.diff() > -1e-6).all() and fit.converged and not recomputes


def test_extreme_precisions_in_float64_get_direct_log_densities():
    """A component of variance 1e-8 at 1e4 from the data's mean: in float64 too the expanded square would lose
    ~0.1 nats, so that component's log-densities are computed directly; the step equals the broadcast one."""
    g = torch.Generator().manual_seed(0)
    X = torch.cat([torch.randn(500, 2, generator=g, dtype=torch.float64),
                   1e4 + 1e-4 * torch.randn(500, 2, generator=g, dtype=torch.float64)])
    start = GMMParams(torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([[0.0, 0.0], [1e4, 1e4]], dtype=torch.float64),
                      torch.tensor([[1.0, 1.0], [1e-8, 1e-8]], dtype=torch.float64))
    fast, fast_ll = FastEM(X, 0.0).step(start)
    slow, slow_ll = em_step(X, start, reg_covar=0.0)
    torch.testing.assert_close(fast_ll, slow_ll, rtol=1e-9, atol=0)  # without it: 26 nats off
    for a, b in zip(fast, slow):  # the wide component's one-pass variance keeps half of float64's digits, by design
        torch.testing.assert_close(a, b, rtol=2e-8, atol=0)


def test_the_collapse_test_is_the_same_on_both_paths():
    X = torch.tensor([[0.0], [0.0], [5.0], [6.0], [7.0]], dtype=torch.float64) + 1e3
    start = GMMParams(torch.tensor([0.4, 0.6], dtype=torch.float64), torch.tensor([[1e3], [1006.0]], dtype=torch.float64),
                      torch.tensor([[1e-4], [1.0]], dtype=torch.float64))
    with pytest.raises(FloatingPointError, match=r"m_step: component 0 collapsed"):
        em_step(X, start, reg_covar=0.0)
    with pytest.raises(FloatingPointError, match=r"fit_em: component 0 collapsed"):
        FastEM(X, 0.0).step(start)
    # duplicated points at the origin, the data's mean elsewhere: both paths call it a collapse
    X0 = torch.tensor([[0.0], [0.0], [50.0], [52.0]], dtype=torch.float64)
    s0 = GMMParams(torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([[0.0], [51.0]], dtype=torch.float64),
                   torch.tensor([[0.01], [1.0]], dtype=torch.float64))
    with pytest.raises(FloatingPointError, match=r"m_step: component 0 collapsed"):
        em_step(X0, s0, reg_covar=0.0)
    with pytest.raises(FloatingPointError, match=r"fit_em: component 0 collapsed"):
        FastEM(X0, 0.0).step(s0)
    for a, b in zip(FastEM(X, 1e-6).step(start)[0], em_step(X, start, reg_covar=1e-6)[0]):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_chunking_and_caching_do_not_change_the_answer():
    X, p = realistic_problem(4, 3, torch.float64, N=1000)
    reference, reference_ll = FastEM(X, 1e-6).step(p)
    for engine in (FastEM(X, 1e-6, chunk_rows=7), FastEM(X, 1e-6, chunk_rows=64, cache_bytes=0)):
        got, got_ll = engine.step(p)
        for a, b in zip(got, reference):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(got_ll, reference_ll, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_one_and_two_threads_agree(torch_threads, dtype, rtol):
    X, p = realistic_problem(6, 4, dtype, N=20_000)
    results = {}
    for threads in (1, 2):
        torch_threads(threads)
        results[threads] = FastEM(X, 1e-6, chunk_rows=1000).step(p)
    for a, b in zip(results[2][0], results[1][0]):
        torch.testing.assert_close(a, b, rtol=rtol, atol=rtol * 1e-2)
    torch.testing.assert_close(results[2][1], results[1][1], rtol=rtol * 1e-2, atol=0)


def test_float32_far_from_the_origin_gives_accurate_variances():
    g = torch.Generator().manual_seed(0)
    X = (1e4 + 0.01 * torch.randn(20_000, 2, generator=g, dtype=torch.float64)).float()
    result = fit_em(X, 1, max_iter=3, tol=0, reg_covar=0.0, generator=g)
    true_var = X.double().var(dim=0, unbiased=False)
    torch.testing.assert_close(result.params.variances[0].double(), true_var, rtol=1e-3, atol=0)
    torch.testing.assert_close(result.params.means[0].double(), X.double().mean(0), rtol=1e-7, atol=0)


def test_a_far_point_in_1000_dimensions_matches_the_broadcast_path():
    X, p = realistic_problem(5, 1000, torch.float64, N=300)
    X = torch.cat([X, torch.full((1, 1000), 1e3, dtype=torch.float64)])
    fast, fast_ll = FastEM(X, 1e-6).step(p)
    slow, slow_ll = em_step(X, p)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(fast_ll, slow_ll, rtol=1e-12, atol=0)


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


@pytest.mark.parametrize("allow", [
    "pass",  # nothing set: products are IEEE already
    "torch.backends.cuda.matmul.allow_tf32 = True",  # the legacy flag
    "torch.backends.cuda.matmul.fp32_precision = 'tf32'",  # the newer API (PyTorch refuses to mix the two)
    "torch.set_float32_matmul_precision('high')",
])
def test_cuda_products_run_in_full_precision_whatever_tf32_setting_a_user_made(allow):
    """The flags are process-wide, so each case runs in a fresh interpreter; no GPU is needed to check them."""
    import subprocess
    import sys

    script = f"""
import torch
from gmm_helpers.fast import full_precision_matmuls
{allow}
matmul = torch.backends.cuda.matmul
def state():  # reading the legacy flag raises once the newer API was used: read what can be read
    try:
        return (matmul.fp32_precision, matmul.allow_tf32)
    except RuntimeError:
        return (matmul.fp32_precision, None)
before = state()
with full_precision_matmuls("cuda:0"):
    inside = state()
print(before, inside, state())
"""
    run = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    before, inside, after = (eval(part) for part in run.stdout.strip().replace(") (", ")|(").split("|"))
    assert inside[1] is not True and inside[0] in ("ieee", "none")  # no TF32 inside
    assert after == before  # the user's setting is back


def test_one_chunk_keeps_z_once_built_and_many_chunks_rebuild_it():
    """FastEM's X never changes, so when one chunk holds every point Z^T = [x - s, (x - s)^2, 1] is built at the
    first pass and reused (as a hand-written full-batch step would); the answers equal a fresh engine's."""
    X, _ = sample_gmm(toy_params(torch.float64), 2000, generator=torch.Generator().manual_seed(0))
    start = toy_params(torch.float64)
    for chunk_rows in (None, 300):
        engine = FastEM(X.clone(), 1e-6, chunk_rows=chunk_rows)
        first, _ = engine.step(start)
        second, ll = engine.step(first)
        fresh, fresh_ll = FastEM(X, 1e-6).step(first)
        torch.testing.assert_close(ll, fresh_ll, rtol=1e-12, atol=0)
        for a, b in zip(second, fresh):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
        engine.X.add_(1.0)  # breaks FastEM's contract on purpose, to see which path keeps Z^T
        shifted, _ = engine.step(first)
        if chunk_rows is None:  # one chunk: Z^T was kept, so the change is not seen
            assert engine.Xct is None
            torch.testing.assert_close(shifted.means, fresh.means, rtol=1e-10, atol=1e-12)
        else:  # many chunks rebuild Z^T from the cached, centred X^T: not the changed X either, but every chunk is rebuilt
            assert engine.Xct is not None and engine.kernel._kept[:2] == (1800, 2000)


def test_chunks_on_a_gpu_are_sized_by_its_free_memory():
    from gmm_helpers.fast import CHUNK_BYTES, chunk_rows

    # S3 (1M points, D = 32, K = 64): one chunk on a GPU with 70 GiB free, float32 or float64; ~8,000 points on a CPU
    assert chunk_rows(64, 32, 10**6, 4, "cuda", free_bytes=70 * 2**30) == 10**6
    assert chunk_rows(64, 32, 10**6, 8, "cuda", free_bytes=70 * 2**30) == 10**6
    assert chunk_rows(64, 32, 10**6, 4, "cpu") == CHUNK_BYTES // (129 * 4)
    # a GPU with 1 GiB free gives a quarter of it: 256 MiB / (129 * 4 bytes per point)
    assert chunk_rows(64, 32, 10**6, 4, "cuda", free_bytes=2**30) == 2**28 // (129 * 4)
    assert chunk_rows(64, 32, 100, 4, "cuda", free_bytes=0) == 256  # never below 256 points
