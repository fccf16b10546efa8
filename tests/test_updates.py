import pytest
import torch

from gmm_helpers import effective_counts, m_step


def naive_m_step(X, resp, reg_covar):
    N, D = X.shape
    K = resp.shape[1]
    weights, means, variances = torch.zeros(K, dtype=X.dtype), torch.zeros(K, D, dtype=X.dtype), torch.zeros(K, D, dtype=X.dtype)
    for k in range(K):
        nk = sum(resp[n, k] for n in range(N))
        weights[k] = nk / N
        means[k] = sum(resp[n, k] * X[n] for n in range(N)) / nk
        variances[k] = sum(resp[n, k] * (X[n] - means[k]) ** 2 for n in range(N)) / nk + reg_covar
    return weights, means, variances


def test_against_naive_loops(gen):
    X = torch.randn(30, 3, generator=gen, dtype=torch.float64)
    resp = torch.softmax(torch.randn(30, 4, generator=gen, dtype=torch.float64), dim=1)
    got = m_step(X, resp, reg_covar=1e-3)
    for g, e in zip(got, naive_m_step(X, resp, 1e-3)):
        torch.testing.assert_close(g, e)


def test_one_hot_gives_per_cluster_statistics(gen, dtype):
    X = torch.randn(60, 2, generator=gen, dtype=dtype) + 5
    labels = torch.arange(60) % 3
    resp = torch.nn.functional.one_hot(labels, 3).to(dtype)
    p = m_step(X, resp, reg_covar=0.0)
    for k in range(3):
        Xk = X[labels == k]
        torch.testing.assert_close(p.means[k], Xk.mean(0))
        torch.testing.assert_close(p.variances[k], Xk.var(0, unbiased=False))
        torch.testing.assert_close(p.weights[k], torch.tensor(1 / 3, dtype=dtype))
    assert p.means.dtype == dtype


def test_reg_covar_is_added():
    X = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    resp = torch.ones(2, 1, dtype=torch.float64)
    assert m_step(X, resp, reg_covar=0.5).variances.item() == pytest.approx(1.5)


def test_empty_component_gets_scikit_learns_answer(dtype):
    """No responsibility: N_k = 10 eps, mean 0/(10 eps) = 0, variance reg_covar, weight 10 eps / (N + 20 eps)."""
    X = torch.randn(10, 2, dtype=dtype) + 3
    resp = torch.zeros(10, 2, dtype=dtype)
    resp[:, 0] = 1
    p = m_step(X, resp)
    eps = torch.finfo(dtype).eps
    assert effective_counts(resp)[1].item() == pytest.approx(10 * eps)
    assert p.means[1].tolist() == [0.0, 0.0] and p.variances[1].tolist() == pytest.approx([1e-6, 1e-6])
    assert p.weights[1].item() == pytest.approx(10 * eps / (10 + 20 * eps))


def test_centred_variance_is_accurate_far_from_the_origin():
    """At 1e4 +- 0.01 in float32, E[x^2] - mu^2 cancels to garbage; the centred form does not."""
    gen = torch.Generator().manual_seed(0)
    X = (1e4 + 0.01 * torch.randn(1000, 2, generator=gen)).float()
    resp = torch.ones(1000, 1)
    p = m_step(X, resp, reg_covar=0.0)
    true_var = X.double().var(0, unbiased=False)
    torch.testing.assert_close(p.variances[0].double(), true_var, rtol=1e-2, atol=0)  # within 1%
    one_pass = (X**2).mean(0) - X.mean(0) ** 2
    assert ((one_pass.double() - true_var).abs() / true_var > 0.5).any()  # the formula the test guards against


def test_collapse_without_reg_covar_raises():
    X = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
    resp = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    with pytest.raises(FloatingPointError, match=r"component 0 collapsed.*reg_covar > 0"):
        m_step(X, resp, reg_covar=0.0)
    assert m_step(X, resp).variances[0].item() == pytest.approx(1e-6)


def test_inputs_are_not_modified(gen):
    X = torch.randn(10, 2, generator=gen)
    resp = torch.softmax(torch.randn(10, 3, generator=gen), dim=1)
    X0, r0 = X.clone(), resp.clone()
    m_step(X, resp)
    assert torch.equal(X, X0) and torch.equal(resp, r0)


@pytest.mark.parametrize(
    "resp, reg_covar, match",
    [
        (torch.ones(5, 2) / 2, 1e-6, r"resp: expected shape \(N, K\) with N = 4 rows like X"),
        (torch.ones(4) / 2, 1e-6, r"resp: expected a 2-D tensor"),
        (torch.tensor([[1.5, -0.5]] * 4), 1e-6, r"resp: expected values >= 0"),
        (torch.tensor([[0.5, 0.4]] * 4), 1e-6, r"resp: expected rows summing to 1"),
        (torch.ones(4, 2, dtype=torch.float64) / 2, 1e-6, r"resp: expected dtype torch.float32"),
        (torch.ones(4, 2) / 2, -1.0, r"reg_covar: expected a float >= 0, got -1.0"),
        (torch.ones(4, 2) / 2, float("nan"), r"reg_covar: expected a float >= 0, got nan"),
    ],
)
def test_bad_input(resp, reg_covar, match):
    with pytest.raises(ValueError, match=match):
        m_step(torch.zeros(4, 3), resp, reg_covar)
