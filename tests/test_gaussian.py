import math

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch.distributions import Independent, MultivariateNormal, Normal

from gmm_helpers import diag_gaussian_log_pdf, log_normalisers, underflow_dimension


@pytest.fixture
def problem(gen, dtype):
    X = torch.randn(50, 4, generator=gen, dtype=dtype) * 2
    mean = torch.randn(4, generator=gen, dtype=dtype)
    variance = 0.1 + torch.rand(4, generator=gen, dtype=dtype) * 3
    return X, mean, variance


def test_matches_torch_distributions(problem):
    X, mean, variance = problem
    # Normal takes a standard deviation: pass variance.sqrt(), not the variance.
    oracle = Independent(Normal(mean, variance.sqrt()), 1).log_prob(X)
    got = diag_gaussian_log_pdf(X, mean, variance)
    assert got.dtype == X.dtype and got.shape == (50,)
    torch.testing.assert_close(got, oracle)


def test_matches_full_covariance_multivariate_normal(problem):
    X, mean, variance = problem
    oracle = MultivariateNormal(mean, covariance_matrix=torch.diag(variance)).log_prob(X)
    torch.testing.assert_close(diag_gaussian_log_pdf(X, mean, variance), oracle)


def test_matches_scipy_sum_of_1d_log_densities(problem):
    X, mean, variance = problem
    oracle = norm.logpdf(X.double().numpy(), loc=mean.double().numpy(), scale=np.sqrt(variance.double().numpy()))
    got = diag_gaussian_log_pdf(X, mean, variance).double().numpy()
    np.testing.assert_allclose(got, oracle.sum(axis=1), rtol=1e-5 if X.dtype == torch.float32 else 1e-12)


def test_naive_loop():
    X = torch.tensor([[0.0, 1.0], [2.0, -1.0]], dtype=torch.float64)
    mean = torch.tensor([0.5, 0.0], dtype=torch.float64)
    variance = torch.tensor([2.0, 0.5], dtype=torch.float64)
    for n in range(2):
        expected = 0.0
        for d in range(2):
            x, mu, s2 = X[n, d].item(), mean[d].item(), variance[d].item()
            expected += -0.5 * math.log(2 * math.pi * s2) - (x - mu) ** 2 / (2 * s2)
        assert diag_gaussian_log_pdf(X, mean, variance)[n].item() == pytest.approx(expected, rel=1e-14)


def test_finite_far_away_and_in_high_dimension():
    X = torch.full((3, 1000), 1000.0)  # float32, D = 1000, a thousand standard deviations away
    out = diag_gaussian_log_pdf(X, torch.zeros(1000), torch.ones(1000))
    assert torch.isfinite(out).all()
    assert out[0].item() == pytest.approx(-0.5 * (1000 * math.log(2 * math.pi) + 1000 * 1000.0**2), rel=1e-6)


@pytest.mark.parametrize(
    "X, mean, variance, match",
    [
        (torch.zeros(3), torch.zeros(2), torch.ones(2), r"X: expected a 2-D tensor of shape \(N, D\), got shape \(3,\)"),
        (torch.zeros(0, 2), torch.zeros(2), torch.ones(2), r"X: expected at least one point"),
        (torch.tensor([[float("nan"), 0.0]]), torch.zeros(2), torch.ones(2), r"X: expected finite values, got 1 NaN"),
        (torch.zeros(3, 2), torch.zeros(2, dtype=torch.float64), torch.ones(2),
         r"mean: expected dtype torch.float32 on cpu like X, got torch.float64 on cpu"),
        (torch.zeros(3, 2, dtype=torch.int64), torch.zeros(2), torch.ones(2), r"X: expected a float32 or float64 tensor, got torch.int64 \(convert it with .float\(\) or .double\(\)\)"),
        (torch.zeros(3, 2), torch.zeros(3), torch.ones(2), r"mean: expected shape \(2,\) to match X"),
        (torch.zeros(3, 2), torch.zeros(2), torch.ones(2, 1), r"variance: expected a 1-D tensor"),
        (torch.zeros(3, 2), torch.zeros(2), torch.tensor([1.0, 0.0]), r"variance: expected values > 0 \(positive variances\), got 0 at index 1; 0 means a component collapsed"),
        (np.zeros((3, 2)), torch.zeros(2), torch.ones(2), r"X: expected a torch.Tensor"),
    ],
)
def test_bad_input(X, mean, variance, match):
    with pytest.raises(ValueError, match=match):
        diag_gaussian_log_pdf(X, mean, variance)


@pytest.mark.parametrize("dtype, expected", [(torch.float32, 74), (torch.float64, 526)])
def test_underflow_dimension_is_where_exp_first_gives_zero(dtype, expected):
    D = underflow_dimension(dtype)
    log_p = lambda d: diag_gaussian_log_pdf(torch.ones(1, d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64),  # noqa: E731
                                            torch.ones(d, dtype=torch.float64))[0]
    assert D == expected
    assert torch.exp(log_p(D).to(dtype)) == 0 and torch.exp(log_p(D - 1).to(dtype)) > 0


def test_log_normalisers_against_torch_distributions():
    variances = torch.tensor([[0.5, 2.0, 3.0], [1.0, 1.0, 0.1]], dtype=torch.float64)
    # log N(mu; mu, diag(s2)) = -1/2 * log_normalisers(s2): the density at the mean is the normalising constant
    at_mean = Independent(Normal(torch.zeros(2, 3, dtype=torch.float64), variances.sqrt()), 1).log_prob(torch.zeros(2, 3, dtype=torch.float64))
    torch.testing.assert_close(-0.5 * log_normalisers(variances), at_mean)


def test_diagonal_cost_is_the_kl_divergence_to_the_diagonal_gaussian(gen):
    from torch.distributions import kl_divergence

    from gmm_helpers import diagonal_cost

    A = torch.randn(4, 3, 3, generator=gen, dtype=torch.float64)
    covariance = A @ A.transpose(1, 2) + 0.5 * torch.eye(3, dtype=torch.float64)  # (4, 3, 3), positive definite
    mean = torch.zeros(3, dtype=torch.float64)
    oracle = torch.stack([kl_divergence(MultivariateNormal(mean, c), MultivariateNormal(mean, torch.diag(c.diagonal())))
                          for c in covariance])
    torch.testing.assert_close(diagonal_cost(covariance), oracle)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.9, -0.99])
def test_diagonal_cost_in_2d_is_minus_half_log_one_minus_rho_squared(rho):
    from gmm_helpers import diagonal_cost

    covariance = torch.tensor([[4.0, 2 * rho], [2 * rho, 1.0]], dtype=torch.float64)  # sigma = (2, 1)
    assert float(diagonal_cost(covariance)) == pytest.approx(-0.5 * math.log(1 - rho**2), abs=1e-12)


def test_diagonal_cost_of_a_diagonal_matrix_is_zero_up_to_rounding_and_never_below():
    from gmm_helpers import diagonal_cost

    for dtype, rounding in ((torch.float32, 1e-6), (torch.float64, 1e-14)):
        for v1 in 2.0 ** torch.arange(-5.0, 3.5, 0.5):
            for v2 in 2.0 ** torch.arange(-5.0, 3.5, 0.5):
                cost = diagonal_cost(torch.diag(torch.stack([v1, v2])).to(dtype))
                assert 0 <= cost < rounding and not torch.signbit(cost)  # prints "0.00", never "-0.00"


def test_diagonal_cost_is_the_average_log_density_gap_on_a_large_sample():
    from gmm_helpers import diagonal_cost

    covariance = torch.tensor([[4.0, 1.8], [1.8, 1.0]], dtype=torch.float64)
    Y = torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) @ torch.linalg.cholesky(covariance).T
    full = MultivariateNormal(torch.zeros(2, dtype=torch.float64), covariance).log_prob(Y)
    diagonal = diag_gaussian_log_pdf(Y, torch.zeros(2, dtype=torch.float64), covariance.diagonal())
    gap = full - diagonal
    assert float(gap.mean()) == pytest.approx(float(diagonal_cost(covariance)), abs=4 * float(gap.std()) / 200_000**0.5)


@pytest.mark.parametrize(
    "covariance, match",
    [
        (torch.ones(3), r"covariance: expected a tensor of shape \(\.\.\., D, D\), got shape \(3,\)"),
        ([[1.0, 0.0], [0.0, 1.0]], r"covariance: expected a tensor of shape \(\.\.\., D, D\), got list"),
        (torch.tensor([[1.0, 0.5], [0.0, 1.0]]), r"covariance: expected a symmetric matrix"),
        (torch.tensor([[1.0, 2.0], [2.0, 1.0]]), r"covariance: expected a positive definite matrix"),
        (torch.eye(2, dtype=torch.int64), r"covariance: expected torch.float32 or torch.float64"),
    ],
)
def test_diagonal_cost_bad_input(covariance, match):
    from gmm_helpers import diagonal_cost

    with pytest.raises(ValueError, match=match):
        diagonal_cost(covariance)
