import numpy as np
import pytest
import torch
from scipy.stats import chisquare
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

from gmm_helpers import (
    init_kmeans_plusplus,
    init_random_points,
    kmeans_plusplus_means,
    nearest_means,
    sample_gmm,
    toy_params,
)
from gmm_helpers.init import draw_indices


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


def test_draw_indices_follows_the_weights_for_any_number_of_categories():
    weights = torch.tensor([0.0, 1.0, 0.0, 2.0, 5.0, 0.0])
    draws = draw_indices(6, weights, 160_000, torch.Generator().manual_seed(0))
    counts = torch.bincount(draws, minlength=6)
    assert counts[[0, 2, 5]].sum() == 0  # weight 0 is never drawn, a trailing 0 included
    assert chisquare(counts[[1, 3, 4]].numpy(), 160_000 * np.array([1, 2, 5]) / 8).pvalue > 1e-3
    # torch.multinomial refuses more than 2**24 categories
    N = 2**24 + 1
    big = torch.zeros(N)
    big[-1], big[3] = 3.0, 1.0
    draws = draw_indices(N, big, 4000, torch.Generator().manual_seed(1))
    assert set(draws.tolist()) == {3, N - 1} and 0.7 < (draws == N - 1).float().mean() < 0.8


def test_plain_d2_sampling_draws_the_second_mean_with_probability_proportional_to_d_squared():
    X = torch.tensor([[0.0], [1.0], [2.0], [10.0]], dtype=torch.float64)
    firsts, seconds = [], []
    for seed in range(3000):
        means = kmeans_plusplus_means(X, 2, generator=torch.Generator().manual_seed(seed), n_local_trials=1)
        firsts.append(int(means[0, 0]))
        seconds.append(int(means[1, 0]))
    firsts, seconds = torch.tensor(firsts), torch.tensor(seconds)
    assert chisquare(torch.bincount(torch.searchsorted(X[:, 0].long(), firsts), minlength=4).numpy()).pvalue > 1e-3
    given_zero = torch.searchsorted(X[:, 0].long(), seconds[firsts == 0])
    observed = torch.bincount(given_zero, minlength=4).numpy()
    d2 = np.array([0.0, 1.0, 4.0, 100.0])
    assert observed[0] == 0
    assert chisquare(observed[1:], observed.sum() * d2[1:] / d2.sum()).pvalue > 1e-3
    # the likely mistake, probabilities proportional to d instead of d^2, is rejected by the same test
    d = np.sqrt(d2)
    assert chisquare(observed[1:], observed.sum() * d[1:] / d.sum()).pvalue < 1e-6


def test_greedy_kmeans_plusplus_picks_an_outlier_less_often_than_plain_d2_sampling():
    g = torch.Generator().manual_seed(0)
    X = torch.cat([torch.randn(200, 2, generator=g, dtype=torch.float64), torch.randn(200, 2, generator=g, dtype=torch.float64) + 8,
                   torch.tensor([[40.0, 40.0]], dtype=torch.float64)])  # two clusters and one outlier
    outliers = {}
    for trials in (1, None):
        picks = [kmeans_plusplus_means(X, 2, generator=torch.Generator().manual_seed(s), n_local_trials=trials) for s in range(200)]
        outliers[trials] = sum(bool((m == X[-1]).all(dim=1).any()) for m in picks)
    assert outliers[None] < outliers[1] / 2, outliers


def test_kmeans_plusplus_spreads_the_means():
    """On well separated clusters, D^2 sampling almost always puts one mean in each cluster."""
    params = toy_params(torch.float64)
    params = params._replace(means=4 * params.means)  # far apart, so "one mean per cluster" is clear-cut
    X, labels = sample_gmm(params, 600, generator=torch.Generator().manual_seed(0))
    hits = {"pp": 0, "random": 0}
    for seed in range(40):
        g = torch.Generator().manual_seed(seed)
        for init, name in ((init_kmeans_plusplus, "pp"), (init_random_points, "random")):
            means = init(X, 3, generator=g).means
            nearest_true = ((means[:, None, :] - params.means[None]) ** 2).sum(2).argmin(1)
            hits[name] += len(set(nearest_true.tolist())) == 3
    assert hits["pp"] == 40 and hits["random"] <= 30, hits


def test_nearest_means_against_broadcast_distances(gen, dtype):
    X = (torch.randn(5000, 4, generator=gen, dtype=torch.float64) * 3 + 1e3).to(dtype)
    means = X[torch.randperm(5000, generator=gen)[:7]]
    expected = ((X.double()[:, None, :] - means.double()[None]) ** 2).sum(2).argmin(1)
    assert (nearest_means(X, means) == expected).float().mean() > 0.999  # ties within float32 rounding may differ


def test_the_start_is_scikit_learns_gaussian_parameters_of_the_seed_clusters(gen):
    """Weights, centroids and variances around them are scikit-learn's _estimate_gaussian_parameters of the
    one-hot clusters of the k-means++ seeds (one assignment step of k-means)."""
    X, _ = sample_gmm(toy_params(torch.float64), 500, generator=gen)
    p = init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(4), reg_covar=1e-3)
    seeds = kmeans_plusplus_means(X, 3, generator=torch.Generator().manual_seed(4))
    resp = torch.nn.functional.one_hot(nearest_means(X, seeds), 3).double().numpy()
    nk, means, covariances = _estimate_gaussian_parameters(X.numpy(), resp, 1e-3, "diag")
    np.testing.assert_allclose(p.weights.numpy(), nk / nk.sum(), rtol=1e-12)
    np.testing.assert_allclose(p.means.numpy(), means, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.variances.numpy(), covariances, rtol=1e-9)


def test_kmeans_plusplus_weights_and_variances(dtype):
    X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [10.0, 10.0], [10.0, 12.0], [10.0, 11.0]], dtype=dtype)
    p = init_kmeans_plusplus(X, 2, generator=torch.Generator().manual_seed(0))
    order = p.means[:, 0].argsort()
    torch.testing.assert_close(p.weights[order], torch.tensor([0.4, 0.6], dtype=dtype))
    torch.testing.assert_close(p.means[order], torch.tensor([[0.0, 1.0], [10.0, 11.0]], dtype=dtype))
    torch.testing.assert_close(p.variances[order], torch.tensor([[0.0, 1.0], [0.0, 2 / 3]], dtype=dtype) + 1e-6)


def test_a_one_point_cluster_gets_the_data_variance():
    X = torch.tensor([[0.0], [1.0], [2.0], [100.0]], dtype=torch.float64)  # 100 is an isolated seed
    p = init_kmeans_plusplus(X, 2, generator=torch.Generator().manual_seed(0), reg_covar=0.0)
    alone = int(p.means[:, 0].argmax())
    assert p.means[alone, 0] == 100 and p.weights[alone] == 0.25
    torch.testing.assert_close(p.variances[alone], X.var(dim=0, unbiased=False))
    torch.testing.assert_close(p.variances[1 - alone], torch.tensor([2 / 3], dtype=torch.float64))


def test_duplicated_points():
    same = init_kmeans_plusplus(torch.ones(10, 3), 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(same.means, torch.ones(4, 3))
    torch.testing.assert_close(same.variances, torch.full((4, 3), 1e-6))  # no spread: reg_covar alone
    assert same.weights.sum().item() == pytest.approx(1.0) and (same.weights > 0).all()
    X = torch.cat([torch.zeros(5, 2), torch.ones(1, 2)])
    p = init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(0))  # 3 seeds on 2 distinct points
    assert sorted(p.means[:, 0].tolist()) in ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    assert (p.variances >= 1e-6).all() and p.weights.sum().item() == pytest.approx(1.0)


def test_kmeans_plusplus_K_equals_N(gen):
    X = torch.randn(7, 2, generator=gen)
    means = kmeans_plusplus_means(X, 7, generator=gen)
    assert torch.equal(means.sort(0).values, X.sort(0).values)


def test_large_data_start_from_a_uniform_sample():
    """Above max_points the start is computed from that many points drawn at random: its weights are
    multiples of 1/max_points and it finds the same clusters."""
    X, _ = sample_gmm(toy_params(torch.float64), 50_000, generator=torch.Generator().manual_seed(0))
    p = init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(0), max_points=1000)
    torch.testing.assert_close(p.weights * 1000, (p.weights * 1000).round(), rtol=0, atol=1e-9)
    truth = toy_params(torch.float64).sorted(dim=1)  # the toy means differ most along x2
    np.testing.assert_allclose(p.sorted(dim=1).means, truth.means, atol=1.0)  # one start mean in each true cluster


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_data_with_a_cpu_generator():
    X, _ = sample_gmm(toy_params(torch.float64), 500, generator=torch.Generator().manual_seed(0))
    for init in (init_random_points, init_kmeans_plusplus):
        cpu = init(X, 3, generator=torch.Generator().manual_seed(1))
        gpu = init(X.cuda(), 3, generator=torch.Generator().manual_seed(1))
        assert gpu.means.is_cuda
        for a, b in zip(gpu, cpu):
            torch.testing.assert_close(a.cpu(), b)


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
    with pytest.raises(ValueError, match=r"reg_covar: expected a float >= 0"):
        init_kmeans_plusplus(torch.randn(5, 2), 2, reg_covar=-1.0)
    with pytest.raises(ValueError, match=r"reg_covar: expected > 0 for these data \(every point of a cluster has the same value in dimension 1"):
        init_kmeans_plusplus(torch.tensor([[0.0, 1.0], [1.0, 1.0], [5.0, 1.0]]), 2, reg_covar=0.0)
    with pytest.raises(ValueError, match=r"n_local_trials: expected an int >= 1, got 0"):
        kmeans_plusplus_means(torch.randn(5, 2), 2, n_local_trials=0)


def test_nearest_means_refuses_mismatched_means():
    with pytest.raises(ValueError, match=r"means: expected a torch.float32 tensor of shape \(K, 2\) with K >= 1 on cpu like X, "
                                         r"got a torch.float32 tensor of shape \(3, 3\)"):
        nearest_means(torch.zeros(5, 2), torch.zeros(3, 3))


def test_a_tensor_variance_is_refused_with_the_bound_that_applies():
    X = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"variance: expected a float > 0, got a torch.float32 tensor of shape \(2,\)"):
        init_random_points(X, 2, variance=X.var(dim=0))
