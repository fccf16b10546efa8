import pytest
import torch

from gmm_helpers import GMMParams, sample_gmm, toy_params


def test_shapes_dtype_and_seed(dtype):
    p = toy_params(dtype)
    X1, l1 = sample_gmm(p, 100, generator=torch.Generator().manual_seed(3))
    X2, l2 = sample_gmm(p, 100, generator=torch.Generator().manual_seed(3))
    assert X1.shape == (100, 2) and X1.dtype == dtype and l1.dtype == torch.int64
    assert torch.equal(X1, X2) and torch.equal(l1, l2)
    X3, _ = sample_gmm(p, 100, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(X1, X3)


def test_zero_samples():
    X, labels = sample_gmm(toy_params(), 0)
    assert X.shape == (0, 2) and labels.shape == (0,)


def test_moments_match_the_mixture():
    """Per-component sample weights, means and variances approach the truth (n = 200k)."""
    p = toy_params(torch.float64)
    n = 200_000
    X, labels = sample_gmm(p, n, generator=torch.Generator().manual_seed(0))
    for k in range(p.K):
        Xk = X[labels == k]
        frac = len(Xk) / n
        assert abs(frac - p.weights[k]) < 4 * (p.weights[k] * (1 - p.weights[k]) / n) ** 0.5
        se_mean = (p.variances[k] / len(Xk)).sqrt()
        assert ((Xk.mean(0) - p.means[k]).abs() < 4 * se_mean).all()
        # variance of the sample variance of a normal: 2 sigma^4 / n
        se_var = (2 * p.variances[k] ** 2 / len(Xk)).sqrt()
        assert ((Xk.var(0) - p.variances[k]).abs() < 4 * se_var).all()


def test_variances_are_variances_not_standard_deviations():
    p = GMMParams(torch.ones(1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64),
                  torch.full((1, 1), 4.0, dtype=torch.float64))
    X, _ = sample_gmm(p, 100_000, generator=torch.Generator().manual_seed(1))
    assert abs(X.std().item() - 2.0) < 0.03


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=-1), r"n: expected an int >= 0, got -1"),
        (dict(n=2.5), r"n: expected an int"),
        (dict(params="toy"), r"params: expected a GMMParams"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(params=toy_params(), n=10) | kwargs
    with pytest.raises(ValueError, match=match):
        sample_gmm(**args)
