import pytest
import torch
from torch.distributions import Categorical

from gmm_helpers import GMMParams, component_log_pdfs, log_responsibilities, responsibility_grid, toy_params
from tests.conftest import random_params
from tests.test_likelihoods import mixture_oracle


def naive_responsibilities(X, params):
    """Bayes' rule in probability space, one point and one component at a time."""
    N, K = X.shape[0], params.K
    joint = torch.zeros(N, K, dtype=X.dtype)
    log_pdfs = component_log_pdfs(X, params)
    for n in range(N):
        for k in range(K):
            joint[n, k] = params.weights[k] * log_pdfs[n, k].exp()
    return joint / joint.sum(dim=1, keepdim=True)


def test_rows_sum_to_one_and_shape(toy_data):
    X, _, params = toy_data
    log_resp = log_responsibilities(X, params)
    assert log_resp.shape == (500, 3) and log_resp.dtype == X.dtype
    torch.testing.assert_close(log_resp.exp().sum(dim=1), torch.ones(500, dtype=X.dtype))


def test_against_naive_bayes_rule(gen):
    params = random_params(4, 3, gen)
    X = 2 * torch.randn(40, 3, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(log_responsibilities(X, params).exp(), naive_responsibilities(X, params))


def test_against_mixture_same_family_posterior(gen):
    """r_nk = p(z = k) p(x | z = k) / p(x), each term from torch.distributions."""
    params = random_params(3, 2, gen)
    X = 3 * torch.randn(100, 2, generator=gen, dtype=torch.float64)
    mixture = mixture_oracle(params)
    log_prior = Categorical(probs=params.weights).logits  # (K,)
    log_cond = mixture.component_distribution.log_prob(X[:, None, :])  # (N, K)
    expected = log_prior + log_cond - mixture.log_prob(X)[:, None]
    torch.testing.assert_close(log_responsibilities(X, params), expected)


def test_weights_matter():
    """Dropping log pi from the E-step (the original blog's bug) changes the answer."""
    p = toy_params(torch.float64)
    X = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    equal = GMMParams(torch.full((3,), 1 / 3, dtype=torch.float64), p.means, p.variances)
    assert not torch.allclose(log_responsibilities(X, p), log_responsibilities(X, equal))


def test_far_away_point_stays_finite(dtype):
    params = toy_params(dtype)
    X = torch.tensor([[1e3, 1e3], [-2e3, 5.0]], dtype=dtype)
    # in probability space every density is exactly 0 and Bayes' rule would give 0/0
    assert (component_log_pdfs(X, params).exp() == 0).all()
    resp = log_responsibilities(X, params).exp()
    assert torch.isfinite(resp).all()
    torch.testing.assert_close(resp.sum(dim=1), torch.ones(2, dtype=dtype))


def test_high_dimension_float32(gen):
    params = random_params(5, 1000, gen, torch.float32)
    X = torch.randn(20, 1000, generator=gen)
    resp = log_responsibilities(X, params).exp()
    assert torch.isfinite(resp).all()
    torch.testing.assert_close(resp.sum(dim=1), torch.ones(20))


def test_bad_input():
    with pytest.raises(ValueError, match=r"means: expected D = 3 dimensions to match X"):
        log_responsibilities(torch.zeros(4, 3), toy_params())


def test_responsibility_grid_sums_to_one_and_a_mean_owns_its_point():
    xs, ys, resp = responsibility_grid(toy_params(), (-5, 5), (-5, 5), n=51)
    assert resp.shape == (51, 51, 3)
    torch.testing.assert_close(resp.sum(dim=-1), torch.ones(51, 51, dtype=torch.float64))
    # at component 0's mean (-2.5, 0) component 0 owns the point, by the same Bayes' rule as log_responsibilities
    i, j = int((ys - 0.0).abs().argmin()), int((xs + 2.5).abs().argmin())
    point = torch.tensor([[float(xs[j]), float(ys[i])]], dtype=torch.float64)
    torch.testing.assert_close(resp[i, j], log_responsibilities(point, toy_params(torch.float64)).exp()[0])
    assert int(resp[i, j].argmax()) == 0
