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


# 08_choosing_k: each check accepts the answer worked by hand (also as a one-element tensor), rejects the
# likely mistake with a hint about it, and waits on None.
CASES_08 = [
    (ex.check_parameter_count, 2 * 4 * 5 + 4 - 1, 2 * 4 * 5, "weights are parameters too"),
    (ex.check_bic_by_hand, 2 * 2263.4 + 19 * math.log(600), 2 * 2263.4 + 19 * math.log10(600), "natural logarithm"),
    (ex.check_dead_weight, 10 * 1.1920929e-07 / (1000 + 30 * 1.1920929e-07), 10 * 2.220446e-16 / 1000, "float32"),
]


@pytest.mark.parametrize("check, solution, mistake, hint", CASES_08, ids=[c[0].__name__ for c in CASES_08])
def test_08_checks_accept_the_hand_solution_reject_the_mistake(check, solution, mistake, hint, capsys):
    check(round(solution, 1) if solution > 1 else float(f"{solution:.4g}"))  # a hand-worked answer, rounded
    assert capsys.readouterr().out.endswith(": correct.\n")
    check(torch.tensor([solution]))  # a (1,)-shaped tensor
    assert capsys.readouterr().out.endswith(": correct.\n")
    check(mistake)
    out = capsys.readouterr().out
    assert ": not yet." in out and hint in out
    check(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_08_hints_never_print_the_solution(capsys):
    ex.check_bic_by_hand(1.0)
    ex.check_parameter_count(1)
    ex.check_dead_weight(1.0)
    out = capsys.readouterr().out
    assert "4648" not in out and "43" not in out and "1.19e-09" not in out and "1.2e-09" not in out


def test_08_dead_weight_accepts_three_digits_worked_by_hand(capsys):
    ex.check_dead_weight(1.19e-9)  # 10 x 1.19e-7 / 1000, float32's epsilon to three digits
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_dead_weight(1.0e-9)  # a wrong epsilon
    assert ": not yet." in capsys.readouterr().out


def test_08_bic_check_names_the_aic_mistake(capsys):
    ex.check_bic_by_hand(2 * 2263.4 + 2 * 19)
    assert "AIC" in capsys.readouterr().out


# 09_real_data: each check accepts the answer worked by hand (to the digits the solution shows, and as a
# tensor), rejects the likely mistake with a hint about it, and waits on None.

def test_09_soft_colour_accepts_the_hand_solution_and_rejects_the_hard_colour(capsys):
    import numpy as np

    by_hand = [0.7 * 0.9 + 0.2 * 0.1 + 0.1, 0.7 * 0.1 + 0.2 * 0.1 + 0.1, 0.7 * 0.1 + 0.2 * 0.9 + 0.1]  # a naive loop
    for answer in ([0.75, 0.19, 0.35], torch.tensor(by_hand), np.array(by_hand)):
        ex.check_soft_colour(answer)
        assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_soft_colour([0.9, 0.1, 0.1])  # the hard assignment
    assert "hard assignment" in capsys.readouterr().out
    ex.check_soft_colour([2.0 / 3, 0.4, 2.0 / 3])  # the unweighted average of the colours
    assert "plain average" in capsys.readouterr().out
    ex.check_soft_colour(0.5)
    assert "three numbers" in capsys.readouterr().out
    ex.check_soft_colour(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_09_class_posterior_accepts_the_hand_solution_and_rejects_the_missing_prior(capsys):
    by_hand = 0.2 * math.exp(-10) / (0.2 * math.exp(-10) + 0.8 * math.exp(-11))
    assert round(by_hand, 3) == 0.405  # the solution's number
    for answer in (0.405, torch.tensor([by_hand]), by_hand):
        ex.check_class_posterior(answer)
        assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_class_posterior(1 / (1 + math.exp(-1)))  # equal priors
    assert "priors" in capsys.readouterr().out
    ex.check_class_posterior(1 - by_hand)
    assert "other class" in capsys.readouterr().out
    ex.check_class_posterior(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_09_hints_never_print_the_solution(capsys):
    ex.check_soft_colour([0.0, 0.0, 0.0])
    ex.check_soft_colour([0.9, 0.1, 0.1])
    ex.check_class_posterior(0.9)
    ex.check_class_posterior(0.731)
    out = capsys.readouterr().out
    assert "0.75" not in out and "0.405" not in out and "0.4" not in out
