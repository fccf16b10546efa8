"""Check functions for the notebooks' exercises.

Each check prints one line: "correct.", or "not yet." with a hint. A check given ``None``
(the placeholder in a fresh notebook) says the exercise is waiting, so "Run all" never fails on an
exercise nobody has done yet. Checks compare with an answer computed here, never a typed-in number.
"""

from __future__ import annotations

import torch

from ..gaussian import diag_gaussian_log_pdf, underflow_dimension
from ..likelihoods import log_likelihood
from ..params import GMMParams, toy_params


def _verdict(exercise: str, answer, correct: bool, hint: str) -> None:
    if answer is None:
        print(f"Exercise {exercise}: no answer yet; replace None with your answer and run the cell again.")
    elif correct:
        print(f"Exercise {exercise}: correct.")
    else:
        print(f"Exercise {exercise}: not yet. {hint}")


def _attempt(exercise: str, fn, *args) -> tuple[bool, object]:
    """Call a student's function: (True, its result), (True, None) for the None placeholder, or
    (False, None) after reporting the exception it raised."""
    if fn is None:
        return True, None
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way; say how
        _verdict(exercise, fn, False, f"Your function raised {type(exc).__name__}: {exc}")
        return False, None


def _close(answer, expected, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    try:
        a = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    e = torch.as_tensor(expected, dtype=torch.float64)
    return a.shape == e.shape and bool(torch.allclose(a, e, rtol=rtol, atol=atol))


# 00_overview ---------------------------------------------------------------------------------------

def check_density_at_origin(answer) -> None:
    """Exercise 0.1: p(x) of ``toy_params()`` at x = (0, 0), as a number."""
    X = torch.zeros(1, 2, dtype=torch.float64)
    expected = log_likelihood(X, toy_params(torch.float64)).exp()
    _verdict("0.1", answer, _close(answer, expected),
                    "Sum over components: weight_k times the 2-D density N(x; mean_k, variances_k) at (0, 0).")


def check_expected_counts(answer) -> None:
    """Exercise 0.2: expected number of points per component among 1000 from ``toy_params()``, shape (3,)."""
    expected = 1000 * toy_params(torch.float64).weights
    _verdict("0.2", answer, _close(answer, expected),
                    "Each point picks component k with probability weights[k]; a tensor of 3 numbers.")


# 01_synthetic_data ---------------------------------------------------------------------------------

EXERCISE_1D = GMMParams(torch.tensor([0.3, 0.7], dtype=torch.float64),
                        torch.tensor([[-1.0], [2.0]], dtype=torch.float64),
                        torch.tensor([[0.5], [1.0]], dtype=torch.float64))


def check_1d_mixture_pdf(pdf) -> None:
    """Exercise 1.1: ``pdf(x)`` returns the density of ``EXERCISE_1D`` at each x of a 1-D tensor."""
    from torch.distributions import Categorical, MixtureSameFamily, Normal

    x = torch.linspace(-5, 6, 101, dtype=torch.float64)
    w, m, v = EXERCISE_1D
    oracle = MixtureSameFamily(Categorical(probs=w), Normal(m[:, 0], v[:, 0].sqrt())).log_prob(x).exp()
    ran, got = _attempt("1.1", pdf, x)
    if ran:
        _verdict("1.1", pdf, got is not None and _close(got, oracle),
                 "p(x) = sum_k w_k exp(-(x - m_k)^2 / (2 v_k)) / sqrt(2 pi v_k); v_k are variances.")


def check_component_fractions(answer) -> None:
    """Exercise 1.2: the fraction of points from each component you expect in a large sample, shape (3,)."""
    _verdict("1.2", answer, _close(answer, toy_params(torch.float64).weights, rtol=0, atol=0.005),
                    "In the long run the fraction from component k is its probability of being picked.")


# 02_initialisation ---------------------------------------------------------------------------------

EXERCISE_D2_POINTS = torch.tensor([[0.0], [1.0], [2.0], [10.0]], dtype=torch.float64)


def check_d2_probabilities(answer) -> None:
    """Exercise 2.1: with the first mean at x = 0, the probability of each point in ``EXERCISE_D2_POINTS``
    being the second mean under k-means++, shape (4,)."""
    d2 = (EXERCISE_D2_POINTS[:, 0] - 0.0) ** 2
    _verdict("2.1", answer, _close(answer, d2 / d2.sum()),
                    "Probability proportional to the squared distance to the nearest chosen mean; divide by the sum.")


def check_data_variance_init(init) -> None:
    """Exercise 2.2: ``init(X, K, generator)`` is ``init_random_points`` with each dimension's data variance."""
    X = torch.tensor([[0.0, 0.0], [2.0, 10.0], [4.0, 20.0], [6.0, 30.0]], dtype=torch.float64)
    ran, p = _attempt("2.2", init, X, 2, torch.Generator().manual_seed(0))
    if ran:
        ok = (
            isinstance(p, GMMParams)
            and _close(p.weights, torch.full((2,), 0.5, dtype=torch.float64))
            and _close(p.variances, X.var(dim=0, unbiased=False).expand(2, 2))
            and all(bool((X == m).all(dim=1).any()) for m in p.means)
        )
        _verdict("2.2", init, ok,
                 "Return GMMParams(uniform weights, K data points, X.var(dim=0, unbiased=False) repeated K times).")


# 03_diagonal_gaussian ------------------------------------------------------------------------------

def check_log_density_by_hand(answer) -> None:
    """Exercise 3.1: log N(x; mu, diag(s2)) for x = (1, 2), mu = (0, 0), s2 = (1, 4), as a number."""
    expected = diag_gaussian_log_pdf(torch.tensor([[1.0, 2.0]], dtype=torch.float64),
                                     torch.zeros(2, dtype=torch.float64), torch.tensor([1.0, 4.0], dtype=torch.float64))[0]
    _verdict("3.1", answer, _close(answer, expected),
                    "-1/2 [2 log(2 pi) + log 1 + log 4 + 1^2/1 + 2^2/4]; the 4 is a variance.")


def check_underflow_dimension(answer) -> None:
    """Exercise 3.2: the smallest D for which the float32 density of x = (1, ..., 1) under N(0, I_D) is 0."""
    expected = underflow_dimension(torch.float32)
    _verdict("3.2", answer, answer == expected,
                    "Compute the log-density in float64, then torch.exp of it as float32, for D = 1, 2, ...")


# 04_broadcasting_likelihoods -----------------------------------------------------------------------

BROADCAST_EXPRESSIONS = [
    "torch.zeros(5, 1, 3) + torch.zeros(4, 3)",
    "torch.zeros(6, 2)[:, None, :] - torch.zeros(3, 2)[None, :, :]",
    "(torch.zeros(6, 3, 2) ** 2).sum(dim=2)",
    "torch.zeros(7, 1) * torch.zeros(1, 4)",
]


def check_broadcast_shapes(answer) -> None:
    """Exercise 4.1: the shapes of ``BROADCAST_EXPRESSIONS``, as a list of tuples, predicted without running them."""
    expected = [tuple(eval(e, {"torch": torch}).shape) for e in BROADCAST_EXPRESSIONS]  # noqa: S307 - our own strings
    try:
        given = [tuple(shape) for shape in answer]
    except TypeError:
        given = []
    wrong = [i + 1 for i, e in enumerate(expected) if i >= len(given) or given[i] != e]
    _verdict("4.1", answer, given == expected,
             f"Look again at expression(s) {wrong}: align shapes from the right; a 1 stretches to match.")


def check_spherical_log_pdfs(fn) -> None:
    """Exercise 4.2: ``fn(X, means, variances)`` with one variance per component, variances of shape (K,) -> (N, K)."""
    from torch.distributions import Independent, Normal

    g = torch.Generator().manual_seed(0)
    X = torch.randn(20, 3, generator=g, dtype=torch.float64)
    means = torch.randn(4, 3, generator=g, dtype=torch.float64)
    variances = 0.5 + torch.rand(4, generator=g, dtype=torch.float64)
    oracle = Independent(Normal(means, variances.sqrt()[:, None].expand(4, 3)), 1).log_prob(X[:, None, :])
    ran, got = _attempt("4.2", fn, X, means, variances)
    if ran:
        _verdict("4.2", fn, got is not None and _close(got, oracle, rtol=1e-8),
                 "The diagonal formula with sigma^2_kd = variances[k] for every d: log|Sigma_k| = D log variances[k].")


# 05_posteriors ------------------------------------------------------------------------------------

def check_two_component_responsibility(answer) -> None:
    """Exercise 5.1: the responsibility of component 0 of ``EXERCISE_1D`` for the point x = 0.5, as a number."""
    from ..posteriors import log_responsibilities

    expected = log_responsibilities(torch.tensor([[0.5]], dtype=torch.float64), EXERCISE_1D).exp()[0, 0]
    _verdict("5.1", answer, _close(answer, expected),
             "r_0 = w_0 N(0.5; m_0, v_0) / (w_0 N(0.5; m_0, v_0) + w_1 N(0.5; m_1, v_1)); v are variances.")


def check_log_likelihood_from_log_pdfs(fn) -> None:
    """Exercise 5.2: ``fn(log_pdfs, weights)`` returns the data log-likelihood sum_n log sum_k w_k N_nk, stably."""
    from ..data import sample_gmm
    from ..likelihoods import component_log_pdfs

    params = toy_params(torch.float64)
    X, _ = sample_gmm(params, 300, generator=torch.Generator().manual_seed(0))
    X = torch.cat([X, torch.tensor([[400.0, -400.0]], dtype=torch.float64)])  # a far point: naive exp gives log(0)
    ran, got = _attempt("5.2", fn, component_log_pdfs(X, params), params.weights)
    if ran:
        _verdict("5.2", fn, got is not None and _close(got, log_likelihood(X, params), rtol=1e-10),
                 "torch.logsumexp(log_pdfs + weights.log(), dim=1).sum(): the far point makes a naive exp give -inf.")


# 06_parameter_updates -----------------------------------------------------------------------------

EXERCISE_RESP = torch.tensor([[0.9, 0.1], [0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.1, 0.9]], dtype=torch.float64)
EXERCISE_POINTS = torch.tensor([[0.0], [1.0], [3.0], [4.0]], dtype=torch.float64)
EXERCISE_POINTS_RESP = torch.tensor([[1.0, 0.0], [0.8, 0.2], [0.2, 0.8], [0.0, 1.0]], dtype=torch.float64)


def check_weight_update(answer) -> None:
    """Exercise 6.1: the new weights, shape (2,), from the responsibilities ``EXERCISE_RESP`` (5 points)."""
    _verdict("6.1", answer, _close(answer, EXERCISE_RESP.mean(dim=0)),
             "pi_k = N_k / N with N_k the column sum of the responsibilities.")


def check_m_step_by_hand(answer) -> None:
    """Exercise 6.2: ``(weights, means, variances)`` for ``EXERCISE_POINTS`` and ``EXERCISE_POINTS_RESP``, reg_covar = 0."""
    from ..updates import m_step

    expected = m_step(EXERCISE_POINTS, EXERCISE_POINTS_RESP, reg_covar=0.0)
    try:
        w, m, v = answer
        ok = _close(w, expected.weights) and _close(torch.as_tensor(m).reshape(-1), expected.means.reshape(-1)) \
            and _close(torch.as_tensor(v).reshape(-1), expected.variances.reshape(-1))
    except (TypeError, ValueError):
        ok = False
    _verdict("6.2", answer, ok,
             "N_k = column sums; means = sum_n r_nk x_n / N_k; variances = sum_n r_nk (x_n - mean_k)^2 / N_k.")


# 07_em_fit -----------------------------------------------------------------------------------------

def _exercise_7_problem():
    from ..data import sample_gmm

    params = toy_params(torch.float64)
    X, _ = sample_gmm(params, 200, generator=torch.Generator().manual_seed(7))
    return X, params


def check_lower_bound(fn) -> None:
    """Exercise 7.1: ``fn(X, params, q)`` returns F(q, theta) = sum_n sum_k q_nk [log pi_k + log N_nk - log q_nk]."""
    from ..likelihoods import component_log_pdfs

    X, params = _exercise_7_problem()
    q = torch.softmax(torch.randn(len(X), params.K, generator=torch.Generator().manual_seed(0), dtype=torch.float64), dim=1)
    log_joint = component_log_pdfs(X, params) + params.weights.log()
    expected = (q * (log_joint - q.log())).sum()
    ran, got = _attempt("7.1", fn, X, params, q)
    if ran:
        _verdict("7.1", fn, got is not None and _close(got, expected, rtol=1e-8),
                 "(q * (component_log_pdfs(X, params) + params.weights.log() - q.log())).sum()")


def check_best_of_restarts(fn) -> None:
    """Exercise 7.2: ``fn(X, K, n_starts)`` fits from k-means++ starts with seeds 0..n_starts-1 and returns the
    EMResult with the highest final log-likelihood."""
    import warnings

    from ..em import EMConvergenceWarning, fit_em

    X, _ = _exercise_7_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EMConvergenceWarning)
        fits = [fit_em(X, 3, generator=torch.Generator().manual_seed(s)) for s in range(4)]
        ran, got = _attempt("7.2", fn, X, 3, 4)
    if ran:
        best = max(float(f.log_likelihoods[-1]) for f in fits)
        ok = got is not None and hasattr(got, "log_likelihoods") and abs(float(got.log_likelihoods[-1]) - best) < 1e-6
        _verdict("7.2", fn, ok, "Fit once per seed with fit_em(X, K, generator=torch.Generator().manual_seed(s)); "
                                "keep the result whose log_likelihoods[-1] is largest.")


# 08_choosing_k ------------------------------------------------------------------------------------

EXERCISE_8_K, EXERCISE_8_D = 4, 5  # exercise 8.1: a diagonal mixture of 4 components in 5 dimensions
EXERCISE_8_LOG_LIKELIHOOD, EXERCISE_8_N = -2263.4, 600  # exercise 8.2: a fit of K = 4 in D = 2 to N = 600 points


def _as_number(answer):
    """A Python number from a number, a 0-d or a one-element tensor or array; None if it is none of those."""
    try:
        value = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None
    return float(value.reshape(-1)[0]) if value.numel() == 1 else None


def check_parameter_count(answer) -> None:
    """Exercise 8.1: the number of free parameters of a diagonal mixture with K = 4 components in D = 5 dimensions."""
    from ..estimator import _n_parameters

    value = _as_number(answer)
    expected = _n_parameters(EXERCISE_8_K, EXERCISE_8_D)
    hint = "Count means, variances and weights separately; the weights must sum to one, so one of them is not free."
    if value is not None and value == 2 * EXERCISE_8_K * EXERCISE_8_D:
        hint = "You counted means and variances; the weights are parameters too (all but one of them)."
    _verdict("8.1", answer, value is not None and value == expected, hint)


def check_bic_by_hand(answer) -> None:
    """Exercise 8.2: the BIC of a diagonal fit with K = 4, D = 2 to N = 600 points, log-likelihood -2263.4 (a sum)."""
    import math

    from ..estimator import _n_parameters

    value = _as_number(answer)
    p = _n_parameters(EXERCISE_8_K, 2)
    expected = -2 * EXERCISE_8_LOG_LIKELIHOOD + p * math.log(EXERCISE_8_N)
    hint = "BIC = -2 (log-likelihood) + p ln N, with p the number of free parameters and the natural logarithm."
    if value is not None and math.isclose(value, -2 * EXERCISE_8_LOG_LIKELIHOOD + p * math.log10(EXERCISE_8_N), rel_tol=1e-4):
        hint = "ln N is the natural logarithm (math.log), not log10."
    elif value is not None and math.isclose(value, -2 * EXERCISE_8_LOG_LIKELIHOOD + 2 * p, rel_tol=1e-4):
        hint = "That is the AIC (penalty 2 per parameter); the BIC's penalty per parameter is ln N."
    _verdict("8.2", answer, value is not None and math.isclose(value, expected, rel_tol=1e-3), hint)


def check_dead_weight(answer) -> None:
    """Exercise 8.3: the weight that ``m_step`` gives a component with no responsibility, K = 3, N = 1000, float32."""
    import math

    from ..updates import m_step

    resp = torch.zeros(1000, 3, dtype=torch.float32)
    resp[:, :2] = 0.5  # component 2 receives nothing
    expected = float(m_step(torch.zeros(1000, 1), resp).weights[2])
    value = _as_number(answer)
    hint = "N_k gets 10 machine epsilons of the data's dtype; the weights are N_k over the sum of all N_k."
    if value is not None and math.isclose(value, expected * torch.finfo(torch.float64).eps / torch.finfo(torch.float32).eps, rel_tol=1e-2):
        hint = "The data are float32: use torch.finfo(torch.float32).eps, not float64's."
    # 5e-3: a hand-worked 1.19e-9 (three digits of float32's epsilon) is right; float64's is 1e-9 times off
    _verdict("8.3", answer, value is not None and math.isclose(value, expected, rel_tol=5e-3), hint)


# 09_real_data -------------------------------------------------------------------------------------

EXERCISE_9_RESP = (0.7, 0.2, 0.1)  # exercise 9.1: a pixel's responsibilities...
EXERCISE_9_COLOURS = ((0.9, 0.1, 0.1), (0.1, 0.1, 0.9), (1.0, 1.0, 1.0))  # ...for components of these mean colours
EXERCISE_9_LOG_PDFS, EXERCISE_9_PRIORS = (-10.0, -11.0), (0.2, 0.8)  # exercise 9.2: log p(x | c) and p(c)


def check_soft_colour(answer) -> None:
    """Exercise 9.1: the posterior-mean colour sum_k r_nk mu_k of one pixel, three numbers."""
    resp = torch.tensor(EXERCISE_9_RESP, dtype=torch.float64)
    colours = torch.tensor(EXERCISE_9_COLOURS, dtype=torch.float64)
    expected = resp @ colours  # (3,)
    try:
        value = torch.as_tensor(answer, dtype=torch.float64).reshape(-1) if answer is not None else None
    except (TypeError, ValueError, RuntimeError):
        value = None
    hint = "Weight each component's mean colour by the pixel's responsibility for it, and add the three."
    if value is not None and value.numel() != 3:
        hint = f"A colour is three numbers (r, g, b); you gave {value.numel()}."
    elif value is not None and torch.allclose(value, colours[0], atol=1e-3):
        hint = "That is the hard assignment (the most probable component's colour); the soft one blends all three."
    elif value is not None and torch.allclose(value, colours.mean(dim=0), atol=1e-3):
        hint = "That is the plain average of the colours; weight each by its responsibility."
    correct = value is not None and value.numel() == 3 and torch.allclose(value, expected, rtol=1e-3, atol=1e-4)
    _verdict("9.1", answer, correct, hint)


def check_class_posterior(answer) -> None:
    """Exercise 9.2: p(class 0 | x) from log p(x | c) = (-10, -11) and priors (0.2, 0.8)."""
    log_joint = torch.tensor(EXERCISE_9_LOG_PDFS, dtype=torch.float64) + torch.tensor(EXERCISE_9_PRIORS, dtype=torch.float64).log()
    expected = float(torch.softmax(log_joint, dim=0)[0])
    no_prior = float(torch.softmax(torch.tensor(EXERCISE_9_LOG_PDFS, dtype=torch.float64), dim=0)[0])
    value = _as_number(answer)
    hint = "Bayes' rule: p(0 | x) = p(x | 0) p(0) / sum over c of p(x | c) p(c); exponentiate the log-densities first."
    if value is not None and abs(value - no_prior) < 1e-3:
        hint = "You left out the priors p(c): the classes are not equally common."
    elif value is not None and abs(value - (1 - expected)) < 1e-3:
        hint = "That is p(1 | x), the other class."
    _verdict("9.2", answer, value is not None and abs(value - expected) <= 1e-3 * expected, hint)
