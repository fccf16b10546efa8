"""Each exercise check accepts the hidden solution, rejects a typical mistake, and waits on None."""

import math

import numpy as np
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
    (ex.check_misassigned, 2, 599),
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


# 04-07: answers worked out by hand pass at 3 significant figures, in the forms a student types them


def misassigned_by_hand():
    """Exercise 7.1 the way a student would: match, assign, count (an oracle independent of the check's code)."""
    from gmm_helpers import fit_em, init_random_points, log_responsibilities, running_example

    X, labels, truth = running_example()
    fit = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)))
    # nearest fitted mean for each true mean (the groups are far apart, so this is the matching)
    order = [int(((fit.params.means - truth.means[k]) ** 2).sum(dim=1).argmin()) for k in range(3)]
    assign = log_responsibilities(X, fit.params).argmax(dim=1)
    true_of_fitted = {fitted: k for k, fitted in enumerate(order)}
    return sum(int(true_of_fitted[int(a)] != int(l)) for a, l in zip(assign, labels))


def test_misassigned_solution_is_a_small_count():
    assert misassigned_by_hand() == 2


@pytest.mark.parametrize("answer", [0.1644, 0.164, [0.164], torch.tensor([0.1644]), torch.tensor(0.16438), np.float64(0.1644)])
def test_responsibility_by_hand_passes_at_three_significant_figures(answer, capsys):
    ex.check_two_component_responsibility(answer)
    assert capsys.readouterr().out.endswith(": correct.\n")


@pytest.mark.parametrize("answer, says", [
    (0.163, "r_0 ="), (0.165, "r_0 ="),
    (0.315, "without the prior"),  # no weights
    (0.0285, "are variances"),  # variances used as standard deviations
    (torch.tensor([0.16, 0.84]), "one number"),
])
def test_responsibility_mistakes_get_a_hint_about_the_misconception(answer, says, capsys):
    ex.check_two_component_responsibility(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and says in out and "0.164" not in out


def test_weight_and_m_step_checks_take_hand_rounded_answers_and_explain_mistakes(capsys):
    ex.check_weight_update([0.48, 0.52])
    ex.check_weight_update(torch.tensor([[0.48], [0.52]]))
    ex.check_m_step_by_hand(([0.5, 0.5], [[0.7], [3.3]], (0.81, 0.81)))
    assert capsys.readouterr().out.count(": correct.") == 3
    ex.check_weight_update([2.4, 2.6])
    assert "effective counts" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.5, 0.5], [0.7, 3.3], [1.62, 1.62]))
    assert "divide them by N_k" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.5, 0.5], [0.7, 3.3], [0.5, 0.5]))
    assert "around the new mean" in capsys.readouterr().out


def test_misassigned_hints_at_label_switching(capsys):
    ex.check_misassigned(599)
    assert "order" in capsys.readouterr().out
    ex.check_misassigned(torch.tensor([2]))
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_misassigned(5)
    out = capsys.readouterr().out
    assert ": not yet." in out and " 2 " not in out


def test_best_of_restarts_accepts_a_tighter_tol_and_names_the_min_mistake(capsys):
    from gmm_helpers import fit_em

    def tight(X, K, n):
        fits = [fit_em(X, K, tol=1e-9, max_iter=1000, generator=torch.Generator().manual_seed(s)) for s in range(n)]
        return max(fits, key=lambda f: f.log_likelihoods[-1].item())

    ex.check_best_of_restarts(tight)
    assert capsys.readouterr().out.endswith(": correct.\n")


@pytest.mark.parametrize("p", [153 / 200, 0.5, 0.975])
def test_starts_needed(p, capsys):
    m = next(m for m in range(1, 100) if (1 - p) ** m < 0.01)  # the oracle: count up
    ex.check_starts_needed(m, p)
    ex.check_starts_needed(torch.tensor([m]), p)
    assert capsys.readouterr().out.count(": correct.") == 2
    ex.check_starts_needed(m - 1, p) if m > 1 else ex.check_starts_needed(m + 1, p)
    assert ": not yet." in capsys.readouterr().out
    ex.check_starts_needed(None, p)
    assert ": no answer yet;" in capsys.readouterr().out
