import pytest
import torch

from gmm_helpers import init_kmeans_plusplus, init_random_points, kmeans_plusplus_means, sample_gmm, toy_params


def test_random_points_are_distinct_data_points(gen, dtype):
    X = torch.randn(50, 3, generator=gen, dtype=dtype)
    p = init_random_points(X, 5, variance=2.0, generator=torch.Generator().manual_seed(0))
    rows = [int(((X - m).abs().sum(1) == 0).nonzero()[0]) for m in p.means]
    assert len(set(rows)) == 5
    assert (p.variances == 2.0).all() and torch.allclose(p.weights, torch.full((5,), 0.2, dtype=dtype))
    assert p.means.dtype == dtype


def test_random_points_seeded_and_K_equals_N(gen):
    X = torch.randn(6, 2, generator=gen)
    a = init_random_points(X, 3, generator=torch.Generator().manual_seed(5))
    b = init_random_points(X, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.means, b.means)
    full = init_random_points(X, 6, generator=gen)
    assert torch.equal(full.means.sort(0).values, X.sort(0).values)


def test_kmeans_plusplus_spreads_the_means():
    """On well separated clusters, D^2 sampling almost always puts one mean in each cluster."""
    params = toy_params(torch.float64)
    params = params._replace(means=4 * params.means)  # far apart, so "one mean per cluster" is clear-cut
    X, labels = sample_gmm(params, 600, generator=torch.Generator().manual_seed(0))
    hits_pp, hits_random = 0, 0
    for seed in range(40):
        g = torch.Generator().manual_seed(seed)
        for init, count in ((init_kmeans_plusplus, "pp"), (init_random_points, "random")):
            means = init(X, 3, generator=g).means
            nearest_true = ((means[:, None, :] - params.means[None]) ** 2).sum(2).argmin(1)
            if len(set(nearest_true.tolist())) == 3:
                if count == "pp":
                    hits_pp += 1
                else:
                    hits_random += 1
    assert hits_pp >= 36 and hits_random <= 30, (hits_pp, hits_random)


def test_kmeans_plusplus_weights_and_variances(dtype):
    X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [10.0, 10.0], [10.0, 12.0], [10.0, 11.0]], dtype=dtype)
    p = init_kmeans_plusplus(X, 2, generator=torch.Generator().manual_seed(0))
    order = p.means[:, 0].argsort()
    torch.testing.assert_close(p.weights[order], torch.tensor([0.4, 0.6], dtype=dtype))
    assert (p.variances > 0).all() and torch.isfinite(p.variances).all()
    assert p.means.dtype == dtype


def test_kmeans_plusplus_duplicated_points_give_no_nan():
    X = torch.ones(10, 3)
    p = init_kmeans_plusplus(X, 4, generator=torch.Generator().manual_seed(0))
    assert all(torch.isfinite(t).all() for t in p)
    assert (p.variances > 0).all() and (p.weights > 0).all()
    torch.testing.assert_close(p.weights.sum(), torch.tensor(1.0))
    X2 = torch.cat([torch.zeros(5, 2), torch.ones(1, 2)])
    p2 = init_kmeans_plusplus(X2, 3, generator=torch.Generator().manual_seed(0))
    assert all(torch.isfinite(t).all() for t in p2) and (p2.variances > 0).all()


def test_kmeans_plusplus_K_equals_N(gen):
    X = torch.randn(7, 2, generator=gen)
    means = kmeans_plusplus_means(X, 7, generator=gen)
    assert torch.equal(means.sort(0).values, X.sort(0).values)


@pytest.mark.parametrize("init", [init_random_points, init_kmeans_plusplus])
@pytest.mark.parametrize(
    "K, match",
    [(0, r"K: expected an int >= 1 and <= N = 5 \(the number of points\), got 0"),
     (6, r"K: expected an int >= 1 and <= N = 5 \(the number of points\), got 6"),
     (2.0, r"K: expected an int, got float 2.0")],
)
def test_bad_K(init, K, match):
    with pytest.raises(ValueError, match=match):
        init(torch.randn(5, 2), K)


def test_bad_variance_and_X():
    with pytest.raises(ValueError, match=r"variance: expected a float > 0, got 0.0"):
        init_random_points(torch.randn(5, 2), 2, variance=0.0)
    with pytest.raises(ValueError, match=r"X: expected a 2-D tensor"):
        init_kmeans_plusplus(torch.randn(5), 2)
    with pytest.raises(ValueError, match=r"reg_covar: expected a float > 0"):
        init_kmeans_plusplus(torch.randn(5, 2), 2, reg_covar=0.0)
