"""The EM loop: alternate the E-step (who belongs where) and the M-step (where are they)."""

from __future__ import annotations

import numbers
import warnings
from typing import NamedTuple

import torch

from ._validation import _describe, check_int, check_K, check_nonneg, check_params, check_X
from .fast import FastEM, full_precision_matmuls
from .init import init_kmeans_plusplus
from .likelihoods import weighted_log_pdfs
from .params import GMMParams
from .stats import em_update
from .updates import m_step


class EMConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the log-likelihood settled."""


class EMResult(NamedTuple):
    """What ``fit_em`` returns.

    Introduced in notebooks/07_em_fit.ipynb.

    Attributes
    ----------
    params : GMMParams
        The final parameters.
    log_likelihoods : Tensor, shape (n_iter + 1,), float64
        The data log-likelihood sum_n log p(x_n) of ``history[t]``; index 0 is the start. Accumulated
        and kept in float64 whatever the dtype of X: these are the numbers the convergence test used.
    history : list of GMMParams, length n_iter + 1
        The parameters after each iteration; ``history[0]`` is the start, ``history[-1]`` is ``params``.
    n_iter : int
        Number of EM iterations run.
    converged : bool
        True if the per-point log-likelihood changed by less than ``tol`` in the last iteration.

    ``torch.save(result, f)`` then ``torch.load(f)`` (``weights_only=True``) gives it back, history
    included, in any process that has imported ``gmm_helpers``; see ``GMMParams``.
    """

    params: GMMParams
    log_likelihoods: torch.Tensor
    history: list
    n_iter: int
    converged: bool


# Allow-listed for torch.load(weights_only=True) as GMMParams is: tensors, a list of GMMParams, an int, a bool.
torch.serialization.add_safe_globals([EMResult])


def e_step(X: torch.Tensor, params: GMMParams) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-responsibilities and, from the same numbers, the data log-likelihood.

    Introduced in notebooks/07_em_fit.ipynb.

    log r_nk = log pi_k N(x_n|k) - log p(x_n);  log_likelihood = sum_n log p(x_n).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_resp : Tensor, shape (N, K)
    log_likelihood : Tensor, shape ()
        Of ``params``.

    Raises
    ------
    FloatingPointError
        If the log-likelihood is not finite.

    Examples
    --------
    >>> log_resp, ll = e_step(torch.zeros(4, 2), toy_params())
    >>> tuple(log_resp.shape), tuple(ll.shape)
    ((4, 3), ())
    """
    log_joint = weighted_log_pdfs(X, params)  # (N, K)
    log_px = torch.logsumexp(log_joint, dim=1)  # (N,)
    log_likelihood = log_px.sum()
    if not bool(torch.isfinite(log_likelihood)):
        raise FloatingPointError(f"e_step: the log-likelihood is {float(log_likelihood)}; check the parameters")
    return log_joint - log_px[:, None], log_likelihood  # (N, K) - (N, 1) -> (N, K)


def em_step(X: torch.Tensor, params: GMMParams, reg_covar: float = 1e-6) -> tuple[GMMParams, torch.Tensor]:
    """One EM iteration: an E-step on ``params``, then an M-step.

    Introduced in notebooks/07_em_fit.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    params : GMMParams
        The current parameters.
    reg_covar : float, default 1e-6

    Returns
    -------
    new_params : GMMParams
        The parameters after the M-step.
    log_likelihood : Tensor, shape ()
        The log-likelihood of the **input** ``params`` (the E-step gives it for free); the new
        parameters' log-likelihood is at least this large.

    Examples
    --------
    >>> new, ll = em_step(torch.randn(30, 2), toy_params())
    >>> tuple(new.means.shape), tuple(ll.shape)
    ((3, 2), ())
    """
    log_resp, log_likelihood = e_step(X, params)
    return m_step(X, log_resp.exp(), reg_covar), log_likelihood


def fit_em(
    X: torch.Tensor,
    init: GMMParams | int,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    generator: torch.Generator | None = None,
) -> EMResult:
    """Fit a diagonal Gaussian mixture to X by expectation-maximisation.

    Introduced in notebooks/07_em_fit.ipynb.

    Repeat: r = E-step(params); params = M-step(X, r); until the change of the per-point
    log-likelihood (1/N) sum_n log p(x_n) is below ``tol``, or ``max_iter`` iterations.

    The iterations run on the fast path of ``gmm_helpers.fast`` (matrix products, chunked over N, no
    (N, K, D) tensor); they agree with ``em_step`` (the broadcast form the notebooks teach) to
    rounding. Each iteration accumulates sufficient statistics over chunks of X and takes the M-step
    from them (``gmm_helpers.stats.em_update``): the iteration ``fit_em_streaming`` and
    ``fit_em_distributed`` run too (notebooks/10_scaling_up.ipynb).

    Parameters
    ----------
    X : Tensor, shape (N, D)
    init : GMMParams or int
        Starting parameters, or a number of components K (then ``init_kmeans_plusplus`` chooses
        the start, using ``generator`` and ``reg_covar``).
    max_iter : int, default 100
        At least 1.
    tol : float, default 1e-6
        Stop when the per-point log-likelihood changes by less than this. ``tol=0`` runs exactly
        ``max_iter`` iterations (and does not warn).
    reg_covar : float, default 1e-6
        Added to every variance in each M-step.
    generator : torch.Generator, optional
        Used only when ``init`` is an int (a given start involves no randomness, and EM none after it).

    Returns
    -------
    EMResult
        params, log_likelihoods (n_iter + 1,), history, n_iter, converged. Nothing in it requires
        grad: the loop runs under ``torch.no_grad()`` (the functions of one step, such as ``m_step``
        and ``log_likelihood``, stay differentiable when called on their own).

    Warns
    -----
    EMConvergenceWarning
        When ``max_iter`` is reached with ``tol > 0`` before converging.

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(), 500, generator=torch.Generator().manual_seed(0))
    >>> result = fit_em(X, 3, generator=torch.Generator().manual_seed(1))
    >>> result.converged, len(result.history) == result.n_iter + 1
    (True, True)
    """
    check_X(X)
    N, D = X.shape
    max_iter = check_int("max_iter", max_iter, 1)
    tol = check_nonneg("tol", tol)
    reg_covar = check_nonneg("reg_covar", reg_covar)
    if not isinstance(init, GMMParams):
        is_int_tensor = isinstance(init, torch.Tensor) and init.ndim == 0 and not init.is_floating_point() and init.dtype != torch.bool
        if not is_int_tensor and (isinstance(init, bool) or not isinstance(init, numbers.Integral)):
            raise ValueError(f"init: expected a GMMParams or an int K, got {_describe(init)}")
        init = int(init)
    with torch.no_grad(), full_precision_matmuls(X.device):  # no TF32 on a GPU, in the start's distances too
        return _fit(X, init, max_iter, tol, reg_covar, generator)


def _fit(X, init, max_iter, tol, reg_covar, generator) -> EMResult:
    N, D = X.shape
    X = X.detach()
    if isinstance(init, GMMParams):
        params = GMMParams(*(t.detach() for t in check_params(init, X)))
    else:
        params = init_kmeans_plusplus(X, check_K(init, N), generator=generator, reg_covar=reg_covar)
    engine = FastEM(X, reg_covar)  # the matrix-product form of e_step + m_step (gmm_helpers/fast.py)
    return em_loop(lambda p: em_update(engine, p, reg_covar), params, max_iter, tol, "fit_em", stacklevel=4)


def em_loop(update, params: GMMParams, max_iter: int, tol: float, where: str, callback=None,
            stacklevel: int = 3) -> EMResult:
    """The EM loop of every fit: ``update(params) -> (new_params, stats)`` until the per-point log-likelihood settles.

    Introduced in notebooks/07_em_fit.ipynb (``fit_em``); notebooks/10_scaling_up.ipynb runs the same
    loop over a stream (``fit_em_streaming``) and over processes (``fit_em_distributed``).

    Parameters
    ----------
    update : callable
        ``gmm_helpers.stats.em_update`` on a source: returns the new parameters and the statistics
        (``stats.log_likelihood`` of the input parameters, ``stats.count`` points).
    params : GMMParams
        The start.
    max_iter, tol
        As in ``fit_em``.
    where : str
        The function named in the convergence warning.
    callback : callable, optional
        ``callback(iteration, log_likelihood, count)`` after each E-step: iteration t's log-likelihood is
        that of ``history[t]`` (float64 tensors of shape ()).
    stacklevel : int
        Of the warning, so that it points at the user's call.
    """
    history, log_likelihoods = [params], []
    converged = False
    count = None
    for iteration in range(max_iter + 1):
        new_params, stats = update(params)  # stats.log_likelihood is that of params
        log_likelihoods.append(stats.log_likelihood)
        count = float(stats.count)
        if callback is not None:
            callback(iteration, stats.log_likelihood, stats.count)
        if iteration > 0 and abs(float(log_likelihoods[-1] - log_likelihoods[-2])) / count < tol:
            converged = True
            break
        if iteration == max_iter:
            break
        params = new_params
        history.append(params)
    n_iter = len(history) - 1
    if not converged and tol > 0:
        warnings.warn(
            f"{where} did not converge in max_iter={max_iter} iterations: the per-point log-likelihood "
            f"still changed by {abs(float(log_likelihoods[-1] - log_likelihoods[-2])) / count:.3g} > tol={tol:g}. "
            f"Raise max_iter, loosen tol, or try another start.",
            EMConvergenceWarning,
            stacklevel=stacklevel,
        )
    return EMResult(params, torch.stack(log_likelihoods), history, n_iter, converged)


def em_half_steps(X: torch.Tensor, start: GMMParams, n_iter: int = 10, reg_covar: float = 1e-6):
    """The states of EM one half-step at a time: (params, resp or None, description) per state.

    Introduced in notebooks/06_parameter_updates.ipynb.

    State 0 is the start (no responsibilities yet); then each E-step adds a state with new
    responsibilities and the same parameters, and each M-step one with new parameters and the same
    responsibilities. Half-step 2t - 1 is E-step t (r at theta_(t-1)), half-step 2t is M-step t (theta_t); each
    description says so, in TeX notation, ready for a figure title.

    Examples
    --------
    >>> states = em_half_steps(torch.randn(20, 2), toy_params(), n_iter=2)
    >>> states[2][2]  # half-step 2: M-step 1
    'M-step 1: ellipses $\\\\theta_{1}$, colours still $r$ at $\\\\theta_{0}$'
    """
    states = [(start, None, "start: $\\theta_{0}$ (no $r$ yet)")]
    params = start
    for t in range(1, n_iter + 1):
        resp = e_step(X, params)[0].exp()  # (N, K)
        states.append((params, resp, f"E-step {t}: colours $r$ at $\\theta_{{{t - 1}}}$"))
        params = m_step(X, resp, reg_covar)
        states.append((params, resp,
                       f"M-step {t}: ellipses $\\theta_{{{t}}}$, colours still $r$ at $\\theta_{{{t - 1}}}$"))
    return states
