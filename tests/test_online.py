"""Online (stepwise) EM: the recurrence as written, and close to exact EM on a long stream."""

import pytest
import torch

from gmm_helpers import (GMMParams, SufficientStats, em_step, fit_em, fit_em_online, init_kmeans_plusplus,
                         log_likelihood, log_responsibilities, mixture_mean, params_from_stats, sample_gmm, toy_params)
from gmm_helpers.online import step_sizes


@pytest.fixture(scope="module")
def stream():
    X, _ = sample_gmm(toy_params(torch.float64), 20_000, generator=torch.Generator().manual_seed(0))
    return X


def test_one_chunk_is_one_em_step(stream):
    X = stream[:500]
    start = init_kmeans_plusplus(X, 3, generator=torch.Generator().manual_seed(0))
    online = fit_em_online([X], start)
    for a, b in zip(online.params, em_step(X, start)[0]):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(online.chunk_log_likelihoods[0], log_likelihood(X, start) / 500, rtol=1e-12, atol=0)


def test_three_chunks_follow_the_stepwise_recurrence_written_out(stream):
    """s_t = (1 - gamma_t) s_{t-1} + gamma_t * (chunk t's statistics under theta_{t-1}) / n_t, theta_t = M(s_t)."""
    chunks = stream[:300].split([100, 80, 120])
    start = init_kmeans_plusplus(stream[:300], 3, generator=torch.Generator().manual_seed(0))
    alpha = 0.7
    online = fit_em_online(chunks, start, alpha=alpha)
    shift = mixture_mean(start)
    theta, s = start, None
    for t, chunk in enumerate(chunks, start=1):
        resp = log_responsibilities(chunk, theta).exp()
        average = SufficientStats.from_resp(chunk, resp, shift).scaled(1 / len(chunk))
        gamma = t ** -alpha
        s = average if s is None else s.scaled(1 - gamma) + average.scaled(gamma)
        theta = params_from_stats(s)
        for a, b in zip(online.history[t], theta):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    assert online.n_chunks == 3 and online.n_points == 300 and len(online.history) == 4


def test_one_pass_of_a_long_stream_lands_near_the_exact_fit(stream):
    X = stream
    start = init_kmeans_plusplus(X[:200], 3, generator=torch.Generator().manual_seed(0))
    exact = fit_em(X, start)
    online = fit_em_online(X.split(200), start)  # 100 chunks, read once
    gap = float(log_likelihood(X, exact.params) - log_likelihood(X, online.params)) / len(X)
    assert 0 <= gap < 2e-3  # per point: EM's optimum is higher, but barely
    matched = online.params.matched_to(exact.params)
    torch.testing.assert_close(matched.means, exact.params.means, rtol=0, atol=0.05)


def test_step_sizes_and_the_running_mean():
    assert step_sizes(3, alpha=1.0).tolist() == [1.0, 0.5, 1 / 3]
    torch.testing.assert_close(step_sizes(4, 0.6), torch.tensor([1.0, 2 ** -0.6, 3 ** -0.6, 4 ** -0.6], dtype=torch.float64))


def test_an_endless_stream_stops_at_max_chunks(stream):
    def endless():
        while True:
            yield stream[:100]

    online = fit_em_online(endless(), 2, max_chunks=5, generator=torch.Generator().manual_seed(0))
    assert online.n_chunks == 5 and online.n_points == 500


def test_bad_input_names_the_argument(stream):
    start = toy_params(torch.float64)
    with pytest.raises(ValueError, match=r"alpha: expected a float with 0.5 < alpha <= 1, got float 0.5"):
        fit_em_online([stream], start, alpha=0.5)
    with pytest.raises(ValueError, match=r"chunks: expected at least one chunk with points"):
        fit_em_online([], start)
    with pytest.raises(ValueError, match=r"chunk 1: expected torch.float64 of shape \(n, 2\) like the first chunk"):
        fit_em_online([stream[:10], stream[:10, :1]], start)
    with pytest.raises(ValueError, match=r"init: expected a GMMParams or an int K"):
        fit_em_online([stream], "three")
    with pytest.raises(ValueError, match=r"means: expected D = 2"):
        fit_em_online([stream], GMMParams(start.weights, start.means[:, :1], start.variances[:, :1]))
