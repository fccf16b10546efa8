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


def responsibilities_by_hand(use_weights=True):
    truth = toy_params(torch.float64)
    x = torch.tensor([[0.0, -1.5]], dtype=torch.float64)
    densities = torch.stack([diag_gaussian_log_pdf(x, truth.means[k], truth.variances[k])[0].exp() for k in range(3)])
    joint = truth.weights * densities if use_weights else densities
    return joint / joint.sum()


def unweighted_responsibilities():  # the blog's mistake: Bayes' rule without the prior weights
    return responsibilities_by_hand(use_weights=False)


def log_density_by_hand(std_for_variance=False):
    variances = [1.8, 0.8]
    scales = [math.sqrt(v) for v in variances] if std_for_variance else variances
    return -0.5 * (2 * math.log(2 * math.pi) + sum(math.log(s) for s in scales) + 2.5**2 / scales[0] + 0.0**2 / scales[1])


def solution_diag_log_density(x, mean, variances):  # Exercise 3.4
    return -0.5 * (len(x) * math.log(2 * math.pi) + variances.log().sum() + ((x - mean) ** 2 / variances).sum())


def log_of_density(x, mean, variances):  # Exercise 3.4's mistake: the density first, then its log
    return ((-((x - mean) ** 2) / (2 * variances)).exp() / (2 * math.pi * variances).sqrt()).prod().log()


def log_of_product_of_variances(x, mean, variances):  # Exercise 3.4's other mistake: log(prod) for sum(log)
    return -0.5 * (len(x) * math.log(2 * math.pi) + torch.log(variances.prod()) + ((x - mean) ** 2 / variances).sum())


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

    fits = [fit_em(X, K, max_iter=1000, generator=torch.Generator().manual_seed(s)) for s in range(n)]
    return max(fits, key=lambda f: f.log_likelihoods[-1].item())


def worst_of_restarts(X, K, n):
    from gmm_helpers import fit_em

    fits = [fit_em(X, K, max_iter=2, tol=0, generator=torch.Generator().manual_seed(s)) for s in range(n)]
    return min(fits, key=lambda f: f.log_likelihoods[-1].item())


CASES = [
    (ex.check_responsibilities_at_point, responsibilities_by_hand(), unweighted_responsibilities()),
    (ex.check_weight_to_win_point, 0.297, 0.25),  # mistake: the true weight, where component 0 still wins
    (ex.check_1d_mixture_pdf, solution_1d_pdf, mistake_1d_pdf_with_std),
    (ex.check_count_spread, 10.61, 600 * 0.25 * 0.75),
    (ex.check_d2_probabilities, torch.tensor([0.0, 1.0, 4.0, 100.0]) / 105, torch.tensor([0.0, 1.0, 2.0, 10.0]) / 13),
    (ex.check_d2_third_probabilities, torch.tensor([0.0, 1.0, 4.0, 0.0]) / 5, torch.tensor([100.0, 81.0, 64.0, 0.0]) / 245),
    (ex.check_data_variance_init, solution_data_variance_init, lambda X, K, g: init_random_points(X, K, generator=g)),
    (ex.check_log_density_by_hand, -3.756, log_density_by_hand(std_for_variance=True)),
    (ex.check_overflow_dimension, 65, 64),
    (ex.check_diagonal_cost_by_hand, 0.144, -0.5 * math.log(0.5)),
    (ex.check_diag_log_density, solution_diag_log_density, log_of_density),
    (ex.check_broadcast_shapes, [(5, 4, 3), (3, 6, 2), (6, 2), (7, 4), "error"], [(5, 4, 3), (6, 3, 2), (6, 3), (7, 4), "error"]),
    (ex.check_spherical_log_pdfs, solution_spherical, mistake_spherical),
    (ex.check_peak_bytes, (3 * 100_000 * 8 * 8, 4 * 100_000 * 8 * 8), (4 * 100_000 * 8 * 8, 4 * 100_000 * 8 * 8)),  # mistake: diff**2 kept at the .sum
    (ex.check_two_component_responsibility, responsibility_by_hand(), 0.3),
    (ex.check_log_likelihood_from_log_pdfs, lambda lp, w: torch.logsumexp(lp + w.log(), dim=1).sum(),
     lambda lp, w: (w * lp.exp()).sum(dim=1).log().sum()),
    (ex.check_weight_update, torch.tensor([0.48, 0.52]), torch.tensor([0.5, 0.5])),
    (ex.check_m_step_by_hand, (torch.tensor([0.6, 0.4]), torch.tensor([1.0, 3.5]), torch.tensor([1.5, 0.25])),
     (torch.tensor([0.6, 0.4]), torch.tensor([1.0, 3.5]), torch.tensor([3.6 / 1.4, 0.4 / 0.6]))),
    (ex.check_bound_at_new_theta, (-1.637, -1.419), (-1.419, -1.419)),  # mistake: r recomputed at the new theta
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


def test_broadcast_shapes_answer_worked_by_hand_from_the_rules():
    """The rules by hand: pad on the left with 1s, then take the larger size of each axis."""
    def broadcast(a, b):
        a, b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
        return tuple(max(x, y) for x, y in zip(a, b))

    assert [broadcast((5, 1, 3), (4, 3)), broadcast((3, 1, 2), (6, 2)), broadcast((6, 1, 2), (3, 2))[::2],
            broadcast((7, 1), (1, 4))] == [(5, 4, 3), (3, 6, 2), (6, 2), (7, 4)]


def test_broadcast_shapes_check_explains_the_error_case(capsys):
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), (6, 2), (7, 4), (4, 3)])  # the 5th taken as broadcastable
    out = capsys.readouterr().out
    assert "not yet" in out and "[5]" in out and 'answer "error"' in out
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), (6, 2), (7, 4), " Error "])
    assert capsys.readouterr().out.endswith(": correct.\n")


def test_broadcast_shapes_check_reads_a_bare_int_as_a_one_axis_shape(capsys):
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), 6, (7, 4), "error"])  # expression 3 given as a bare int
    out = capsys.readouterr().out
    assert ": not yet." in out and "[3]" in out and "a bare number n reads as (n,)" in out and "got 0" not in out


def test_spherical_check_names_division_by_the_squared_variance(capsys):
    def divides_by_v_squared(X, means, variances):
        N, D = X.shape
        sq = ((X[:, None, :] - means[None]) ** 2).sum(dim=2)
        return -0.5 * (D * math.log(2 * math.pi) + 2 * D * variances.log() + sq / variances**2)

    ex.check_spherical_log_pdfs(divides_by_v_squared)
    out = capsys.readouterr().out
    assert "not yet" in out and "not by its square" in out


def test_spherical_check_accepts_float32_and_a_typed_pi_and_names_a_single_log_2pi(capsys):
    def typed_pi(X, means, variances):  # pi as 3.14159, the table in float32
        N, D = X.shape
        X, means, variances = X.float(), means.float(), variances.float()
        sq = ((X[:, None, :] - means[None, :, :]) ** 2).sum(dim=2)
        return -0.5 * (D * math.log(2 * 3.14159) + D * variances.log() + sq / variances)

    def one_log_2pi(X, means, variances):
        N, D = X.shape
        sq = ((X[:, None, :] - means[None, :, :]) ** 2).sum(dim=2)
        return -0.5 * (math.log(2 * math.pi) + D * variances.log() + sq / variances)

    ex.check_spherical_log_pdfs(typed_pi)
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_spherical_log_pdfs(one_log_2pi)
    out = capsys.readouterr().out
    assert "not yet" in out and "D log(2 pi)" in out
    ex.check_spherical_log_pdfs(mistake_spherical)  # log v once instead of D times: rejected
    assert "not yet" in capsys.readouterr().out


def test_spherical_check_names_the_missing_axis_on_the_variances(capsys):
    def no_axis(X, means, variances):  # (N, K, D) / (K,): K is lined up with D and the shapes clash
        D = X.shape[1]
        terms = (X[:, None, :] - means[None]) ** 2 / variances
        return -0.5 * (D * math.log(2 * math.pi) + D * variances.log() + terms.sum(dim=2))

    ex.check_spherical_log_pdfs(no_axis)
    out = capsys.readouterr().out
    assert ": not yet." in out and "variances[:, None]" in out and "RuntimeError" not in out


def test_data_variance_check_rejects_a_function_that_ignores_its_generator(capsys):
    def own_seed(X, K, generator):  # right for a generator seeded 0, and for no other
        return solution_data_variance_init(X, K, torch.Generator().manual_seed(0))

    ex.check_data_variance_init(own_seed)
    out = capsys.readouterr().out
    assert ": not yet." in out and "use the generator you are given" in out
    ex.check_data_variance_init(solution_data_variance_init)
    assert ": correct." in capsys.readouterr().out


def test_data_variance_check_names_a_variance_pooled_over_all_dimensions(capsys):
    def pooled(X, K, generator):
        start = init_random_points(X, K, generator=generator)
        return GMMParams(start.weights, start.means, X.var(unbiased=False).expand(K, X.shape[1]).clone())

    ex.check_data_variance_init(pooled)
    out = capsys.readouterr().out
    assert ": not yet." in out and "pooled" in out and "dim=0" in out


def test_spherical_check_says_when_the_table_is_transposed(capsys):
    ex.check_spherical_log_pdfs(lambda X, m, v: solution_spherical(X, m, v).T)
    out = capsys.readouterr().out
    assert "not yet" in out and "(K, N)" in out and "log sigma^2_kd" not in out


def test_spherical_check_generic_hint_uses_the_notebooks_notation(capsys):
    ex.check_spherical_log_pdfs(lambda X, m, v: torch.zeros(X.shape[0], m.shape[0], dtype=X.dtype))  # no specific mistake
    out = capsys.readouterr().out
    assert ": not yet." in out and "sum_d log sigma^2_kd = D log variances[k]" in out and "Sigma" not in out


def test_peak_bytes_check_takes_forms_of_the_answer_and_names_each_mistake(capsys):
    N, K, D, dtype = ex.EXERCISE_4_3_SIZES
    assert (N, K, D, dtype) == (100_000, 8, 1, torch.float64)
    from gmm_helpers.teach.widgets import memory_explorer
    sliders = {w.description: w for w in memory_explorer().children[:3]}
    assert N in sliders["N points"].options and K in sliders["K components"].options and D in sliders["D dimensions"].options  # set in the widget
    one = N * K * 8  # one (N, K, 1) or (N, K) float64 tensor
    by_hand = (3 * one, 4 * one)  # D = 1: the second line holds three tensors; the last, diff (named) and three (N, K)
    from gmm_helpers.likelihoods import format_bytes, log_pdfs_peak_bytes
    assert by_hand == (19_200_000, 25_600_000) and by_hand[1] == log_pdfs_peak_bytes(N, K, D, dtype)  # 04's Solution 4.3
    assert format_bytes(by_hand[1]) == "24.4 MiB"  # the widget's bar: read off, it must not pass
    for answer in (by_hand, list(by_hand), (19_200_000.0, 2.56e7), torch.tensor(by_hand), np.array(by_hand)):
        ex.check_peak_bytes(answer)
        assert capsys.readouterr().out.endswith(": correct.\n"), answer
    for mistake, says in [((4 * one, 4 * one), "diff**2 is no longer alive"), ((3 * one, 3 * one), "count every tensor alive"),
                          ((4 * one, 3 * one), "wrong order"),  # the right pair, swapped: not the diff**2 hint
                          ((3 * one, 2 * one), "count every tensor alive"),  # 8 bytes a number, two tensors: not a 4-byte slip
                          ((2 * one, 3 * one), "diff is named"), ((2 * one, 4 * one), "diff is named"),  # diff forgotten: 12.8M, 19.2M
                          ((one, 4 * one), "one tensor"), ((3 * N * K * 4, 4 * N * K * 4), "8 bytes per number"),
                          ((3 * one, 5 * one), "unnamed"), ((3 * one, 24.4 * 2**20), "exactly"),
                          ((3 * one, 4 * one + K * 8), "counted c_k"), ((3 * one + K * 8, 4 * one + K * 8), "counted c_k"),
                          ((18.3, 24.4), "in bytes"), (4 * one, "two numbers"), ("lots", "two numbers"),
                          ((1234, 5678), "in bytes"), ((2 * one + 1, 7 * one + 3), "line by line"),
                          ((3 * N * K, 4 * N * K), "counts of numbers, not bytes"),  # 2.4e6, 3.2e6: numbers, not bytes
                          ((2.4e6, 3.2e6), "counts of numbers, not bytes")]:
        ex.check_peak_bytes(mistake)
        out = capsys.readouterr().out
        assert "not yet" in out and says in out and "25,600,000" not in out and "4 N K" not in out, (mistake, out)


def test_log_likelihood_check_says_when_the_points_are_not_summed(capsys):
    ex.check_log_likelihood_from_log_pdfs(lambda lp, w: torch.logsumexp(lp + w.log(), dim=1))  # forgot .sum()
    out = capsys.readouterr().out
    assert "not yet" in out and "sums them over the points" in out and "stay in logs" not in out


def test_broadcast_check_says_that_sum_removes_an_axis(capsys):
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), (6, 3, 2), (7, 4), "error"])  # forgot the sum over dim=1
    out = capsys.readouterr().out
    assert "not yet" in out and "removes axis d" in out and "(6, 2)" not in out
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), (6, 2), (4, 7), "error"])  # a mistake without a sum
    assert "removes axis" not in capsys.readouterr().out


def test_responsibility_check_names_the_variance_outside_the_square_root(capsys):
    ex.check_two_component_responsibility(0.218)  # 1 / (sqrt(2 pi) v) instead of 1 / sqrt(2 pi v)
    out = capsys.readouterr().out
    assert "not yet" in out and "square root over the variance" in out and "0.164" not in out


def test_log_likelihood_check_accepts_keepdim_then_sum_and_names_the_mean(capsys):
    ex.check_log_likelihood_from_log_pdfs(lambda lp, w: torch.logsumexp(lp + w.log(), dim=1, keepdim=True).sum(0))  # shape (1,)
    assert "correct" in capsys.readouterr().out
    ex.check_log_likelihood_from_log_pdfs(lambda lp, w: torch.logsumexp(lp + w.log(), dim=1).mean())  # per point
    out = capsys.readouterr().out
    assert "not yet" in out and "average per point" in out and "inside the log" not in out


def test_responsibility_check_names_the_other_component_and_the_std_mistake(capsys):
    other = 1 - responsibility_by_hand()
    assert f"{other:.3f}" == "0.836"
    ex.check_two_component_responsibility(0.836)
    out = capsys.readouterr().out
    assert "not yet" in out and "component 1's responsibility" in out
    ex.check_two_component_responsibility(0.028)  # the variances read as standard deviations, rounded
    out = capsys.readouterr().out
    assert "not yet" in out and "are variances" in out


def test_responsibility_check_accepts_hand_rounding_and_names_the_missing_normalisers(capsys):
    pdf = lambda x, m, v: math.exp(-((x - m) ** 2) / (2 * v)) / math.sqrt(2 * math.pi * v)  # noqa: E731
    # the solution's arithmetic, as printed in 05's Solution 5.1
    assert (f"{pdf(0.5, -1.0, 0.5):.5f}", f"{pdf(0.5, 2.0, 1.0):.4f}") == ("0.05947", "0.1295")
    assert (f"{0.3 * pdf(0.5, -1.0, 0.5):.5f}", f"{0.7 * pdf(0.5, 2.0, 1.0):.5f}") == ("0.01784", "0.09066")
    assert f"{0.01784 / (0.01784 + 0.09066):.4f}" == "0.1644"
    rounded_first = 0.3 * 0.0595 / (0.3 * 0.0595 + 0.7 * 0.130)  # densities rounded to 3 figures first: 0.1640
    assert f"{rounded_first:.4f}" == "0.1640"  # 05's Solution 5.1
    for answer in (0.164, 0.1644, rounded_first, 0.16449, torch.tensor([0.1644])):  # all round to 0.164
        ex.check_two_component_responsibility(answer)
        assert capsys.readouterr().out.endswith(": correct.\n"), answer
    for off_by_one in (0.165, 0.163):  # a unit off in the third figure: the one rule rejects it, with a pointer
        ex.check_two_component_responsibility(off_by_one)
        out = capsys.readouterr().out
        assert "not yet" in out and "four figures" in out
    no_normalisers = 0.3 * math.exp(-2.25) / (0.3 * math.exp(-2.25) + 0.7 * math.exp(-1.125))
    assert f"{no_normalisers:.3f}" == "0.122"
    ex.check_two_component_responsibility(0.122)
    out = capsys.readouterr().out
    assert "not yet" in out and "1 / sqrt(2 pi v)" in out and "0.164" not in out
    ex.check_two_component_responsibility(0.167)  # a unit off in the 3rd figure of the rounded answer: wrong
    assert "not yet" in capsys.readouterr().out


def test_responsibility_check_uses_the_one_hand_worked_rule(capsys):
    # the series' rule (_hand_close): within half a unit in the third figure of the exact 0.16442 (0.16392 to
    # 0.16492); the densities rounded to 4 figures first (0.05947 -> 0.0595, 0.1295) give 0.16452: it passes
    rounded_to_four = 0.3 * 0.0595 / (0.3 * 0.0595 + 0.7 * 0.1295)
    assert f"{rounded_to_four:.5f}" == "0.16452"
    for answer in (rounded_to_four, 0.1645, 0.1649, torch.tensor([0.1649], dtype=torch.float32)):
        ex.check_two_component_responsibility(answer)
        assert capsys.readouterr().out.endswith(": correct.\n"), answer
    # but that 0.16452 rounded again to 0.165 is a unit off in the third figure: the rounding hint
    for answer in (0.165, 0.1638):
        ex.check_two_component_responsibility(answer)
        out = capsys.readouterr().out
        assert ": not yet." in out and "four figures" in out and "0.164" not in out, answer


def test_responsibility_check_names_a_density_or_joint_entered_as_the_share(capsys):
    # N(0.5 | -1, 0.5) = 0.05947 lies within 1e-3 of the no-1/2 answer 0.0600: it must not get that hint
    for answer in (0.05947, 0.0595, 0.01784, 0.0178, 0.1295, 0.09066):
        ex.check_two_component_responsibility(answer)
        out = capsys.readouterr().out
        assert ": not yet." in out and "not the share" in out and "1/2" not in out, answer
    ex.check_two_component_responsibility(0.0600)  # the exponent without its 1/2 keeps its own hint
    assert "factor 1/2 is missing" in capsys.readouterr().out


def test_responsibility_check_names_sigma_in_the_exponent(capsys):
    s = [math.exp(-((0.5 - m) ** 2) / (2 * math.sqrt(v))) / math.sqrt(2 * math.pi * v) for m, v in ((-1.0, 0.5), (2.0, 1.0))]
    sigma_in_exponent = 0.3 * s[0] / (0.3 * s[0] + 0.7 * s[1])  # exp(-(x - m)^2 / (2 sigma)): sigma for sigma^2
    assert f"{sigma_in_exponent:.4f}" == "0.2755"
    for answer in (0.2755, 0.276, 0.275):
        ex.check_two_component_responsibility(answer)
        out = capsys.readouterr().out
        assert ": not yet." in out and "not by 2 sigma" in out and "0.164" not in out, answer


def test_log_likelihood_check_accepts_a_python_float(capsys):
    for fn in (lambda lp, w: torch.logsumexp(lp + w.log(), dim=1).sum().item(),  # float64, then .item()
               lambda lp, w: float(torch.logsumexp(lp.float() + w.float().log(), dim=1).sum())):  # float32 as a float
        ex.check_log_likelihood_from_log_pdfs(fn)
        assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_log_likelihood_from_log_pdfs(lambda lp, w: torch.logsumexp(lp, dim=1).sum().item())  # no weights
    assert ": not yet." in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise RuntimeError("oops")

    ex.check_1d_mixture_pdf(broken)
    assert "not yet. Your function raised RuntimeError: oops" in capsys.readouterr().out


def test_wrong_shapes_and_types_are_not_yet(capsys):
    ex.check_responsibilities_at_point("five hundred")
    ex.check_responsibilities_at_point([0.5, 0.5])
    ex.check_count_spread("ten")
    assert capsys.readouterr().out.count("not yet") == 3


def test_00_responsibilities_pass_within_a_thousandth_of_the_exact_values(capsys):
    # r_0 = 0.56758 lies 8e-5 above the rounding boundary 0.5675: a four-figure hand route may round it down
    for answer in ([0.567, 0.000, 0.433], [0.567, 0.000, 0.432], [0.568, 0.000, 0.433], [0.5676, 0.0001, 0.4324]):
        ex.check_responsibilities_at_point(answer)
    assert capsys.readouterr().out.count(": correct.") == 4
    for answer in ([0.566, 0.000, 0.434], [0.569, 0.000, 0.431], [0.57, 0.0, 0.43]):  # beyond +-0.001
        ex.check_responsibilities_at_point(answer)
    assert capsys.readouterr().out.count(": not yet.") == 3


def test_answers_rounded_to_three_figures_pass(capsys):
    ex.check_responsibilities_at_point([0.568, 0.0, 0.432])
    ex.check_count_spread(10.6)
    ex.check_log_density_by_hand(-3.76)
    assert capsys.readouterr().out.count(": correct.") == 3


@pytest.mark.parametrize("check, answer", [
    (ex.check_count_spread, torch.tensor([10.607])),
    (ex.check_log_density_by_hand, torch.tensor([-3.7563])),
    (ex.check_overflow_dimension, torch.tensor([65])),
])
def test_a_scalar_may_come_as_a_one_element_tensor(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.endswith(": correct.\n")
    check(torch.tensor([1.0, 2.0]))
    assert "Expected one number, got a tensor of shape (2,)" in capsys.readouterr().out


@pytest.mark.parametrize("check, mistake, hint", [
    (ex.check_responsibilities_at_point, unweighted_responsibilities(), "weighs each density by the prior"),
    (ex.check_responsibilities_at_point, 2 * responsibilities_by_hand(), "they sum to 1"),
    (ex.check_count_spread, 112.5, "That is the variance of the count"),
    (ex.check_count_spread, math.sqrt(150), "variance pi (1 - pi), not pi"),
    (ex.check_count_spread, math.sqrt(0.25 * 0.75 / 600), "for the count, not for the fraction"),
    (ex.check_count_spread, math.sqrt(600 * 0.27 * 0.73), "observed fraction"),
    (ex.check_d2_probabilities, torch.tensor([0.0, 1.0, 2.0, 10.0]) / 13, "k-means++ uses its square"),
    (ex.check_data_variance_init, lambda X, K, g: init_random_points(X, K, generator=torch.Generator().manual_seed(99)),
     "so the same generator gives the same points"),
    (ex.check_log_density_by_hand, log_density_by_hand(std_for_variance=True), "they enter as sigma^2, not as sigma"),
    (ex.check_overflow_dimension, 64, "still just below float32's largest number"),
    (ex.check_overflow_dimension, 64.1, "round up"),  # D > 64.1 worked out in logs, not yet rounded
])
def test_a_hint_names_the_misconception_and_not_the_answer(check, mistake, hint, capsys):
    check(mistake)
    out = capsys.readouterr().out
    assert hint in out
    for answer in ("0.568", "0.349", "0.3486", "10.6", "-3.756", " 65"):
        assert answer not in out


def test_00_answers_worked_from_the_rounded_numbers_in_the_statement(capsys):
    for two_decimals in ([0.57, 0.0, 0.43], torch.tensor([0.57, 0.0, 0.43])):  # a float32 tensor too: 0.57 is inexact there
        ex.check_responsibilities_at_point(two_decimals)  # two decimals, or rounded early: both named
        out = capsys.readouterr().out
        assert ": not yet." in out and "three decimal places" in out and "rounded early" in out and "0.568" not in out
        assert "further off than rounding" not in out
    for early in ([0.572, 0.0, 0.428], [0.566, 0.0, 0.434]):  # three decimals, but an intermediate value rounded early
        ex.check_responsibilities_at_point(early)
        out = capsys.readouterr().out
        assert ": not yet." in out and "every intermediate step" in out and "too coarsely" not in out
    ex.check_responsibilities_at_point([0.571, 0.0, 0.429])  # sigma_1 sigma_2 = 0.592 taken as 0.6 (or no pi_k, no factors)
    out = capsys.readouterr().out
    assert "only by luck" in out and "every intermediate step" in out
    ex.check_responsibilities_at_point([0.6, 0.0, 0.4])  # wrong, not a rounding matter
    assert "three decimal places" not in capsys.readouterr().out


def test_00_responsibility_check_names_variances_used_as_standard_deviations(capsys):
    truth = toy_params(torch.float64)
    x = torch.tensor([0.0, -1.5], dtype=torch.float64)
    joint = torch.stack([truth.weights[k] * (torch.exp(-((x - truth.means[k]) ** 2) / (2 * truth.variances[k] ** 2))
                                             / torch.sqrt(2 * math.pi * truth.variances[k] ** 2)).prod() for k in range(3)])
    ex.check_responsibilities_at_point(joint / joint.sum())  # sigma^2 typed where sigma belongs
    out = capsys.readouterr().out
    assert ": not yet." in out and "as standard deviations" in out


def test_01_hints_tell_the_std_mistake_the_missing_normaliser_the_shape_and_rounding_apart(capsys):
    w, m, v = ex.EXERCISE_1D

    def unnormalised(x):
        return (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v))).sum(dim=0)

    def per_component(x):  # forgot to add the components up: shape (2, 101)
        return w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v)) / torch.sqrt(2 * math.pi * v)

    ex.check_1d_mixture_pdf(mistake_1d_pdf_with_std)
    assert "square root" in capsys.readouterr().out
    ex.check_1d_mixture_pdf(unnormalised)
    assert "normalising factor" in capsys.readouterr().out
    ex.check_1d_mixture_pdf(per_component)
    assert "shape (101,); got shape (2, 101)" in capsys.readouterr().out
    ex.check_1d_mixture_pdf(lambda x: (w[:, None] * torch.exp(-(x - m) ** 2 / v) / torch.sqrt(2 * math.pi * v)).sum(dim=0))
    assert "the factor 1/2 is missing" in capsys.readouterr().out
    ex.check_1d_mixture_pdf(lambda x: (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v)) / (math.sqrt(2 * math.pi) * v)).sum(dim=0))
    assert "square root over the variance too" in capsys.readouterr().out
    ex.check_count_spread(11)
    out = capsys.readouterr().out
    assert ": not yet." in out and "three significant figures" in out and "10.6" not in out


def test_02_third_pick_check_names_the_latest_pick_and_the_sum_over_picks(capsys):
    ex.check_d2_third_probabilities([0, 0.2, 0.8, 0])
    assert ": correct." in capsys.readouterr().out
    ex.check_d2_third_probabilities(torch.tensor([100.0, 81.0, 64.0, 0.0]) / 245)  # distance to the latest pick, 10, only
    out = capsys.readouterr().out
    assert ": not yet." in out and "NEAREST picked point" in out and "0.8" not in out
    ex.check_d2_third_probabilities(torch.tensor([100.0, 82.0, 68.0, 100.0]) / 350)  # squared distances summed over both picks
    out = capsys.readouterr().out
    assert ": not yet." in out and "not their sum" in out
    ex.check_d2_third_probabilities([0, 1 / 3, 2 / 3, 0])  # the distance to the nearest pick, not squared
    out = capsys.readouterr().out
    assert ": not yet." in out and "uses its square" in out
    ex.check_d2_third_probabilities([0.1, 0.2, 0.7, 0])
    assert "probability 0" in capsys.readouterr().out


def test_02_checks_take_three_figures_and_shapes_and_name_the_variance_mistakes(capsys):
    ex.check_d2_probabilities([0, 0.00952, 0.0381, 0.952])
    ex.check_d2_probabilities(torch.tensor([[0.0], [1.0], [4.0], [100.0]]) / 105)  # a (4, 1) column
    assert capsys.readouterr().out.count(": correct.") == 2
    ex.check_d2_probabilities([0, 0.01, 0.04, 0.95])
    out = capsys.readouterr().out
    assert ": not yet." in out and "three significant figures" in out and "0.952" not in out
    ex.check_d2_probabilities([0.25, 0.25, 0.5])
    assert "got a tensor of shape (3,)" in capsys.readouterr().out

    def unbiased(X, K, generator):
        start = init_random_points(X, K, generator=generator)
        return GMMParams(start.weights, start.means, X.var(dim=0).expand(K, -1).clone())

    def std(X, K, generator):
        start = init_random_points(X, K, generator=generator)
        return GMMParams(start.weights, start.means, X.std(dim=0, unbiased=False).expand(K, -1).clone())

    ex.check_data_variance_init(unbiased)
    assert "divided by N - 1" in capsys.readouterr().out
    ex.check_data_variance_init(std)
    assert "standard deviations" in capsys.readouterr().out


def test_03_hints_for_the_density_instead_of_its_log_and_the_diagonal_cost_mistakes(capsys):
    ex.check_log_density_by_hand(math.exp(log_density_by_hand()))  # 0.0234: the density, not its log
    out = capsys.readouterr().out
    assert "That is the density itself" in out and "-3.7" not in out
    ex.check_diagonal_cost_by_hand(torch.tensor([-0.5 * math.log(1 - 0.5**2)]))  # 0.1438, as a (1,) tensor
    ex.check_diagonal_cost_by_hand(0.1438)
    assert capsys.readouterr().out.count(": correct.") == 2
    ex.check_log_density_by_hand(-3.8)  # right to two significant figures only
    out = capsys.readouterr().out
    assert ": not yet." in out and "rounded too coarsely" in out and "-3.75" not in out
    for mistake, says in [(-0.1438, "The sign"), (-math.log(0.75), "keep the factor 1/2"),
                          (-0.5 * math.log(0.5), "enters squared"), (0.3, "the variances cancel"),
                          (0.14, "rounded too coarsely"),
                          (-0.5 * math.log10(1 - 0.5**2), "base-10"),  # 0.0625: log10 for log
                          (-0.5 * math.log(1 - 0.25**2), "not the correlation")]:  # 0.0323: Sigma_01 = 0.25 taken as rho
        ex.check_diagonal_cost_by_hand(mistake)
        out = capsys.readouterr().out
        assert ": not yet." in out and says in out and "0.14" not in out


def test_the_diagonal_cost_by_hand_is_the_kl_divergence():
    from torch.distributions import MultivariateNormal, kl_divergence

    full = MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.tensor(ex.EXERCISE_3_3_COV, dtype=torch.float64))
    diagonal = MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.diag(torch.tensor([0.25, 1.0], dtype=torch.float64)))
    assert round(float(kl_divergence(full, diagonal)), 4) == round(-0.5 * math.log(0.75), 4) == 0.1438


def test_worked_answers_are_the_ones_the_solutions_state():
    assert [round(float(r), 3) for r in responsibilities_by_hand()] == [0.568, 0.0, 0.432]
    assert round(0.5 * math.sqrt(0.50 * 1.40) / math.sqrt(1.80 * 0.80), 4) == 0.3486
    assert round(math.sqrt(600 * 0.25 * 0.75), 2) == 10.61
    assert round(log_density_by_hand(), 3) == -3.756
    assert 3.989**64 < torch.finfo(torch.float32).max < 3.990**65


def test_the_other_numbers_the_00_to_03_solutions_quote():
    from gmm_helpers import running_example

    r = responsibilities_by_hand()
    unweighted = unweighted_responsibilities()
    assert f"{float(r[1]):.5f}" == "0.00006" and unweighted[2] > unweighted[0]  # 0.1: component 2 denser, 0 wins
    _, labels, _ = running_example()
    count = int(torch.bincount(labels)[1])  # 1.2: the running example's draws from component 1
    assert count == 162 and round((count - 150) / math.sqrt(112.5), 1) == 1.1 and round(math.sqrt(0.25 * 0.75 / 600), 3) == 0.018
    assert (round(100 / 105, 2), round(10 / 13, 2)) == (0.95, 0.77)  # 2.1: d^2 vs d sampling
    assert round(log_density_by_hand(std_for_variance=True), 3) == -4.258  # 3.1: the standard-deviation mistake
    factor = 1 / math.sqrt(2 * math.pi * 0.01)
    max32 = float(torch.finfo(torch.float32).max)
    assert round(math.log(max32), 2) == 88.72 and round(math.log(max32) / math.log(factor), 1) == 64.1  # 3.2
    assert (f"{factor**64:.1e}", f"{factor**65:.1e}") == ("2.9e+38", "1.1e+39")


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


# 08_choosing_k: each check accepts the answer worked by hand (also as a one-element tensor), rejects the
# likely mistake with a hint about it, and waits on None.
CASES_08 = [
    (ex.check_parameter_count, 2 * 4 * 5 + 4 - 1, 2 * 4 * 5, "weights are parameters too"),
    (ex.check_bic_by_hand, 2 * 4100.0 + 27 * math.log(900), 2 * 4100.0 + 27 * math.log10(900), "natural logarithm"),
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


# 04-07: answers worked out by hand pass at 3 significant figures, in the forms a student types them


def misassigned_by_hand():
    """Exercise 7.1 the way a student would: match, assign, count (an oracle independent of the check's code).
    In float64, as notebook 07 fits the points (its X64)."""
    from gmm_helpers import fit_em, init_random_points, log_responsibilities, running_example

    X, labels, truth = running_example()
    X = X.double()
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
    (0.163, "four figures"), (0.166, "four figures"), (0.165, "four figures"),  # a unit off in the 3rd figure
    (0.165, "significant ones, not"),  # figures counted as significant, not decimals (r42 reader 05)
    (0.122, "1 / sqrt(2 pi v)"),  # the normalising factors left out
    (0.315, "without the prior"),  # no weights
    (0.0285, "are variances"),  # variances used as standard deviations
    (torch.tensor([0.16, 0.84]), "one number"),
    (0.16, "three significant figures"), (0.2, "three significant figures"),  # rounded too far
])
def test_responsibility_mistakes_get_a_hint_about_the_misconception(answer, says, capsys):
    ex.check_two_component_responsibility(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and says in out and "0.164" not in out


def test_weight_and_m_step_checks_take_hand_rounded_answers_and_explain_mistakes(capsys):
    ex.check_weight_update([0.48, 0.52])
    ex.check_weight_update(torch.tensor([[0.48], [0.52]]))
    ex.check_m_step_by_hand(([0.6, 0.4], [[1.0], [3.5]], (1.5, 0.25)))
    assert capsys.readouterr().out.count(": correct.") == 3
    ex.check_weight_update([2.4, 2.6])
    assert "effective counts" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.6, 0.4], [1.0, 3.5], [3.6, 0.4]))  # weighted sums of squares, not divided
    assert "divide them by N_k" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.6, 0.4], [1.0, 3.5], [2.57, 0.667]))  # divided by N_k - 1
    out = capsys.readouterr().out
    assert "not N_k - 1" in out and "1.5" not in out
    ex.check_m_step_by_hand(([0.5, 0.5], [1.0, 3.5], [1.5, 0.25]))  # equal weights 1/K
    assert "not 1/K" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.6, 0.4], [1.0, 3.5], [1.2247, 0.5]))  # standard deviations
    assert "standard deviations" in capsys.readouterr().out
    ex.check_weight_update([0.5, 0.5])  # 1/K
    assert "not 1/K" in capsys.readouterr().out
    ex.check_m_step_by_hand(([0.6, 0.4], [1.0, 3.5], [0.5, 0.5]))
    assert "around the new mean" in capsys.readouterr().out
    ex.check_m_step_by_hand([0.6, 0.4, 1.0, 3.5, 1.5, 0.25])  # a flat list of the six numbers
    assert "tuple of three tensors" in capsys.readouterr().out
    ex.check_m_step_by_hand(([2.4, 1.6], [1.0, 3.5], [1.5, 0.25]))  # N_k, not N_k / N
    out = capsys.readouterr().out
    assert ": not yet." in out and "effective counts" in out and "0.6" not in out


def test_m_step_exercise_numbers_by_hand():
    """Solution 6.2's arithmetic, by hand, against m_step (an oracle written elsewhere)."""
    from gmm_helpers import m_step

    x, r = [0.0, 1.0, 3.0, 4.0], [1.0, 1.0, 0.2, 0.2]
    n0 = sum(r)
    mean0 = sum(ri * xi for ri, xi in zip(r, x)) / n0
    var0 = sum(ri * (xi - mean0) ** 2 for ri, xi in zip(r, x)) / n0
    assert (round(n0, 10), round(mean0, 10), round(var0, 10)) == (2.4, 1.0, 1.5)
    fit = m_step(ex.EXERCISE_POINTS, ex.EXERCISE_POINTS_RESP, reg_covar=0.0)
    torch.testing.assert_close(fit.weights, torch.tensor([0.6, 0.4], dtype=torch.float64))
    torch.testing.assert_close(fit.means[:, 0], torch.tensor([1.0, 3.5], dtype=torch.float64))
    torch.testing.assert_close(fit.variances[:, 0], torch.tensor([1.5, 0.25], dtype=torch.float64))


def test_misassigned_hints_at_label_switching(capsys):
    ex.check_misassigned(599)
    assert "order" in capsys.readouterr().out
    ex.check_misassigned(torch.tensor([2]))
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_misassigned(5)
    out = capsys.readouterr().out
    assert ": not yet." in out and " 2 " not in out


def test_misassigned_reference_fit_uses_the_notebooks_dtype(capsys):
    """7.1's reference fit runs in float64 as the notebook's X64 (or in the dtype asked for), and the check
    still rejects the likely mistakes: the unmatched count, and the true parameters' count."""
    X, _, truth, fit = ex._poor_start_fit()
    assert X.dtype == truth.means.dtype == fit.params.means.dtype == torch.float64
    assert ex._poor_start_fit(torch.float32)[3].params.means.dtype == torch.float32
    for dtype in (torch.float64, torch.float32):
        ex.check_misassigned(misassigned_by_hand(), dtype=dtype)
        assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_misassigned(1)  # what the true parameters misassign
    out = capsys.readouterr().out
    assert ": not yet." in out and "true parameters" in out
    ex.check_misassigned(599, dtype=torch.float32)  # components not matched to the truth
    out = capsys.readouterr().out
    assert ": not yet." in out and "order" in out


def test_best_of_restarts_accepts_a_tighter_tol_and_names_the_min_mistake(capsys):
    from gmm_helpers import fit_em

    def tight(X, K, n):
        fits = [fit_em(X, K, tol=1e-9, max_iter=1000, generator=torch.Generator().manual_seed(s)) for s in range(n)]
        return max(fits, key=lambda f: f.log_likelihoods[-1].item())

    ex.check_best_of_restarts(tight)
    assert capsys.readouterr().out.endswith(": correct.\n")


def _fits(X, K, n, **kwargs):
    from gmm_helpers import fit_em

    return [fit_em(X, K, generator=torch.Generator().manual_seed(s), **kwargs) for s in range(n)]


def _random_fits(X, K, n):
    from gmm_helpers import fit_em, init_random_points

    return [fit_em(X, init_random_points(X, K, generator=torch.Generator().manual_seed(s)), max_iter=1000) for s in range(n)]


def _shared_generator_fits(X, K, n):
    from gmm_helpers import fit_em

    g = torch.Generator().manual_seed(0)
    return [fit_em(X, K, max_iter=1000, generator=g) for _ in range(n)]


@pytest.mark.parametrize("wrong, says", [
    (lambda X, K, n: min(_fits(X, K, n), key=lambda f: f.log_likelihoods[-1].item()), "lowest final log-likelihood"),
    (lambda X, K, n: max(_fits(X, K, n), key=lambda f: f.log_likelihoods[-1].item()).params, "EMResult itself"),
    (lambda X, K, n: _fits(X, K, n, max_iter=1000)[-1], "last seed's"),  # the last fit: at K = 3 also the worst
    (lambda X, K, n: _fits(X, K, n)[-1], "last seed's"),  # ... with the default max_iter
    (lambda X, K, n: _fits(X, K, 1, max_iter=1000)[0], "seed 0's fit"),  # n_starts ignored
    (lambda X, K, n: max(_fits(X, K, n, max_iter=1000), key=lambda f: f.log_likelihoods[0].item()), "best start"),  # ranked by the start
    (lambda X, K, n: max(_fits(X, K, n, max_iter=3, tol=0), key=lambda f: f.log_likelihoods[-1].item()), "not the best"),  # stopped early
    (lambda X, K, n: max(_fits(X, K, n - 1, max_iter=1000), key=lambda f: f.log_likelihoods[-1].item()), "n_starts-2"),  # range(n - 1)
    (lambda X, K, n: max(_fits(X, K, n, max_iter=1000), key=lambda f: f.log_likelihoods.mean().item()), "average"),  # ranked by the mean
    (lambda X, K, n: max(_random_fits(X, K, n), key=lambda f: f.log_likelihoods[-1].item()), "init_random_points"),  # random starts
    (lambda X, K, n: max(_shared_generator_fits(X, K, n), key=lambda f: f.log_likelihoods[-1].item()), "one generator shared"),
    (lambda X, K, n: max(_fits(X, K, n), key=lambda f: f.log_likelihoods[-1].item()), "max_iter=1000"),  # the default max_iter
])
def test_best_of_restarts_rejects_each_likely_wrong_answer(wrong, says, capsys):
    ex.check_best_of_restarts(wrong)
    out = capsys.readouterr().out
    assert ": not yet." in out and says in out


def test_misassigned_names_a_string_or_a_float_for_what_it_is(capsys):
    ex.check_misassigned("2")
    out = capsys.readouterr().out
    assert ": not yet." in out and "got str" in out
    ex.check_misassigned(2.0)  # a whole number as a float is the count
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_misassigned(2.5)
    out = capsys.readouterr().out
    assert ": not yet." in out and "whole number" in out


def test_misassigned_names_the_true_parameters_count(capsys):
    ex.check_misassigned(1)  # what the true parameters misassign; the fit misassigns 2
    out = capsys.readouterr().out
    assert ": not yet." in out and "true parameters" in out


def test_starts_needed_says_round_up_for_the_unrounded_answer(capsys):
    import math

    ex.check_starts_needed(math.log(0.01) / math.log(0.29), p=0.71)  # 3.72
    out = capsys.readouterr().out
    assert ": not yet." in out and "round up" in out
    ex.check_starts_needed(3.72, p=0.71)
    assert "round up" in capsys.readouterr().out


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


def test_08_hints_never_print_the_solution(capsys):
    ex.check_bic_by_hand(1.0)
    ex.check_parameter_count(1)
    ex.check_dead_weight(1.0)
    out = capsys.readouterr().out
    assert "8383" not in out and "8384" not in out and "43" not in out and "1.19e-09" not in out and "1.2e-09" not in out


def test_08_dead_weight_accepts_three_digits_worked_by_hand(capsys):
    ex.check_dead_weight(1.19e-9)  # 10 x 1.19e-7 / 1000, float32's epsilon to three digits
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_dead_weight(1.2e-9)  # two significant figures
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_dead_weight(1.3e-9)  # wrong in the second figure
    assert ": not yet." in capsys.readouterr().out
    ex.check_dead_weight(1.0e-9)  # a wrong epsilon
    assert ": not yet." in capsys.readouterr().out


def test_08_parameter_count_names_the_extra_weight(capsys):
    ex.check_parameter_count(2 * 4 * 5 + 4)  # all K weights counted as free
    out = capsys.readouterr().out
    assert ": not yet." in out and "the last is fixed" in out


def test_08_bic_check_names_the_aic_mistake(capsys):
    ex.check_bic_by_hand(2 * 4100.0 + 2 * 27)
    assert "AIC" in capsys.readouterr().out


def test_the_merged_component_accepts_the_rounded_hand_answer_and_one_element_tensors(capsys):
    ex.check_merged_component((2.6, 1.04))
    ex.check_merged_component((torch.tensor([2.6]), torch.tensor([1.04])))
    ex.check_merged_component((2.6, 1.04 * (1 + 5e-4)))  # within rtol 1e-3
    assert capsys.readouterr().out.count(": correct.") == 3
    ex.check_merged_component((2.6, 1.04, 0.0))  # three numbers: not a pair
    ex.check_merged_component((2.6, 39 / 5))  # the mistake of forgetting to subtract the squared mean
    assert capsys.readouterr().out.count(": not yet.") == 2


def test_08_collapsed_component_check(capsys):
    fit = ex.EXERCISE_8_4_FIT
    points = fit.weights * ex.EXERCISE_8_4_N
    # independent of the check: the one component with about one point and every variance at reg_covar
    by_hand = [k for k in range(4) if abs(points[k] - 1) < 0.5 and bool((fit.variances[k] == 1e-6).all())]
    assert by_hand == [1]
    ex.check_collapsed_component(1)
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_collapsed_component(torch.tensor([1]))  # a (1,)-shaped tensor
    assert capsys.readouterr().out.endswith(": correct.\n")
    ex.check_collapsed_component(3)  # the small real cluster: 15 points, variances 0.05 and 0.04
    out = capsys.readouterr().out
    assert ": not yet." in out and "small cluster" in out and "component 1" not in out
    ex.check_collapsed_component(0)
    assert ": not yet." in capsys.readouterr().out
    ex.check_collapsed_component(None)
    assert ": no answer yet;" in capsys.readouterr().out


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


def test_02_03_hints_for_a_wrong_sum_a_positional_generator_one_log_2pi_and_float64(capsys):
    ex.check_d2_probabilities(torch.tensor([0.0, 1.0, 4.0, 100.0]) / 104)  # the arithmetic slip: 0 + 1 + 4 + 100 = 104
    out = capsys.readouterr().out
    assert ": not yet." in out and "check the sum you divided by" in out and "105" not in out
    ex.check_d2_probabilities([0, 0.0095, 0.038, 0.95])  # two significant figures: a rounding, not a wrong sum
    out = capsys.readouterr().out
    assert "three significant figures" in out and "sum you divided by" not in out
    ex.check_d2_probabilities(torch.tensor([1.0, 1.0, 4.0, 100.0]) / 106)  # the chosen point given d^2 = 1
    out = capsys.readouterr().out
    assert ": not yet." in out and "already the first picked point" in out and "rounded" not in out

    def positional(X, K, generator):
        start = init_random_points(X, K, generator)  # generator taken as the variance
        return GMMParams(start.weights, start.means, X.var(dim=0, unbiased=False).expand(K, -1).clone())

    ex.check_data_variance_init(positional)
    out = capsys.readouterr().out
    assert ": not yet." in out and "generator=generator" in out and out.count("Exercise 2.2") == 1
    one_log_2pi = -0.5 * (math.log(2 * math.pi) + math.log(1.8) + math.log(0.8) + 2.5**2 / 1.8)  # -2.837: D = 1
    ex.check_log_density_by_hand(round(one_log_2pi, 3))
    out = capsys.readouterr().out
    assert ": not yet." in out and "one log(2 pi) per dimension" in out and "-3.75" not in out
    f = 1 / math.sqrt(2 * math.pi * 0.01)
    assert math.ceil(math.log(torch.finfo(torch.float64).max) / math.log(f)) == 513  # where float64 overflows
    ex.check_overflow_dimension(513)
    out = capsys.readouterr().out
    assert ": not yet." in out and "float64" in out and "65" not in out
    for check, coarse in [(ex.check_log_density_by_hand, -3.8), (ex.check_diagonal_cost_by_hand, 0.14)]:
        check(coarse)
        assert "rounded too coarsely: give three significant figures" in capsys.readouterr().out


def test_one_rule_for_answers_worked_by_hand():
    """Three significant figures means within half a unit in the third figure: every correctly rounded answer
    passes, one a unit off there does not, whatever the leading digit."""
    for exact in (0.3486, -3.7558, 0.1644, 0.9524, 12.247, 1.8e-4, 2.5e9):
        rounded = float(f"{exact:.3g}")
        step = 10 ** (math.floor(math.log10(abs(exact))) - 2)  # a unit in the third significant figure
        assert ex._hand_close(rounded, exact) and ex._hand_close(exact, exact), exact
        assert not ex._hand_close(rounded + step, exact) and not ex._hand_close(rounded - step, exact), exact
    assert ex._hand_vector([0.0, 0.00952, 0.0381, 0.952], torch.tensor([0.0, 1.0, 4.0, 100.0]) / 105)
    assert not ex._hand_vector([0.0, 0.00952, 0.0381, 0.953], torch.tensor([0.0, 1.0, 4.0, 100.0]) / 105)


def _responsibilities_from(joint):
    return [round(float(r), 3) for r in joint / joint.sum()]


def test_00_hints_name_the_dropped_normaliser_the_missing_half_and_the_order(capsys):
    truth = toy_params(torch.float64)
    x = torch.tensor([0.0, -1.5], dtype=torch.float64)
    sq = ((x - truth.means) ** 2 / truth.variances).sum(dim=1)
    dropped = _responsibilities_from(truth.weights * torch.exp(-sq / 2))  # 1/sqrt(2 pi sigma^2) assumed to cancel
    assert dropped[0] == 0.727 and dropped[2] == 0.273  # the reader's hand answer
    ex.check_responsibilities_at_point(dropped)
    out = capsys.readouterr().out
    assert ": not yet." in out and "normalising factors" in out and "0.568" not in out
    no_half = _responsibilities_from(truth.weights * torch.exp(-sq) / truth.variances.prod(dim=1).sqrt())
    assert no_half[0] == 0.636
    ex.check_responsibilities_at_point(no_half)
    assert "factor 1/2 is missing" in capsys.readouterr().out
    ex.check_responsibilities_at_point(list(reversed(responsibilities_by_hand().tolist())))
    assert "reverse order" in capsys.readouterr().out
    ex.check_responsibilities_at_point([0.568, 0.432, 0.000])  # components 1 and 2 swapped
    out = capsys.readouterr().out
    assert ": not yet." in out and "two are swapped" in out and "0.568, 0.000" not in out
    no_root = _responsibilities_from(truth.weights * torch.exp(-sq / 2) / truth.variances.prod(dim=1))  # |Sigma| typed
    assert no_root[0] == 0.393 and no_root[2] == 0.607  # the reader's hand answer
    ex.check_responsibilities_at_point(no_root)
    out = capsys.readouterr().out
    assert "where its square root belongs" in out and "|Sigma|" not in out and "0.568" not in out


def test_01_count_spread_mistakes_rounded_by_hand_get_their_own_hint(capsys):
    ex.check_count_spread(12.2)  # sqrt(150) = 12.247 rounded by hand: forgot the 1 - pi
    assert "variance pi (1 - pi), not pi" in capsys.readouterr().out
    ex.check_count_spread(113)  # the variance, rounded
    assert "variance of the count" in capsys.readouterr().out
    ex.check_count_spread(10.5)  # not a rounding of 10.607: an arithmetic slip
    out = capsys.readouterr().out
    assert ": not yet." in out and "not a rounding" in out and "rounded too coarsely" not in out and "10.6" not in out
    ex.check_count_spread(10.6)
    assert ": correct." in capsys.readouterr().out


def test_01_ml_variance_accepts_divide_by_n_and_names_the_likely_mistakes(capsys):
    for answer in (14 / 3, 4.67, torch.tensor([4.667])):
        ex.check_ml_variance(answer)
        assert ": correct." in capsys.readouterr().out
    for mistake, hint in [(7.0, "divides by N_k - 1"), (2.16, "standard deviation"), (math.sqrt(7), "standard deviation"),
                          (14.0, "sum of squared distances"), (4.7, "rounded too coarsely"), (3.0, "average of the squared")]:
        ex.check_ml_variance(mistake)
        out = capsys.readouterr().out
        assert ": not yet." in out and hint in out and "4.67" not in out
    ex.check_ml_variance(None)
    assert "no answer yet" in capsys.readouterr().out


def test_01_component_pick_accepts_the_index_and_names_the_likely_mistakes(capsys):
    for answer in (2, 2.0, torch.tensor(2), torch.tensor([2])):
        ex.check_component_pick(answer)
        assert ": correct." in capsys.readouterr().out
    ex.check_component_pick(3)  # both likely routes to 3 are named: counting from 1, comparing v with the raw weights
    out = capsys.readouterr().out
    assert ": not yet." in out and "counted from 0" in out and "the weights themselves" in out and "running sums" in out
    ex.check_component_pick(1)  # both likely routes to 1 are named: the largest weight, the last sum <= v
    out = capsys.readouterr().out
    assert ": not yet." in out and "largest weight" in out and "last cumulative sum <= v" in out
    for mistake, hint in [(1, "largest weight"), (3, "counted from 0"), (4, "not with the weights"),
                          (0, "cumulative sums"), ((3, 2), "one number"), (1.5, "whole number")]:
        ex.check_component_pick(mistake)
        out = capsys.readouterr().out
        assert ": not yet." in out and hint in out and "is 2" not in out, (mistake, out)
    ex.check_component_pick(None)
    assert "no answer yet" in capsys.readouterr().out


def test_01_density_without_weights_gets_its_own_hint(capsys):
    w, m, v = ex.EXERCISE_1D

    def unweighted(x):
        return sum(torch.exp(-((x - m[k, 0]) ** 2) / (2 * v[k, 0])) / torch.sqrt(2 * math.pi * v[k, 0]) for k in range(2))

    ex.check_1d_mixture_pdf(unweighted)
    assert "multiplied by its weight" in capsys.readouterr().out


def test_exercise_3_1_names_an_unhalved_squared_distance_and_swapped_variances(capsys):
    quadratic = 2.5**2 / 1.8
    constant = 2 * math.log(2 * math.pi) + math.log(1.8) + math.log(0.8)
    ex.check_log_density_by_hand(-0.5 * constant - quadratic)  # -1/2 forgotten on the squared distance
    assert "halved too" in capsys.readouterr().out
    ex.check_log_density_by_hand(-0.5 * (constant + 2.5**2 / 0.8))  # 0.8 used along x_0
    assert "swapped" in capsys.readouterr().out


def test_exercise_6_2_names_a_reversed_answer_and_variances_divided_by_n(capsys):
    ex.check_m_step_by_hand((torch.tensor([0.4, 0.6]), torch.tensor([3.5, 1.0]), torch.tensor([0.25, 1.5])))
    assert "reversed" in capsys.readouterr().out
    ex.check_m_step_by_hand((torch.tensor([0.6, 0.4]), torch.tensor([1.0, 3.5]), torch.tensor([0.9, 0.1])))
    assert "not by N" in capsys.readouterr().out


def test_exercise_1_1_names_a_missing_square_root_of_2_pi_sigma2(capsys):
    w, m, v = ex.EXERCISE_1D
    ex.check_1d_mixture_pdf(lambda x: (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v)) / (2 * math.pi * v)).sum(dim=0))
    out = capsys.readouterr().out
    assert ": not yet." in out and "the square root is missing" in out


def test_exercise_1_1_names_a_rounded_pi(capsys):
    w, m, v = ex.EXERCISE_1D

    def pdf_314(x):  # the right formula with pi typed as 3.14
        return sum(w[k] * torch.exp(-((x - m[k, 0]) ** 2) / (2 * v[k, 0])) / torch.sqrt(2 * 3.14 * v[k, 0]) for k in range(2))

    ex.check_1d_mixture_pdf(pdf_314)
    out = capsys.readouterr().out
    assert ": not yet." in out and "rounded constant" in out and "torch.pi" in out


def test_exercise_1_1_names_a_standard_deviation_typed_as_0_707(capsys):
    w, m, v = ex.EXERCISE_1D
    sd = [0.707, 1.0]  # the right formula with sqrt(0.5) typed by hand: up to 0.07% off near x = -3

    def pdf_0707(x):
        return sum(w[k] * torch.exp(-((x - m[k, 0]) ** 2) / (2 * sd[k] ** 2)) / (math.sqrt(2 * math.pi) * sd[k]) for k in range(2))

    ex.check_1d_mixture_pdf(pdf_0707)
    out = capsys.readouterr().out
    assert ": not yet." in out and "rounded constant" in out and "0.707" in out


def test_exercise_2_2_rejects_variances_repeated_d_times_not_k_times(capsys):
    def d_by_d(X, K, generator):  # the likely K/D mix-up: passes only when K happens to equal D
        start = init_random_points(X, K, generator=generator)
        D = X.shape[1]
        return GMMParams(start.weights, start.means, X.var(dim=0, unbiased=False).expand(D, D))

    ex.check_data_variance_init(d_by_d)
    out = capsys.readouterr().out
    assert ": not yet." in out and "not D times" in out and "(3, 2)" in out


def test_hints_for_a_row_of_variances_and_for_one_maximum_for_the_whole_table(capsys):
    def one_row(X, K, generator):  # the data variance of each dimension, shape (D,), not one row per component
        start = init_random_points(X, K, generator=generator)
        return GMMParams(start.weights, start.means, X.var(dim=0, unbiased=False))

    ex.check_data_variance_init(one_row)
    out = capsys.readouterr().out
    assert ": not yet." in out and "shape (D,)" in out and "(K, D)" in out

    def global_max(log_pdfs, weights):  # log-sum-exp with one maximum for the whole (N, K) table
        a = log_pdfs + weights.log()
        m = a.max()
        return (m + (a - m).exp().sum(dim=1).log()).sum()

    ex.check_log_likelihood_from_log_pdfs(global_max)
    out = capsys.readouterr().out
    assert ": not yet." in out and "each point's own" in out


@pytest.mark.parametrize("check, answer, says", [
    (ex.check_log_density_by_hand, -3.7, "only two significant figures"),  # -3.7563 cut to two figures
    (ex.check_ml_variance, 4.66, "cut off"),  # 14 / 3 truncated
    (ex.check_log_density_by_hand, -3.75, "cut off"),  # -3.7563 truncated toward 0
    (ex.check_diagonal_cost_by_hand, 0.143, "cut off"),  # 0.1438 truncated
    (ex.check_log_density_by_hand, -3.8, "rounded too coarsely"),
    (ex.check_diagonal_cost_by_hand, 0.145, "third significant figure is off"),
    (ex.check_count_spread, 11, "rounded too coarsely"),
])
def test_badly_rounded_answers_are_told_how_not_that_they_are_wrong(check, answer, says, capsys):
    check(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and says in out


def test_vector_answers_a_unit_off_are_told_to_round_each_value(capsys):
    ex.check_responsibilities_at_point([0.569, 0.000, 0.431])  # 0.00142 and 0.00136 off: beyond +-0.001
    out = capsys.readouterr().out
    assert ": not yet." in out and "round each to the nearest" in out and "within 0.001" in out
    ex.check_responsibilities_at_point([0.566, 0.000, 0.433])  # one value 0.00158 off: rounded early
    out = capsys.readouterr().out
    assert ": not yet." in out and "every intermediate step" in out
    ex.check_d2_probabilities(torch.tensor([0.0, 0.0095, 0.038, 0.95], dtype=torch.float32))  # two figures, float32
    out = capsys.readouterr().out
    assert "three significant figures" in out and "sum you divided by" not in out
    ex.check_d2_probabilities([0.0, 0.00953, 0.0381, 0.952])  # a unit off in the third figure of one value
    out = capsys.readouterr().out
    assert "round each to the nearest" in out and "rounded too coarsely" not in out


def test_a_wrong_number_of_shape_answers_says_so(capsys):
    ex.check_broadcast_shapes([(5, 4, 3), (3, 6, 2), (6, 2), (7, 4), "error", (1,)])
    out = capsys.readouterr().out
    assert ": not yet." in out and "Give 5 answers" in out and "[]" not in out


def test_log_likelihood_from_log_pdfs_accepts_a_float32_computation(capsys):
    def in_float32(log_pdfs, weights):
        return torch.logsumexp(log_pdfs.float() + weights.float().log(), dim=1).sum()

    ex.check_log_likelihood_from_log_pdfs(in_float32)
    assert capsys.readouterr().out.endswith(": correct.\n")

    def no_weights_in_float32(log_pdfs, weights):
        return torch.logsumexp(log_pdfs.float(), dim=1).sum()

    ex.check_log_likelihood_from_log_pdfs(no_weights_in_float32)
    assert ": not yet." in capsys.readouterr().out


def test_diag_log_density_check_names_each_mistake_accepts_a_loop_and_refuses_the_oracle(capsys):
    import sys

    import scipy.stats

    from torch.distributions import Independent, MultivariateNormal, Normal
    from torch.distributions import Normal as Alias

    from gmm_helpers import component_log_pdfs

    cases = ex.exercise_3_4_cases()
    assert [len(x) for x, _, _ in cases] == [2, 5, 600, 600, 2] and cases[3][0].dtype == cases[4][0].dtype == torch.float32
    x, mean, variances = cases[4]  # 40 sigma out in x_0: that factor is 0 in float32 and in float64
    assert math.isclose(((x[0] - mean[0]) / variances[0].sqrt()).item(), 40.0, rel_tol=1e-6)
    for dtype in (torch.float32, torch.float64):
        x_, m_, v_ = x.to(dtype), mean.to(dtype), variances.to(dtype)
        assert (torch.exp(-(x_ - m_) ** 2 / (2 * v_)) / torch.sqrt(2 * math.pi * v_))[0] == 0
    from decimal import Decimal  # the factor, e^-800 / 1.25 = 3e-348, below float64's smallest number 4.9e-324
    assert f"{Decimal(-800).exp() / Decimal(2 * math.pi * 0.25).sqrt():.0e}" == "3e-348" and math.exp(-800) == 0
    assert cases[3][2].prod() == 0 and cases[3][2].double().prod() == 0  # the variances' product underflows
    x, mean, variances = cases[2]
    assert log_of_density(x, mean, variances) == -math.inf  # the density itself underflows
    assert cases[1][2].min() == 1e-3 and cases[1][2].max() == 1e3  # variances far from 1

    def loop(x, mean, variances):  # Python floats: a product of the densities would give math.log(0), a ValueError
        return sum(-0.5 * math.log(2 * math.pi * v) - (a - m) ** 2 / (2 * v) for a, m, v in zip(x.tolist(), mean.tolist(), variances.tolist()))

    def loop_of_density(x, mean, variances):
        return math.log(math.prod(math.exp(-(a - m) ** 2 / (2 * v)) / math.sqrt(2 * math.pi * v)
                                  for a, m, v in zip(x.tolist(), mean.tolist(), variances.tolist())))

    for right in (loop, solution_diag_log_density):
        ex.check_diag_log_density(right)
        assert capsys.readouterr().out.endswith(": correct.\n")
    ready_made = [  # right numbers, but computed by the oracle: refused, by name, whatever it is called here
        (lambda x, m, v: Independent(Normal(m, v.sqrt()), 1).log_prob(x), "calls torch.distributions,"),
        (lambda x, m, v: Alias(m, v.sqrt()).log_prob(x).sum(), "calls torch.distributions,"),
        (lambda x, m, v: MultivariateNormal(m, torch.diag(v)).log_prob(x), "calls torch.distributions,"),
        (lambda x, m, v: Normal(m, v).log_prob(x).sum(), "calls torch.distributions,"),  # and wrong: sigma for sigma^2
        (lambda x, m, v: diag_gaussian_log_pdf(x[None], m, v)[0], "calls diag_gaussian_log_pdf,"),
        (lambda x, m, v: component_log_pdfs(x[None], GMMParams(torch.ones(1, dtype=x.dtype), m[None], v[None]))[0, 0],
         "calls component_log_pdfs,"),
        (lambda x, m, v: float(scipy.stats.norm.logpdf(x.numpy(), m.numpy(), v.sqrt().numpy()).sum()), "calls scipy.stats,"),
        (lambda x, m, v: float(scipy.stats.multivariate_normal(m.numpy(), v.numpy()).logpdf(x.numpy())), "calls scipy.stats,"),
    ]
    for oracle, hint in ready_made:
        ex.check_diag_log_density(oracle)
        out = capsys.readouterr().out
        assert ": not yet." in out and hint in out and "Write the boxed formula yourself" in out, out
        assert sys.getprofile() is None  # the watch is removed after the check
    mistakes = [
        (log_of_density, "never compute the density"),
        (log_of_product_of_variances, "variances.log().sum()"),
        (lambda x, m, v: log_of_product_of_variances(x.double(), m.double(), v.double()), "variances.log().sum()"),
        (loop_of_density, "never compute the density"),
        (lambda x, m, v: solution_diag_log_density(x, m, v) - 0.5 * len(x) * math.log(2 * math.pi), "the 1/2 multiplies log(2 pi)"),
        (lambda x, m, v: solution_diag_log_density(x, m, v) - 0.5 * v.log().sum(), "applies to log sigma^2_d"),
        (lambda x, m, v: solution_diag_log_density(x, m, v.sqrt()), "not standard deviations"),
        (lambda x, m, v: -0.5 * (math.log(2 * math.pi) + v.log() + (x - m) ** 2 / v), "add them up over d"),
        (lambda x, m, v: torch.log(torch.exp(-(x - m) ** 2 / (2 * v)) / torch.sqrt(2 * math.pi * v)).sum(),
         "even in float64"),  # exp per coordinate, then log: -inf on the far point
        (lambda x, m, v: (lambda x, m, v: torch.log(torch.exp(-(x - m) ** 2 / (2 * v)) / torch.sqrt(2 * math.pi * v)).sum())(
            x.double(), m.double(), v.double()), "even in float64"),  # the same in float64: -inf too
        (lambda x, m, v: sum(math.log(math.exp(-(a - b) ** 2 / (2 * c)) / math.sqrt(2 * math.pi * c))
                             for a, b, c in zip(x.tolist(), m.tolist(), v.tolist())), "even in float64"),  # math.log(0) fails
    ]
    for mistake, hint in mistakes:
        ex.check_diag_log_density(mistake)
        out = capsys.readouterr().out
        assert ": not yet." in out and hint in out, out


def test_log_density_by_hand_names_a_dropped_half(capsys):
    ex.check_log_density_by_hand(-7.51)  # twice -3.7563: the -1/2 in front forgotten
    out = capsys.readouterr().out
    assert ": not yet." in out and "-1/2" in out


def test_log_likelihood_check_names_forgotten_weights_and_an_n_by_n_broadcast(capsys):
    def no_weights(log_pdfs, weights):
        return torch.logsumexp(log_pdfs, dim=1).sum()

    def n_by_n(log_pdfs, weights):  # (N, 1) maximum + (N,) sum broadcasts to (N, N)
        a = log_pdfs + weights.log()
        m = a.max(dim=1, keepdim=True).values
        return m + (a - m).exp().sum(dim=1).log()

    ex.check_log_likelihood_from_log_pdfs(no_weights)
    out = capsys.readouterr().out
    assert ": not yet." in out and "left out the weights" in out
    ex.check_log_likelihood_from_log_pdfs(n_by_n)
    out = capsys.readouterr().out
    assert ": not yet." in out and "N x N" in out and "keepdim" in out


def test_broadcast_shapes_check_says_none_is_not_error(capsys):
    answer = [ex._broadcast_result(e) for e in ex.BROADCAST_EXPRESSIONS]
    answer = [None if a == "error" else a for a in answer]
    assert None in answer
    ex.check_broadcast_shapes(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and '"error"' in out and "got 0" not in out


def test_spherical_check_names_a_single_log_variance_and_a_missing_half(capsys):
    def no_half(X, means, variances):
        return 2 * solution_spherical(X, means, variances)

    ex.check_spherical_log_pdfs(mistake_spherical)
    out = capsys.readouterr().out
    assert ": not yet." in out and "D log variances[k], not one" in out
    ex.check_spherical_log_pdfs(no_half)
    out = capsys.readouterr().out
    assert ": not yet." in out and "-1/2" in out
    ex.check_spherical_log_pdfs(lambda X, m, v: -2 * solution_spherical(X, m, v))  # the -1/2 left out entirely
    out = capsys.readouterr().out
    assert ": not yet." in out and "-2 times the answer" in out and "-1/2" in out


def test_spherical_check_refuses_the_ready_made_log_densities(capsys):
    import sys

    from torch.distributions import Independent, Normal

    def per_component(X, means, variances):  # right numbers, but 03's helper does the work
        return torch.stack([diag_gaussian_log_pdf(X, means[k], variances[k].expand(X.shape[1])) for k in range(len(means))], dim=1)

    def oracle(X, means, variances):
        return Independent(Normal(means, variances.sqrt()[:, None].expand_as(means)), 1).log_prob(X[:, None, :])

    for ready_made, name in ((per_component, "diag_gaussian_log_pdf"), (oracle, "torch.distributions")):
        ex.check_spherical_log_pdfs(ready_made)
        out = capsys.readouterr().out
        assert ": not yet." in out and f"calls {name}," in out and "broadcasting" in out, out
        assert sys.getprofile() is None  # the watch is removed after the check
    ex.check_spherical_log_pdfs(solution_spherical)
    assert capsys.readouterr().out.endswith(": correct.\n")


def test_log_density_check_names_a_dropped_log_variance_and_log10(capsys):
    variances, z2 = [1.8, 0.8], 2.5**2 / 1.8
    no_log_var = -0.5 * (2 * math.log(2 * math.pi) + z2)
    with_log10 = -0.5 * (2 * math.log10(2 * math.pi) + sum(math.log10(v) for v in variances) + z2)
    ex.check_log_density_by_hand(no_log_var)
    assert "log sigma^2_d term" in capsys.readouterr().out
    ex.check_log_density_by_hand(with_log10)
    assert "not log10" in capsys.readouterr().out
    ex.check_log_density_by_hand(log_density_by_hand())
    assert capsys.readouterr().out.endswith(": correct.\n")


def test_d2_check_says_when_a_probability_was_cut_off_not_rounded(capsys):
    ex.check_d2_probabilities([0.0, 0.00952, 0.0380, 0.952])  # 0.038095... cut after three figures
    out = capsys.readouterr().out
    assert ": not yet." in out and "cut off" in out


def test_d2_check_prefers_too_few_figures_when_a_value_is_only_explained_by_them(capsys):
    ex.check_d2_probabilities([0, 0.0095, 0.038, 0.952])  # 0.038 could be a cut-off 0.0380, but 0.0095 has two figures
    out = capsys.readouterr().out
    assert ": not yet." in out and "one or two significant figures" in out and "cut off" not in out


def test_d2_check_says_when_one_small_probability_has_two_figures(capsys):
    ex.check_d2_probabilities([0.0, 0.0095, 0.0381, 0.952])
    out = capsys.readouterr().out
    assert ": not yet." in out and "one or two significant figures" in out and "cut" not in out
    ex.check_d2_probabilities([0.0, 0.00952, 0.0381, 0.952])
    assert capsys.readouterr().out.endswith(": correct.\n")


def test_00_checks_name_hard_labels_and_the_determinant_without_its_root(capsys):
    ex.check_responsibilities_at_point([1, 0, 0])
    out = capsys.readouterr().out
    assert ": not yet." in out and "hard labels" in out


@pytest.mark.parametrize("answer, says", [
    (0.396, "pi_0 = 0.75 - pi_2"),  # pi_0 = 1 - pi_2: component 1's 0.25 forgotten
    (0.453, "That is pi_0 at the tie"),  # 0.75 - 0.297
    (0.656, "the ratio pi_2 / pi_0"),  # N_0 / N_2
    (0.375, "already wins there"),  # equal weights for components 0 and 2
    (0.428, "normalising factors"),  # 1 / (2 pi sigma_k0 sigma_k1) dropped
    (0.183, "where its square root belongs"),  # |Sigma| for sqrt(|Sigma|)
    (0.3, "rounded too coarsely"),
    (0.298, "further off than rounding"),  # from Exercise 0.1's three-decimal responsibilities: 0.2975
])
def test_00_weight_to_win_point_hints_name_the_mistake_not_the_answer(answer, says, capsys):
    ex.check_weight_to_win_point(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and says in out and "0.297" not in out
    ex.check_weight_to_win_point(torch.tensor([0.2972]))  # a one-element tensor, more figures
    assert capsys.readouterr().out.endswith(": correct.\n")


def test_best_of_restarts_check_names_a_tol_too_large(capsys):
    from gmm_helpers import fit_em

    def loose(X, K, n_starts):
        fits = [fit_em(X, K, tol=1e-3, max_iter=1000, generator=torch.Generator().manual_seed(s)) for s in range(n_starts)]
        return max(fits, key=lambda f: float(f.log_likelihoods[-1]))

    ex.check_best_of_restarts(loose)
    out = capsys.readouterr().out
    assert ": not yet." in out and "tol" in out and "use max_iter=1000 and" not in out


def test_m_step_checks_name_hard_labels_means_over_n_and_reversed_weights(capsys):
    ex.check_m_step_by_hand(([0.5, 0.5], [0.5, 3.5], [0.25, 0.25]))  # argmax labels, not shares
    out = capsys.readouterr().out
    assert ": not yet." in out and "hard labels" in out and "1/K" not in out
    nk, n = 2.4, 4
    ex.check_m_step_by_hand(([0.6, 0.4], [1.0 * nk / n, 3.5 * 1.6 / n], [1.5, 0.25]))  # weighted sums over N
    out = capsys.readouterr().out
    assert ": not yet." in out and "not by N" in out
    ex.check_weight_update([0.48, 0.52][::-1])
    out = capsys.readouterr().out
    assert ": not yet." in out and "reversed" in out


def test_exercise_6_3_bound_by_hand_and_its_hints(capsys):
    """Exercise 6.3 by hand (06's one-point example at means (0, 2), r from means (0, 3)), and the check's hints."""
    def p(means):  # p_k = 0.5 N(1 | mu_k, 1)
        return [0.5 * math.exp(-((1 - m) ** 2) / 2) / math.sqrt(2 * math.pi) for m in means]

    r = [q / sum(p([0.0, 3.0])) for q in p([0.0, 3.0])]
    F = sum(rk * math.log(q / rk) for rk, q in zip(r, p([0.0, 2.0])))
    ell = math.log(sum(p([0.0, 2.0])))
    assert (f"{F:.3f}", f"{ell:.3f}") == ("-1.637", "-1.419") and F <= ell  # the solution's numbers; the bound holds
    ex.check_bound_at_new_theta(torch.tensor([F, ell]))
    ex.check_bound_at_new_theta((-1.64, -1.42))
    assert capsys.readouterr().out.count(": correct.") == 2
    for answer, says in [((-2.112, -1.419), "add the entropy H"), ((-1.419, -1.419), "recomputed r"),
                         ((-0.711, -0.616), "natural log"), ((-1.419, -1.637), "swapped"), ([1.0, 2.0, 3.0], "pair"),
                         ((-1.63, -1.419), "cut off, not rounded"), ((-1.637, -1.4), "rounded too coarsely")]:
        ex.check_bound_at_new_theta(answer)
        out = capsys.readouterr().out
        assert ": not yet." in out and says in out


def test_06_hints_count_components_from_0(capsys):
    """06's hints name components 0 and 1, as the notebook does: log(p_0 + p_1), (w0, w1)."""
    ex.check_bound_at_new_theta((-1.637, -5.0))  # F right, ell wrong
    ex.check_m_step_by_hand(1.0)  # not a tuple of three
    out = capsys.readouterr().out
    assert "log(p_0 + p_1)" in out and "[w0, w1]" in out and "p_2" not in out and "w2" not in out


def test_05_checks_name_a_missing_half_and_an_n_by_n_table_summed(capsys):
    pdf = lambda x, m, v: math.exp(-((x - m) ** 2) / v) / math.sqrt(2 * math.pi * v)  # noqa: E731
    a0, a1 = 0.3 * pdf(0.5, -1.0, 0.5), 0.7 * pdf(0.5, 2.0, 1.0)
    ex.check_two_component_responsibility(a0 / (a0 + a1))
    out = capsys.readouterr().out
    assert ": not yet." in out and "1/2 is missing" in out

    def n_by_n_summed(log_pdfs, weights):
        a = log_pdfs + weights.log()
        m = a.max(dim=1, keepdim=True).values
        return (m + (a - m).exp().sum(dim=1).log()).sum()

    ex.check_log_likelihood_from_log_pdfs(n_by_n_summed)
    out = capsys.readouterr().out
    assert ": not yet." in out and "N times the answer" in out


def test_spherical_check_names_x_minus_means_without_new_axes(capsys):
    def no_new_axes(X, means, variances):
        D = X.shape[1]
        sq = ((X - means) ** 2).sum(dim=-1)
        return -0.5 * (D * math.log(2 * math.pi) + D * variances.log() + sq[:, None] / variances)

    ex.check_spherical_log_pdfs(no_new_axes)
    out = capsys.readouterr().out
    assert ": not yet." in out and "X[:, None, :]" in out and "variances[:, None]" not in out


def test_responsibility_check_names_weights_and_normalisers_both_dropped(capsys):
    truth = toy_params(torch.float64)
    x = torch.tensor(ex.EXERCISE_0_1_POINT, dtype=torch.float64)
    bare = torch.exp(-((x - truth.means) ** 2 / truth.variances).sum(dim=1) / 2)
    answer = [round(float(v), 3) for v in bare / bare.sum()]
    assert abs(answer[0] - 0.571) < 1e-9
    ex.check_responsibilities_at_point(answer)
    out = capsys.readouterr().out
    assert ": not yet." in out and "only by luck" in out and "coarsely" not in out


def test_starts_needed_check_says_a_string_is_a_string(capsys):
    ex.check_starts_needed("4", 0.71)
    out = capsys.readouterr().out
    assert ": not yet." in out and "string" in out


# Exercise 7.4: the EM loop, written the way a student would, and each likely mistake


def em_loop(X, start, max_iter, tol, weights=True, refresh=True, per_point=True, keep_start=True,
            give_resp=False, one_more=False, stop=True, relative=False, one_behind=False):
    from gmm_helpers import log_likelihood, log_responsibilities, m_step

    N = len(X)
    params, log_likelihoods = start, [log_likelihood(X, start)]
    resp = log_responsibilities(X, start).exp()
    for _ in range(max_iter):
        before = params  # the parameters one iteration behind
        if refresh:
            used = params if weights else params._replace(weights=torch.ones_like(params.weights) / len(params.weights))
            resp = log_responsibilities(X, used).exp()
        params = m_step(X, resp)
        log_likelihoods.append(log_likelihood(X, params))
        scale = abs(log_likelihoods[-1]) if relative else (N if per_point else 1)
        if stop and abs(log_likelihoods[-1] - log_likelihoods[-2]) / scale < tol:
            break
    if one_more:
        params = m_step(X, log_responsibilities(X, params).exp())
    if one_behind:
        params = before
    if give_resp:
        return log_responsibilities(X, params).exp(), torch.stack(log_likelihoods)
    return params, (torch.stack(log_likelihoods) if keep_start else torch.stack(log_likelihoods[1:]))


def test_em_loop_check_accepts_the_solution_a_list_and_an_inline_e_step(capsys):
    from gmm_helpers import component_log_pdfs, m_step

    ex.check_em_loop(em_loop)
    assert capsys.readouterr().out == "Exercise 7.4: correct.\n"

    def inline(X, start, max_iter, tol):  # section 1's cell, as a function; log-likelihoods as a list of floats
        current, lls = start, []
        for t in range(max_iter + 1):
            log_joint = component_log_pdfs(X, current) + current.weights.log()
            log_px = torch.logsumexp(log_joint, dim=1)
            lls.append(float(log_px.sum()))
            if t > 0 and abs(lls[-1] - lls[-2]) / len(X) < tol or t == max_iter:
                break
            current = m_step(X, (log_joint - log_px[:, None]).exp())
        return current, lls

    ex.check_em_loop(inline)
    assert capsys.readouterr().out == "Exercise 7.4: correct.\n"

    def by_hand(X, start, max_iter, tol):  # the M-step written out from the list, without fit_em's reg_covar: also EM
        from gmm_helpers import GMMParams, log_likelihood, log_responsibilities

        params, lls = start, [log_likelihood(X, start)]
        for _ in range(max_iter):
            r = log_responsibilities(X, params).exp()
            n_k = r.sum(dim=0)
            means = r.T @ X / n_k[:, None]
            variances = torch.stack([(r[:, k, None] * (X - means[k]) ** 2).sum(dim=0) / n_k[k] for k in range(len(n_k))])
            params = GMMParams(n_k / len(X), means, variances)
            lls.append(log_likelihood(X, params))
            if abs(lls[-1] - lls[-2]) / len(X) < tol:
                break
        return params, torch.stack(lls)

    ex.check_em_loop(by_hand)
    assert capsys.readouterr().out == "Exercise 7.4: correct.\n"
    ex.check_em_loop(lambda *args: (by_hand(*args)[0], by_hand(*args)[1][1:]))  # the same loop's mistakes get their hints
    assert "leave out the start's" in capsys.readouterr().out
    ex.check_em_loop(lambda X, *args: (by_hand(X, *args)[0], by_hand(X, *args)[1] / len(X)))
    assert "per point (a mean)" in capsys.readouterr().out
    ex.check_em_loop(None)
    assert ": no answer yet;" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, says", [
    (dict(weights=False), "without the mixing weights"),
    (dict(refresh=False), "first M-step"),
    (dict(per_point=False), "change per point"),
    (dict(stop=False), "never stopped"),
    (dict(give_resp=True), "(N, K) table"),
    (dict(keep_start=False), "start's"),
    (dict(one_more=True), "one M-step past"),
    (dict(one_behind=True), "one iteration behind"),
    (dict(relative=True), "relative to the log-likelihood"),  # agrees with fit_em at tol 1e-6, not at 1e-3
])
def test_em_loop_check_names_each_likely_mistake(mistake, says, capsys):
    ex.check_em_loop(lambda X, start, max_iter, tol: em_loop(X, start, max_iter, tol, **mistake))
    out = capsys.readouterr().out
    assert out.startswith("Exercise 7.4: not yet.") and says in out
    assert "m_step(X, " not in out and "log_responsibilities(X, " not in out  # a hint, not the solution


def test_em_loop_check_reports_an_exception_and_a_wrong_return():
    import contextlib
    import io

    for fn, says in [(lambda X, start, max_iter, tol: 1 / 0, "ZeroDivisionError"),
                     (lambda X, start, max_iter, tol: em_loop(X, start, max_iter, tol)[0], "two things")]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ex.check_em_loop(fn)
        assert out.getvalue().startswith("Exercise 7.4: not yet.") and says in out.getvalue()


def test_the_checks_reference_loop_is_fit_em():
    from gmm_helpers import fit_em, running_example

    X = running_example()[0].double()
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    fit = fit_em(X, start)
    params, lls = ex._em_loop(X, start, 100, 1e-6)
    assert fit.n_iter == len(lls) - 1 == 32
    assert torch.allclose(lls, fit.log_likelihoods, rtol=1e-12, atol=0)
    assert all(torch.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(params, fit.params))


def test_best_of_restarts_check_passes_float64_points_as_notebook_07s_recipe_does():
    from gmm_helpers.teach.exercises import _exercise_7_problems

    assert all(X.dtype == torch.float64 for X, _ in _exercise_7_problems())


def test_best_of_restarts_tells_a_student_who_ranked_by_the_average(capsys):
    """Ranking the fits by the mean of their log-likelihoods is wrong in at least one of the exercise's problems,
    and there the hint names the average, even when the same fit is also the lowest (the lowest-fit hint then
    names both mistakes) or needs max_iter=1000."""
    import warnings

    from gmm_helpers.em import EMConvergenceWarning
    from gmm_helpers.teach.exercises import _best_of_restarts_verdict, _exercise_7_problems

    wrong = 0
    for X, K in _exercise_7_problems():
        by_mean = max(_fits(X, K, 6, max_iter=1000), key=lambda f: f.log_likelihoods.mean().item())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EMConvergenceWarning)  # the check's own short fits, as in check_best_of_restarts
            correct, hint, _ = _best_of_restarts_verdict(X, K, by_mean)
        if not correct:
            wrong += 1
            assert "highest average" in hint or "max_iter=1000" in hint, hint
    assert wrong >= 1


def test_exercise_3_1_follows_the_one_rule_half_a_unit_in_the_third_figure(capsys):
    exact = log_density_by_hand()  # -3.7563: within 0.005 passes, whatever the answer rounds to
    for inside in (-3.752, -3.76, -3.761):
        ex.check_log_density_by_hand(inside)
        assert ": correct." in capsys.readouterr().out, inside
    for outside in (-3.751, -3.762):
        assert abs(outside - exact) > 0.005
        ex.check_log_density_by_hand(outside)
        assert ": not yet." in capsys.readouterr().out, outside


def test_exercise_3_2_names_0_01_taken_as_a_standard_deviation(capsys):
    factor = 1 / (math.sqrt(2 * math.pi) * 0.01)  # 39.9: sigma = 0.01 instead of sigma^2 = 0.01
    assert math.ceil(math.log(torch.finfo(torch.float32).max) / math.log(factor)) == 25
    for answer in (25, 24):
        ex.check_overflow_dimension(answer)
        out = capsys.readouterr().out
        assert ": not yet." in out and "0.01 is the variance" in out and "65" not in out


def test_1d_pdf_broadcasting_error_gets_a_shape_hint(capsys):
    w, m, v = ex.EXERCISE_1D  # m, v: (2, 1); x[:, None] - m is (N, 1) - (2, 1): does not broadcast
    ex.check_1d_mixture_pdf(lambda x: (w * torch.exp(-(x[:, None] - m) ** 2 / (2 * v))).sum(dim=1))
    out = capsys.readouterr().out
    assert "not yet. Shapes do not broadcast" in out and "(2, 1)" in out


def test_d2_check_names_a_two_figure_value_before_the_sum_it_shifts(capsys):
    ex.check_d2_probabilities([0, 0.00952, 0.0381, 0.95])  # the last to two figures: the sum is 0.9976, but the sum is not the slip
    out = capsys.readouterr().out
    assert ": not yet." in out and "one or two significant figures" in out and "sum you divided by" not in out


def test_d2_check_does_not_call_a_correct_two_figure_rounding_only_a_cut_off(capsys):
    ex.check_d2_probabilities([0.0, 0.00952, 0.038, 0.952])  # 0.038: two figures rounded right, or 0.0380 cut off
    out = capsys.readouterr().out
    assert ": not yet." in out and "only two significant figures" in out and "cut off" in out


# Exercises 5.3 and 6.4: the E-step and the M-step as functions, which Exercise 7.4 then assembles


def e_step(X, params, weights=True, log=True, dim=1, stable=True, normalise=True):
    from gmm_helpers import component_log_pdfs

    a = component_log_pdfs(X, params) + (params.weights.log() if weights else 0)  # (N, K): the log-joints
    if not normalise:
        return a
    if stable:
        log_r = a - torch.logsumexp(a, dim=dim, keepdim=True)
    else:  # the naive version: probabilities first
        joint = a.exp()
        log_r = (joint / joint.sum(dim=dim, keepdim=True)).log()
    return log_r if log else log_r.exp()


def m_step_by_hand(X, resp, reg_covar, weights="share", means_over="nk", variances_over="nk", reg=True, sqrt=False):
    N = X.shape[0]
    nk = resp.sum(dim=0)  # (K,)
    means = resp.T @ X / (nk[:, None] if means_over == "nk" else N)  # (K, D)
    sq = (resp[:, :, None] * (X[:, None, :] - means[None]) ** 2).sum(dim=0)  # (K, D)
    variances = sq / {"nk": nk[:, None], "nk-1": nk[:, None] - 1, "n": N}[variances_over]
    variances = variances.sqrt() if sqrt else variances
    w = {"share": nk / N, "counts": nk, "equal": torch.full_like(nk, 1 / len(nk))}[weights]
    return GMMParams(w, means, variances + (reg_covar if reg else 0))


def test_e_step_check_accepts_the_inline_and_the_library_forms_and_float32(capsys):
    from gmm_helpers import log_responsibilities

    def inline(X, params):  # 05's cell, with the row maximum taken out by hand
        a = (torch.distributions.Normal(params.means, params.variances.sqrt()).log_prob(X[:, None, :]).sum(dim=2)
             + params.weights.log())
        m = a.max(dim=1, keepdim=True).values
        return a - (m + (a - m).exp().sum(dim=1, keepdim=True).log())

    for fn in [e_step, log_responsibilities, inline,
               lambda X, p: e_step(X.float(), GMMParams(*(t.float() for t in p)))]:
        ex.check_e_step(fn)
        assert capsys.readouterr().out == "Exercise 5.3: correct.\n"
    ex.check_e_step(None)
    assert ": no answer yet;" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, says", [
    (dict(weights=False), "left out the weights"),
    (dict(log=False), "responsibilities r_nk themselves"),
    (dict(stable=False), "far from every component"),
    (dict(normalise=False), "log-joints a_nk"),
    (dict(dim=0), "columns sum to 1"),
])
def test_e_step_check_names_each_likely_mistake(mistake, says, capsys):
    ex.check_e_step(lambda X, params: e_step(X, params, **mistake))
    out = capsys.readouterr().out
    assert out.startswith("Exercise 5.3: not yet.") and says in out
    assert "logsumexp(a" not in out and "log_softmax" not in out  # a hint, not the solution


def test_e_step_check_names_the_shapes_and_an_exception(capsys):
    for fn, says in [(lambda X, p: e_step(X, p).T, "(K, N)"),
                     (lambda X, p: torch.logsumexp(e_step(X, p, normalise=False), dim=1), "one number per point"),
                     (lambda X, p: e_step(X, p).tolist(), "Return a tensor"),
                     (lambda X, p: 1 / 0, "ZeroDivisionError")]:
        ex.check_e_step(fn)
        out = capsys.readouterr().out
        assert out.startswith("Exercise 5.3: not yet.") and says in out


def test_checks_5_2_and_5_3_name_a_global_maximum(capsys):
    def lse_global_max(a):  # one maximum for the whole table, not each row's own: the far point's row underflows
        m = a.max()
        return m + (a - m).exp().sum(dim=1, keepdim=True).log()

    for check, fn in [(ex.check_log_likelihood_from_log_pdfs, lambda lp, w: lse_global_max(lp + w.log()).sum()),
                      (ex.check_e_step, lambda X, p: e_step(X, p, normalise=False)
                       - lse_global_max(e_step(X, p, normalise=False)))]:
        check(fn)
        out = capsys.readouterr().out
        assert ": not yet." in out and "each point's own" in out and "whole table" in out


def test_checks_5_2_and_5_3_name_a_missing_keepdim(capsys):
    def without_keepdim(a):  # the row maximum taken out with shape (N,), then subtracted from the (N, K) table
        m = a.max(dim=1).values
        return m + (a - m).exp().sum(dim=1).log()

    def lse_without_keepdim(X, p):
        a = e_step(X, p, normalise=False)
        return a - torch.logsumexp(a, dim=1)

    for check, fn in [(ex.check_log_likelihood_from_log_pdfs, lambda lp, w: without_keepdim(lp + w.log()).sum()),
                      (ex.check_e_step, lambda X, p: without_keepdim(e_step(X, p, normalise=False))),
                      (ex.check_e_step, lse_without_keepdim)]:
        check(fn)
        out = capsys.readouterr().out
        assert ": not yet." in out and "keepdim=True" in out and "must match" not in out
    ex.check_e_step(lambda X, p: X - torch.ones(5))  # another shape clash, (301, 2) - (5,): reported as it is
    assert "RuntimeError" in capsys.readouterr().out


def test_m_step_check_accepts_the_solution_the_library_a_plain_tuple_and_float32(capsys):
    from gmm_helpers import m_step

    in_float32 = lambda X, resp, reg_covar: m_step_by_hand(X.float(), resp.float(), reg_covar)  # noqa: E731
    for fn in [m_step_by_hand, m_step, lambda *args: tuple(m_step_by_hand(*args)), in_float32]:
        ex.check_m_step(fn)
        assert capsys.readouterr().out == "Exercise 6.4: correct.\n"
    ex.check_m_step(None)
    assert ": no answer yet;" in capsys.readouterr().out


def test_m_step_check_rejects_the_one_pass_variance_on_float32_points_far_from_the_origin(capsys):
    def one_pass(X, resp, reg_covar):  # E[x^2] - mu^2: right near the origin, cancels catastrophically far from it
        nk = resp.sum(dim=0)[:, None]
        means = resp.T @ X / nk
        return GMMParams(nk[:, 0] / len(X), means, resp.T @ X**2 / nk - means**2 + reg_covar)

    X, resp, reg = ex._exercise_6_4_data()
    assert torch.allclose(one_pass(X, resp, reg).variances, m_step_by_hand(X, resp, reg).variances, rtol=1e-8)  # the first case passes
    ex.check_m_step(one_pass)
    out = capsys.readouterr().out
    assert out.startswith("Exercise 6.4: not yet.") and "far from the origin" in out and "cancellation" in out
    assert "X[:, None, :]" not in out  # a hint, not the solution
    ex.check_m_step(lambda X, resp, reg_covar: m_step_by_hand(X.double(), resp.double(), reg_covar).__class__(
        *(t.float() for t in m_step_by_hand(X.double(), resp.double(), reg_covar))))  # float64 inside, float32 out: right
    assert capsys.readouterr().out == "Exercise 6.4: correct.\n"


@pytest.mark.parametrize("mistake, says", [
    (dict(weights="counts"), "effective counts N_k"),
    (dict(weights="equal"), "not 1/K"),
    (dict(means_over="n"), "not by N"),
    (dict(reg=False), "add reg_covar"),
    (dict(variances_over="nk-1"), "not N_k - 1"),
    (dict(variances_over="n"), "not by N"),
    (dict(sqrt=True), "standard deviations"),
])
def test_m_step_check_names_each_likely_mistake(mistake, says, capsys):
    ex.check_m_step(lambda X, resp, reg_covar: m_step_by_hand(X, resp, reg_covar, **mistake))
    out = capsys.readouterr().out
    assert out.startswith("Exercise 6.4: not yet.") and says in out
    assert "resp.T @ X /" not in out and "X[:, None, :]" not in out  # a hint, not the solution


def test_m_step_check_names_transposes_a_fixed_reg_covar_and_a_wrong_return(capsys):
    for fn, says in [(lambda X, r, c: m_step_by_hand(X, r, c)._replace(means=m_step_by_hand(X, r, c).means.T), "(D, K)"),
                     (lambda X, r, c: m_step_by_hand(X, r, 1e-6), "not a fixed 1e-6"),
                     (lambda X, r, c: m_step_by_hand(X, r, c).means, "GMMParams(weights, means, variances)"),
                     (lambda X, r, c: 1 / 0, "ZeroDivisionError")]:
        ex.check_m_step(fn)
        out = capsys.readouterr().out
        assert out.startswith("Exercise 6.4: not yet.") and says in out


def test_the_em_loop_check_accepts_a_loop_built_from_the_e_and_m_step_exercises(capsys):
    from gmm_helpers import log_likelihood

    def my_em(X, start, max_iter, tol):
        params, lls = start, [log_likelihood(X, start)]
        for _ in range(max_iter):
            params = m_step_by_hand(X, e_step(X, params).exp(), 1e-6)
            lls.append(log_likelihood(X, params))
            if abs(lls[-1] - lls[-2]) / len(X) < tol:
                break
        return params, lls

    ex.check_e_step(e_step)
    ex.check_m_step(m_step_by_hand)
    ex.check_em_loop(my_em)
    assert capsys.readouterr().out == "Exercise 5.3: correct.\nExercise 6.4: correct.\nExercise 7.4: correct.\n"
