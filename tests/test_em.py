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
    assert result.log_likelihoods.dtype == torch.float64  # what the convergence test used, whatever X's dtype
    assert all(t.dtype == X.dtype for t in result.params)
    # each recorded log-likelihood belongs to the recorded parameters of the same index
    for t in (0, result.n_iter // 2, result.n_iter):
        expected = log_likelihood(X.double(), result.history[t].to(torch.float64))
        torch.testing.assert_close(result.log_likelihoods[t], expected, rtol=1e-5 if X.dtype == torch.float32 else 1e-10, atol=0)


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


def assert_matches_sklearn(result, X, p0, n_iter, rtol):
    """fit_em's parameters after n_iter iterations equal scikit-learn's from the same start (float64 oracle)."""
    gm = sklearn_fit(X.double(), p0.to(torch.float64), n_iter)
    scale = float(X.abs().max())
    np.testing.assert_allclose(result.params.weights.double().numpy(), gm.weights_, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(result.params.means.double().numpy(), gm.means_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(result.params.variances.double().numpy(), gm.covariances_, rtol=rtol, atol=1e-12)
    return gm


class TestRobustness:
    """Hard inputs give scikit-learn's answer from the same start, not merely finite numbers."""

    def test_point_a_thousand_standard_deviations_away(self, dtype):
        """Component 0 ends on the far point alone; its variance is m_step's (10 eps |x|)^2 + reg_covar, in
        each dtype (scikit-learn's one-pass float64 variance is off by 5e-9 there, so it judges the rest)."""
        X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
        X = torch.cat([X, torch.tensor([[1500.0, -1500.0]], dtype=torch.float64)])
        p0 = init_random_points(X[:-1], 3, generator=torch.Generator().manual_seed(0))
        result = fit_em(X.to(dtype), p0.to(dtype), max_iter=20, tol=0)
        p = p0.to(dtype)
        for _ in range(20):
            p, _ = em_step(X.to(dtype), p)
        rtol = 1e-9 if dtype == torch.float64 else 1e-4
        torch.testing.assert_close(result.params.weights, p.weights, rtol=rtol, atol=rtol * 1e-3)
        torch.testing.assert_close(result.params.means, p.means, rtol=rtol, atol=rtol * 1e-3)
        torch.testing.assert_close(result.params.variances[1:], p.variances[1:], rtol=rtol, atol=0)
        # on one point the variance is reg_covar plus rounding: (10 eps |x|)^2 from m_step's N_k + 10 eps
        rounding = (20 * torch.finfo(dtype).eps * 1500) ** 2
        assert ((result.params.variances[0] - 1e-6).abs() <= rounding).all() and ((p.variances[0] - 1e-6).abs() <= rounding).all()
        gm = sklearn_fit(X, p0, 20)
        np.testing.assert_allclose(result.params.means.double().numpy(), gm.means_, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(result.params.variances[1:].double().numpy(), gm.covariances_[1:], rtol=rtol)
        assert result.params.means[0].tolist() == pytest.approx([1500.0, -1500.0], rel=1e-5)

    def test_1000_dimensions_float32_matches_float64(self):
        g = torch.Generator().manual_seed(0)
        X, _ = sample_gmm(random_params(3, 1000, g, torch.float64), 300, generator=g)
        p0 = init_random_points(X, 3, variance=float(X.var()), generator=g)
        ours = fit_em(X.float(), p0.to(torch.float32), max_iter=10, tol=0)
        assert_matches_sklearn(ours, X, p0, 10, rtol=1e-3)

    def test_duplicated_points(self, dtype):
        X = torch.cat([torch.zeros(20, 2, dtype=torch.float64),
                       torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) + 5])
        p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(2))
        result = fit_em(X.to(dtype), p0.to(dtype), max_iter=30, tol=0)
        assert_matches_sklearn(result, X, p0, 30, rtol=1e-8 if dtype == torch.float64 else 1e-3)
        # every point identical: one component per seed, each with the variance reg_covar
        same = fit_em(torch.ones(10, 2, dtype=dtype), 2, max_iter=5, tol=0, generator=torch.Generator().manual_seed(0))
        torch.testing.assert_close(same.params.means, torch.ones(2, 2, dtype=dtype))
        torch.testing.assert_close(same.params.variances, torch.full((2, 2), 1e-6, dtype=dtype), rtol=1e-4, atol=0)

    def test_K_equals_N(self, dtype):
        X = torch.randn(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        p0 = init_random_points(X, 8, generator=torch.Generator().manual_seed(0))
        result = fit_em(X.to(dtype), p0.to(dtype), max_iter=20, tol=0)
        assert_matches_sklearn(result, X, p0, 20, rtol=1e-8 if dtype == torch.float64 else 2e-3)

    def test_collapse_without_reg_covar_is_reported(self):
        X = torch.tensor([[0.0], [0.0], [5.0], [6.0]], dtype=torch.float64)
        with pytest.raises(FloatingPointError, match=r"collapsed.*reg_covar > 0"):
            fit_em(X, init_random_points(X, 2, variance=0.5, generator=torch.Generator().manual_seed(1)),
                   max_iter=50, tol=0, reg_covar=0.0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_with_the_conversion(dtype):
    with pytest.raises(ValueError, match=rf"X: expected a float32 or float64 tensor, got {dtype} \(.*convert it with X.float\(\)\)"):
        fit_em(torch.randn(30, 2).to(dtype), 3)


def test_inputs_that_require_grad_are_fitted_and_one_step_stays_differentiable():
    X, _ = sample_gmm(toy_params(torch.float64), 300, generator=torch.Generator().manual_seed(0))
    p0 = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    plain = fit_em(X, p0, max_iter=5, tol=0)
    Xg = X.clone().requires_grad_()
    p0g = GMMParams(*(t.clone().requires_grad_() for t in p0))
    result = fit_em(Xg, p0g, max_iter=5, tol=0)
    assert not any(t.requires_grad for t in result.params) and not result.log_likelihoods.requires_grad
    for a, b in zip(result.params, plain.params):
        torch.testing.assert_close(a, b)
    from gmm_helpers import log_responsibilities, m_step

    m_step(Xg, log_responsibilities(Xg, p0).exp()).means.sum().backward()  # notebook 06 differentiates m_step
    assert Xg.grad is not None and torch.isfinite(Xg.grad).all()


def test_the_default_start_uses_reg_covar():
    from gmm_helpers import init_kmeans_plusplus

    X = torch.cat([torch.zeros(5, 2, dtype=torch.float64), torch.ones(5, 2, dtype=torch.float64)])  # two spots
    result = fit_em(X, 2, max_iter=1, tol=0, reg_covar=0.25, generator=torch.Generator().manual_seed(0))
    start = init_kmeans_plusplus(X, 2, generator=torch.Generator().manual_seed(0), reg_covar=0.25)
    for a, b in zip(result.history[0], start):
        torch.testing.assert_close(a, b)
    assert result.history[0].variances.tolist() == [[0.25, 0.25], [0.25, 0.25]]


def test_numpy_numbers_are_accepted_and_numpy_data_get_a_clear_error():
    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    c = fit_em(X, torch.tensor(3), tol=1e-4, max_iter=50, generator=torch.Generator().manual_seed(0))
    a = fit_em(X, np.int64(3), tol=np.float32(1e-4), max_iter=np.int32(50), reg_covar=np.float64(1e-6),
               generator=torch.Generator().manual_seed(0))
    b = fit_em(X, 3, tol=1e-4, max_iter=50, generator=torch.Generator().manual_seed(0))
    assert a.n_iter == b.n_iter == c.n_iter and torch.equal(a.params.means, b.params.means) and torch.equal(c.params.means, b.params.means)
    with pytest.raises(ValueError, match=r"^X: expected a torch.Tensor of shape \(N, D\), got a numpy.ndarray of shape "
                                         r"\(200, 2\) and dtype float64 \(convert it with torch.from_numpy\(X\)\)$"):
        fit_em(X.numpy(), 3)


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


def test_em_half_steps_alternate_e_and_m_steps():
    from gmm_helpers import em_half_steps, log_responsibilities, m_step

    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    states = em_half_steps(X, start, n_iter=2)
    assert len(states) == 5 and states[0][1] is None
    assert states[1][0] is start and "E-step" in states[1][2]  # E-step: same parameters, new responsibilities
    torch.testing.assert_close(states[1][1], log_responsibilities(X, start).exp())
    assert states[2][1] is states[1][1] and "M-step" in states[2][2]  # M-step: same responsibilities, new parameters
    for a, b in zip(states[2][0], m_step(X, states[1][1])):
        torch.testing.assert_close(a, b)
