"""Each exercise check accepts the hidden solution, rejects a typical mistake, and waits on None."""

import math

import pytest
import torch

from gmm_helpers import GMMParams, diag_gaussian_log_pdf, init_random_points, toy_params
from gmm_helpers.teach import exercises as ex


def solution_1d_pdf(x):
    w, m, v = ex.EXERCISE_1D
    return sum(w[k] * torch.exp(-((x - m[k, 0]) ** 2) / (2 * v[k, 0])) / torch.sqrt(2 * math.pi * v[k, 0]) for k in range(2))


def mistake_1d_pdf_with_std(x):  # treats the variances as standard deviations
    w, m, v = ex.EXERCISE_1D
    return sum(w[k] * torch.exp(-((x - m[k, 0]) ** 2) / (2 * v[k, 0] ** 2)) / (math.sqrt(2 * math.pi) * v[k, 0]) for k in range(2))


def solution_data_variance_init(X, K, generator):
    p = init_random_points(X, K, generator=generator)
    return GMMParams(p.weights, p.means, X.var(dim=0, unbiased=False).expand(K, X.shape[1]).clone())


def density_at_origin():
    p = toy_params(torch.float64)
    x = torch.zeros(1, 2, dtype=torch.float64)
    return sum(p.weights[k] * diag_gaussian_log_pdf(x, p.means[k], p.variances[k]).exp()[0] for k in range(3))


def solution_spherical(X, means, variances):
    N, D = X.shape
    sq = ((X[:, None, :] - means[None]) ** 2).sum(dim=2)
    return -0.5 * (D * math.log(2 * math.pi) + D * variances.log() + sq / variances)


def mistake_spherical(X, means, variances):  # forgets that log|Sigma| has D equal terms
    N, D = X.shape
    sq = ((X[:, None, :] - means[None]) ** 2).sum(dim=2)
    return -0.5 * (D * math.log(2 * math.pi) + variances.log() + sq / variances)


def responsibility_by_hand():
    pdf = lambda x, m, v: math.exp(-((x - m) ** 2) / (2 * v)) / math.sqrt(2 * math.pi * v)  # noqa: E731
    a0, a1 = 0.3 * pdf(0.5, -1.0, 0.5), 0.7 * pdf(0.5, 2.0, 1.0)
    return a0 / (a0 + a1)


def best_of_restarts(X, K, n):
    from gmm_helpers import fit_em

    fits = [fit_em(X, K, generator=torch.Generator().manual_seed(s)) for s in range(n)]
    return max(fits, key=lambda f: f.log_likelihoods[-1].item())


def worst_of_restarts(X, K, n):
    from gmm_helpers import fit_em

    fits = [fit_em(X, K, max_iter=2, tol=0, generator=torch.Generator().manual_seed(s)) for s in range(n)]
    return min(fits, key=lambda f: f.log_likelihoods[-1].item())


def lower_bound(X, params, q):
    from gmm_helpers import component_log_pdfs

    return (q * (component_log_pdfs(X, params) + params.weights.log() - q.log())).sum()


CASES = [
    (ex.check_density_at_origin, density_at_origin(), 2 * density_at_origin()),
    (ex.check_expected_counts, torch.tensor([500.0, 250.0, 250.0]), torch.tensor([333.0, 333.0, 334.0])),
    (ex.check_1d_mixture_pdf, solution_1d_pdf, mistake_1d_pdf_with_std),
    (ex.check_component_fractions, [0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]),
    (ex.check_d2_probabilities, torch.tensor([0.0, 1.0, 4.0, 100.0]) / 105, torch.tensor([0.0, 1.0, 2.0, 10.0]) / 13),
    (ex.check_data_variance_init, solution_data_variance_init, lambda X, K, g: init_random_points(X, K, generator=g)),
    (ex.check_log_density_by_hand, -math.log(2 * math.pi) - 0.5 * math.log(4) - 1.0, -math.log(2 * math.pi) - 0.5 * math.log(2) - 0.5 * (1 + 1)),
    (ex.check_underflow_dimension, 74, 73),
    (ex.check_broadcast_shapes, [(5, 4, 3), (6, 3, 2), (6, 3), (7, 4)], [(5, 4, 3), (6, 3, 2), (6, 3, 2), (7, 4)]),
    (ex.check_spherical_log_pdfs, solution_spherical, mistake_spherical),
    (ex.check_two_component_responsibility, responsibility_by_hand(), 0.3),
    (ex.check_log_likelihood_from_log_pdfs, lambda lp, w: torch.logsumexp(lp + w.log(), dim=1).sum(),
     lambda lp, w: (w * lp.exp()).sum(dim=1).log().sum()),
    (ex.check_weight_update, torch.tensor([0.48, 0.52]), torch.tensor([0.5, 0.5])),
    (ex.check_m_step_by_hand, (torch.tensor([0.5, 0.5]), torch.tensor([0.7, 3.3]), torch.tensor([0.81, 0.81])),
     (torch.tensor([0.5, 0.5]), torch.tensor([0.7, 3.3]), torch.tensor([1.62, 1.62]))),
    (ex.check_lower_bound, lower_bound, lambda X, p, q: lower_bound(X, p, q) + (q * q.log()).sum()),
    (ex.check_best_of_restarts, best_of_restarts, worst_of_restarts),
]


@pytest.mark.parametrize("check, solution, mistake", CASES, ids=[c[0].__name__ for c in CASES])
def test_check_accepts_solution_rejects_mistake_waits_on_none(check, solution, mistake, capsys):
    check(solution)
    assert capsys.readouterr().out.endswith(": correct.\n")
    check(mistake)
    assert ": not yet." in capsys.readouterr().out
    check(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise RuntimeError("oops")

    ex.check_1d_mixture_pdf(broken)
    assert "not yet. Your function raised RuntimeError: oops" in capsys.readouterr().out


def test_wrong_shapes_and_types_are_not_yet(capsys):
    ex.check_expected_counts("five hundred")
    ex.check_expected_counts([500.0, 500.0])
    assert capsys.readouterr().out.count("not yet") == 2


# 10_scaling_up --------------------------------------------------------------------------------------

def streaming_mean_variance(chunks):
    """The solution of exercise 10.3: one pass, sums around the first value."""
    shift, n, s, q = None, 0, 0.0, 0.0
    for chunk in chunks:
        if shift is None:
            shift = chunk[0]
        n += chunk.numel()
        s += float((chunk - shift).sum())
        q += float(((chunk - shift) ** 2).sum())
    return float(shift) + s / n, q / n - (s / n) ** 2


def streaming_mean_variance_around_zero(chunks):  # the likely mistake: the one-pass formula without a shift
    n, s, q = 0, 0.0, 0.0
    for chunk in chunks:
        n += chunk.numel()
        s += float(chunk.sum())
        q += float((chunk**2).sum())
    return s / n, q / n - (s / n) ** 2


CASES_10 = [
    (ex.check_merged_component, (13 / 5, 39 / 5 - (13 / 5) ** 2), (2.5, 0.8)),  # mistake: averages of the chunks
    (ex.check_merged_component, torch.tensor([[2.6], [1.04]]), ((4 / 2 + 9 / 3) / 2, (1 + 2 / 3) / 2)),
    (ex.check_allreduce_bytes, lambda K, D: 8 * (K * (2 * D + 1) + 2), lambda K, D: 8 * K * (2 * D + 1)),
    (ex.check_allreduce_bytes, lambda K, D: torch.tensor([8 * (K * (2 * D + 1) + 2)]), lambda K, D: 4 * (K * (2 * D + 1) + 2)),
    (ex.check_streaming_mean_variance, streaming_mean_variance, streaming_mean_variance_around_zero),
]


@pytest.mark.parametrize("check, solution, mistake", CASES_10, ids=[f"{c[0].__name__}_{i}" for i, c in enumerate(CASES_10)])
def test_scaling_checks_accept_the_solution_reject_the_mistake_and_wait_on_none(check, solution, mistake, capsys):
    check(solution)
    assert capsys.readouterr().out.endswith(": correct.\n")
    check(mistake)
    out = capsys.readouterr().out
    assert ": not yet." in out and "2.6" not in out and "264208" not in out  # hints never give the answer
    check(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_the_merged_component_worked_by_hand_is_the_m_step_of_the_points():
    from gmm_helpers import m_step

    points = torch.tensor([[1.0], [3.0], [2.0], [3.0], [4.0]], dtype=torch.float64)  # chunk A: 1, 3; chunk B: 2, 3, 4
    p = m_step(points, torch.ones(5, 1, dtype=torch.float64), reg_covar=0.0)
    assert abs(float(p.means) - 2.6) < 1e-12 and abs(float(p.variances) - 1.04) < 1e-12
    for (nk, s, q), chunk in zip(ex.EXERCISE_CHUNK_STATS.values(), (points[:2], points[2:])):
        assert (nk, s, q) == (len(chunk), float(chunk.sum()), float((chunk**2).sum()))


def test_the_naive_streaming_variance_really_fails_on_the_exercise_stream():
    every = torch.cat(ex.exercise_stream())
    naive = streaming_mean_variance_around_zero(ex.exercise_stream())[1]
    assert abs(naive - float(every.var(unbiased=False))) > 0.5 * float(every.var(unbiased=False))


def test_the_merged_component_accepts_the_rounded_hand_answer_and_one_element_tensors(capsys):
    ex.check_merged_component((2.6, 1.04))
    ex.check_merged_component((torch.tensor([2.6]), torch.tensor([1.04])))
    ex.check_merged_component((2.6, 1.04 * (1 + 5e-4)))  # within rtol 1e-3
    assert capsys.readouterr().out.count(": correct.") == 3
    ex.check_merged_component((2.6, 1.04, 0.0))  # three numbers: not a pair
    ex.check_merged_component((2.6, 39 / 5))  # the mistake of forgetting to subtract the squared mean
    assert capsys.readouterr().out.count(": not yet.") == 2
