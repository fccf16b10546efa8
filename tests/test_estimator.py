"""DiagonalGaussianMixture: scikit-learn's estimator suite, parity with GaussianMixture, errors, the starts,
the torch.distributions round trip, and the benchmark's --quick mode."""

import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

from gmm_helpers import GMMParams, fit_em, log_likelihood, m_step, running_example, sample_gmm, toy_params
from gmm_helpers.estimator import (DiagonalGaussianMixture, dead_components, init_kmeans, init_random_from_data,
                                   init_random_resp, revive_dead_components)
from gmm_helpers.init import kmeans_plusplus_means
from tests.conftest import random_params

ROOT = Path(__file__).resolve().parents[1]
ATTRIBUTES = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


# scikit-learn's own suite ----------------------------------------------------------------------------

# Every check passes for each start and in float32; no expected failures.
@parametrize_with_checks([DiagonalGaussianMixture(), DiagonalGaussianMixture(init_params="k-means++"),
                          DiagonalGaussianMixture(init_params="random_from_data"),
                          DiagonalGaussianMixture(init_params="random", n_init=2),
                          DiagonalGaussianMixture(dtype="float32")])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# Parity with scikit-learn ----------------------------------------------------------------------------

def problem(seed: int, K: int, D: int, N: int = 400):
    g = torch.Generator().manual_seed(seed)
    truth = random_params(K, D, g)
    X, _ = sample_gmm(truth, N, generator=g)
    start = init_random_from_data(X, K, generator=g)
    inits = dict(weights_init=start.weights.numpy(), means_init=start.means.numpy(),
                 precisions_init=1 / start.variances.numpy())
    return X.numpy(), inits


@pytest.mark.parametrize("seed, K, D", [(0, 3, 2), (1, 4, 5), (2, 2, 8), (3, 6, 3)])
@pytest.mark.parametrize("tol, max_iter", [(1e-3, 100), (0.0, 7)], ids=["default-tol", "7-iterations"])
def test_same_fit_as_scikit_learn_from_the_same_start(seed, K, D, tol, max_iter):
    X, inits = problem(seed, K, D)
    held_out = problem(seed + 100, K, D)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 runs all 7 iterations
        ours = DiagonalGaussianMixture(K, tol=tol, max_iter=max_iter, **inits).fit(X)
        theirs = GaussianMixture(K, covariance_type="diag", tol=tol, max_iter=max_iter, **inits).fit(X)
    assert (ours.n_iter_, ours.converged_) == (theirs.n_iter_, theirs.converged_)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-6, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-9)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-9)
    for data in (X, held_out):
        np.testing.assert_allclose(ours.predict_proba(data), theirs.predict_proba(data), atol=1e-6)
        np.testing.assert_allclose(ours.score_samples(data), theirs.score_samples(data), rtol=1e-6)
        np.testing.assert_array_equal(ours.predict(data), theirs.predict(data))
        assert ours.bic(data) == pytest.approx(theirs.bic(data), rel=1e-6)
        assert ours.aic(data) == pytest.approx(theirs.aic(data), rel=1e-6)


def test_float32_fit_agrees_with_scikit_learn_to_float32_precision():
    X, inits = problem(5, 3, 4, N=2000)
    ours = DiagonalGaussianMixture(3, dtype="float32", **inits).fit(X)
    theirs = GaussianMixture(3, covariance_type="diag", **inits).fit(X)
    assert ours.means_.dtype == np.float32 and ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-3)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-5)


def test_warm_start_continues_like_scikit_learn():
    X, inits = problem(4, 3, 3)
    ours = DiagonalGaussianMixture(3, warm_start=True, max_iter=3, tol=0, **inits)
    theirs = GaussianMixture(3, covariance_type="diag", warm_start=True, max_iter=3, tol=0, **inits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(X)
            theirs.fit(X)
            np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-9)
            np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-12)


def test_bic_counts_2KD_plus_K_minus_1_parameters_as_scikit_learn_does_for_diag():
    X, labels, truth = running_example(torch.float64)
    for K in (1, 2, 5):
        ours = DiagonalGaussianMixture(K, random_state=0).fit(X)
        theirs = GaussianMixture(K, covariance_type="diag").fit(X.numpy())
        assert ours._n_parameters() == 2 * K * 2 + K - 1 == theirs._n_parameters()
        ll = float(log_likelihood(X, ours.params_))  # an independent log-likelihood: the broadcast form
        assert ours.bic(X) == pytest.approx(-2 * ll + (4 * K + K - 1) * math.log(600), rel=1e-10)
        assert ours.aic(X) == pytest.approx(-2 * ll + 2 * (4 * K + K - 1), rel=1e-10)


def test_default_fit_reaches_scikit_learns_default_fit():
    X, labels, truth = running_example(torch.float64)
    ours = DiagonalGaussianMixture(3, random_state=0).fit(X)
    theirs = GaussianMixture(3, covariance_type="diag", random_state=0).fit(X.numpy())
    assert ours.score(X) == pytest.approx(theirs.score(X.numpy()), abs=1e-3)
    matched = ours.params_.matched_to(GMMParams(*(torch.as_tensor(a) for a in (theirs.weights_, theirs.means_, theirs.covariances_))))
    np.testing.assert_allclose(np.sort(matched.means.numpy(), axis=0), np.sort(theirs.means_, axis=0), atol=2e-3)


# Inputs and outputs ----------------------------------------------------------------------------------

def test_numpy_in_numpy_out_and_torch_in_torch_out():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=0).fit(X)  # fitted on a tensor: attributes are tensors
    assert all(isinstance(getattr(gm, name), torch.Tensor) for name in ATTRIBUTES)
    assert isinstance(gm.predict(X.numpy()), np.ndarray) and gm.predict(X.numpy()).dtype == np.int64
    assert isinstance(gm.predict_proba(X), torch.Tensor) and gm.predict_proba(X).dtype == torch.float64
    np.testing.assert_allclose(gm.predict_proba(X).sum(dim=1).numpy(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(gm.fit_predict(X).numpy(), gm.predict(X).numpy())
    gm_numpy = DiagonalGaussianMixture(3, random_state=0).fit(X.numpy())
    assert all(isinstance(getattr(gm_numpy, name), np.ndarray) for name in ATTRIBUTES)
    np.testing.assert_allclose(gm_numpy.means_, gm.means_.numpy(), rtol=1e-12)


def test_dtype_follows_the_input_unless_asked():
    X, labels, truth = running_example()  # float32
    assert DiagonalGaussianMixture(3, random_state=0).fit(X).means_.dtype == torch.float32
    assert DiagonalGaussianMixture(3, random_state=0, dtype=torch.float64).fit(X).means_.dtype == torch.float64
    assert DiagonalGaussianMixture(3, random_state=0).fit(X.numpy().astype(np.int64)).means_.dtype == np.float64
    gm = DiagonalGaussianMixture(3, random_state=0, dtype="float64").fit(X)
    assert gm.score_samples(X).dtype == torch.float64  # predictions run in the fitted dtype


def test_score_samples_is_the_library_log_likelihood_and_the_distribution_log_prob():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=1).fit(X)
    far = torch.tensor([[40.0, -30.0], [1e3, 1e3]], dtype=torch.float64)  # far from every component
    for data in (X, far):
        oracle = gm.params_.to_distribution().log_prob(data)
        np.testing.assert_allclose(gm.score_samples(data).numpy(), oracle.numpy(), rtol=1e-9)
    assert gm.score(X) * 600 == pytest.approx(float(log_likelihood(X, gm.params_)), rel=1e-10)


def test_results_for_a_point_do_not_depend_on_the_batch():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=1).fit(X)
    whole = gm.score_samples(X)
    parts = torch.cat([gm.score_samples(X[i:i + 7]) for i in range(0, 600, 7)])
    np.testing.assert_allclose(whole.numpy(), parts.numpy(), rtol=1e-12)


def test_sample_matches_the_fitted_mixture_and_is_seeded():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=3).fit(X.numpy())
    Xs, ys = gm.sample(20_000)
    assert Xs.shape == (20_000, 2) and ys.shape == (20_000,) and isinstance(Xs, np.ndarray)
    np.testing.assert_allclose(np.bincount(ys, minlength=3) / 20_000, gm.weights_, atol=0.015)
    np.testing.assert_allclose(Xs.mean(axis=0), gm.weights_ @ gm.means_, atol=0.05)
    np.testing.assert_array_equal(gm.sample(5)[0], gm.sample(5)[0])  # an int random_state: the same points


def test_n_init_keeps_the_best_final_log_likelihood():
    X, labels, truth = running_example(torch.float64)
    for seed in range(5):
        one = DiagonalGaussianMixture(3, init_params="random_from_data", random_state=seed).fit(X)
        many = DiagonalGaussianMixture(3, init_params="random_from_data", n_init=8, random_state=seed).fit(X)
        assert many.lower_bound_ >= one.lower_bound_  # the first of the 8 starts is the single start
    assert many.lower_bound_ == pytest.approx(-3.7786, abs=1e-4)  # the best fit of the running example


def test_verbose_prints_each_start_and_iteration(capsys):
    X, labels, truth = running_example(torch.float64)
    with pytest.warns(ConvergenceWarning, match="did not converge"):  # tol=0: never converged, as scikit-learn
        DiagonalGaussianMixture(3, random_state=0, n_init=2, verbose=2, verbose_interval=1, tol=0, max_iter=2).fit(X)
    out = capsys.readouterr().out
    assert out.count("Initialization ") == 4 and out.count("  Iteration 2") == 2 and "change:" in out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_returns_tensors_on_the_inputs_device():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=0, device="cuda").fit(X)
    assert gm.params_.means.is_cuda and gm.predict(X).device.type == "cpu"
    assert all(t.device.type == "cpu" for t in gm.sample(5))  # beside the attributes, on the input's device
    cpu = DiagonalGaussianMixture(3, random_state=0).fit(X)
    np.testing.assert_allclose(gm.means_.cpu().numpy(), cpu.means_.numpy(), rtol=1e-8)


# Errors ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, name", [
    (dict(n_components=0), "n_components"), (dict(tol=-1.0), "tol"), (dict(reg_covar=-1e-6), "reg_covar"),
    (dict(init_params="kmeans++"), "init_params"), (dict(covariance_type="full"), "covariance_type"),
    (dict(dtype="float16"), "dtype"), (dict(n_init=0), "n_init"), (dict(max_iter=1.5), "max_iter"),
])
def test_bad_constructor_values_are_refused_at_fit_naming_the_parameter(params, name):
    X, labels, truth = running_example()
    estimator = DiagonalGaussianMixture(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=rf"The '{name}' parameter of DiagonalGaussianMixture must be .* Got .* instead"):
        estimator.fit(X)


@pytest.mark.parametrize("X, message", [
    (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 1.0]]), "NaN"),
    (torch.tensor([[0.0, float("inf")], [1.0, 2.0], [3.0, 1.0]]), "finite"),
    (torch.zeros(5, 2, dtype=torch.float16), "float16"),
    (torch.zeros(5), "2-D"),
    (np.zeros((1, 2)), "minimum of 2"),
    (np.zeros((2, 2)), "n_samples >= n_components"),
])
def test_bad_data_are_refused_with_a_value_error(X, message):
    with pytest.raises(ValueError, match=message):
        DiagonalGaussianMixture(3).fit(X)


def test_bad_starting_values_are_refused_with_scikit_learns_messages():
    X, labels, truth = running_example()
    with pytest.raises(ValueError, match="'weights' should be normalized"):
        DiagonalGaussianMixture(3, weights_init=[0.5, 0.5, 0.5]).fit(X)
    with pytest.raises(ValueError, match=r"'means' should have the shape of \(3, 2\)"):
        DiagonalGaussianMixture(3, means_init=np.zeros((3, 5))).fit(X)
    with pytest.raises(ValueError, match="'diag precision' should be positive"):
        DiagonalGaussianMixture(3, precisions_init=-np.ones((3, 2))).fit(X)


def test_methods_before_fit_raise_not_fitted_and_wrong_features_raise_value_error():
    X, labels, truth = running_example()
    for method in ("predict", "predict_proba", "score_samples", "score"):
        with pytest.raises(NotFittedError):
            getattr(DiagonalGaussianMixture(3), method)(X)
    gm = DiagonalGaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but DiagonalGaussianMixture is expecting 2"):
        gm.predict(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="n_samples"):
        gm.sample(0)


def test_a_collapse_without_reg_covar_raises():
    X, labels, truth = running_example(torch.float64)
    isolated = torch.tensor([[9.0, 9.0]], dtype=torch.float64)
    X = torch.cat([X, isolated.repeat(4, 1)])  # one isolated point, four times
    means = torch.cat([truth.means, isolated])  # a fourth component on it
    inits = dict(weights_init=np.full(4, 0.25), means_init=means.numpy(), precisions_init=np.ones((4, 2)))
    with pytest.raises(FloatingPointError, match=r"^DiagonalGaussianMixture\.fit: component 3 collapsed.*reg_covar > 0"):
        DiagonalGaussianMixture(4, reg_covar=0.0, **inits).fit(X)
    gm = DiagonalGaussianMixture(4, **inits).fit(X)  # with reg_covar: the collapse stops at reg_covar
    np.testing.assert_allclose(gm.covariances_[3].numpy(), 1e-6, rtol=1e-6)
    assert float(gm.weights_[3]) * 604 == pytest.approx(4, rel=1e-9)


def test_a_non_finite_log_likelihood_without_reg_covar_names_the_estimator_and_the_cure():
    # five duplicated points and a component narrowing onto them: the likelihood becomes infinite before a
    # variance is exactly 0
    X = np.vstack([np.zeros((5, 2)), np.random.default_rng(0).normal(size=(50, 2)) + 5])
    with pytest.raises(FloatingPointError, match=r"^DiagonalGaussianMixture\.fit: .*pass reg_covar > 0"):
        DiagonalGaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    DiagonalGaussianMixture(2, random_state=0).fit(X)  # the default reg_covar fits it


@pytest.mark.parametrize("device, message", [
    ("gpu", r"device: expected None, 'cpu', 'cuda'.* got 'gpu'"),
    pytest.param("cuda", r"device: 'cuda' is not available on this machine", marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason="a machine with CUDA has the device")),
])
def test_a_bad_or_absent_device_is_a_value_error_naming_it(device, message):
    X, labels, truth = running_example()
    with pytest.raises(ValueError, match=message):
        DiagonalGaussianMixture(3, device=device).fit(X)


@pytest.mark.parametrize("as_input", [lambda X: X, lambda X: X.numpy()], ids=["tensor", "numpy"])
def test_editing_a_public_attribute_in_place_leaves_the_model_alone(as_input):
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=0).fit(as_input(X))
    before = gm.score(as_input(X))
    for name in ATTRIBUTES:
        getattr(gm, name)[...] = 0  # numpy and torch both take an in-place fill this way
    assert gm.score(as_input(X)) == before and float(gm.params_.means.abs().min()) > 0


def test_the_parameter_count_is_that_of_the_fitted_model():
    X, labels, truth = running_example()
    gm = DiagonalGaussianMixture(3, random_state=0).fit(X)
    gm.set_params(n_components=5)  # changed after the fit: the criteria still describe the fitted model
    assert gm._n_parameters() == 2 * 3 * 2 + 3 - 1


# The starts -----------------------------------------------------------------------------------------

def test_kmeans_start_is_lloyds_fixed_point_from_the_same_seeds():
    g = torch.Generator().manual_seed(0)
    X, _ = sample_gmm(random_params(5, 3, g), 2000, generator=g)
    start = init_kmeans(X, 5, generator=torch.Generator().manual_seed(1), n_iter=100)
    seeds = kmeans_plusplus_means(X, 5, torch.Generator().manual_seed(1), 20)  # N < 16,384: seeds on X, 20 trials
    km = KMeans(5, init=seeds.numpy(), n_init=1, max_iter=100, tol=0, algorithm="lloyd").fit(X.numpy())
    matched = start.matched_to(GMMParams(torch.ones(5) / 5, torch.as_tensor(km.cluster_centers_), torch.ones(5, 3)))
    np.testing.assert_allclose(matched.means.numpy(), km.cluster_centers_, rtol=1e-10)
    counts = np.bincount(km.labels_, minlength=5)
    np.testing.assert_allclose(matched.weights.numpy(), counts / 2000, rtol=1e-12)
    oracle_var = np.stack([X.numpy()[km.labels_ == k].var(axis=0) for k in range(5)]) + 1e-6
    np.testing.assert_allclose(matched.variances.numpy(), oracle_var, rtol=1e-9)


def test_random_start_is_an_m_step_from_random_responsibilities():
    g = torch.Generator().manual_seed(0)
    X, _ = sample_gmm(random_params(3, 4, g), 500, generator=g)
    start = init_random_resp(X, 3, generator=torch.Generator().manual_seed(2))
    resp = torch.rand(500, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    oracle = m_step(X, resp / resp.sum(dim=1, keepdim=True))  # the broadcast M-step of notebook 06
    for ours, theirs in zip(start, oracle):
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


def test_random_from_data_start_uses_distinct_points_and_the_data_variance():
    X, labels, truth = running_example(torch.float64)
    start = init_random_from_data(X, 5, generator=torch.Generator().manual_seed(0))
    rows = [int(((X - m) == 0).all(dim=1).nonzero()[0]) for m in start.means]
    assert len(set(rows)) == 5
    torch.testing.assert_close(start.variances, (X.var(dim=0, unbiased=False) + 1e-6).expand(5, 2))
    torch.testing.assert_close(start.weights, torch.full((5,), 0.2, dtype=torch.float64))


def test_every_start_reaches_the_best_fit_of_the_running_example_with_restarts():
    X, labels, truth = running_example(torch.float64)
    for init_params in ("kmeans", "k-means++", "random_from_data", "random"):
        gm = DiagonalGaussianMixture(3, init_params=init_params, n_init=5, random_state=0, tol=1e-6, max_iter=500).fit(X)
        assert gm.score(X) == pytest.approx(-3.7786, abs=1e-4), init_params
        np.testing.assert_allclose(gm.params_.matched_to(truth).means.numpy(), truth.means.numpy(), atol=0.25)


# Dead components ------------------------------------------------------------------------------------

def test_a_dead_component_stays_dead_until_revived():
    X, labels, truth = running_example(torch.float64)
    start = truth._replace(means=torch.cat([truth.means[:2], torch.tensor([[40.0, 40.0]], dtype=torch.float64)]))
    stuck = fit_em(X, start, tol=1e-8, max_iter=300)
    eps = torch.finfo(torch.float64).eps
    assert float(stuck.params.weights[2]) == pytest.approx(10 * eps / (600 + 30 * eps), rel=1e-9)
    assert dead_components(stuck.params, 600).tolist() == [False, False, True]
    revived = fit_em(X, revive_dead_components(stuck.params, 600), tol=1e-8, max_iter=1000)
    assert float(revived.log_likelihoods[-1]) / 600 == pytest.approx(-3.7786, abs=1e-4)
    assert not dead_components(revived.params, 600).any()


def test_revive_refuses_when_every_component_is_dead():
    p = GMMParams(torch.tensor([0.5, 0.5]), torch.zeros(2, 1), torch.ones(2, 1))
    with pytest.raises(ValueError, match="live component"):
        revive_dead_components(p, 1)


# torch.distributions ---------------------------------------------------------------------------------

def test_to_distribution_takes_the_square_root_and_from_distribution_undoes_it():
    from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

    g = torch.Generator().manual_seed(0)
    params = random_params(4, 3, g)
    X = 3 * torch.randn(50, 3, generator=g, dtype=torch.float64)
    dist = params.to_distribution()
    torch.testing.assert_close(dist.component_distribution.base_dist.scale, params.variances.sqrt())
    torch.testing.assert_close(dist.log_prob(X), torch.logsumexp(
        torch.stack([Independent(Normal(m, v.sqrt()), 1).log_prob(X) for m, v in zip(params.means, params.variances)], 1)
        + params.weights.log(), dim=1))
    back = GMMParams.from_distribution(dist)
    for ours, theirs in zip(back, params):
        torch.testing.assert_close(ours, theirs)
    with pytest.raises(ValueError, match="distribution: expected a MixtureSameFamily"):
        GMMParams.from_distribution(Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="components"):
        GMMParams.from_distribution(MixtureSameFamily(Categorical(probs=torch.ones(2) / 2), Normal(torch.zeros(2), torch.ones(2))))


def test_the_estimator_offers_its_fit_as_a_distribution():
    X, labels, truth = running_example(torch.float64)
    gm = DiagonalGaussianMixture(3, random_state=0).fit(X.numpy())
    back = GMMParams.from_distribution(gm.to_distribution())
    np.testing.assert_allclose(back.variances.numpy(), gm.covariances_, rtol=1e-12)


# The benchmark --------------------------------------------------------------------------------------

def test_quick_estimator_benchmark_prints_its_table():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_estimator.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.startswith("Machine: ")
    header = "| size | N | D | K | dtype | ours s | sklearn s | sklearn / ours | ours MB | sklearn MB | ours iterations | " \
             "sklearn iterations | ours held-out | sklearn held-out | held-out gap |"
    assert header in out
    rows = [line for line in out.splitlines() if line.startswith("| Q")]
    assert len(rows) == 4
    assert "starts:" in out.lower()


# The lazy export ---------------------------------------------------------------------------------------

def test_the_top_level_offers_the_estimator_and_loads_scikit_learn_only_when_asked():
    code = ("import sys, gmm_helpers; before = 'sklearn' in sys.modules; "
            "from gmm_helpers import DiagonalGaussianMixture; "
            "print(before, 'sklearn' in sys.modules, DiagonalGaussianMixture.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "True", "gmm_helpers.estimator"]


def test_the_readme_practitioners_example_runs_and_finds_the_five_blobs(capsys):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## For practitioners.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.startswith("K = 5 by BIC;")
    assert isinstance(namespace["labels"], np.ndarray) and namespace["labels"].shape == (20_000,)
    assert type(namespace["mixture"]).__name__ == "MixtureSameFamily"


def test_float32_scores_a_narrow_component_far_from_the_data_centre_exactly():
    """A senior review's case: 500 points near 0 and 500 with spread 0.01 near 1000, in float32. The expanded square
    loses whole nats there in float32 unless its products run in float64 (as the fit's E-step does): score and
    predict_proba must be those of the same parameters evaluated in float64."""
    from gmm_helpers import log_likelihood, log_responsibilities

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (500, 2)), rng.normal(1000, 0.01, (500, 2))]).astype(np.float32)
    gm = DiagonalGaussianMixture(2, random_state=0).fit(X)
    params64 = GMMParams(*(torch.as_tensor(a, dtype=torch.float64) for a in (gm.weights_, gm.means_, gm.covariances_)))
    X64 = torch.from_numpy(X).double()
    exact = float(log_likelihood(X64, params64)) / len(X)
    assert abs(gm.score(X) - exact) < 1e-3 and abs(gm.score(X) - gm.lower_bound_) < 1e-2  # was 769 nats off per point
    np.testing.assert_allclose(gm.predict_proba(X), log_responsibilities(X64, params64).exp().numpy(), atol=1e-5)
