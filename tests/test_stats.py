"""Sufficient statistics: they add, they pack, and the M-step from them is m_step's (and scikit-learn's)."""

import numpy as np
import pytest
import torch
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

from gmm_helpers import (GMMParams, SufficientStats, em_step, init_random_points, log_likelihood, log_responsibilities,
                         m_step, mixture_mean, params_from_stats, running_example, sample_gmm, sufficient_statistics,
                         toy_params)
from gmm_helpers.fast import FastEM
from gmm_helpers.stats import em_update
from tests.conftest import random_params


def problem(K=4, D=3, N=500, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    truth = random_params(K, D, g)
    X, _ = sample_gmm(truth, N, generator=g)
    start = init_random_points(X, K, variance=float(X.var()), generator=g)
    return X.to(dtype), start.to(dtype)


def naive_statistics(X, resp, shift):
    """The definitions, one point at a time, in float64."""
    N, D = X.shape
    K = resp.shape[1]
    nk, sums, squares = torch.zeros(K, dtype=torch.float64), torch.zeros(K, D, dtype=torch.float64), torch.zeros(K, D, dtype=torch.float64)
    for n in range(N):
        for k in range(K):
            nk[k] += resp[n, k]
            sums[k] += resp[n, k] * (X[n] - shift)
            squares[k] += resp[n, k] * (X[n] - shift) ** 2
    return nk, sums, squares


def test_fast_kernel_statistics_match_the_definitions_and_the_log_likelihood():
    X, params = problem(N=120)
    shift = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    stats = sufficient_statistics(X, params, shift, chunk_rows=50)  # three chunks inside
    resp = log_responsibilities(X, params).exp()
    nk, sums, squares = naive_statistics(X, resp, shift)
    torch.testing.assert_close(stats.nk, nk, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(stats.sums, sums, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(stats.squares, squares, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(stats.log_likelihood, log_likelihood(X, params), rtol=1e-12, atol=0)
    assert float(stats.count) == 120 and stats.shift.equal(shift)
    plain = SufficientStats.from_resp(X, resp, shift)
    torch.testing.assert_close(plain.squares, squares, rtol=1e-12, atol=1e-12)


def test_statistics_of_chunks_add_up_to_the_statistics_of_all_points_in_any_order():
    X, params = problem(N=1000)
    shift = mixture_mean(params)
    whole = sufficient_statistics(X, params)
    parts = [sufficient_statistics(chunk, params, shift) for chunk in X.split([1, 333, 250, 416])]
    for total in (parts[0] + parts[1] + parts[2] + parts[3], sum(reversed(parts))):
        for name in ("count", "log_likelihood", "nk", "sums", "squares"):
            torch.testing.assert_close(getattr(total, name), getattr(whole, name), rtol=1e-12, atol=1e-10)


def test_statistics_around_different_shifts_or_sizes_do_not_add():
    X, params = problem()
    a = sufficient_statistics(X[:10], params, torch.zeros(3, dtype=torch.float64))
    b = sufficient_statistics(X[10:], params, torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="same shift"):
        a + b
    c = sufficient_statistics(X[:10, :2], GMMParams(params.weights, params.means[:, :2], params.variances[:, :2]),
                              torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"other: expected statistics of K = 4 components in D = 3"):
        a + c


def test_pack_holds_k_2d_plus_1_plus_2_numbers_and_unpacks_to_the_same_statistics():
    X, params = problem(K=5, D=7, N=50)
    stats = sufficient_statistics(X, params)
    packed = stats.pack()
    assert packed.shape == (5 * (2 * 7 + 1) + 2,) and packed.dtype == torch.float64
    back = SufficientStats.unpack(packed, 5, 7, stats.shift)
    for name in ("count", "log_likelihood", "nk", "sums", "squares"):
        assert getattr(back, name).equal(getattr(stats, name))
    with pytest.raises(ValueError, match=r"packed: expected shape \(77,\) for K = 5, D = 7, got \(76,\)"):
        SufficientStats.unpack(packed[1:], 5, 7, stats.shift)


@pytest.mark.parametrize("reg_covar", [1e-6, 0.1])
def test_m_step_from_statistics_is_m_step_and_scikit_learns(reg_covar):
    X, params = problem(N=400)
    resp = log_responsibilities(X, params).exp()
    for shift in (torch.zeros(3, dtype=torch.float64), X.mean(dim=0), torch.tensor([30.0, -5.0, 2.0], dtype=torch.float64)):
        ours = params_from_stats(SufficientStats.from_resp(X, resp, shift), reg_covar)
        for a, b in zip(ours, m_step(X, resp, reg_covar)):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
        nk, means, covariances = _estimate_gaussian_parameters(X.numpy(), resp.numpy(), reg_covar, "diag")
        np.testing.assert_allclose(ours.weights.numpy(), nk / nk.sum(), rtol=1e-12)
        np.testing.assert_allclose(ours.means.numpy(), means, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.variances.numpy(), covariances, rtol=1e-9)


def test_em_update_over_the_fast_source_is_one_broadcast_em_step():
    X, params = problem()
    new, stats = em_update(FastEM(X, 1e-6), params, 1e-6)
    slow, slow_ll = em_step(X, params)
    for a, b in zip(new, slow):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(stats.log_likelihood, slow_ll, rtol=1e-12, atol=0)


def test_the_shift_is_what_keeps_float32_variances_accurate():
    """Data at 1e4 with spread 0.01: around 0 the one-pass variance cancels to nothing; around the mean it is right.
    (The component is wide, variance 1e4, so the E-step's products stay in float32 even around 0: a narrow one
    would make the kernel run them in float64, which would hide the cancellation this test shows.)"""
    g = torch.Generator().manual_seed(0)
    X64 = 1e4 + 0.01 * torch.randn(5000, 1, generator=g, dtype=torch.float64)
    X = X64.float()
    one = GMMParams(torch.ones(1), X.mean(dim=0, keepdim=True), torch.full((1, 1), 1e4))
    truth = X.double().var(unbiased=False)
    around_mean = params_from_stats(sufficient_statistics(X, one, shift=X.mean(dim=0)), reg_covar=0.0)
    torch.testing.assert_close(around_mean.variances[0, 0].double(), truth, rtol=1e-3, atol=0)
    around_zero = params_from_stats(sufficient_statistics(X, one, shift=torch.zeros(1)), reg_covar=1e-6)
    assert abs(float(around_zero.variances[0, 0]) - float(truth)) > 0.5 * float(truth)  # garbage (and clamped >= 0)
    assert float(around_zero.variances[0, 0]) >= 1e-6


def test_without_the_data_an_unresolved_variance_is_clamped_never_negative():
    stats = SufficientStats(torch.tensor(2.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64),
                            torch.tensor([2.0], dtype=torch.float64), torch.tensor([[2e8]], dtype=torch.float64),
                            torch.tensor([[2e16 - 4.0]], dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
    p = params_from_stats(stats, reg_covar=1e-6)
    assert float(p.variances[0, 0]) >= 1e-6


def test_collapse_with_reg_covar_zero_is_reported_as_by_m_step():
    X = torch.tensor([[3.0], [3.0], [5.0], [6.0]], dtype=torch.float64)
    resp = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    with pytest.raises(FloatingPointError, match=r"params_from_stats: component 0 collapsed"):
        params_from_stats(SufficientStats.from_resp(X, resp), reg_covar=0.0)
    with pytest.raises(FloatingPointError, match=r"m_step: component 0 collapsed"):
        m_step(X, resp, reg_covar=0.0)


def test_scaling_the_statistics_does_not_change_the_m_step():
    X, params = problem()
    stats = sufficient_statistics(X, params)
    for a, b in zip(params_from_stats(stats.scaled(1 / 500)), params_from_stats(stats)):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert float(stats.scaled(0.5).count) == 250


def test_after_one_m_step_the_mixture_mean_is_the_data_mean():
    X, labels, truth = running_example(torch.float64)
    new, _ = em_step(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)))
    torch.testing.assert_close(mixture_mean(new), X.mean(dim=0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(mixture_mean(toy_params(torch.float64)),
                               torch.tensor([0.5 * -2.5 + 0.25 * 2.5 + 0.25 * 2.0, 0.0], dtype=torch.float64))


def test_bad_input_names_the_argument():
    X, params = problem()
    with pytest.raises(ValueError, match=r"stats: expected a SufficientStats, got dict"):
        params_from_stats({})
    with pytest.raises(ValueError, match=r"reg_covar: expected a float >= 0, got -1.0"):
        params_from_stats(sufficient_statistics(X, params), reg_covar=-1.0)
    with pytest.raises(ValueError, match=r"shift: expected a tensor of shape \(3,\)"):
        sufficient_statistics(X, params, shift=torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"means: expected D = 2 dimensions to match X"):
        sufficient_statistics(X[:, :2], params)
