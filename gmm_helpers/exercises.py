"""Check functions for the notebooks' exercises.

Each check prints one line: "correct.", or "not yet." with a hint. A check given ``None``
(the placeholder in a fresh notebook) says the exercise is waiting, so "Run all" never fails on an
exercise nobody has done yet. Checks compare with an answer computed here, never a typed-in number.
"""

from __future__ import annotations

import math

import torch

from .gaussian import diag_gaussian_log_pdf
from .likelihoods import log_likelihood
from .params import GMMParams, toy_params


def _verdict(exercise: str, answer, correct: bool, hint: str) -> None:
    if answer is None:
        print(f"Exercise {exercise}: no answer yet; replace None with your answer and run the cell again.")
    elif correct:
        print(f"Exercise {exercise}: correct.")
    else:
        print(f"Exercise {exercise}: not yet. {hint}")


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
    try:
        got = None if pdf is None else pdf(x)
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way; say how
        _verdict("1.1", pdf, False, f"Your function raised {type(exc).__name__}: {exc}")
        return
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
    try:
        p = None if init is None else init(X, 2, torch.Generator().manual_seed(0))
    except Exception as exc:  # noqa: BLE001
        _verdict("2.2", init, False, f"Your function raised {type(exc).__name__}: {exc}")
        return
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


def underflow_dimension(dtype: torch.dtype = torch.float32) -> int:
    """The smallest D for which exp(log N(1; 0, I_D)) is exactly 0 in ``dtype`` (x = (1, ..., 1)).

    Introduced in notebooks/03_diagonal_gaussian.ipynb.

    >>> underflow_dimension(torch.float32) < underflow_dimension(torch.float64)
    True
    """
    per_dim = -0.5 * (math.log(2 * math.pi) + 1.0)  # log N(1; 0, 1)
    D = 1
    while torch.exp(torch.tensor(D * per_dim, dtype=dtype)) > 0:
        D += 1
    return D


def check_underflow_dimension(answer) -> None:
    """Exercise 3.2: the smallest D for which the float32 density of x = (1, ..., 1) under N(0, I_D) is 0."""
    expected = underflow_dimension(torch.float32)
    _verdict("3.2", answer, answer == expected,
                    "Compute the log-density in float64, then torch.exp of it as float32, for D = 1, 2, ...")
