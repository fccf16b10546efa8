import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_helpers import (
    EMConvergenceWarning,
    EMResult,
    GMMParams,
    em_step,
    fit_em,
    init_random_points,
    log_likelihood,
    sample_gmm,
    toy_params,
)
from tests.conftest import random_params


def sklearn_fit(X, p0, n_iter, reg_covar=1e-6):
    gm = GaussianMixture(
        n_components=p0.K,
        covariance_type="diag",
        weights_init=p0.weights.numpy(),
        means_init=p0.means.numpy(),
        precisions_init=1 / p0.variances.numpy(),
        max_iter=n_iter,
        tol=0,
        reg_covar=reg_covar,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X.numpy())
    return gm


@pytest.mark.parametrize("seed", range(6))
def test_parity_with_scikit_learn(seed):
    """From the same start, n iterations of fit_em equal n iterations of GaussianMixture."""
    g = torch.Generator().manual_seed(seed)
    K, D, n_iter = [(2, 1, 5), (3, 2, 10), (4, 3, 20), (5, 5, 30), (3, 8, 15), (6, 2, 50)][seed]
    truth = random_params(K, D, g)
    X, _ = sample_gmm(truth, 400, generator=g)
    p0 = init_random_points(X, K, variance=1.0, generator=g)
    ours = fit_em(X, p0, max_iter=n_iter, tol=0, reg_covar=1e-6)
    gm = sklearn_fit(X, p0, n_iter)
    assert ours.n_iter == n_iter == gm.n_iter_
    np.testing.assert_allclose(ours.params.weights.numpy(), gm.weights_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.params.means.numpy(), gm.means_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.params.variances.numpy(), gm.covariances_, rtol=1e-6, atol=1e-10)
    # scikit-learn's score is the mean per-point log-likelihood of its final parameters
    assert ours.log_likelihoods[-1].item() / len(X) == pytest.approx(gm.score(X.numpy()), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    N=st.integers(20, 80),
    D=st.integers(1, 4),
    K=st.integers(1, 5),
)
def test_log_likelihood_never_decreases(seed, N, D, K):
    g = torch.Generator().manual_seed(seed)
    truth = random_params(3, D, g)
    X, _ = sample_gmm(truth, N, generator=g)
    p0 = init_random_points(X, K, variance=float(X.var()), generator=g)
    try:
        result = fit_em(X, p0, max_iter=25, tol=0, reg_covar=0.0)
    except FloatingPointError:  # a component collapsed onto a point: reported, and tested on its own below
        assume(False)
    # Without reg_covar a component can collapse onto one point (variance -> 0, likelihood -> inf).
    # fit_em's matrix-product E-step has a rounding error of about eps * spread^2 / variance, so for a
    # component narrower than 1e-3 of the data's spread, exact-arithmetic claims stop holding.
    assume(min(p.variances.min().item() for p in result.history) > 1e-6 * X.var().item())
    lls = result.log_likelihoods
    assert torch.isfinite(lls).all()
    steps = lls.diff()
    assert (steps >= -1e-9 * lls[:-1].abs().clamp(min=1)).all(), steps.min()


def test_recovers_the_toy_mixture():
    truth = toy_params(torch.float64)
    X, _ = sample_gmm(truth, 4000, generator=torch.Generator().manual_seed(0))
    # EM finds a local optimum; a few k-means++ restarts, keeping the best, find the global one here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EMConvergenceWarning)  # a poor start may still be creeping at 100
        fits = [fit_em(X, 3, generator=torch.Generator().manual_seed(s)) for s in range(3)]
    result = max(fits, key=lambda r: r.log_likelihoods[-1].item())
    assert result.converged
    est, true = result.params.sorted(), truth.sorted()
    np.testing.assert_allclose(est.weights, true.weights, atol=0.03)
    np.testing.assert_allclose(est.means, true.means, atol=0.15)
    np.testing.assert_allclose(est.variances, true.variances, rtol=0.15)


def test_result_structure_dtype_and_history(toy_data):
    X, _, params = toy_data
    result = fit_em(X, 3, generator=torch.Generator().manual_seed(0))
    assert isinstance(result, EMResult)
    assert len(result.history) == result.n_iter + 1 == len(result.log_likelihoods)
    assert result.history[-1] is result.params
    assert result.log_likelihoods.dtype == X.dtype
    assert all(t.dtype == X.dtype for t in result.params)
    # each recorded log-likelihood belongs to the recorded parameters of the same index
    for t in (0, result.n_iter // 2, result.n_iter):
        torch.testing.assert_close(result.log_likelihoods[t], log_likelihood(X, result.history[t]))


def test_em_step_returns_the_input_log_likelihood():
    X, _ = sample_gmm(toy_params(torch.float64), 300, generator=torch.Generator().manual_seed(2))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(2))
    p1, ll0 = em_step(X, p0)
    torch.testing.assert_close(ll0, log_likelihood(X, p0))
    assert log_likelihood(X, p1) >= ll0
    result = fit_em(X, p0, max_iter=1, tol=0)
    for a, b in zip(result.params, p1):
        torch.testing.assert_close(a, b)


def test_tol_zero_runs_exactly_max_iter_without_warning():
    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit_em(X, 3, max_iter=7, tol=0, generator=torch.Generator().manual_seed(0))
    assert result.n_iter == 7 and not result.converged


def test_warns_when_not_converged():
    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    with pytest.warns(EMConvergenceWarning, match=r"did not converge in max_iter=2 iterations.*Raise max_iter"):
        result = fit_em(X, p0, max_iter=2, tol=1e-12)
    assert not result.converged and result.n_iter == 2


def test_stops_on_the_per_point_change():
    X, _ = sample_gmm(toy_params(torch.float64), 1000, generator=torch.Generator().manual_seed(0))
    result = fit_em(X, 3, tol=1e-3, generator=torch.Generator().manual_seed(0))
    per_point = result.log_likelihoods.diff().abs() / len(X)
    assert result.converged
    assert per_point[-1] < 1e-3 and (per_point[:-1] >= 1e-3).all()


def test_inputs_are_not_modified():
    X, _ = sample_gmm(toy_params(), 100, generator=torch.Generator().manual_seed(0))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    X_copy, p0_copy = X.clone(), GMMParams(*(t.clone() for t in p0))
    fit_em(X, p0, max_iter=5, tol=0)
    assert torch.equal(X, X_copy) and all(torch.equal(a, b) for a, b in zip(p0, p0_copy))


class TestRobustness:
    def test_point_a_thousand_standard_deviations_away(self, dtype):
        X, _ = sample_gmm(toy_params(dtype), 200, generator=torch.Generator().manual_seed(0))
        X = torch.cat([X, torch.tensor([[1500.0, -1500.0]], dtype=dtype)])
        p0 = init_random_points(X[:-1], 3, generator=torch.Generator().manual_seed(0))
        result = fit_em(X, p0, max_iter=20, tol=0)
        assert torch.isfinite(result.log_likelihoods).all()
        assert all(torch.isfinite(t).all() for t in result.params)

    def test_1000_dimensions_float32(self):
        g = torch.Generator().manual_seed(0)
        X, _ = sample_gmm(random_params(3, 1000, g, torch.float32), 300, generator=g)
        result = fit_em(X, 3, max_iter=10, tol=0, generator=g)
        assert torch.isfinite(result.log_likelihoods).all()
        assert all(torch.isfinite(t).all() for t in result.params)

    def test_duplicated_points(self, dtype):
        X = torch.cat([torch.zeros(20, 2, dtype=dtype), torch.randn(20, 2, dtype=dtype) + 5])
        result = fit_em(X, 3, max_iter=30, tol=0, generator=torch.Generator().manual_seed(0))
        assert torch.isfinite(result.log_likelihoods).all()
        assert (result.params.variances > 0).all()
        same = fit_em(torch.ones(10, 2, dtype=dtype), 2, max_iter=5, tol=0, generator=torch.Generator().manual_seed(0))
        assert all(torch.isfinite(t).all() for t in same.params)

    def test_K_equals_N(self, dtype):
        X = torch.randn(8, 2, dtype=dtype, generator=torch.Generator().manual_seed(0))
        result = fit_em(X, 8, max_iter=20, tol=0, generator=torch.Generator().manual_seed(0))
        assert torch.isfinite(result.log_likelihoods).all()
        assert all(torch.isfinite(t).all() for t in result.params)

    def test_collapse_without_reg_covar_is_reported(self):
        X = torch.tensor([[0.0], [0.0], [5.0], [6.0]], dtype=torch.float64)
        with pytest.raises(FloatingPointError, match=r"collapsed.*reg_covar > 0"):
            fit_em(X, init_random_points(X, 2, variance=0.5, generator=torch.Generator().manual_seed(1)),
                   max_iter=50, tol=0, reg_covar=0.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_runs_on_cuda_and_matches_cpu():
    X, _ = sample_gmm(toy_params(torch.float64), 500, generator=torch.Generator().manual_seed(0))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    cpu = fit_em(X, p0, max_iter=10, tol=0)
    gpu = fit_em(X.cuda(), p0.to("cuda"), max_iter=10, tol=0)
    assert gpu.params.means.is_cuda
    for a, b in zip(gpu.params, cpu.params):
        torch.testing.assert_close(a.cpu(), b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_iter=0), r"max_iter: expected an int >= 1, got 0"),
        (dict(tol=-1e-3), r"tol: expected a float >= 0, got -0.001"),
        (dict(reg_covar=-1.0), r"reg_covar: expected a float >= 0, got -1.0"),
        (dict(init=0), r"K: expected an int >= 1 and <= N = 30"),
        (dict(init=31), r"K: expected an int >= 1 and <= N = 30"),
        (dict(init="three"), r"init: expected a GMMParams or an int K, got str 'three'"),
        (dict(init=GMMParams(torch.ones(2) / 2, torch.zeros(2, 3), torch.ones(2, 3))), r"means: expected D = 2"),
        (dict(X=torch.zeros(30, 2, 2)), r"X: expected a 2-D tensor of shape \(N, D\), got shape \(30, 2, 2\)"),
        (dict(X=torch.zeros(0, 2)), r"X: expected at least one point and one dimension, got shape \(0, 2\)"),
        (dict(X=torch.full((30, 2), float("nan"))), r"X: expected finite values, got 60 NaN or inf"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(X=torch.randn(30, 2), init=3) | kwargs
    X, init = args.pop("X"), args.pop("init")
    with pytest.raises(ValueError, match=match):
        fit_em(X, init, **args)


def test_float32_parameters_converted_to_float64_are_accepted():
    """Weights of 1/3 computed in float32 sum to 1 + 3e-8 in float64: that is not bad input."""
    X, _ = sample_gmm(toy_params(), 100, generator=torch.Generator().manual_seed(0))
    p32 = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    result = fit_em(X.double(), p32.to(torch.float64), max_iter=2, tol=0)
    assert result.n_iter == 2
