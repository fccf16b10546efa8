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

def _number(answer):
    """A number from a float, an int, a 0-d tensor or a 1-element tensor/list/array; else None."""
    try:
        t = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None
    return float(t.reshape(())) if t.numel() == 1 else None


def _hand_tolerance(expected: torch.Tensor) -> torch.Tensor:
    """Half a unit in the third significant figure of each value (0.1644 -> 0.0005): an answer rounded
    to 3 significant figures passes, one off by a unit there does not."""
    magnitude = torch.floor(torch.log10(expected.abs().clamp(min=1e-300)))
    return 0.5 * 10 ** (magnitude - 2) * (1 + 1e-9)


def _hand_close(answer, expected: float) -> bool:
    """A number worked out by hand: right to 3 significant figures."""
    value = _number(answer)
    return value is not None and abs(value - expected) <= float(_hand_tolerance(torch.tensor(expected, dtype=torch.float64)))


def check_two_component_responsibility(answer) -> None:
    """Exercise 5.1: the responsibility of component 0 of ``EXERCISE_1D`` for the point x = 0.5, as a number
    (to about 3 significant figures; a 1-element tensor is fine)."""
    from ..posteriors import log_responsibilities

    x = torch.tensor([[0.5]], dtype=torch.float64)
    expected = float(log_responsibilities(x, EXERCISE_1D).exp()[0, 0])
    without_weights = float(log_responsibilities(x, EXERCISE_1D._replace(weights=torch.full((2,), 0.5, dtype=torch.float64))).exp()[0, 0])
    w, m, v = EXERCISE_1D
    std_as_variance = GMMParams(w, m, v**2)  # the 0.5 taken as a standard deviation: variance 0.25
    with_std = float(log_responsibilities(x, std_as_variance).exp()[0, 0])
    value = _number(answer)
    if value is not None and _hand_close(value, without_weights):
        hint = "That is Bayes' rule without the prior: multiply each density by its component's weight first."
    elif value is not None and _hand_close(value, with_std):
        hint = "0.5 and 1 are variances: the exponent divides (x - m)^2 by 2 v, and the factor is 1 / sqrt(2 pi v)."
    elif answer is not None and value is None:
        hint = "Answer with one number (a float, or a tensor holding one value)."
    else:
        hint = "r_0 = w_0 N(0.5; m_0, v_0) / (w_0 N(0.5; m_0, v_0) + w_1 N(0.5; m_1, v_1)), with v the variances."
    _verdict("5.1", answer, _hand_close(answer, expected), hint)


def check_log_likelihood_from_log_pdfs(fn) -> None:
    """Exercise 5.2: ``fn(log_pdfs, weights)`` returns the data log-likelihood sum_n log sum_k w_k N_nk, stably."""
    from ..data import sample_gmm
    from ..likelihoods import component_log_pdfs

    params = toy_params(torch.float64)
    X, _ = sample_gmm(params, 300, generator=torch.Generator().manual_seed(0))
    X = torch.cat([X, torch.tensor([[400.0, -400.0]], dtype=torch.float64)])  # a far point: naive exp gives log(0)
    ran, got = _attempt("5.2", fn, component_log_pdfs(X, params), params.weights)
    if ran:
        finite = got is not None and _number(got) is not None and torch.isfinite(torch.tensor(_number(got)))
        _verdict("5.2", fn, got is not None and _close(got, log_likelihood(X, params), rtol=1e-10),
                 "The check includes a point far from every component: its densities are all 0 in probability "
                 "space, so stay in logs until the sum over components is done." if not finite else
                 "Sum over components inside the log (with the weights), then over points outside it.")


# 06_parameter_updates -----------------------------------------------------------------------------

EXERCISE_RESP = torch.tensor([[0.9, 0.1], [0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.1, 0.9]], dtype=torch.float64)
EXERCISE_POINTS = torch.tensor([[0.0], [1.0], [3.0], [4.0]], dtype=torch.float64)
EXERCISE_POINTS_RESP = torch.tensor([[1.0, 0.0], [0.8, 0.2], [0.2, 0.8], [0.0, 1.0]], dtype=torch.float64)


def _hand_vector(answer, expected: torch.Tensor) -> bool:
    """A few numbers worked out by hand, in any 1-D or column form: each right to 3 significant figures."""
    try:
        a = torch.as_tensor(answer, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        return False
    e = expected.reshape(-1).double()
    return a.shape == e.shape and bool(((a - e).abs() <= _hand_tolerance(e) + 1e-12).all())


def check_weight_update(answer) -> None:
    """Exercise 6.1: the new weights, shape (2,), from the responsibilities ``EXERCISE_RESP`` (5 points)."""
    expected = EXERCISE_RESP.mean(dim=0)
    hint = "pi_k = N_k / N, with N_k the sum of column k of the responsibilities and N the number of points."
    if _hand_vector(answer, EXERCISE_RESP.sum(dim=0)):
        hint = "Those are the effective counts N_k; the weights divide them by the number of points."
    _verdict("6.1", answer, _hand_vector(answer, expected), hint)


def check_m_step_by_hand(answer) -> None:
    """Exercise 6.2: ``(weights, means, variances)`` for ``EXERCISE_POINTS`` and ``EXERCISE_POINTS_RESP``, reg_covar = 0."""
    from ..updates import m_step

    expected = m_step(EXERCISE_POINTS, EXERCISE_POINTS_RESP, reg_covar=0.0)
    try:
        w, m, v = answer
        parts = [_hand_vector(w, expected.weights), _hand_vector(m, expected.means), _hand_vector(v, expected.variances)]
    except (TypeError, ValueError):
        parts = [False] * 3
    nk = EXERCISE_POINTS_RESP.sum(dim=0)
    hint = "N_k = column sums; mean_k = sum_n r_nk x_n / N_k; variance_k = sum_n r_nk (x_n - mean_k)^2 / N_k."
    if parts[0] and parts[1] and not parts[2]:
        if _hand_vector(v, expected.variances * nk[:, None]):
            hint = "Weights and means are right; the variances are weighted sums of squares: divide them by N_k."
        else:
            hint = "Weights and means are right; each variance weights (x_n - mean_k)^2 by r_nk, around the new mean."
    _verdict("6.2", answer, all(parts), hint)


# 07_em_fit -----------------------------------------------------------------------------------------

def _poor_start_fit():
    """The running example and ``fit_em`` from the poor start of the series (seed 0 random points)."""
    from ..data import running_example
    from ..em import fit_em
    from ..init import init_random_points

    X, labels, truth = running_example()
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    return X, labels, truth, fit_em(X, start)


def check_misassigned(answer) -> None:
    """Exercise 7.1: how many of the 600 points of the running example the fit from the poor start assigns
    (most responsible component) to another component than the one that drew them, as an integer."""
    from ..posteriors import log_responsibilities

    X, labels, truth, fit = _poor_start_fit()
    matched = fit.params.matched_to(truth)  # component k of matched plays true component k
    expected = int((log_responsibilities(X, matched).argmax(dim=1) != labels).sum())
    unmatched = int((log_responsibilities(X, fit.params).argmax(dim=1) != labels).sum())
    value = _number(answer)
    correct = value is not None and value == expected
    if value is not None and value == unmatched:
        hint = ("Nearly every point? Compare which fitted component sits on which true group: a fit numbers "
                "its components in whatever order EM happened to find them.")
    elif value is not None and value > len(X) / 2:
        hint = "More than half the points: are the fitted components numbered like the true ones?"
    else:
        hint = ("Assign each point to its most responsible component (argmax over k), after putting the fitted "
                "components in the true order, then count disagreements with labels.")
    _verdict("7.1", answer, correct, hint)


def _exercise_7_problem():
    from ..data import sample_gmm

    params = toy_params(torch.float64)
    X, _ = sample_gmm(params, 200, generator=torch.Generator().manual_seed(7))
    return X, params


def check_best_of_restarts(fn) -> None:
    """Exercise 7.2: ``fn(X, K, n_starts)`` fits from k-means++ starts with seeds 0..n_starts-1 and returns the
    EMResult with the highest final log-likelihood. Any tol up to fit_em's default passes: the check
    compares per point, to 1e-4."""
    import warnings

    from ..em import EMConvergenceWarning, fit_em

    X, _ = _exercise_7_problem()
    N = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EMConvergenceWarning)
        finals = [float(fit_em(X, 3, generator=torch.Generator().manual_seed(s)).log_likelihoods[-1]) / N for s in range(6)]
        ran, got = _attempt("7.2", fn, X, 3, 6)
    if ran:
        best, worst = max(finals), min(finals)
        final = float(got.log_likelihoods[-1]) / N if got is not None and hasattr(got, "log_likelihoods") else None
        ok = final is not None and abs(final - best) < 1e-4
        hint = "Return the EMResult itself, the one whose log_likelihoods[-1] is largest."
        if final is not None and abs(final - worst) < 1e-4 and best - worst > 1e-3:
            hint = "That is the fit with the lowest final log-likelihood: a higher log-likelihood is the better fit."
        elif final is not None:
            hint = "Fit from each seed 0..n_starts-1 (a generator per seed, K as init) and compare log_likelihoods[-1], the last value."
        _verdict("7.2", fn, ok, hint)


def check_starts_needed(answer, p: float) -> None:
    """Exercise 7.3: the smallest number of independent starts m for which the best of m misses the best fit
    with probability below 1%, when one start finds it with probability ``p``."""
    import math

    expected = math.ceil(math.log(0.01) / math.log(1 - p))
    value = _number(answer)
    hint = "The best of m starts misses only if every one of the m starts misses."
    if value is not None and value == expected - 1:
        hint = "Close: with that many starts the chance of missing is still just above 1%; you need a whole start more."
    elif value is not None and value == math.ceil(math.log(0.01) / math.log(p)):
        hint = "That is how many starts it takes for all of them to succeed to be unlikely; we need all of them to fail to be unlikely."
    _verdict("7.3", answer, value is not None and value == expected, hint)
