"""Check functions for the notebooks' exercises.

Each check prints one line: "correct.", or "not yet." with a hint. A check given ``None``
(the placeholder in a fresh notebook) says the exercise is waiting, so "Run all" never fails on an
exercise nobody has done yet. Checks compare with an answer computed here, never a typed-in number.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import math
import sys

import torch

from ..gaussian import diag_gaussian_log_pdf
from ..likelihoods import component_log_pdfs, log_likelihood, weighted_log_pdfs
from ..params import GMMParams, toy_params


def _verdict(exercise: str, answer, correct: bool, hint: str) -> None:
    if answer is None:
        print(f"Exercise {exercise}: no answer yet; replace None with your answer and run the cell again.")
    elif correct:
        print(f"Exercise {exercise}: correct.")
    else:
        print(f"Exercise {exercise}: not yet. {hint}")


def _attempt(exercise: str, fn, *args, explain=None) -> tuple[bool, object]:
    """Call a student's function once: (True, its result), (True, None) for the None placeholder, or
    (False, None) after reporting the exception it raised; ``explain(exc)`` may name the likely mistake behind
    it (a hint, or None to report the exception itself)."""
    if fn is None:
        return True, None
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way; say how
        hint = explain(exc) if explain is not None else None
        _verdict(exercise, fn, False, hint or f"Your function raised {type(exc).__name__}: {exc}")
        return False, None


def _close(answer, expected, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    try:
        a = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    e = torch.as_tensor(expected, dtype=torch.float64)
    return a.shape == e.shape and bool(torch.allclose(a, e, rtol=rtol, atol=atol))


def _scalar_or_none(answer):
    """A number from a float, an int, a 0-d tensor or a 1-element tensor/list/array, such as shape (1,);
    else None. The one scalar parser of every check."""
    try:
        t = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None
    return float(t.reshape(())) if t.numel() == 1 else None


def _number(exercise: str, answer):
    """``_scalar_or_none``, reporting anything else (``None`` returned) with the type or shape that came."""
    value = _scalar_or_none(answer)
    if value is None and answer is not None:
        try:
            shape = f"a tensor of shape {tuple(torch.as_tensor(answer).shape)}"
        except (TypeError, ValueError, RuntimeError):
            shape = type(answer).__name__
        _verdict(exercise, answer, False, f"Expected one number, got {shape}.")
    return value


def _number_close(answer: float, target: float, rtol: float = 5e-3) -> bool:
    """Recognises a likely *mistake* worked out by hand (for its hint): within ``rtol`` of ``target``.
    Right answers are judged by ``_hand_close``, the one rule of every check."""
    return abs(answer - target) <= rtol * abs(target)


# The one rule for answers worked out by hand: "three significant figures" means the answer is within half a
# unit in the third significant figure of the exact value (0.1644 -> 0.0005), so the correctly rounded answer
# and any more precise one pass, and one off by a unit in the third figure does not.

def _hand_tolerance(expected: torch.Tensor) -> torch.Tensor:
    """Half a unit in the third significant figure of each value (0.1644 -> 0.0005): an answer rounded
    to 3 significant figures passes, one off by a unit there does not."""
    magnitude = torch.floor(torch.log10(expected.abs().clamp(min=1e-300)))
    return 0.5 * 10 ** (magnitude - 2) * (1 + 1e-9)


def _hand_close(answer, expected: float) -> bool:
    """A number worked out by hand: right to 3 significant figures."""
    value = _scalar_or_none(answer)
    return value is not None and abs(value - expected) <= float(_hand_tolerance(torch.tensor(expected, dtype=torch.float64)))


def _hand_vector(answer, expected: torch.Tensor) -> bool:
    """A few numbers worked out by hand, in any 1-D or column form: each right to 3 significant figures."""
    try:
        a = torch.as_tensor(answer, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        return False
    e = expected.reshape(-1).double()
    return a.shape == e.shape and bool(((a - e).abs() <= _hand_tolerance(e) + 1e-12).all())


def _cut_to_three(value: float) -> float:
    """``value`` (non-zero) with its digits after the third significant figure cut off (0.038095 -> 0.0380)."""
    step = 10 ** (math.floor(math.log10(abs(value))) - 2)  # a unit in the third significant figure
    return math.trunc(value / step) * step


def _rounding_hint(value, expected: float, near: float = 0.03) -> str | None:
    """The hint for the right value badly rounded, or ``None``: rounded to one or two significant figures, given to
    two figures but cut off, cut off after the third instead of rounded, or within ``near`` (relative) but off in
    the third figure."""
    if value is None or not math.isfinite(value):
        return None
    same = 1e-6 * abs(expected) + 1e-12  # float32 input and typed decimals compare equal at this level
    if any(abs(value - float(f"{expected:.{n}g}")) <= same for n in (1, 2)):
        return "Close, but rounded too coarsely: give three significant figures."
    step = 10 ** (math.floor(math.log10(abs(expected))) - 2)  # a unit in the third significant figure
    if value == float(f"{value:.2g}") and abs(value - expected) < 10 * step:  # two figures, the second one off
        return ("Close, but that has only two significant figures, and the second is not the rounded one: give "
                "three significant figures, rounded to the nearest.")
    if abs(value - _cut_to_three(expected)) <= same:
        return ("Close: the digits after the third significant figure were cut off, not rounded. Round to the "
                "nearest (a following digit of 5 or more rounds the third figure up).")
    if abs(value - expected) <= near * abs(expected):
        return ("Close, but the third significant figure is off: keep at least four figures (significant ones, not "
                "decimals) in every intermediate step and round only the final answer.")
    return None


def _scalar_check(exercise: str, answer, expected: float):
    """The opening of every one-number check: no answer yet, not one number, or right to three significant
    figures each get their verdict here (``None`` returned); otherwise the number, for the mistake hints."""
    if answer is None:
        _verdict(exercise, None, False, "")
        return None
    number = _number(exercise, answer)
    if number is not None and _hand_close(number, expected):
        _verdict(exercise, answer, True, "")
        return None
    return number


# 00_overview ---------------------------------------------------------------------------------------

EXERCISE_0_1_POINT = (0.0, -1.5)


def check_responsibilities_at_point(answer) -> None:
    """Exercise 0.1: the responsibilities of the three components of ``toy_params()`` for the point
    ``EXERCISE_0_1_POINT`` = (0, -1.5), shape (3,); each entry passes within 0.001 of the exact value.

    Introduced in notebooks/00_overview.ipynb."""
    from ..posteriors import log_responsibilities

    truth = toy_params(torch.float64)
    x = torch.tensor([EXERCISE_0_1_POINT], dtype=torch.float64)
    expected = log_responsibilities(x, truth).exp()[0]  # (3,)
    if answer is None:
        return _verdict("0.1", None, False, "")
    try:
        given = torch.as_tensor(answer, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        return _verdict("0.1", answer, False, "Expected a tensor of 3 numbers, one per component.")
    if given.shape != (3,):
        return _verdict("0.1", answer, False, f"Expected 3 numbers, one per component; got {given.numel()}.")
    if _close(given, expected, rtol=0, atol=1e-3 * (1 + 1e-9)):  # three decimals, +-0.001: r_0 = 0.56758 lies 8e-5
        return _verdict("0.1", answer, True, "")  # above a rounding boundary, so a careful hand route may give 0.567
    densities = component_log_pdfs(x, truth).exp()[0]  # (3,)
    with_std = log_responsibilities(x, truth._replace(variances=truth.variances**2)).exp()[0]  # variances used as stds
    sq = ((x[0] - truth.means) ** 2 / truth.variances).sum(dim=1)  # (3,): squared distances in each component's units
    no_constant = truth.weights * torch.exp(-sq / 2)  # (3,): the 1 / sqrt(2 pi sigma^2) factors dropped
    no_half = truth.weights * torch.exp(-sq) / (2 * torch.pi * truth.variances.prod(dim=1).sqrt())  # (3,): exponent without 1/2
    no_root = truth.weights * torch.exp(-sq / 2) / (2 * torch.pi * truth.variances.prod(dim=1))  # (3,): |Sigma|, not |Sigma|^(1/2)
    swapped = torch.flip(expected, dims=(0,))  # components listed in reverse order
    bare = torch.exp(-sq / 2)  # (3,): neither the weights nor the normalising factors, only the distances
    if _close(given, expected, rtol=0, atol=0.0015):  # a unit off in the third decimal
        hint = ("Close, but not every value is within 0.001 of the exact one: round each to the nearest (do not cut "
                "digits off, and do not adjust one so that the three add up to exactly 1), and keep at least four "
                "significant figures in every intermediate step.")
    elif _close(given, bare / bare.sum(), rtol=0, atol=6e-4):
        hint = ("Close, but only by luck. Either a value was rounded early (sigma_k0 sigma_k1 = 0.592 taken as 0.6 "
                "lands here: keep at least four significant figures in every intermediate step), or these use the "
                "distances alone, without the weights pi_k and the normalising factors, two omissions that nearly "
                "cancel here (component 0 has twice component 2's weight and about half its height factor): keep "
                "both in every term.")
    elif _close(given, torch.round(expected, decimals=2), rtol=0, atol=1e-6):  # 0.57, 0.00, 0.43: two causes
        hint = ("Close, but not right to three decimal places: either that is the answer to two decimals, or a "
                "value was rounded early. Keep at least four significant figures in every intermediate step and "
                "round only the final answers, each to three decimal places.")
    elif _close(given, expected, rtol=0, atol=0.011):  # e.g. 0.572, 0.428: an intermediate value rounded early
        hint = ("Close, but further off than rounding the final answers explains: a value was rounded early (a "
                "squared distance, or a sigma_k0 sigma_k1). Keep at least four significant figures in every "
                "intermediate step and round only the final answers, each to three decimal places.")
    elif _close(given, densities / densities.sum(), rtol=2e-3, atol=1e-3):
        hint = ("These are the densities alone, normalised. Bayes' rule weighs each density by the prior "
                "probability of its component, pi_k, before normalising.")
    elif _close(given, no_constant / no_constant.sum(), rtol=2e-3, atol=1e-3):
        hint = ("The normalising factors 1 / sqrt(2 pi sigma^2) were dropped, as if they cancelled. They cancel "
                "only when all components have the same variances; here they differ, and a narrower component's "
                "density has a larger factor. Keep them in every density.")
    elif _close(given, no_half / no_half.sum(), rtol=2e-3, atol=1e-3):
        hint = "The exponent of each 1-D density is -(x - mu)^2 / (2 sigma^2): the factor 1/2 is missing."
    elif _close(given, no_root / no_root.sum(), rtol=2e-3, atol=1e-3):
        hint = ("The normalising factor has the product of the two variances where its square root belongs: it is "
                "1 / (2 pi sqrt(sigma_k0^2 sigma_k1^2)) = 1 / (2 pi sigma_k0 sigma_k1), the product of the two 1-D "
                "factors 1 / sqrt(2 pi sigma^2).")
    elif _close(given, swapped, rtol=2e-3, atol=1e-3):
        hint = ("The numbers look right but in reverse order: list the responsibilities as components 0, 1, 2 "
                "(truth.weights[0], truth.means[0], ... first).")
    elif any(_close(given, expected[list(order)], rtol=2e-3, atol=1e-3) for order in itertools.permutations(range(3))):
        hint = ("The numbers look right but two are swapped: entry k must be component k's responsibility, in the "
                "order of truth.weights, truth.means and truth.variances (components 0, 1, 2).")
    elif _close(given, with_std, rtol=2e-3, atol=1e-3):
        hint = ("The variances were used as standard deviations: each 1-D density is "
                "exp(-(x - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2), and truth.variances holds sigma^2.")
    elif bool(((given == 0) | (given == 1)).all()):
        hint = ("Those are hard labels (all of the point to one component). A responsibility is a share: Bayes' rule "
                "gives each component pi_k N(x | mu_k, Sigma_k) divided by the sum over components, a number "
                "between 0 and 1.")
    elif abs(float(given.sum()) - 1) > 1e-3:
        hint = "Responsibilities of one point are probabilities over the components: they sum to 1. Divide by the sum."
    else:
        hint = ("r_k = pi_k N(x | mu_k, Sigma_k) / sum_j pi_j N(x | mu_j, Sigma_j), with each 2-D density a "
                "product of two 1-D densities whose variances are the variances.")
    _verdict("0.1", answer, False, hint)


def check_weight_to_win_point(answer) -> None:
    """Exercise 0.2: with pi_1 = 0.25 fixed and pi_0 = 0.75 - pi_2 (means and variances of ``toy_params()``),
    the weight pi_2 at which components 0 and 2 are equally responsible for ``EXERCISE_0_1_POINT``, as a number;
    above it component 2 wins the point.

    Introduced in notebooks/00_overview.ipynb."""
    truth = toy_params(torch.float64)
    x = torch.tensor([EXERCISE_0_1_POINT], dtype=torch.float64)
    rest = 1 - float(truth.weights[1])  # 0.75: what components 0 and 2 share

    def tie(densities):  # pi_2 N_2 = (rest - pi_2) N_0, solved for pi_2
        return rest * float(densities[0] / (densities[0] + densities[2]))

    densities = component_log_pdfs(x, truth).exp()[0]  # (3,): N(x | mu_k, Sigma_k)
    expected = tie(densities)  # 0.2972
    number = _scalar_check("0.2", answer, expected)
    if number is None:
        return
    sq = ((x[0] - truth.means) ** 2 / truth.variances).sum(dim=1)  # (3,): squared distances in each component's units
    if (rounding := _rounding_hint(number, expected, near=0)) is not None:
        hint = rounding
    elif _number_close(number, float(densities[0] / (densities[0] + densities[2]))):
        hint = ("That takes pi_0 = 1 - pi_2, as if component 1 had no weight. It keeps its 0.25, so "
                "pi_0 = 0.75 - pi_2.")
    elif _number_close(number, rest - expected):
        hint = "That is pi_0 at the tie; the question asks for pi_2, the weight of component 2."
    elif _number_close(number, float(densities[0] / densities[2])):
        hint = ("That is the ratio pi_2 / pi_0 at the tie, N_0 / N_2. Put pi_0 = 0.75 - pi_2 into "
                "pi_2 N_2 = pi_0 N_0 and solve for pi_2.")
    elif _number_close(number, float(truth.weights[2])):
        hint = ("At the true weight 0.25 component 0 still wins (Exercise 0.1). Find the pi_2 at which "
                "pi_2 N(x | mu_2, Sigma_2) = pi_0 N(x | mu_0, Sigma_0), with pi_0 = 0.75 - pi_2.")
    elif _number_close(number, rest / 2):
        hint = ("With pi_0 = pi_2 = 0.375 the densities alone decide, and component 2's is higher, so it already "
                "wins there: the tie lies at a smaller pi_2. Solve pi_2 N_2 = (0.75 - pi_2) N_0.")
    elif _number_close(number, tie(torch.exp(-sq / 2))):
        hint = ("The normalising factors 1 / (2 pi sigma_k0 sigma_k1) were dropped, as if they cancelled. They "
                "differ between the components: the narrower component 2 has the larger one. Keep them.")
    elif _number_close(number, tie(torch.exp(-sq / 2) / truth.variances.prod(dim=1))):
        hint = ("The normalising factor has the product of the two variances where its square root belongs: "
                "1 / (2 pi sigma_k0 sigma_k1).")
    elif _number_close(number, tie(torch.exp(-sq) / truth.variances.prod(dim=1).sqrt())):
        hint = "The exponent of each 1-D density is -(x - mu)^2 / (2 sigma^2): the factor 1/2 is missing."
    elif _number_close(number, expected, rtol=0.02):
        hint = ("Close, but further off than rounding the final answer explains: a value rounded early was carried "
                "through. Keep at least four significant figures in every intermediate step.")
    else:
        hint = ("The two responsibilities share the denominator p(x), so they are equal when "
                "pi_2 N(x | mu_2, Sigma_2) = pi_0 N(x | mu_0, Sigma_0); put pi_0 = 0.75 - pi_2 and solve for pi_2.")
    _verdict("0.2", answer, False, hint)


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
    ran, got = _attempt("1.1", pdf, x, explain=lambda exc: (
        "Shapes do not broadcast: x has shape (N,), and m and v have shape (2, 1), one row per component. "
        "Use m[k, 0] and v[k, 0], or make x a row, x[None, :] of shape (1, N), so that x - m is (2, N); "
        "then w, of shape (2,), needs w[:, None], shape (2, 1), to weight the rows of a (2, N) table."
        if isinstance(exc, RuntimeError) and "must match the size" in str(exc) else None))
    if not ran:
        return
    if pdf is None:
        return _verdict("1.1", None, False, "")
    try:
        got = torch.as_tensor(got, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return _verdict("1.1", pdf, False, f"Return a tensor of densities, not {type(got).__name__}.")
    if got.shape != x.shape:
        return _verdict("1.1", pdf, False, f"Return one density per value of x, shape {tuple(x.shape)}; got shape "
                                           f"{tuple(got.shape)}. Add the components up (sum over k) for each x.")
    if _close(got, oracle):
        return _verdict("1.1", pdf, True, "")
    with_std = MixtureSameFamily(Categorical(probs=w), Normal(m[:, 0], v[:, 0])).log_prob(x).exp()
    unnormalised = (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v))).sum(dim=0)  # (101,): no 1/sqrt(2 pi v_k)
    unweighted = MixtureSameFamily(Categorical(probs=torch.ones(2, dtype=torch.float64)), Normal(m[:, 0], v[:, 0].sqrt()))
    unweighted_sum = 2 * unweighted.log_prob(x).exp()  # (101,): the two bells added without their weights
    no_half = (w[:, None] * torch.exp(-(x - m) ** 2 / v) / torch.sqrt(2 * math.pi * v)).sum(dim=0)  # exponent without 1/2
    v_in_factor = (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v)) / (math.sqrt(2 * math.pi) * v)).sum(dim=0)  # 1 / (sqrt(2 pi) v)
    no_sqrt = (w[:, None] * torch.exp(-(x - m) ** 2 / (2 * v)) / (2 * math.pi * v)).sum(dim=0)  # 1 / (2 pi v): no root
    if _close(got, with_std):
        hint = "0.5 and 1.0 are variances: in the formula they are sigma_k^2, so the standard deviation is their square root."
    elif _close(got, unweighted_sum) or _close(got, unweighted_sum / 2):
        hint = ("Each bell must be multiplied by its weight pi_k (0.3 and 0.7): the weights say how much of the data "
                "each component draws, and they make the total area 1.")
    elif _close(got, unnormalised):
        hint = ("Each Gaussian needs its normalising factor 1 / sqrt(2 pi sigma_k^2), so that its area is 1; "
                "without it the curve does not integrate to 1.")
    elif _close(got, no_half):
        hint = "The exponent is -(x - mu_k)^2 / (2 sigma_k^2): the factor 1/2 is missing."
    elif _close(got, no_sqrt):
        hint = "The factor is 1 / sqrt(2 pi sigma_k^2): the square root is missing."
    elif _close(got, v_in_factor):
        hint = ("The factor is 1 / sqrt(2 pi sigma_k^2), with the square root over the variance too, not "
                "1 / (sqrt(2 pi) sigma_k^2).")
    elif _close(got, oracle, rtol=3e-3):  # a rounded constant: pi as 3.14, or sqrt(0.5) typed as 0.707
        hint = ("Very close, but off by more than rounding: a rounded constant? 3.14 for pi is off by about 1 part "
                "in 2000, 0.707 for the standard deviation sqrt(0.5) by about 1 in 7000. Use torch.pi (or math.pi) and let "
                "the code take the square roots of the variances.")
    else:
        hint = ("p(x) = sum_k pi_k exp(-(x - mu_k)^2 / (2 sigma_k^2)) / sqrt(2 pi sigma_k^2); the sigma_k^2 are the "
                "variances 0.5 and 1.0.")
    _verdict("1.1", pdf, False, hint)


def check_count_spread(answer) -> None:
    """Exercise 1.2: the standard deviation of the number of points from component 1 (weight 0.25) among the
    600 points of the running example, as a number."""
    n, weight = 600, float(toy_params(torch.float64).weights[1])
    expected = (n * weight * (1 - weight)) ** 0.5
    number = _scalar_check("1.2", answer, expected)
    if number is None:
        return
    # a likely mistake rounded by hand to three significant figures is still recognised (rtol 5e-3)
    if _number_close(number, expected**2):
        hint = "That is the variance of the count; the question asks for its standard deviation."
    elif _number_close(number, (weight * (1 - weight) / n) ** 0.5):
        hint = ("The count is a sum of 600 independent yes/no draws, each yes with probability 0.25: "
                "its variance is N pi (1 - pi), for the count, not for the fraction.")
    elif _number_close(number, (n * weight) ** 0.5):
        hint = ("Each yes/no draw has variance pi (1 - pi), not pi: a draw that is yes with probability pi "
                "has mean pi and mean square pi, so its variance is pi - pi^2.")
    elif _number_close(number, (n * 0.27 * 0.73) ** 0.5):
        hint = ("That uses the running example's observed fraction, 162 / 600 = 0.27. The question asks how much "
                "the count varies from sample to sample, around the true weight pi = 0.25.")
    elif (rounding := _rounding_hint(number, expected, near=0)) is not None:
        hint = rounding
    elif _number_close(number, expected, rtol=0.05):
        hint = ("Close, but not a rounding of the answer: check the arithmetic of N pi (1 - pi) for N = 600 and "
                "pi = 0.25, then take its square root, keeping three significant figures to the end.")
    else:
        hint = "The count is a sum of 600 independent yes/no draws, each yes with probability 0.25."
    _verdict("1.2", answer, False, hint)


EXERCISE_1_3_POINTS = (1.0, 2.0, 6.0)


def check_ml_variance(answer) -> None:
    """Exercise 1.3: the maximum-likelihood variance of a component whose labelled points (one dimension) are
    ``EXERCISE_1_3_POINTS``, as a number."""
    x = torch.tensor(EXERCISE_1_3_POINTS, dtype=torch.float64)
    squares = float(((x - x.mean()) ** 2).sum())  # S = 14
    expected = squares / len(x)
    number = _scalar_check("1.3", answer, expected)
    if number is None:
        return
    if _number_close(number, squares / (len(x) - 1)):
        hint = ("That divides by N_k - 1, the textbook sample variance. Setting the derivative of the labelled "
                "log-likelihood to 0 gives S / N_k: divide by the number of points.")
    elif _number_close(number, expected**0.5) or _number_close(number, (squares / (len(x) - 1)) ** 0.5):
        hint = "That is a standard deviation; the question asks for the variance sigma^2 (no square root)."
    elif _number_close(number, squares):
        hint = "That is the sum of squared distances S; the maximum is at S divided by the number of points."
    elif (rounding := _rounding_hint(number, expected)) is not None:
        hint = rounding
    else:
        hint = ("First the mean of the points (the maximum-likelihood mean), then the average of the squared "
                "distances to it.")
    _verdict("1.3", answer, False, hint)


EXERCISE_1_4 = ((0.2, 0.5, 0.3), 0.72)  # the weights, and the uniform draw v


def check_component_pick(answer) -> None:
    """Exercise 1.4: the index k (counted from 0) of the component that the cumulative-sum rule picks for the
    weights and the uniform draw v of ``EXERCISE_1_4``."""
    weights, v = EXERCISE_1_4
    cumulative = torch.cumsum(torch.tensor(weights, dtype=torch.float64), dim=0)  # (3,): C_0, C_1, C_2 = 0.2, 0.7, 1.0
    index = int((cumulative <= v).sum())  # the rule: the number of sums <= v
    if answer is None:
        return _verdict("1.4", None, False, "")
    k = _number("1.4", answer)
    if k is None:
        return
    if k != round(k):
        return _verdict("1.4", answer, False, "Expected a whole number: the component's index k.")
    largest = max(range(len(weights)), key=lambda j: weights[j])
    if k == index:
        return _verdict("1.4", answer, True, "")
    raw = int((torch.tensor(weights, dtype=torch.float64) <= v).sum())  # v compared with the weights themselves: 3
    if k in (index + 1, raw):  # for this exercise both slips give 3, so the hint names both
        hint = (f"Two slips give {int(k)}: counting components from 1 (in code they are counted from 0: 0, 1, 2), "
                "or comparing v with the weights themselves (every weight is below 0.72) instead of their running "
                "sums C_k = pi_0 + ... + pi_k. The rule gives k directly: the number of cumulative sums <= v.")
    elif k in (largest, index - 1):  # for this exercise both slips give 1, so the hint names both
        hint = (f"Two slips give {int(k)}: taking the component with the largest weight (the likeliest pick over "
                "many draws, but one draw picks the piece that v lands in), or taking the last cumulative sum <= v "
                "(C_1 = 0.7): a sum <= v means v lies beyond that piece's end. The rule gives k directly: the "
                "number of cumulative sums C_0, C_1, C_2 that are <= v.")
    elif not 0 <= k < len(weights):
        hint = ("There are only 3 components, k = 0, 1, 2. Compare v with the cumulative sums C_k = pi_0 + ... + pi_k, "
                "not with the weights themselves (every weight is below 0.72).")
    else:
        hint = "Compute the cumulative sums C_0, C_1, C_2 and count how many are <= v."
    _verdict("1.4", answer, False, hint)


# 02_initialisation ---------------------------------------------------------------------------------

EXERCISE_D2_POINTS = torch.tensor([[0.0], [1.0], [2.0], [10.0]], dtype=torch.float64)


def check_d2_probabilities(answer) -> None:
    """Exercise 2.1: with the first picked point at x = 0, the probability of each point in ``EXERCISE_D2_POINTS``
    being the second picked point under k-means++, shape (4,) (a (4, 1) or (1, 4) tensor is read as 4 numbers)."""
    d2 = (EXERCISE_D2_POINTS[:, 0] - 0.0) ** 2
    d = d2.sqrt()
    expected = d2 / d2.sum()
    if answer is None:
        return _verdict("2.1", None, False, "")
    try:
        given = torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return _verdict("2.1", answer, False, f"Expected a tensor of 4 probabilities, got {type(answer).__name__}.")
    if given.numel() != 4:
        return _verdict("2.1", answer, False, f"Expected 4 probabilities, one per point; got a tensor of shape "
                                              f"{tuple(given.shape)}.")
    given = given.reshape(-1)
    if _hand_vector(given, expected):  # each to three significant figures (the first, 0, exactly)
        return _verdict("2.1", answer, True, "")
    rounded = [torch.round(expected, decimals=k) for k in (1, 2)] + [
        torch.where(expected > 0, torch.round(expected / 10 ** (torch.floor(torch.log10(expected.clamp_min(1e-300))) - s + 1))
                    * 10 ** (torch.floor(torch.log10(expected.clamp_min(1e-300))) - s + 1), expected) for s in (1, 2)]
    def wrong(i):  # given[i] not right to three significant figures
        return float(expected[i]) > 0 and not _hand_close(float(given[i]), float(expected[i]))

    def cut_off(i):  # given[i] is expected[i] cut after its third significant figure, not rounded
        return wrong(i) and abs(float(given[i]) - _cut_to_three(float(expected[i]))) <= 1e-6 * float(expected[i])

    def few_figures(i):  # given[i] is expected[i] rounded to one or two significant figures
        return wrong(i) and any(abs(float(given[i]) - float(r[i])) < 1e-6 * float(expected[i]) + 1e-12 for r in rounded[2:])

    if _close(given, d / d.sum(), rtol=2e-3, atol=5e-4):
        hint = "Those are proportional to the distance dist(x); k-means++ uses its square."
    elif float(given[0]) != 0:
        hint = ("The point x = 0 is already the first picked point: its distance to the nearest picked point is 0, so "
                "it cannot be picked again and its probability is 0 (and it adds nothing to the sum you divide by).")
    elif any(bool((given - r).abs().max() < 1e-6) for r in rounded):
        hint = "Close, but rounded too coarsely: give each probability to three significant figures."
    elif (float(given.sum()) > 0 and _close(given / given.sum(), expected, rtol=2e-3, atol=5e-5) and abs(float(given.sum()) - 1) > 2e-3
          and not any(few_figures(i) or cut_off(i) for i in range(4))):  # a sum off only by a rounding: the branches below
        hint = (f"Proportional to dist(x)^2, as they should be, but they add up to {float(given.sum()):.4f}, not 1: "
                "check the sum you divided by.")
    elif _close(given, expected, rtol=0.03, atol=0) and any(few_figures(i) and not cut_off(i) for i in range(4)):
        # first: 0.038 for 0.038095 is both a cut-off 0.0380 and a two-figure rounding, so an answer with another
        # value that only too few figures explain (0.0095 for 0.0095238) is told about the figures, not the cut
        hint = ("Close, but at least one probability has only one or two significant figures (a small one, such as "
                "the second, needs its leading zeros and then three figures): give each to three significant figures.")
    elif _close(given, expected, rtol=0.03, atol=0) and any(cut_off(i) and few_figures(i) for i in range(4)):
        # 0.038 for 0.038095: a correct two-figure rounding, or 0.0380 cut off; the number cannot tell which
        hint = ("Close, but at least one probability has only two significant figures, or was cut off after its third "
                "instead of rounded (the same number): give each to three significant figures, rounded to the nearest.")
    elif _close(given, expected, rtol=0.03, atol=0) and any(cut_off(i) for i in range(4)):
        hint = ("Close, but at least one probability was cut off after its third significant figure, not rounded: round "
                "to the nearest (a following digit of 5 or more rounds the third figure up).")
    elif _close(given, expected, rtol=0.03, atol=0):
        hint = ("Close, but not every probability is right to three significant figures: round each to the nearest "
                "(do not cut digits off) and keep more figures until the final division.")
    elif _close(given, expected, rtol=0, atol=0.01):
        hint = "Close, but rounded too coarsely: give each probability to three significant figures."
    else:
        hint = "Probability proportional to dist(x)^2, the squared distance to the nearest picked point; divide by the sum."
    _verdict("2.1", answer, False, hint)


def check_d2_third_probabilities(answer) -> None:
    """Exercise 2.1, part 2: with the picked points x = 0 and x = 10, the probability of each point in
    ``EXERCISE_D2_POINTS`` being the third picked point under k-means++, shape (4,)."""
    x = EXERCISE_D2_POINTS[:, 0]
    to_picks = torch.stack([(x - 0.0) ** 2, (x - 10.0) ** 2])  # (2, 4): squared distance to each picked point
    nearest, latest, summed = to_picks.min(dim=0).values, to_picks[1], to_picks.sum(dim=0)  # (4,) each
    expected = nearest / nearest.sum()  # 0, 1/5, 4/5, 0
    if answer is None:
        return _verdict("2.1 (part 2)", None, False, "")
    try:
        given = torch.as_tensor(answer, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        return _verdict("2.1 (part 2)", answer, False, f"Expected a tensor of 4 probabilities, got {type(answer).__name__}.")
    if given.numel() != 4:
        return _verdict("2.1 (part 2)", answer, False, f"Expected 4 probabilities, one per point; got {given.numel()}.")
    if _hand_vector(given, expected):
        return _verdict("2.1 (part 2)", answer, True, "")
    if _close(given, latest / latest.sum(), rtol=2e-3, atol=5e-4):
        hint = ("Those measure each point's distance to the latest picked point, 10, only. dist(x) is the distance to "
                "the NEAREST picked point: for x = 1 the nearest pick is 0 (distance 1), not 10 (distance 9).")
    elif _close(given, summed / summed.sum(), rtol=2e-3, atol=5e-4):
        hint = ("Those add the squared distances to both picked points. dist(x)^2 uses only the nearest picked "
                "point: the minimum over the picks, not their sum.")
    elif _close(given, nearest.sqrt() / nearest.sqrt().sum(), rtol=2e-2, atol=5e-3):  # 1/3, 2/3, also rounded
        hint = "Those are proportional to the distance dist(x) to the nearest picked point; k-means++ uses its square."
    elif float(given[0]) != 0 or float(given[3]) != 0:
        hint = "x = 0 and x = 10 are both picked already: their distance to the nearest picked point is 0, so probability 0."
    else:
        hint = "For each point: the squared distance to the nearest of 0 and 10; then divide by their sum."
    _verdict("2.1 (part 2)", answer, False, hint)


def check_data_variance_init(init) -> None:
    """Exercise 2.2: ``init(X, K, generator)`` is ``init_random_points`` with each dimension's data variance."""
    from ..init import init_random_points

    X = torch.tensor([[0.0, 0.0], [2.0, 10.0], [4.0, 20.0], [6.0, 30.0], [1.0, -5.0]], dtype=torch.float64)
    def explain(exc):  # init_random_points(X, K, generator): the third positional argument is the variance
        if isinstance(exc, ValueError) and "Generator" in str(exc):
            return ("init_random_points's third argument is the variance: pass the generator by name, "
                    "init_random_points(X, K, generator=generator).")
        return None

    K = 3  # not D = 2, so that a (D, D) block of variances cannot pass by accident
    if init is None:
        return _verdict("2.2", None, False, "")
    for seed in (0, 1):  # two generators (they pick different points), so a function that seeds its own fails
        ran, p = _attempt("2.2", init, X, K, torch.Generator().manual_seed(seed), explain=explain)
        if not ran:
            return
        reference = init_random_points(X, K, generator=torch.Generator().manual_seed(seed))
        if not isinstance(p, GMMParams):
            return _verdict("2.2", init, False, f"Return a GMMParams(weights, means, variances), not {type(p).__name__}.")
        if not (_close(p.means, reference.means) and _close(p.weights, reference.weights)):
            return _verdict("2.2", init, False, "Take the means and weights from init_random_points(X, K, generator=generator), "
                            "so the same generator gives the same points"
                            + (" (with a generator seeded 1 yours gave other points: use the generator you are given, "
                               "do not make your own)." if seed else "."))
    target = X.var(dim=0, unbiased=False).expand(K, 2)
    if _close(p.variances, target):
        return _verdict("2.2", init, True, "")
    if _close(p.variances, X.var(dim=0, unbiased=True).expand(K, 2)):
        hint = ("You divided by N - 1 (torch's default for var, unbiased=True); the series' variances divide by N: "
                "pass unbiased=False.")
    elif _close(p.variances, X.std(dim=0, unbiased=False).expand(K, 2)) or _close(p.variances, X.std(dim=0).expand(K, 2)):
        hint = "Those are standard deviations (sigma); the variances are their squares (sigma^2)."
    elif _close(p.variances, X.var(unbiased=False).expand(K, 2)) or _close(p.variances, X.var().expand(K, 2)):
        hint = ("That is one variance pooled over all the numbers of X; take one per dimension, along the point "
                "axis: X.var(dim=0, unbiased=False).")
    elif isinstance(p.variances, torch.Tensor) and p.variances.dim() == 2 and p.variances.shape != (K, 2):
        hint = (f"Variances of shape {tuple(p.variances.shape)}; GMMParams holds one row of D variances per component, "
                f"shape (K, D) = ({K}, 2) here: repeat the row K times (K components), not D times.")
    elif _close(p.variances, X.var(dim=0, unbiased=False)):
        hint = ("Right numbers, shape (D,): GMMParams holds one row of variances per component, shape (K, D). "
                "Repeat the row for each of the K components.")
    else:
        hint = ("Every component gets the data's variance along each dimension: shape (K, D), one row per component, "
                "each row X.var(dim=0, unbiased=False).")
    _verdict("2.2", init, False, hint)


# 03_diagonal_gaussian ------------------------------------------------------------------------------

def check_log_density_by_hand(answer) -> None:
    """Exercise 3.1: log N(x; mu_0, diag(sigma^2_0)) at x = (0, 0) for component 0 of ``toy_params()``
    (mean (-2.5, 0), variances (1.8, 0.8)), as a number."""
    truth = toy_params(torch.float64)
    x = torch.zeros(1, 2, dtype=torch.float64)
    expected = float(diag_gaussian_log_pdf(x, truth.means[0], truth.variances[0])[0])
    with_std = float(diag_gaussian_log_pdf(x, truth.means[0], truth.variances[0].sqrt())[0])
    number = _scalar_check("3.1", answer, expected)
    if number is None:
        return
    if _number_close(number, with_std):
        hint = "1.8 and 0.8 are variances: they enter as sigma^2, not as sigma."
    elif _number_close(number, float(torch.tensor(expected).exp())):
        hint = "That is the density itself; the exercise asks for its logarithm (a log-density, here negative)."
    elif _number_close(number, expected + 0.5 * math.log(2 * math.pi)):
        hint = "The constant is D log(2 pi) with D = 2: one log(2 pi) per dimension."
    elif _number_close(number, 2 * expected):
        hint = "That is twice the answer: the whole bracket (constant, log-variances and squared distances) is multiplied by -1/2."
    elif _number_close(number, expected + 0.5 * float(truth.variances[0].log().sum())):
        hint = "The normaliser has a log sigma^2_d term for each dimension too, not only log(2 pi)."
    elif _number_close(number, -0.5 * (2 * math.log10(2 * math.pi) + float(truth.variances[0].log10().sum())
                                        + float((truth.means[0] ** 2 / truth.variances[0]).sum()))):
        hint = "log here is the natural logarithm (math.log, torch.log), not log10."
    elif _number_close(number, expected - 0.5 * float((truth.means[0] ** 2 / truth.variances[0]).sum())):
        hint = ("The squared distance is halved too: -1/2 multiplies the sum of (x_d - mu_d)^2 / sigma^2_d as well "
                "as the constant and the log-variances.")
    elif _number_close(number, float(diag_gaussian_log_pdf(x, truth.means[0], truth.variances[0].flip(0))[0])):
        hint = "The variances are swapped: 1.8 belongs to x_0 and 0.8 to x_1 (mu = (-2.5, 0), so only x_0 is off the mean)."
    elif number > 0:
        hint = "A log-density far from the mean is negative here: check the signs."
    elif (rounding := _rounding_hint(number, expected, near=0.02)) is not None:
        hint = rounding
    else:
        hint = "-1/2 [D log(2 pi) + sum_d log sigma^2_d + sum_d (x_d - mu_d)^2 / sigma^2_d], with D = 2."
    _verdict("3.1", answer, False, hint)


EXERCISE_3_3_COV = ((0.25, 0.25), (0.25, 1.0))  # variances 0.25 and 1, Sigma_01 = 0.25: rho = 0.25 / (0.5 * 1) = 0.5


def check_diagonal_cost_by_hand(answer) -> None:
    """Exercise 3.3: the log-density per point that the diagonal version of the 2-D Gaussian with covariance
    ``EXERCISE_3_3_COV`` (variances 0.25 and 1, Sigma_01 = 0.25, so rho = 0.5) loses on average,
    -1/2 log(1 - rho^2), as a number."""
    from ..gaussian import diagonal_cost

    cov = torch.tensor(EXERCISE_3_3_COV, dtype=torch.float64)
    sigma_01 = float(cov[0, 1])
    rho = sigma_01 / float(cov[0, 0] * cov[1, 1]) ** 0.5  # 0.5
    expected = float(diagonal_cost(cov))
    number = _scalar_check("3.3", answer, expected)
    if number is None:
        return
    if _number_close(number, -expected):
        hint = "The sign: 1 - rho^2 < 1, so log(1 - rho^2) < 0 and the cost, -1/2 log(1 - rho^2), is positive."
    elif _number_close(number, 2 * expected):
        hint = "The cost is half the difference of the log-determinants: keep the factor 1/2."
    elif _number_close(number, -0.5 * torch.log(torch.tensor(1 - rho)).item()):
        hint = "|Sigma| = Sigma_00 Sigma_11 (1 - rho^2): the correlation enters squared."
    elif _number_close(number, expected / math.log(10)) or _number_close(number, 2 * expected / math.log(10)):
        hint = ("That is a base-10 logarithm: the cost is in nats, with the natural log (math.log), "
                "-1/2 log(1 - rho^2).")
    elif _number_close(number, -0.5 * math.log(1 - sigma_01**2)):
        hint = ("Sigma_01 = 0.25 is the covariance, not the correlation: rho = Sigma_01 / (sigma_0 sigma_1), with "
                "sigma_d the square roots of the variances; or use |Sigma| = Sigma_00 Sigma_11 - Sigma_01^2.")
    elif (rounding := _rounding_hint(number, expected, near=0.04)) is not None:
        hint = rounding
    else:
        hint = ("The cost is 1/2 (sum_d log Sigma_dd - log |Sigma|), with |Sigma| = Sigma_00 Sigma_11 (1 - rho^2); "
                "the variances cancel.")
    _verdict("3.3", answer, False, hint)


def check_overflow_dimension(answer) -> None:
    """Exercise 3.2: the smallest D for which the float32 density of x = mu under N(mu, 0.01 I_D), computed as a
    product of D one-dimensional densities, is inf."""
    peak = 1 / (2 * torch.pi * 0.01) ** 0.5  # N(mu; mu, 0.01), about 3.99
    running = torch.cumprod(torch.full((200,), peak, dtype=torch.float32), dim=0)  # (200,): D = 1, 2, ...
    expected = int(torch.isinf(running).nonzero()[0]) + 1
    with_sd = torch.cumprod(torch.full((200,), 1 / ((2 * torch.pi) ** 0.5 * 0.01), dtype=torch.float32), dim=0)  # 0.01 as sigma
    expected_with_sd = int(torch.isinf(with_sd).nonzero()[0]) + 1  # 25
    if answer is None:
        return _verdict("3.2", None, False, "")
    number = _number("3.2", answer)
    if number is None:
        return
    if number == expected:
        return _verdict("3.2", answer, True, "")
    if number == expected - 1:
        hint = "At that D the product is still just below float32's largest number; the question asks for the first inf."
    elif expected - 1 < number < expected:
        hint = ("D counts dimensions, so it is a whole number: round up, since the whole D just below your value "
                "still fits in float32.")
    elif number in (expected_with_sd - 1, expected_with_sd):
        hint = ("0.01 is the variance sigma^2, not the standard deviation: sigma = 0.1, so each factor is "
                "1/sqrt(2 pi 0.01), about 3.99, not 1/(sqrt(2 pi) 0.01), about 39.9.")
    elif number in (513, 514):
        hint = ("That is where float64 overflows (its largest number is 1.8e308); the question asks about float32, "
                "whose largest number is torch.finfo(torch.float32).max, about 3.4e38.")
    else:
        hint = ("Each factor is 1/sqrt(2 pi 0.01); find the first D where factor**D exceeds float32's largest "
                "number, torch.finfo(torch.float32).max (compare logarithms).")
    _verdict("3.2", answer, False, hint)


def exercise_3_4_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Exercise 3.4's points, each ``(x, mean, variances)`` of shape (D,): component 0 of ``toy_params()`` at
    (0, 0) (Exercise 3.1); D = 5 with variances from 1e-3 to 1e3; D = 600 in float32, whose density, about
    e^-1200, is 0 in float32 and in float64 alike (only its log can be computed); and D = 600 in float32 with
    variances from 0.005 to 0.02, whose product, about e^-2760, is 0 in both types, so log(prod(variances))
    is -inf (only the sum of their logs works); and D = 2 in float32 with one coordinate 40 standard deviations
    from its mean, whose factor, about e^-800, is 0 in float32 and in float64 alike, so exponentiating each term
    and then taking its log gives -inf (or math.log's ValueError) whatever the type."""
    g = torch.Generator().manual_seed(34)
    truth = toy_params(torch.float64)
    cases = [(torch.zeros(2, dtype=torch.float64), truth.means[0], truth.variances[0])]
    spread = torch.logspace(-3, 3, 5, dtype=torch.float64)  # variances far from 1
    mean = torch.randn(5, generator=g, dtype=torch.float64)
    cases.append((mean + spread.sqrt() * torch.randn(5, generator=g, dtype=torch.float64), mean, spread))
    mean = torch.randn(600, generator=g)
    variances = torch.exp(torch.empty(600).uniform_(math.log(0.25), math.log(4.0), generator=g))
    cases.append((mean + 1.5 * variances.sqrt() * torch.randn(600, generator=g), mean, variances))  # float32
    mean = torch.randn(600, generator=g)
    variances = torch.exp(torch.empty(600).uniform_(math.log(0.005), math.log(0.02), generator=g))  # product: 0
    cases.append((mean + variances.sqrt() * torch.randn(600, generator=g), mean, variances))  # float32
    mean, variances = torch.tensor([1.0, -0.5]), torch.tensor([0.25, 2.0])  # float32: 40 sigma out in x_0
    cases.append((mean + torch.tensor([40.0, 0.3]) * variances.sqrt(), mean, variances))
    return cases


@contextlib.contextmanager
def _calls_to(functions: dict):
    """Record which of ``functions`` ({name: Python function}) are called inside the block; yields the set of
    their names. Matched by code object, so an alias (``from torch.distributions import Normal as N``) counts too;
    a value that is a string names a module, and any call into it or its submodules counts."""
    codes = {inspect.unwrap(f).__code__: name for name, f in functions.items() if not isinstance(f, str)}
    modules = {module: name for name, module in functions.items() if isinstance(module, str)}
    called: set[str] = set()
    previous = sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            called.add(codes[frame.f_code])
        elif event == "call" and modules:
            home = frame.f_globals.get("__name__", "")  # the module of the function being called
            called.update(name for module, name in modules.items() if home == module or home.startswith(module + "."))

    sys.setprofile(profile)
    try:
        yield called
    finally:
        sys.setprofile(previous)


# what Exercise 3.4 asks to be written by hand: calling any of these is using the oracle, not answering
_READY_MADE_LOG_DENSITIES = {
    "torch.distributions": torch.distributions.Distribution.__init__,  # every distribution's constructor runs it
    "diag_gaussian_log_pdf": diag_gaussian_log_pdf,
    "component_log_pdfs": component_log_pdfs,
    "scipy.stats": "scipy.stats",  # a module: norm.logpdf, multivariate_normal, ...
}


def check_diag_log_density(fn) -> None:
    """Exercise 3.4: ``fn(x, mean, variances)``, all of shape (D,), returns log N(x | mean, diag(variances)) of the
    one point x as a number; compared with ``diag_gaussian_log_pdf`` on ``exercise_3_4_cases()``. A function that
    calls torch.distributions, scipy.stats or the package's log-densities (``_READY_MADE_LOG_DENSITIES``) is refused: the
    exercise is to write the formula."""
    cases = exercise_3_4_cases()

    def formula(x, mean, variances):
        return float(diag_gaussian_log_pdf(x[None].double(), mean.double(), variances.double())[0])

    if fn is None:
        return _verdict("3.4", None, False, "")
    in_logs = ("On a point with D = 600 your function does not give the log-density: a product of 600 numbers, "
               "the density (about e^-1200 on one point) or the variances (about e^-2760 on another), is 0 even in "
               "float64, so its log is -inf. Stay in the log domain: add up the D log terms, with the sum of the logs "
               "of the variances, variances.log().sum(), and never compute the density or a product.")

    far_out = ("On the point 40 standard deviations from its mean in x_0 your function gives -inf (or math.log(0) "
               "fails): that coordinate's density, e^-800 / 1.25 = 3e-348, underflows to 0 in float32 and even in "
               "float64 (below its smallest number, 4.9e-324), and log(0) = -inf. Never exponentiate: take each term's "
               "log by hand, -1/2 log(2 pi sigma^2_d) - (x_d - mu_d)^2 / (2 sigma^2_d).")

    def explain(exc, hint=in_logs):  # math.log(0): the density was computed first, and it underflowed
        return hint if isinstance(exc, ValueError) and "math domain error" in str(exc) else None

    expected = [formula(*case) for case in cases]
    got = []
    with _calls_to(_READY_MADE_LOG_DENSITIES) as called:
        for i, (x, mean, variances) in enumerate(cases):
            hint = far_out if i == len(cases) - 1 else in_logs  # the far point is exercise_3_4_cases' last case
            ran, value = _attempt("3.4", fn, x.clone(), mean.clone(), variances.clone(),
                                  explain=lambda exc, hint=hint: explain(exc, hint))
            if not ran:
                return
            got.append(value)
    if called:
        return _verdict("3.4", fn, False, f"Your function calls {' and '.join(sorted(called))}, which computes the answer for "
                        "you. Write the boxed formula yourself, with tensor operations or math.")
    numbers = [_scalar_or_none(value) for value in got]
    D = [len(x) for x, _, _ in cases]

    def matches(alternative) -> bool:  # alternative(case index) -> the value that mistake gives, on every case
        return all(n is not None and math.isclose(n, alternative(i), rel_tol=1e-4, abs_tol=1e-6) for i, n in enumerate(numbers))

    log_2pi = math.log(2 * math.pi)
    log_var = [float(v.double().log().sum()) for _, _, v in cases]
    quad = [float(((x.double() - m.double()) ** 2 / v.double()).sum()) for x, m, v in cases]
    if matches(lambda i: expected[i]):
        return _verdict("3.4", fn, True, "")
    if any(n is None for n in numbers):
        shapes = [tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__ for v in got]
        if all(isinstance(v, torch.Tensor) and v.numel() == d for v, d in zip(got, D)):
            hint = "Your function returns one term per dimension: add them up over d (a sum, one number per point)."
        else:
            hint = f"Return one number, the log-density of the one point x; got {shapes}."
    elif all(math.isclose(n, expected[i], rel_tol=1e-4, abs_tol=1e-6) for i, n in enumerate(numbers[:4])):  # wrong far out only
        hint = far_out
    elif all(math.isclose(n, expected[i], rel_tol=1e-4, abs_tol=1e-6) for i, n in enumerate(numbers[:2])):  # wrong at D = 600 only
        hint = in_logs
    elif matches(lambda i: expected[i] - 0.5 * D[i] * log_2pi):
        hint = "The constant is -1/2 D log(2 pi): the 1/2 multiplies log(2 pi) too."
    elif matches(lambda i: expected[i] - 0.5 * log_var[i]):
        hint = "The normaliser is 1 / sqrt(2 pi sigma^2_d): its log is -1/2 log sigma^2_d; the 1/2 applies to log sigma^2_d too."
    elif matches(lambda i: expected[i] - 0.5 * quad[i]):
        hint = "The squared distance is halved too: -(x_d - mu_d)^2 / (2 sigma^2_d)."
    elif matches(lambda i: formula(cases[i][0], cases[i][1], cases[i][2] ** 2)) or matches(
            lambda i: formula(cases[i][0], cases[i][1], cases[i][2].sqrt())):
        hint = ("`variances` holds sigma^2_d, not standard deviations: use it as it is (log sigma^2_d = "
                "variances.log(), and divide the squared distance by it), with no square and no square root. "
                "torch.distributions.Normal, by contrast, takes sigma.")
    else:
        hint = "-1/2 [D log(2 pi) + sum_d log sigma^2_d + sum_d (x_d - mu_d)^2 / sigma^2_d], with D = len(x)."
    _verdict("3.4", fn, False, hint)


# 04_broadcasting_likelihoods -----------------------------------------------------------------------

BROADCAST_EXPRESSIONS = [
    "torch.zeros(5, 1, 3) + torch.zeros(4, 3)",
    "torch.zeros(3, 2)[:, None, :] - torch.zeros(6, 2)",
    "(torch.zeros(6, 1, 2) - torch.zeros(3, 2)).sum(dim=1)",
    "torch.zeros(7, 1) * torch.zeros(1, 4)",
    "torch.zeros(4, 3) + torch.zeros(4)",
]


def _broadcast_result(expression: str):
    """The shape an expression of ``BROADCAST_EXPRESSIONS`` gives, or "error" when its shapes do not broadcast."""
    try:
        return tuple(eval(expression, {"torch": torch}).shape)  # noqa: S307 - our own strings
    except RuntimeError:
        return "error"


def check_broadcast_shapes(answer) -> None:
    """Exercise 4.1: the shapes of ``BROADCAST_EXPRESSIONS``, as a list of tuples ("error" for an expression
    whose shapes do not broadcast), predicted without running them."""
    expected = [_broadcast_result(e) for e in BROADCAST_EXPRESSIONS]
    try:
        given = [item.strip().lower() if isinstance(item, str) else None if item is None
                 else (item,) if isinstance(item, int) else tuple(item) for item in answer]  # a bare int n: the shape (n,)
        bare_int = any(isinstance(item, int) for item in answer)
    except TypeError:
        given, bare_int = [], False
    wrong = [i + 1 for i, e in enumerate(expected) if i >= len(given) or given[i] != e]
    hint = f"Look again at expression(s) {wrong}: align shapes from the right; a 1 stretches to match."
    if bare_int:
        hint += " A shape is a tuple with one size per axis, such as (6, 2); a bare number n reads as (n,), one axis."
    if answer is not None and None in given and len(given) == len(expected):
        return _verdict("4.1", answer, False, 'Write the string "error" for an expression whose shapes do not '
                                              "broadcast, not None (None is the placeholder for no answer yet).")
    if answer is not None and len(given) != len(expected):
        return _verdict("4.1", answer, False, f"Give {len(expected)} answers, one per expression, in order; got "
                                              f"{len(given)}.")
    if any(expected[i - 1] == "error" for i in wrong):
        hint += ' Two sizes that differ, neither of them 1, are an error: answer "error" there.'
    if any(".sum(dim=" in BROADCAST_EXPRESSIONS[i - 1] for i in wrong):
        hint += " A .sum(dim=d) after the broadcast removes axis d from the broadcast shape."
    _verdict("4.1", answer, given == expected, hint)


def check_spherical_log_pdfs(fn) -> None:
    """Exercise 4.2: ``fn(X, means, variances)`` with one variance per component, variances of shape (K,) -> (N, K)."""
    from torch.distributions import Independent, Normal

    g = torch.Generator().manual_seed(0)
    X = torch.randn(20, 3, generator=g, dtype=torch.float64)
    means = torch.randn(4, 3, generator=g, dtype=torch.float64)
    variances = 0.5 + torch.rand(4, generator=g, dtype=torch.float64)
    oracle = Independent(Normal(means, variances.sqrt()[:, None].expand(4, 3)), 1).log_prob(X[:, None, :])
    def explain(exc):  # a shape clash: X - means without new axes, or (N, K, D) / (K,) lining K up with D
        if not (isinstance(exc, RuntimeError) and "must match the size" in str(exc)):
            return None
        if "(20)" in str(exc):  # N = 20 met K = 4: X - means without Nones
            return ("X of shape (N, D) and means of shape (K, D) do not broadcast: line them up on separate axes, "
                    "X[:, None, :] - means[None, :, :], which gives (N, K, D).")
        return ("Broadcasting lines shapes up from the right, so variances of shape (K,) meets the D axis of an "
                "(N, K, D) tensor. Give it the shape of the K axis it belongs to: variances[:, None], shape (K, 1), "
                "or divide the (N, K) summed squares by variances instead.")

    with _calls_to(_READY_MADE_LOG_DENSITIES) as called:  # as Exercise 3.4: the oracle is not an answer
        ran, got = _attempt("4.2", fn, X, means, variances, explain=explain)
    if ran and called:
        return _verdict("4.2", fn, False, f"Your function calls {' and '.join(sorted(called))}, which computes the "
                        "table for you. Write it with broadcasting: X[:, None, :] - means[None, :, :], then tensor operations.")
    if ran:
        hint = "The diagonal formula with sigma^2_kd = variances[k] for every d: sum_d log sigma^2_kd = D log variances[k]."
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
        squared = Independent(Normal(means, variances[:, None].expand(4, 3)), 1).log_prob(X[:, None, :])  # v read as a std
        one_log_2pi = oracle + 0.5 * (3 - 1) * math.log(2 * math.pi)  # log(2 pi) once instead of D times
        one_log_v = oracle + 0.5 * (3 - 1) * variances.log()  # log variances[k] once instead of D times
        # float32 arithmetic or pi typed as 3.14159 is right to ~1e-6 relative: rtol 1e-5 lets it pass
        if shape == (4, 20) and _close(got.T, oracle, rtol=1e-5):
            hint = "The values are right but the table is (K, N): rows should be points, so put the point axis first."
        elif shape == (20, 4) and _close(got, squared, rtol=1e-5):
            hint = "variances[k] is already sigma^2: divide the squared distance by it once, not by its square."
        elif shape == (20, 4) and _close(got, one_log_2pi, rtol=1e-5):
            hint = "The constant has D equal terms: D log(2 pi), one log(2 pi) per dimension, not one in all."
        elif shape == (20, 4) and _close(got, one_log_v, rtol=1e-5):
            hint = ("sum_d log sigma^2_kd has D terms, all equal to log variances[k]: "
                    "D log variances[k], not one log variances[k].")
        elif shape == (20, 4) and _close(got, 2 * oracle, rtol=1e-5):
            hint = "Every term is twice too big: the whole bracket is multiplied by -1/2."
        elif shape == (20, 4) and _close(got, -2 * oracle, rtol=1e-5):
            hint = "Yours is -2 times the answer: the -1/2 in front of the bracket is missing; multiply the bracket by -0.5."
        elif shape is not None and shape != (20, 4):
            hint = (f"The table should be (N, K) = (20, 4), one row per point; yours is {shape}. "
                    "Broadcast X[:, None, :] against means[None, :, :] and sum over the last axis.")
        _verdict("4.2", fn, got is not None and _close(got, oracle, rtol=1e-5), hint)


EXERCISE_4_3_SIZES = (100_000, 8, 1, torch.float64)  # N, K, D, dtype (a setting of 04's widget): D = 1, where the last line is the peak


def check_peak_bytes(answer) -> None:
    """Exercise 4.3: for ``EXERCISE_4_3_SIZES`` (D = 1), the bytes the broadcast form's tensors hold at the worst
    moment of its second line and of its last line, as a pair (second, last) of exact integers: 3 N K and 4 N K
    numbers (``diff``, named, is still alive at the last line), 8 bytes each. Exact, as a count of bytes is: 24.4 MiB
    read off the widget's bar does not pass. The pair separates the right count from the mistake of keeping
    ``diff**2`` alive at the ``.sum`` (4 N K at both lines), which gives the same peak."""
    from ..likelihoods import broadcast_memory_bytes, log_pdfs_peak_bytes

    N, K, D, dtype = EXERCISE_4_3_SIZES
    one = broadcast_memory_bytes(N, K, D, dtype)  # N K D = N K numbers
    expected = [3 * one, log_pdfs_peak_bytes(N, K, D, dtype, "broadcast")]  # second line: 3 N K; last line (the peak): 4 N K
    try:
        values = torch.as_tensor(answer, dtype=torch.float64).reshape(-1).tolist()
    except (TypeError, ValueError, RuntimeError):
        values = None
    hint = ("Go line by line: at each one, list the tensors alive (named ones until the function returns, unnamed "
            "ones until the operation that uses them returns), and count the numbers and bytes.")
    if answer is not None and (values is None or len(values) != 2):
        hint = "Answer with two numbers of bytes: (the second line's worst moment, the last line's worst moment)."
    elif values is not None:
        if any(v < 10**5 for v in values):
            hint = "Answer in bytes, not in MiB/MB or GiB/GB."
        elif values == [4 * one, 3 * one]:  # both counts right, in swapped order
            hint = ("Right counts, wrong order: give (the second line's worst moment, the last line's worst moment).")
        elif values[0] == 4 * one:
            hint = ("At the second line's .sum, diff**2 is no longer alive: it is unnamed, so it died when the division "
                    "that used it returned. Count that line's moments again.")
        elif values[0] == 2 * one and values[1] in (2 * one, 3 * one, 4 * one):  # diff left out (at the second line at least)
            hint = ("diff is named, so it does not die when the first line ends: it stays alive until the function "
                    "returns, through the second line and the last. Count it at each line's worst moment.")
        elif values[0] == 3 * one and values[1] in (2 * one, 3 * one):  # 8 bytes a number (the first count is right)
            hint = ("At the last line, count every tensor alive at its worst moment: diff (named, so alive until the "
                    "function returns) and each (N, K) tensor the line makes. At D = 1 each holds only N K numbers.")
        elif any(v == one for v in values):
            hint = "That is one tensor of N K numbers: how many are alive at the same moment?"
        elif all(v in [j * N * K for j in range(1, 8)] for v in values):  # counts of numbers (2,400,000 ...), not bytes
            hint = ("These look like counts of numbers, not bytes: each float64 number takes 8 bytes.")
        elif values[1] == 2 * one or any(v in (one / 2, 3 * one / 2, 5 * one / 2) for v in values):  # 4 bytes a number
            hint = "float64 takes 8 bytes per number, not 4."
        elif any(v in (j * one for j in (5, 6, 7)) for v in values):
            hint = ("More tensors than are alive at once: an unnamed one (diff**2, the quotient, the sum inside the "
                    "last line) dies as soon as the operation that uses it returns.")
        elif values != expected and all(0 <= v - e <= 4 * K * 8 and (v - e) % (K * 8) == 0 for v, e in zip(values, expected)):
            hint = ("Right, but you also counted c_k: its K numbers, (K,), are too small to matter, and the exercise "
                    "counts only the (N, K, 1) and (N, K) tensors. Leave c_k out.")
        elif all(_number_close(v, e) for v, e in zip(values, expected)):
            hint = "Give each count exactly, in bytes: a rounded value (such as one read off the bar) is not a count."
    _verdict("4.3", answer, values == expected, hint)


# 05_posteriors ------------------------------------------------------------------------------------

def check_two_component_responsibility(answer) -> None:
    """Exercise 5.1: the responsibility of component 0 of ``EXERCISE_1D`` for the point x = 0.5, as a number
    (to 3 significant figures; a 1-element tensor is fine). Right by the series' one rule for hand-worked
    answers (``_hand_close``): within half a unit in the third figure of the exact 0.16442, so 0.164, 0.1644 and
    0.1645 (densities rounded to 4 figures first) pass; 0.165 and 0.163 do not."""
    from ..posteriors import log_responsibilities

    x = torch.tensor([[0.5]], dtype=torch.float64)
    expected = float(log_responsibilities(x, EXERCISE_1D).exp()[0, 0])
    without_weights = float(log_responsibilities(x, EXERCISE_1D._replace(weights=torch.full((2,), 0.5, dtype=torch.float64))).exp()[0, 0])
    w, m, v = EXERCISE_1D
    std_as_variance = GMMParams(w, m, v**2)  # the 0.5 taken as a standard deviation: variance 0.25
    with_std = float(log_responsibilities(x, std_as_variance).exp()[0, 0])
    a = w * torch.exp(-((0.5 - m[:, 0]) ** 2) / (2 * v[:, 0]))  # the exponentials alone, no 1/sqrt(2 pi v)
    without_normalisers = float(a[0] / a.sum())
    v_not_sqrt = a / (math.sqrt(2 * math.pi) * v[:, 0])  # the factor 1 / (sqrt(2 pi) v) instead of 1 / sqrt(2 pi v)
    with_v_in_factor = float(v_not_sqrt[0] / v_not_sqrt.sum())
    b = w * torch.exp(-((0.5 - m[:, 0]) ** 2) / v[:, 0]) / torch.sqrt(2 * math.pi * v[:, 0])  # exponent without 1/2
    without_half = float(b[0] / b.sum())
    s = w * torch.exp(-((0.5 - m[:, 0]) ** 2) / (2 * v[:, 0].sqrt())) / torch.sqrt(2 * math.pi * v[:, 0])
    sigma_in_exponent = float(s[0] / s.sum())  # the exponent divides by 2 sigma, not 2 sigma^2: 0.2755
    densities = component_log_pdfs(x, EXERCISE_1D).exp()[0]  # (K,): each component's density at x
    not_shares = [float(d) for d in torch.cat([densities, w * densities])]  # 0.05947, 0.1295; joints 0.01784, 0.09066
    value = _scalar_or_none(answer)
    correct = value is not None and math.isfinite(value) and _hand_close(value, expected)
    if value is not None and abs(value - (1 - expected)) <= 1e-3:
        hint = "That is component 1's responsibility (weight 0.7, mean 2); the question asks for component 0's."
    elif value is not None and any(_hand_close(value, d) for d in not_shares):  # before the no-1/2 test: 0.0595 ~ 0.0600
        hint = ("You entered a density (or a joint, weight times density), not the share: divide component 0's "
                "joint by the sum of both joints.")
    elif value is not None and abs(value - with_std) <= 2e-3:
        hint = "0.5 and 1 are variances: the exponent divides (x - m)^2 by 2 v, and the factor is 1 / sqrt(2 pi v)."
    elif value is not None and abs(value - without_normalisers) <= 1e-3:
        hint = ("The two densities need their factors 1 / sqrt(2 pi v): the variances differ, so the factors "
                "do not cancel in the ratio.")
    elif value is not None and abs(value - without_half) <= 1e-3:
        hint = "The exponent is -(x - m)^2 / (2 v): the factor 1/2 is missing."
    elif value is not None and abs(value - with_v_in_factor) <= 1e-3:
        hint = "The factor is 1 / sqrt(2 pi v), with the square root over the variance v too, not 1 / (sqrt(2 pi) v)."
    elif value is not None and abs(value - sigma_in_exponent) <= 1e-3:
        hint = ("The exponent divides (x - m)^2 by 2 sigma^2 = 2 v, the variance itself (0.5 and 1), not by 2 sigma, "
                "its square root.")
    elif value is not None and _hand_close(value, without_weights):
        hint = "That is Bayes' rule without the prior: multiply each density by its component's weight first."
    elif value is not None and _hand_close(value, with_std):
        hint = "0.5 and 1 are variances: the exponent divides (x - m)^2 by 2 v, and the factor is 1 / sqrt(2 pi v)."
    elif answer is not None and value is None:
        hint = "Answer with one number (a float, or a tensor holding one value)."
    elif (rounding := _rounding_hint(value, expected)) is not None:
        hint = rounding
    else:
        hint = "r_0 = w_0 N(0.5; m_0, v_0) / (w_0 N(0.5; m_0, v_0) + w_1 N(0.5; m_1, v_1)), with v the variances."
    _verdict("5.1", answer, correct, hint)


def _data_with_a_far_point():
    """300 points from the true parameters in float64, plus one point far from every component, where every density
    underflows to 0 and a naive exp gives log(0): the data of Exercises 5.2 and 5.3's checks."""
    from ..data import sample_gmm

    params = toy_params(torch.float64)
    X, _ = sample_gmm(params, 300, generator=torch.Generator().manual_seed(0))
    return torch.cat([X, torch.tensor([[400.0, -400.0]], dtype=torch.float64)]), params


def _explain_missing_keepdim(exc):
    """Exercises 5.2 and 5.3: a row maximum or log-sum-exp of shape (N,) met the (N, K) table, K = 3 and N = 301 in the
    checks' data, because keepdim=True was left out; None for any other exception."""
    text = str(exc)
    if isinstance(exc, RuntimeError) and "must match the size" in text and "(3)" in text and "(301)" in text:
        return ("A per-point (N,) result met the (N, K) table: .max(dim=1) and torch.logsumexp(..., dim=1) drop the "
                "component axis, and broadcasting then lines N up with K. Pass keepdim=True to keep it, shape (N, 1).")
    return None


# Exercises 5.2 and 5.3: the stability hint for a maximum taken over the whole table instead of per point
_OWN_MAXIMUM_HINT = ("If you subtract a maximum, subtract each point's own (the maximum over components, keepdim=True): "
                     "one maximum for the whole table leaves the far point's row all zeros.")


def check_log_likelihood_from_log_pdfs(fn) -> None:
    """Exercise 5.2: ``fn(log_pdfs, weights)`` returns the data log-likelihood sum_n log sum_k w_k N_nk, stably."""
    X, params = _data_with_a_far_point()
    log_pdfs = component_log_pdfs(X, params)
    ran, got = _attempt("5.2", fn, log_pdfs.clone(), params.weights,  # a clone: an in-place edit stays the student's
                        explain=_explain_missing_keepdim)
    if ran:
        numel = got.numel() if isinstance(got, torch.Tensor) else None
        value = _scalar_or_none(got)
        finite = got is not None and value is not None and math.isfinite(value)
        expected = float(log_likelihood(X, params))
        no_weights = float(torch.logsumexp(log_pdfs, dim=1).sum())
        if numel == len(X):
            hint = "That is one log p(x_n) per point: the data log-likelihood sums them over the points too."
        elif finite and abs(value - len(X) * expected) <= 1e-8 * abs(len(X) * expected):
            hint = ("That is N times the answer: an (N, 1) maximum (keepdim=True) was added to an (N,) sum, "
                    "broadcasting made an N x N table, and summing it counted every point N times. Keep both (N, 1), "
                    "or both (N,).")
        elif numel == len(X) ** 2:
            hint = ("Your result has N x N numbers: an (N, 1) maximum (keepdim=True) was added to an (N,) sum, and "
                    "broadcasting paired every point's maximum with every point's sum. Keep both (N, 1), or both (N,).")
        elif finite and abs(value - no_weights) <= 1e-8 * abs(no_weights):
            hint = ("You left out the weights: p(x_n) = sum_k w_k N_nk, so add log w_k to each column of log_pdfs "
                    "before the log-sum-exp. Without them every component counts as equally likely.")
        elif finite and abs(value - expected / len(X)) <= 1e-8 * abs(expected):
            hint = "That is the average per point (.mean()): the data log-likelihood is the sum over the points (.sum())."
        elif not finite:
            hint = ("The check includes a point far from every component: its densities are all 0 in probability "
                    "space, so stay in logs until the sum over components is done. " + _OWN_MAXIMUM_HINT)
        else:
            hint = "Sum over components inside the log (with the weights), then over points outside it."
        # one number: a 0-d tensor, or the (1,)-shaped result of keepdim=True followed by .sum(0); a result computed
        # in float32 (inputs converted on the way) is right to float32's rounding, not float64's
        # a plain Python float may hold a float32 result (.item()), so it gets float32's tolerance too
        single = not (isinstance(got, torch.Tensor) and got.dtype == torch.float64)
        rtol = 1e-5 if single else 1e-10
        _verdict("5.2", fn, finite and abs(value - expected) <= rtol * abs(expected), hint)


def check_e_step(fn) -> None:
    """Exercise 5.3: ``fn(X, params)`` returns the (N, K) table of log responsibilities, stable for a far point."""
    X, params = _data_with_a_far_point()
    ran, got = _attempt("5.3", fn, X.clone(), GMMParams(*(p.clone() for p in params)), explain=_explain_missing_keepdim)
    if not ran:
        return
    log_pdfs = component_log_pdfs(X, params)  # (N, K)
    expected = torch.log_softmax(log_pdfs + params.weights.log(), dim=1)  # Bayes' rule in logs
    N, K = expected.shape
    if not isinstance(got, torch.Tensor):
        _verdict("5.3", fn, False, f"Return a tensor (the (N, K) table of log r_nk), not a {type(got).__name__}.")
        return
    # a result computed in float32 is right to float32's rounding, not float64's
    rtol, atol = (1e-10, 1e-8) if got.dtype == torch.float64 else (1e-5, 1e-5)
    got = got.detach().to(torch.float64)
    same = lambda a, b: _close(a, b, rtol=rtol, atol=atol)  # noqa: E731 - shapes equal and values close
    finite = bool(torch.isfinite(got).all()) if got.numel() else False
    if got.shape == (K, N):
        hint = "Your table is (K, N): return one row per point and one column per component, (N, K)."
    elif got.shape in {(N,), (N, 1)}:
        hint = ("That is one number per point, probably log p(x_n): the E-step returns the whole (N, K) table, "
                "log r_nk = a_nk - log p(x_n).")
    elif got.shape != (N, K):
        hint = f"Expected an (N, K) table, here ({N}, {K}); got shape {tuple(got.shape)}."
    elif same(got, expected.exp()):
        hint = "Those are the responsibilities r_nk themselves: return their logs, as log_responsibilities does."
    elif not finite and same(got[:-1], expected[:-1]):
        hint = ("Right except for the last point, far from every component: its densities are all 0 in probability space, "
                "so stay in logs and normalise each row with the log-sum-exp (torch.logsumexp(..., dim=1, keepdim=True)). "
                + _OWN_MAXIMUM_HINT)
    elif same(got, torch.log_softmax(log_pdfs, dim=1)):
        hint = ("You left out the weights: Bayes' rule takes the prior pi_k, so the log-joints are "
                "a_nk = log pi_k + log N(x_n | mu_k, sigma^2_k).")
    elif same(got, log_pdfs + params.weights.log()):
        hint = "Those are the log-joints a_nk: subtract each point's log p(x_n), the log-sum-exp of its row, so each row of r sums to 1."
    elif same(got, torch.log_softmax(log_pdfs + params.weights.log(), dim=0)):
        hint = ("Your columns sum to 1, not your rows: each point's responsibilities sum to one over the components, "
                "so normalise over dim=1, with keepdim=True.")
    elif not finite:
        hint = ("Some entries are NaN or infinite: compute in logs, and take out each row's own maximum "
                "(torch.logsumexp(a, dim=1, keepdim=True) does it).")
    else:
        hint = "log r_nk = a_nk - logsumexp_j a_nj, with a_nk = log pi_k + log N(x_n | mu_k, sigma^2_k) from component_log_pdfs."
    _verdict("5.3", fn, got.shape == (N, K) and finite and same(got, expected), hint)


# 06_parameter_updates -----------------------------------------------------------------------------

EXERCISE_RESP = torch.tensor([[0.9, 0.1], [0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.1, 0.9]], dtype=torch.float64)
EXERCISE_POINTS = torch.tensor([[0.0], [1.0], [3.0], [4.0]], dtype=torch.float64)
# unequal effective counts (N_k = 2.4 and 1.6), so that equal weights 1/K and N_k - 1 are both visible mistakes
EXERCISE_POINTS_RESP = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.2, 0.8], [0.2, 0.8]], dtype=torch.float64)


def check_weight_update(answer) -> None:
    """Exercise 6.1: the new weights, shape (2,), from the responsibilities ``EXERCISE_RESP`` (5 points)."""
    expected = EXERCISE_RESP.mean(dim=0)
    hint = "pi_k = N_k / N, with N_k the sum of column k of the responsibilities and N the number of points."
    if _hand_vector(answer, EXERCISE_RESP.sum(dim=0)):
        hint = "Those are the effective counts N_k; the weights divide them by the number of points."
    elif _hand_vector(answer, torch.full((2,), 0.5, dtype=torch.float64)):
        hint = "The weights are not 1/K: each is the component's share of the points, its column's sum over N."
    elif _hand_vector(answer, expected.flip(0)):
        hint = "Right numbers, reversed: list component 0's weight (column 0) first."
    _verdict("6.1", answer, _hand_vector(answer, expected), hint)


def check_m_step_by_hand(answer) -> None:
    """Exercise 6.2: ``(weights, means, variances)`` for ``EXERCISE_POINTS`` and ``EXERCISE_POINTS_RESP``, reg_covar = 0."""
    from ..updates import m_step

    expected = m_step(EXERCISE_POINTS, EXERCISE_POINTS_RESP, reg_covar=0.0)
    try:
        w, m, v = answer
        parts = [_hand_vector(w, expected.weights), _hand_vector(m, expected.means), _hand_vector(v, expected.variances)]
    except (TypeError, ValueError):
        parts, answer_parts_ok = [False] * 3, False
    else:
        answer_parts_ok = True
    nk = EXERCISE_POINTS_RESP.sum(dim=0)
    hard_resp = torch.nn.functional.one_hot(EXERCISE_POINTS_RESP.argmax(dim=1), 2).to(torch.float64)
    hard = m_step(EXERCISE_POINTS, hard_resp, reg_covar=0.0)  # argmax labels: weights 0.5, 0.5, means 0.5, 3.5
    hint = "N_k = column sums; mean_k = sum_n r_nk x_n / N_k; variance_k = sum_n r_nk (x_n - mean_k)^2 / N_k."
    if not answer_parts_ok:
        hint = ("Answer with a tuple of three tensors, (weights, means, variances), each holding two numbers (one per "
                "component), e.g. (torch.tensor([w0, w1]), torch.tensor([m0, m1]), torch.tensor([v0, v1])).")
    elif not any(parts) and all(_hand_vector(a, e.flip(0).reshape(-1)) for a, e in zip((w, m, v), expected)):
        hint = "Right numbers, reversed: list component 0's values (column 0 of the responsibilities) first, in all three."
    elif not parts[0] and _hand_vector(w, nk):
        hint = "Those are the effective counts N_k; the weights divide them by the number of points: N_k / N."
    elif not parts[0] and _hand_vector(w, hard.weights) and _hand_vector(m, hard.means):
        hint = ("Those are the updates for hard labels (each point given wholly to its larger responsibility). The "
                "M-step keeps the shares: points 2 and 3 count 0.2 towards component 0 and 0.8 towards component 1.")
    elif not parts[0] and _hand_vector(w, torch.full((2,), 0.5, dtype=torch.float64)):
        hint = "The weights are not 1/K: each is the component's share of the points, N_k / N."
    elif parts[0] and not parts[1] and _hand_vector(m, expected.means * nk[:, None] / len(EXERCISE_POINTS)):
        hint = "Weights are right; each mean divides its weighted sum by N_k, the component's own count, not by N."
    elif parts[0] and parts[1] and not parts[2]:
        if _hand_vector(v, expected.variances * nk[:, None]):
            hint = "Weights and means are right; the variances are weighted sums of squares: divide them by N_k."
        elif _hand_vector(v, expected.variances * nk[:, None] / (nk[:, None] - 1)):
            hint = ("Weights and means are right; divide the weighted sums of squares by N_k, not N_k - 1: the M-step "
                    "is maximum likelihood, not the unbiased estimate.")
        elif _hand_vector(v, expected.variances.sqrt()):
            hint = "Weights and means are right; those are standard deviations: the M-step updates variances (no square root)."
        elif _hand_vector(v, expected.variances * nk[:, None] / len(EXERCISE_POINTS)):
            hint = "Weights and means are right; divide each weighted sum of squares by N_k, the component's own count, not by N."
        else:
            hint = "Weights and means are right; each variance weights (x_n - mean_k)^2 by r_nk, around the new mean."
    _verdict("6.2", answer, all(parts), hint)


# exercise 6.3: 06's one-point example (x = 1, weights 0.5, variances 1, r from theta_old's means (0, 3)) at these means
EXERCISE_6_3_MEANS = (0.0, 2.0)


def _one_point_bound(means, r_means=(0.0, 3.0), log=math.log):
    """(F, l, Q) for 06's one-point example: F = sum_k r_k log(p_k / r_k), l = log(p_0 + p_1), Q = sum_k r_k log p_k,
    with p_k = 0.5 N(1 | mu_k, 1) at ``means`` and r Bayes' rule at ``r_means``; ``log`` is the logarithm used."""
    def p(m):
        return [0.5 * math.exp(-((1.0 - mu) ** 2) / 2) / math.sqrt(2 * math.pi) for mu in m]

    r = [pk / sum(p(r_means)) for pk in p(r_means)]
    pk = p(means)
    return (sum(rk * log(q / rk) for rk, q in zip(r, pk)), log(sum(pk)), sum(rk * log(q) for rk, q in zip(r, pk)))


def check_bound_at_new_theta(answer) -> None:
    """Exercise 6.3 (notebooks/06_parameter_updates.ipynb): ``(F, ell)`` for the one-point example at the means
    ``EXERCISE_6_3_MEANS``, with r kept from theta_old (means (0, 3)); natural log; three significant figures."""
    if answer is None:
        return _verdict("6.3", answer, False, "")
    F, ell, Q = _one_point_bound(EXERCISE_6_3_MEANS)
    pair = _two_numbers(answer)
    got_F, got_ell = (None, None) if pair is None else (float(pair[0]), float(pair[1]))
    ok = [False, False] if pair is None else [_hand_close(got_F, F), _hand_close(got_ell, ell)]
    F10, ell10, _ = _one_point_bound(EXERCISE_6_3_MEANS, log=math.log10)
    badly_rounded = [] if pair is None else [  # a right value rounded wrongly (such as -1.63: F cut off, not rounded)
        h for got, want, right in ((got_F, F, ok[0]), (got_ell, ell, ok[1])) if not right and (h := _rounding_hint(got, want))]
    hint = ("p_k = 0.5 N(1 | mu_k, 1) at the new means; F = sum_k r_k log(p_k / r_k) with r = (0.8176, 0.1824) from "
            "theta_old; ell = log(p_0 + p_1).")
    if pair is None:
        hint = "Answer with a pair of two numbers, (F, ell): F first."
    elif _hand_close(got_F, ell) and _hand_close(got_ell, F):
        hint = "Right numbers, swapped: answer (F, ell), F first."
    elif _hand_close(got_F, F10) or _hand_close(got_ell, ell10):
        hint = "Use the natural log (math.log, torch.log), not log10."
    elif ok[1] and _hand_close(got_F, Q):
        hint = "That F is Q alone, sum_k r_k log p_k: add the entropy H = -sum_k r_k log r_k (r from theta_old)."
    elif ok[1] and _hand_close(got_F, ell):
        hint = ("That F equals ell: you recomputed r at the new theta (that is the E-step, which makes F = ell). Keep "
                "r = (0.8176, 0.1824) from theta_old, means (0, 3).")
    elif badly_rounded:
        hint = badly_rounded[0]
    elif ok[0] and not ok[1]:
        hint = "F is right; ell = log(p_0 + p_1), each p_k = 0.5 N(1 | mu_k, 1) with its weight 0.5."
    _verdict("6.3", answer, all(ok), hint)


def _exercise_6_4_data():
    """Data for Exercise 6.4's check: 40 points in D = 3 with soft responsibilities over K = 4 components (D != K, so
    a transposed table shows), float64, and a reg_covar large enough that leaving it out shows."""
    g = torch.Generator().manual_seed(6)
    X = torch.randn(40, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64) + 3.0
    resp = torch.softmax(2 * torch.randn(40, 4, generator=g, dtype=torch.float64), dim=1)  # rows sum to 1
    return X, resp, 0.01


def _exercise_6_4_far_data():
    """A second case for Exercise 6.4: float32 points far from the origin (about 1000, spread 0.01), on which the
    one-pass variance E[x^2] - mu^2 cancels catastrophically (its error is thousands of times the variance) while
    the centred sum of squares stays within about 1e-3 of the float64 answer."""
    g = torch.Generator().manual_seed(64)
    X = (1000.0 + 0.01 * torch.randn(40, 3, generator=g, dtype=torch.float64)).float()
    resp = torch.softmax(2 * torch.randn(40, 4, generator=g, dtype=torch.float64), dim=1).float()
    return X, resp, 1e-6


def check_m_step(fn) -> None:
    """Exercise 6.4: ``fn(X, resp, reg_covar)`` returns the M-step's ``GMMParams(weights, means, variances)``,
    with ``reg_covar`` added to every variance."""
    from ..updates import m_step

    X, resp, reg = _exercise_6_4_data()
    ran, got = _attempt("6.4", fn, X.clone(), resp.clone(), reg)
    if not ran:
        return
    expected = m_step(X, resp, reg_covar=reg)
    N, K = resp.shape
    if not (isinstance(got, tuple) and len(got) == 3):
        _verdict("6.4", fn, False, "Return the three tensors together: GMMParams(weights, means, variances).")
        return
    try:
        parts = [torch.as_tensor(part).detach() for part in got]
    except (TypeError, ValueError, RuntimeError):
        _verdict("6.4", fn, False, "Each of weights, means and variances should be a tensor.")
        return
    # a result computed in float32 is right to float32's rounding, not float64's
    rtol, atol = (1e-8, 1e-10) if all(part.dtype == torch.float64 for part in parts) else (1e-5, 1e-6)
    w, m, v = (part.to(torch.float64) for part in parts)
    same = lambda a, b: _close(a, b, rtol=rtol, atol=atol)  # noqa: E731 - shapes equal and values close
    parts = [same(w, expected.weights), same(m, expected.means), same(v, expected.variances)]
    nk = resp.sum(dim=0)[:, None]  # (K, 1)
    spread = expected.variances - reg  # the weighted variances around the new means, before reg_covar
    if all(parts):
        hint = _m_step_far_from_origin_hint(fn)
    elif not parts[0]:
        if same(w, nk[:, 0]):
            hint = "Those weights are the effective counts N_k: divide them by the number of points N."
        elif same(w.reshape(-1), torch.full((K,), 1 / K, dtype=torch.float64)):
            hint = "The weights are not 1/K: each is its component's share, N_k / N."
        elif w.numel() == N:
            hint = "Your weights have one number per point: sum the responsibilities over the points (dim=0), one per component."
        else:
            hint = "pi_k = N_k / N, with N_k = resp.sum(dim=0)."
    elif not parts[1]:
        if same(m, expected.means.T):
            hint = "Your means are (D, K): resp.T @ X is (K, N) @ (N, D) -> (K, D), one row per component."
        elif same(m, resp.T @ X / N):
            hint = "Each mean divides its weighted sum by N_k, its component's own count, not by N."
        elif same(m, resp.T @ X):
            hint = "resp.T @ X holds the weighted sums: divide each row by its N_k (nk[:, None]) to get the means."
        else:
            hint = "mu_k = sum_n r_nk x_n / N_k: a weighted average of the points, one row per component, (K, D)."
    elif same(v, spread):
        hint = "Weights and means are right; add reg_covar to every variance (the argument, here not 0)."
    elif same(v, spread + 1e-6):
        hint = "Weights and means are right; add the reg_covar your function is given, not a fixed 1e-6."
    elif same(v, spread * nk / (nk - 1) + reg):
        hint = "Weights and means are right; divide by N_k, not N_k - 1: the M-step is maximum likelihood."
    elif same(v, spread * nk / N + reg):
        hint = "Weights and means are right; divide each weighted sum of squares by N_k, not by N."
    elif same(v, spread.sqrt() + reg) or same(v, (spread + reg).sqrt()):
        hint = "Weights and means are right; those are standard deviations: return variances (no square root)."
    elif same(v, expected.variances.T):
        hint = "Your variances are (D, K): sum the (N, K, D) table over the points, dim=0, to get (K, D)."
    else:
        hint = ("Weights and means are right; sigma^2_kd = sum_n r_nk (x_nd - mu_kd)^2 / N_k + reg_covar: squared "
                "differences from the new means, an (N, K, D) table, weighted by the responsibilities and summed over the points.")
    _verdict("6.4", fn, not hint, hint)


def _m_step_far_from_origin_hint(fn) -> str:
    """Exercise 6.4's second case (``_exercise_6_4_far_data``): "" when ``fn`` is right there too, else a hint."""
    from ..updates import m_step

    X, resp, reg = _exercise_6_4_far_data()
    far = "on float32 points far from the origin (about 1000, spread 0.01)"
    try:
        got = [torch.as_tensor(part).detach().to(torch.float64) for part in fn(X.clone(), resp.clone(), reg)]
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way; say how
        return f"Right on the first data, but {far} your function raised {type(exc).__name__}: {exc}"
    expected = m_step(X.double(), resp.double(), reg_covar=reg)  # the same float32 points, summed in float64
    if len(got) == 3 and _close(got[0], expected.weights, rtol=1e-5, atol=1e-6) and _close(got[1], expected.means, rtol=1e-5, atol=1e-6):
        if _close(got[2], expected.variances, rtol=1e-2, atol=0.0):
            return ""
        return (f"Right on the first data, but {far} your variances are off: E[x^2] - mu^2 subtracts two nearly equal "
                "numbers (about 1e6 each) to get about 1e-4, and float32 keeps only about 7 digits: catastrophic "
                "cancellation. Take the squared differences from the new means first, then the weighted average.")
    return f"Right on the first data, but {far} your weights or means are off: check each step on such data."


# 07_em_fit -----------------------------------------------------------------------------------------

def _poor_start_fit(dtype: torch.dtype = torch.float64):
    """The running example and ``fit_em`` from the poor start of the series (seed 0 random points), with the
    points in ``dtype``: float64 by default, as notebook 07 fits them (``X64``)."""
    from ..data import running_example
    from ..em import fit_em
    from ..init import init_random_points

    X, labels, truth = running_example()
    X = X.to(dtype)
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    return X, labels, truth.to(X), fit_em(X, start)


def check_misassigned(answer, dtype: torch.dtype = torch.float64) -> None:
    """Exercise 7.1: how many of the 600 points of the running example the fit from the poor start assigns
    (most responsible component) to another component than the one that drew them, as an integer.
    The reference fit runs in ``dtype``, float64 by default as in the notebook, so the answer is judged
    against the fit the student used."""
    from ..posteriors import log_responsibilities

    X, labels, truth, fit = _poor_start_fit(dtype)
    matched = fit.params.matched_to(truth)  # component k of matched plays true component k
    expected = int((log_responsibilities(X, matched).argmax(dim=1) != labels).sum())
    unmatched = int((log_responsibilities(X, fit.params).argmax(dim=1) != labels).sum())
    if answer is None:
        _verdict("7.1", None, False, "")
        return
    value = _number("7.1", answer)  # a string or a vector is reported here, for what it is
    if value is None:
        return
    if value != int(value):
        _verdict("7.1", answer, False, f"A count is a whole number; got {value:g}.")
        return
    correct = value == expected
    with_truth = int((log_responsibilities(X, truth).argmax(dim=1) != labels).sum())
    if value == with_truth and with_truth != expected:
        hint = ("That is how many points the true parameters misassign; the question is about the fit from the "
                "poor start: use fit.params, matched to the truth.")
    elif value == unmatched:
        hint = ("Nearly every point? Compare which fitted component sits on which true group: a fit numbers "
                "its components in whatever order EM happened to find them.")
    elif value > len(X) / 2:
        hint = "More than half the points: are the fitted components numbered like the true ones?"
    else:
        hint = ("Assign each point to its most responsible component (argmax over k), after putting the fitted "
                "components in the true order, then count disagreements with labels.")
    _verdict("7.1", answer, correct, hint)


def _exercise_7_problems():
    """The running example in float64 (as notebook 07's recipe fits it) with K = 3, 5 and 4, six k-means++ seeds each
    (max_iter=1000, as the exercise asks).
    K = 3: seeds 0-4 reach the best fit (-3.779 per point), seed 5 a local optimum (-4.028), so taking the lowest
    or the last fit shows. K = 4: only seed 1 reaches the best (-3.7710), after more than 100 iterations (the default
    max_iter stops it lower, and seed 2 wins); ranking by the mean of the recorded log-likelihoods picks seed 4 (-3.7714, the lowest). K = 5: only seed 5 reaches the best (-3.7601), 2.8e-3 above the next;
    seed 0 alone (-3.7658), the best *start* (seed 4, -3.7629), or seeds 0..4 only (seed 1, -3.7629) end lower."""
    from ..data import running_example

    X = running_example()[0].double()
    return [(X, 3), (X, 5), (X, 4)]


def _best_of_restarts_verdict(X, K: int, got) -> tuple[bool, str, int | None]:
    """One problem of exercise 7.2: is the student's fit the best, the hint if not, and the seed the fit started
    from (None when it came from no k-means++ seed in 0..5)."""
    from ..em import fit_em

    N, n = len(X), 6
    fits = [fit_em(X, K, max_iter=1000, generator=torch.Generator().manual_seed(s)) for s in range(n)]
    finals = [float(f.log_likelihoods[-1]) / N for f in fits]
    if got is None or not hasattr(got, "log_likelihoods"):
        return False, "Return the EMResult itself, the one whose log_likelihoods[-1] is largest.", None
    start, final = float(got.log_likelihoods[0]) / N, float(got.log_likelihoods[-1]) / N
    seed = next((s for s in range(n) if abs(float(fits[s].log_likelihoods[0]) / N - start) < 1e-6), None)
    if seed is None:
        return False, (f"With K = {K} your fit did not start from a k-means++ start with a seed in 0..n_starts-1: give "
                       "each fit its own generator=torch.Generator().manual_seed(seed) and K itself as fit_em's init "
                       "(one generator shared by all the fits, or a start from init_random_points, gives other starts)."), None
    if abs(final - finals[seed]) > 5e-4:
        if getattr(got, "converged", False):  # it met its own stopping rule: a tol too large for this problem
            return False, (f"With K = {K} your fit stopped early: its tol let it stop while the log-likelihood was "
                           "still rising slowly. Keep fit_em's default tol (1e-6 per point) and max_iter=1000, "
                           "then compare log_likelihoods[-1], the last value."), seed
        return False, (f"With K = {K} your fit is not the best of the six: it stopped before converging; "
                       "use max_iter=1000 and compare log_likelihoods[-1], the last value."), seed
    if finals[seed] > max(finals) - 1e-4:  # the student's fit started from a seed that reaches the best fit
        return True, "", seed
    short = [fit_em(X, K, generator=torch.Generator().manual_seed(s)) for s in range(n)]  # the default max_iter=100
    ranked_by = {"final": finals, "short": [float(f.log_likelihoods[-1]) for f in short],
                 "mean": [float(f.log_likelihoods.mean()) for f in fits], "start": [float(f.log_likelihoods[0]) for f in fits]}
    if finals[seed] == min(finals):
        hint = "That is the fit with the lowest final log-likelihood: a higher log-likelihood is the better fit."
        if seed == max(range(n), key=ranked_by["mean"].__getitem__):  # at K = 4 the lowest fit also has the best average
            hint += (" It also has the highest average over its iterations, which is not what counts either: "
                     "compare the final values, log_likelihoods[-1].")
    elif seed == max(range(n), key=ranked_by["short"].__getitem__):
        hint = (f"With K = {K} some fits need more than fit_em's default 100 iterations to converge: "
                "pass max_iter=1000, as the exercise says, before comparing log_likelihoods[-1].")
    elif seed == max(range(n), key=ranked_by["mean"].__getitem__):
        hint = ("That fit has the highest average over its iterations; what counts is where a fit ends: "
                "compare the final values, log_likelihoods[-1].")
    elif seed == max(range(n), key=ranked_by["start"].__getitem__):
        hint = "That fit had the best start (log_likelihoods[0]); compare the final values, log_likelihoods[-1]."
    elif seed == max(range(n - 1), key=finals.__getitem__):
        hint = (f"With K = {K} that is the best of seeds 0..n_starts-2: range(n_starts) already gives the "
                "n_starts seeds 0, 1, ..., n_starts-1.")
    elif seed == 0:
        hint = f"With K = {K} that is seed 0's fit: fit from every seed 0..n_starts-1 and keep the best."
    else:
        hint = (f"With K = {K} your fit is not the best of the six: fit from each seed 0..n_starts-1 "
                "(a fresh generator per seed, K as init) and compare log_likelihoods[-1], the last value.")
    return False, hint, seed


def check_best_of_restarts(fn) -> None:
    """Exercise 7.2: ``fn(X, K, n_starts)`` fits from k-means++ starts with seeds 0..n_starts-1 and returns the
    EMResult with the highest final log-likelihood. Checked on the running example with K = 3, 5 and 4, six starts
    each. The check finds the seed of the returned fit from its starting log-likelihood, so any tol or max_iter that
    lets the right fit converge passes (its final value must be within 5e-4 per point of the best). A function that
    returns the last seed's fit in every problem is told so, whatever else that fit happens to be."""
    import warnings

    from ..em import EMConvergenceWarning

    if fn is None:
        _verdict("7.2", fn, False, "")
        return
    verdicts = []
    for X, K in _exercise_7_problems():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EMConvergenceWarning)
            ran, got = _attempt("7.2", fn, X, K, 6)
            if not ran:
                return
            verdicts.append(_best_of_restarts_verdict(X, K, got))
    failed = [hint for ok, hint, _ in verdicts if not ok]
    if failed and all(seed == 5 for _, _, seed in verdicts):
        failed = ["Every fit you returned is the last seed's (seed n_starts-1): keep the fit with the highest "
                  "log_likelihoods[-1] over all the seeds, not the last one fitted."]
    _verdict("7.2", fn, not failed, failed[0] if failed else "")


def check_starts_needed(answer, p: float) -> None:
    """Exercise 7.3: the smallest number of independent starts m for which the best of m misses the best fit
    with probability below 1%, when one start finds it with probability ``p``."""
    import math

    expected = math.ceil(math.log(0.01) / math.log(1 - p))
    value = _scalar_or_none(answer)
    hint = "The best of m starts misses only if every one of the m starts misses."
    if value is not None and value != round(value) and math.ceil(value) == expected:
        hint = "m counts starts, a whole number: round up (the chance of missing must fall below 1%)."
    elif value is not None and value == expected - 1:
        hint = "Close: with that many starts the chance of missing is still just above 1%; you need a whole start more."
    elif value is not None and value == math.ceil(math.log(0.01) / math.log(p)):
        hint = "That is how many starts it takes for all of them to succeed to be unlikely; we need all of them to fail to be unlikely."
    elif isinstance(answer, str):
        hint = f"That is a string, {answer!r}: answer with a number (no quotes)."
    _verdict("7.3", answer, value is not None and value == expected, hint)


def _em_loop(X, start, max_iter: int, tol: float, weights: bool = True, refresh: bool = True,
             per_point: bool = True, one_more: bool = False):
    """Exercise 7.4's loop, and its likely mistakes: the E-step without the weights (``weights=False``), the
    responsibilities of the start used at every iteration (``refresh=False``), a stop on the change of the
    total instead of the change per point (``per_point=False``), one M-step after the last log-likelihood
    (``one_more=True``). Returns the parameters and the log-likelihoods, shape (iterations + 1,)."""
    from ..posteriors import log_responsibilities
    from ..updates import m_step

    N, K = X.shape[0], start.weights.shape[0]
    params, log_likelihoods, resp = start, [log_likelihood(X, start)], None
    for _ in range(max_iter):
        if resp is None or refresh:
            used = params if weights else params._replace(weights=torch.full_like(params.weights, 1 / K))
            resp = log_responsibilities(X, used).exp()  # (N, K)
        params = m_step(X, resp)
        log_likelihoods.append(log_likelihood(X, params))
        if abs(log_likelihoods[-1] - log_likelihoods[-2]) / (N if per_point else 1) < tol:
            break
    if one_more:
        params = m_step(X, log_responsibilities(X, params).exp())
    return params, torch.stack(log_likelihoods)


def _params_close(got, expected, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return (isinstance(got, tuple) and len(got) == 3
            and all(_close(a, e, rtol=rtol, atol=atol) for a, e in zip(got, expected)))


def _as_vector(values):
    """A 1-D float64 tensor from a tensor, or a list of numbers or 0-d tensors; else None."""
    try:
        if isinstance(values, torch.Tensor):
            return values.detach().to(torch.float64).reshape(-1)
        return torch.stack([torch.as_tensor(v, dtype=torch.float64).reshape(()) for v in values])
    except (TypeError, ValueError, RuntimeError):
        return None


def check_em_loop(fn) -> None:
    """Exercise 7.4: ``fn(X, start, max_iter, tol)`` runs EM from ``start`` (an E-step, then an M-step, each
    iteration) until the per-point log-likelihood changes by less than ``tol``, or for ``max_iter`` iterations,
    and returns ``(params, log_likelihoods)``: the last parameters and the log-likelihoods of the start and of
    each iteration's parameters. Checked once, in float64, on the running example from the poor start (seed 0
    random points), against ``fit_em`` and against loops that make each likely mistake."""
    import warnings

    from ..data import running_example
    from ..em import fit_em
    from ..init import init_random_points

    if fn is None:
        _verdict("7.4", fn, False, "")
        return
    X, _, _ = running_example()
    X = X.double()
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    max_iter, tol = 100, 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ran, got = _attempt("7.4", fn, X, start, max_iter, tol)
    if not ran:
        return
    fit = fit_em(X, start, max_iter=max_iter, tol=tol)  # the right answer (the same as _em_loop's, to ~1e-11)
    params, lls = fit.params, fit.log_likelihoods
    N, n_iter = X.shape[0], len(lls) - 1
    if isinstance(got, torch.Tensor) and got.shape == (N, 3) or (
            isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], torch.Tensor) and got[0].shape == (N, 3)):
        _verdict("7.4", fn, False, "That is an (N, K) table, the responsibilities: probabilities, one row per point. "
                 "Return the parameters the last M-step made (a GMMParams) and the log-likelihoods.")
        return
    if not (isinstance(got, tuple) and len(got) == 2):
        _verdict("7.4", fn, False, "Return two things, as a tuple: (params, log_likelihoods).")
        return
    got_params, got_lls = got[0], _as_vector(got[1])
    if not (isinstance(got_params, tuple) and len(got_params) == 3):
        _verdict("7.4", fn, False, "The first thing to return is the parameters, a GMMParams (weights, means, variances), "
                 "as m_step returns them.")
        return
    if got_lls is None:
        _verdict("7.4", fn, False, "The second thing to return is the log-likelihoods, a list or a 1-D tensor of numbers.")
        return
    # rtol 1e-6 on the log-likelihoods: an M-step written by hand without fit_em's reg_covar (1e-6 added to each
    # variance) is EM too, and differs by about 1e-7; every likely mistake differs by far more
    params_ok = _params_close(got_params, params)
    lls_ok = got_lls.shape == lls.shape and _close(got_lls, lls, rtol=1e-6, atol=1e-8)
    hint = ("Each iteration: the E-step (responsibilities from the current parameters, weights included), the M-step, "
            "then the data log-likelihood of the new parameters; stop when its change per point is below tol.")
    if params_ok and lls_ok:  # a second tolerance, where other stopping rules (relative, total) stop elsewhere
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ran, again = _attempt("7.4", fn, X, start, max_iter, 1e-3)
        if not ran:
            return
        loose = fit_em(X, start, max_iter=max_iter, tol=1e-3).log_likelihoods  # stops after 29 iterations
        again_lls = _as_vector(again[1]) if isinstance(again, tuple) and len(again) == 2 else None
        if again_lls is None or again_lls.shape != loose.shape:
            stopped = "" if again_lls is None else f" after {len(again_lls) - 1} iterations"
            _verdict("7.4", fn, False, f"With tol = 1e-3 your loop stops{stopped}, fit_em after {len(loose) - 1}: stop when "
                     "the change of the log-likelihood per point (the change of the total, divided by N) is below tol, "
                     "not the change relative to the log-likelihood, nor the change of the total itself.")
            return
        _verdict("7.4", fn, True, "")
        return
    if _params_close(got_params, _em_loop(X, start, max_iter, tol, refresh=False)[0]):
        hint = ("Your parameters are those of the first M-step: recompute the responsibilities from the current "
                "parameters at every iteration (E-step, then M-step, each time round the loop), not once before it.")
    elif _params_close(got_params, _em_loop(X, start, max_iter, tol, weights=False)[0], rtol=1e-3, atol=1e-4):
        hint = ("Your fit ends where EM without the mixing weights ends: the responsibilities are Bayes' rule with the "
                "weights as the prior, r_nk proportional to pi_k N(x_n | mu_k, sigma^2_k), not to the density alone.")
    elif _params_close(got_params, _em_loop(X, start, max_iter, tol, one_more=True)[0]):
        hint = ("Your parameters are one M-step past the last log-likelihood you recorded: return the parameters whose "
                "log-likelihood is log_likelihoods[-1].")
    elif len(fit.history) > 1 and _params_close(got_params, fit.history[-2]):
        hint = ("Your parameters are one iteration behind the last log-likelihood you recorded: return the parameters "
                "the last M-step made, those whose log-likelihood is log_likelihoods[-1], not the ones before them.")
    elif len(got_lls) == len(lls) - 1 and _close(got_lls, lls[1:], rtol=1e-6, atol=1e-8):
        hint = ("Your log-likelihoods leave out the start's: put it first, so that log_likelihoods[t] belongs to the "
                "parameters after t iterations (like fit_em's).")
    elif got_lls.shape == lls.shape and _close(got_lls * N, lls, rtol=1e-6, atol=1e-8):
        hint = "Your log-likelihoods are per point (a mean): return the sums over the points, like fit_em's."
    elif len(got_lls) == max_iter + 1 and _close(got_lls[:len(lls)], lls, rtol=1e-6, atol=1e-8):
        hint = "Your loop never stopped early: stop as soon as the log-likelihood changes by less than tol per point."
    elif len(got_lls) == len(_em_loop(X, start, max_iter, tol, per_point=False)[1]) and len(got_lls) > len(lls):
        hint = ("Your loop ran past the stop: tol is a change per point, so compare |l_t - l_(t-1)| / N with it, "
                "not the change of the sum over the points.")
    elif len(got_lls) > 1 and len(got_lls) != len(lls):
        hint = (f"Your loop made {len(got_lls) - 1} iterations, fit_em from the same start {n_iter}. Stop on the data "
                "log-likelihood (the sum over points of log sum_k pi_k N(x_n | mu_k, sigma^2_k)): as soon as its change "
                "per point falls below tol.")
    _verdict("7.4", fn, False, hint)


# 10_scaling_up -------------------------------------------------------------------------------------

# Exercise 10.1: the statistics (N_k, S_k, Q_k) of one component of 1-D data in two chunks, around 0
EXERCISE_CHUNK_STATS = {"chunk A": (2.0, 4.0, 10.0), "chunk B": (3.0, 9.0, 29.0)}


def _two_numbers(answer):
    """A pair (a, b) of numbers, 0-d or (1,)-shaped tensors, or a tensor of shape (2,), as float64 (2,); else None."""
    try:
        if isinstance(answer, torch.Tensor):
            values = answer.detach().to(torch.float64).reshape(-1)
        else:
            values = torch.cat([torch.as_tensor(a, dtype=torch.float64).reshape(-1) for a in answer])
    except (TypeError, ValueError, RuntimeError):
        return None
    return values if values.shape == (2,) else None


def check_merged_component(answer) -> None:
    """Exercise 10.1: (mean, variance) of the component from ``EXERCISE_CHUNK_STATS``, both chunks together."""
    nk, s, q = (sum(chunk[i] for chunk in EXERCISE_CHUNK_STATS.values()) for i in range(3))
    expected = torch.tensor([s / nk, q / nk - (s / nk) ** 2], dtype=torch.float64)
    given = _two_numbers(answer)
    _verdict("10.1", answer, given is not None and bool(torch.allclose(given, expected, rtol=1e-3, atol=1e-6)),
             "Add the chunks' sums first (N_k, S_k, Q_k), then take mean = S/N_k and variance = Q/N_k - mean^2; "
             "averaging the chunks' own means or variances loses the spread between the chunks.")


def check_allreduce_bytes(fn) -> None:
    """Exercise 10.2: ``fn(K, D)`` returns the bytes one EM iteration all-reduces (float64 numbers)."""
    from ..distributed import allreduce_bytes

    cases = [(3, 2), (256, 64), (1, 1), (16, 100)]
    results = []
    for K, D in cases:
        ran, got = _attempt("10.2", fn, K, D)
        if not ran:
            return
        results.append(got)
    ok = fn is not None and all(isinstance(r, (int, float)) or (isinstance(r, torch.Tensor) and r.numel() == 1)
                                for r in results) \
        and all(float(r) == allreduce_bytes(K, D) for r, (K, D) in zip(results, cases))
    _verdict("10.2", fn, ok, "Count the numbers: N_k, S_k and Q_k for every component (K + KD + KD), plus the two "
                             "that are not per component (the count of points and the log-likelihood); 8 bytes each.")


EXERCISE_STREAM_SEED = 10


def exercise_stream():
    """Exercise 10.3's stream: 5 chunks of float64 readings near 1e8 with a spread of about 0.01."""
    g = torch.Generator().manual_seed(EXERCISE_STREAM_SEED)
    return [1e8 + 0.01 * torch.randn(n, generator=g, dtype=torch.float64) for n in (300, 50, 200, 1, 449)]


def check_streaming_mean_variance(fn) -> None:
    """Exercise 10.3: ``fn(chunks)`` reads an iterator of 1-D chunks once and returns (mean, variance)."""
    chunks = exercise_stream()
    every = torch.cat(chunks)
    expected = torch.stack([every.mean(), every.var(unbiased=False)])  # two passes over data held in memory
    ran, got = _attempt("10.3", fn, iter(chunks))  # a one-shot iterator: a second pass would see nothing
    if ran:
        given = None if got is None else _two_numbers(got)
        ok = given is not None and bool(torch.isclose(given[0], expected[0], rtol=1e-12, atol=0)) \
            and bool(torch.isclose(given[1], expected[1], rtol=1e-3, atol=0))
        _verdict("10.3", fn, ok, "Sum x - s and (x - s)^2 around a fixed s taken from the first chunk (e.g. its first "
                                 "value): around 0, sum x^2 / N - mean^2 subtracts two numbers near 1e16 and keeps none "
                                 "of the variance's digits.")


# 08_choosing_k ------------------------------------------------------------------------------------

EXERCISE_8_K, EXERCISE_8_D = 4, 5  # exercise 8.1: a diagonal mixture of 4 components in 5 dimensions
# exercise 8.2: a fit of K = 4 in D = 3 to N = 900 points (not the running example, whose BICs 08 prints)
EXERCISE_8_2_K, EXERCISE_8_2_D, EXERCISE_8_LOG_LIKELIHOOD, EXERCISE_8_N = 4, 3, -4100.0, 900


def check_parameter_count(answer) -> None:
    """Exercise 8.1: the number of free parameters of a diagonal mixture with K = 4 components in D = 5 dimensions."""
    from ..estimator import _n_parameters

    value = _scalar_or_none(answer)
    expected = _n_parameters(EXERCISE_8_K, EXERCISE_8_D)
    hint = "Count means, variances and weights separately; the weights must sum to one, so one of them is not free."
    if value is not None and value == 2 * EXERCISE_8_K * EXERCISE_8_D:
        hint = "You counted means and variances; the weights are parameters too (all but one of them)."
    elif value is not None and value == expected + 1:
        hint = "The weights must sum to one: once all but one are chosen, the last is fixed, so it is not free."
    _verdict("8.1", answer, value is not None and value == expected, hint)


def check_bic_by_hand(answer) -> None:
    """Exercise 8.2: the BIC of a diagonal fit with K = 4, D = 3 to N = 900 points, log-likelihood -4100.0 (a sum)."""
    import math

    from ..estimator import _n_parameters

    value = _scalar_or_none(answer)
    p = _n_parameters(EXERCISE_8_2_K, EXERCISE_8_2_D)
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
    value = _scalar_or_none(answer)
    hint = "N_k gets 10 machine epsilons of the data's dtype; the weights are N_k over the sum of all N_k."
    if value is not None and math.isclose(value, expected * torch.finfo(torch.float64).eps / torch.finfo(torch.float32).eps, rel_tol=1e-2):
        hint = "The data are float32: use torch.finfo(torch.float32).eps, not float64's."
    # two significant figures worked by hand (1.2e-9, 0.7% from 1.192e-9) are right; float64's epsilon is 1e-9 times off
    _verdict("8.3", answer, value is not None and math.isclose(value, expected, rel_tol=0.045), hint)


# exercise 8.4: a K = 4 diagonal fit to N = 500 points (reg_covar 1e-6): one component is a collapse, one a small cluster
EXERCISE_8_4_N = 500
EXERCISE_8_4_FIT = GMMParams(
    torch.tensor([0.468, 0.002, 0.500, 0.030], dtype=torch.float64),
    torch.tensor([[-2.0, 0.5], [7.31, -4.02], [2.5, 1.0], [0.4, -3.0]], dtype=torch.float64),
    torch.tensor([[1.30, 0.90], [1.0e-6, 1.0e-6], [0.80, 1.10], [0.05, 0.04]], dtype=torch.float64),
)


def check_collapsed_component(answer) -> None:
    """Exercise 8.4: the index of the collapsed component of ``EXERCISE_8_4_FIT`` (N = 500, reg_covar 1e-6)."""
    fit, n = EXERCISE_8_4_FIT, EXERCISE_8_4_N
    collapsed = ((fit.weights * n < 2) & (fit.variances.max(dim=1).values < 10 * 1e-6)).nonzero().flatten().tolist()
    value = _scalar_or_none(answer)
    hint = "A collapse holds about one point (weight x N near 1) and has variances at reg_covar in every dimension."
    smallest_spread = int(fit.variances.max(dim=1).values[fit.weights * n > 2].argmin())  # the small real cluster's row
    small_cluster = [k for k in range(len(fit.weights)) if fit.weights[k] * n > 2][smallest_spread]
    if value is not None and value == small_cluster:
        hint = ("That component holds many points (weight x N) with a real, if small, spread: a small cluster. "
                "A collapse holds about one point, with variances at reg_covar.")
    _verdict("8.4", answer, value is not None and [value] == collapsed, hint)


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
    value = _scalar_or_none(answer)
    hint = "Bayes' rule: p(0 | x) = p(x | 0) p(0) / sum over c of p(x | c) p(c); exponentiate the log-densities first."
    if value is not None and abs(value - no_prior) < 1e-3:
        hint = "You left out the priors p(c): the classes are not equally common."
    elif value is not None and abs(value - (1 - expected)) < 1e-3:
        hint = "That is p(1 | x), the other class."
    _verdict("9.2", answer, value is not None and abs(value - expected) <= 1e-3 * expected, hint)
