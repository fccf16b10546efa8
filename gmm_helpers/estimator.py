"""``DiagonalGaussianMixture``: the series' EM as a scikit-learn estimator, and the starts it offers.

Introduced in notebooks/08_choosing_k.ipynb.

Code written for ``sklearn.mixture.GaussianMixture(covariance_type="diag")`` runs with a changed
import: the constructor takes scikit-learn's names with their meanings, and the fitted attributes
are scikit-learn's. Underneath, each EM iteration is one step of ``fit_em``'s engine
(``gmm_helpers.fast.FastEM``: chunked matrix products, no (N, K, D) tensor), on the device of the
data or the one asked for. NumPy in gives NumPy out; a torch tensor in gives a torch tensor out,
on the input's device.

This module imports scikit-learn; ``import gmm_helpers`` does not load it (the class is exported
lazily, on first use).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._validation import _all_finite
from .data import sample_gmm
from .fast import ChunkKernel, FastEM
from .init import MAX_SEED_POINTS, draw_indices, init_kmeans_plusplus, kmeans_plusplus_means, nearest_means
from .params import GMMParams

INIT_PARAMS = ("kmeans", "k-means++", "random_from_data", "random")
DEFAULT_INIT = "kmeans"  # measured in bench/bench_estimator.py: see the class docstring
LLOYD_ITERATIONS = 10  # at most this many Lloyd iterations in the "kmeans" start
SEED_POINTS = 2**14  # the "kmeans" start seeds on at most this many points...
SEED_TRIALS = 20  # ...with this many greedy k-means++ candidates per seed
SCORE_BLOCK = 2**22  # entries of one (n, K) block of log-densities in predict and score_samples


# Starts ----------------------------------------------------------------------------------------------

def _cluster_params(X: torch.Tensor, nearest: torch.Tensor, centres: torch.Tensor, reg_covar: float) -> GMMParams:
    """A component per cluster: its share of the points, its centroid, its per-dimension variance + reg_covar.

    A cluster of fewer than two points has no spread to measure: it gets the variance of the whole data
    set and the weight of one point (as ``init_kmeans_plusplus``).
    """
    N, D = X.shape
    K = centres.shape[0]
    counts = torch.bincount(nearest, minlength=K).to(X.dtype)  # (K,)
    sums = torch.zeros(K, D, dtype=X.dtype, device=X.device).index_add_(0, nearest, X)  # (K, D)
    centroids = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centres)  # (K, D)
    squares = torch.zeros(K, D, dtype=X.dtype, device=X.device).index_add_(0, nearest, (X - centroids[nearest]) ** 2)
    cluster_var = squares / counts.clamp(min=1)[:, None]  # (K, D)
    global_var = X.var(dim=0, unbiased=False).expand(K, D)  # (K, D)
    variances = torch.where(counts[:, None] < 2, global_var, cluster_var) + reg_covar
    counts = counts.clamp(min=1)
    return GMMParams(counts / counts.sum(), centroids, variances)


def init_kmeans(X: torch.Tensor, K: int, generator: torch.Generator | None = None, reg_covar: float = 1e-6,
                n_iter: int = LLOYD_ITERATIONS, max_points: int = MAX_SEED_POINTS, seed_points: int = SEED_POINTS,
                n_local_trials: int = SEED_TRIALS) -> GMMParams:
    """A start from k-means: greedy k-means++ seeds, then up to ``n_iter`` Lloyd iterations.

    Introduced in notebooks/08_choosing_k.ipynb.

    Runs on at most ``max_points`` points drawn uniformly from X (so it costs the same for any N):

    1. seeds: greedy k-means++ (``kmeans_plusplus_means``) on ``seed_points`` of them, with
       ``n_local_trials`` candidates per seed, more than scikit-learn's 2 + ln K: late in the seeding a
       candidate that lands in a cluster with no seed yet is rare (about 1 in 8 for 64 clusters in
       32-D in ``bench/bench_estimator.py``), and a cluster the seeds miss stays missed by Lloyd and by
       EM. The smaller seeding sample pays for the extra candidates;
    2. Lloyd: every point to its nearest mean (``nearest_means``: matrix products over blocks of
       points, never an (N, K, D) tensor), each mean to its cluster's centroid (a mean that loses all
       its points stays put), until no point changes cluster or ``n_iter`` times;
    3. each cluster gives a component, as in ``init_kmeans_plusplus``: its share of the points, its
       centroid, its per-dimension variance + ``reg_covar``.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.cat([torch.randn(50, 2, generator=g) - 5, torch.randn(50, 2, generator=g) + 5])
    >>> init_kmeans(X, 2, generator=torch.Generator().manual_seed(0)).means[:, 0].sort().values.round().tolist()
    [-5.0, 5.0]
    """
    N, D = X.shape
    if N > max_points:
        X = X[draw_indices(N, None, max_points, generator, X.device).sort().values]  # (m, D), a uniform sample
    m = X.shape[0]
    seeding = X if m <= max(seed_points, K) else X[draw_indices(m, None, max(seed_points, K), generator, X.device)]
    means = kmeans_plusplus_means(seeding, K, generator, n_local_trials)  # (K, D)
    nearest = nearest_means(X, means)  # (m,)
    for _ in range(n_iter):
        counts = torch.bincount(nearest, minlength=K).to(X.dtype)  # (K,)
        sums = torch.zeros(K, D, dtype=X.dtype, device=X.device).index_add_(0, nearest, X)  # (K, D)
        means = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], means)
        moved = nearest_means(X, means)
        if bool((moved == nearest).all()):
            break
        nearest = moved
    return _cluster_params(X, nearest, means, reg_covar)


def init_random_from_data(X: torch.Tensor, K: int, generator: torch.Generator | None = None,
                          reg_covar: float = 1e-6) -> GMMParams:
    """K distinct data points as means, each dimension's variance of the data, uniform weights.

    Introduced in notebooks/08_choosing_k.ipynb. (``init_random_points`` of notebook 02, with the
    data's own variances instead of one fixed number, so it suits data of any scale.)
    """
    N, D = X.shape
    where = generator.device if generator is not None else X.device
    index = torch.randperm(N, generator=generator, device=where)[:K].to(X.device)  # (K,) distinct
    variances = (X.var(dim=0, unbiased=False) + reg_covar).expand(K, D).clone()  # (K, D)
    return GMMParams(torch.full((K,), 1.0 / K, dtype=X.dtype, device=X.device), X[index].clone(), variances)


def init_random_resp(X: torch.Tensor, K: int, generator: torch.Generator | None = None,
                     reg_covar: float = 1e-6) -> GMMParams:
    """scikit-learn's "random" start: uniformly random responsibilities, normalised per point, then an M-step.

    Introduced in notebooks/08_choosing_k.ipynb. Every component starts near the data's mean with
    about the data's variance; EM has to break the symmetry. Computed over blocks of points, from
    sums in float64 about the data's mean.
    """
    N, D = X.shape
    where = generator.device if generator is not None else X.device
    shift = X.mean(dim=0)  # (D,)
    counts = torch.zeros(K, dtype=torch.float64, device=X.device)
    sums = torch.zeros(K, D, dtype=torch.float64, device=X.device)
    squares = torch.zeros(K, D, dtype=torch.float64, device=X.device)
    block = max(1, 2**20 // K)
    for start in range(0, N, block):
        rows = (X[start:start + block] - shift).double()  # (n, D)
        resp = torch.rand(len(rows), K, generator=generator, dtype=torch.float64, device=where).to(X.device)  # (n, K)
        resp /= resp.sum(dim=1, keepdim=True)
        counts += resp.sum(dim=0)
        sums += resp.T @ rows  # (K, n) @ (n, D) -> (K, D)
        squares += resp.T @ rows**2
    nk = counts + 10 * torch.finfo(X.dtype).eps  # (K,)
    offsets = sums / nk[:, None]  # (K, D): mean - shift
    variances = squares / nk[:, None] - offsets**2 + reg_covar  # no cancellation to speak of: every mean is near the shift
    return GMMParams((nk / nk.sum()).to(X.dtype), (shift.double() + offsets).to(X.dtype), variances.to(X.dtype))


STARTS = {"kmeans": init_kmeans, "k-means++": init_kmeans_plusplus, "random_from_data": init_random_from_data,
          "random": init_random_resp}


# Failure modes ---------------------------------------------------------------------------------------

def dead_components(params: GMMParams, N: int, min_count: float = 1.0) -> torch.Tensor:
    """Which components hold less than ``min_count`` points' worth of responsibility: N pi_k < min_count, shape (K,).

    Introduced in notebooks/08_choosing_k.ipynb.

    >>> dead_components(GMMParams(torch.tensor([0.5, 0.5 - 1e-9, 1e-9]), torch.zeros(3, 1), torch.ones(3, 1)), 600).tolist()
    [False, False, True]
    """
    return params.weights * N < min_count


def revive_dead_components(params: GMMParams, N: int, min_count: float = 1.0) -> GMMParams:
    """A new start in which each dead component takes half of the heaviest live component.

    Introduced in notebooks/08_choosing_k.ipynb.

    A component with (almost) no responsibility never gets any back by itself: its weight is about
    10 eps / N and its density is negligible everywhere. The usual remedy is to re-seed it where it
    can do some good. Here each dead component (``dead_components``) and the live component with the
    largest weight split that weight in two; their means are placed one standard deviation either
    side of that component's mean, along its widest dimension, and both keep its variances. Run EM
    again from the result.

    Parameters
    ----------
    params : GMMParams
    N : int
        Number of points the weights were fitted to.
    min_count : float, default 1.0

    Returns
    -------
    GMMParams

    Examples
    --------
    >>> p = GMMParams(torch.tensor([1.0 - 1e-12, 1e-12]), torch.tensor([[0.0], [50.0]]), torch.tensor([[4.0], [1e-6]]))
    >>> revived = revive_dead_components(p, 600)
    >>> revived.weights.tolist(), revived.means[:, 0].tolist(), revived.variances[:, 0].tolist()
    ([0.5, 0.5], [-2.0, 2.0], [4.0, 4.0])
    """
    weights, means, variances = (t.clone() for t in params)
    dead = dead_components(params, N, min_count).tolist()
    for k in (k for k, is_dead in enumerate(dead) if is_dead):
        live = torch.tensor([not d for d in dead], device=weights.device)
        if not bool(live.any()):
            raise ValueError("params: expected at least one live component to split, got none")
        heaviest = int(torch.where(live, weights, torch.full_like(weights, -1.0)).argmax())
        d = int(variances[heaviest].argmax())  # the widest dimension
        step = variances[heaviest, d].sqrt()
        weights[k] = weights[heaviest] = (weights[heaviest] + weights[k]) / 2
        means[k], variances[k] = means[heaviest], variances[heaviest]
        means[heaviest, d] -= step
        means[k, d] += step
        dead[k] = False
    return GMMParams(weights / weights.sum(), means, variances)


# The estimator ---------------------------------------------------------------------------------------

def _n_parameters(K: int, D: int) -> int:
    """Free parameters of a diagonal mixture: K D means, K D variances, K - 1 weights (they sum to one)."""
    return 2 * K * D + K - 1


class DiagonalGaussianMixture(DensityMixin, BaseEstimator):
    """A Gaussian mixture with diagonal covariances, fitted by EM (scikit-learn compatible).

    Introduced in notebooks/08_choosing_k.ipynb.

    The same model, parameters and results as ``sklearn.mixture.GaussianMixture(covariance_type="diag")``
    from the same start (to 1e-6 in float64, tested), on ``fit_em``'s engine: faster, on a GPU when
    asked, and in float32 or float64.

    Parameters
    ----------
    n_components : int, default 1
        K, the number of components.
    covariance_type : {"diag"}, default "diag"
        Only "diag" (the parameter is there so that scikit-learn code runs unchanged); for "full",
        "tied" or "spherical" use ``sklearn.mixture.GaussianMixture``.
    tol : float, default 1e-3
        EM stops when the per-point log-likelihood changes by less than ``tol`` (scikit-learn's default).
    reg_covar : float, default 1e-6
        Added to every variance in each M-step; keeps a collapsing component's variance positive.
        It is absolute: for data whose features vary by much less than 1, scale them first.
    max_iter : int, default 100
        EM iterations per start; 0 keeps the start.
    n_init : int, default 1
        Number of starts. The fit with the highest final log-likelihood is kept. Beware: with a small
        ``reg_covar``, a start in which a component collapses onto one point (or onto duplicated
        points) reaches a *higher* log-likelihood than any sensible fit, because that component's
        density on the point grows as its variance shrinks to ``reg_covar``; "best" then means
        "most degenerate". Check ``covariances_`` for values near ``reg_covar`` and
        ``weights_ * N`` for components of about one point, and compare fits on held-out data.
    init_params : {"kmeans", "k-means++", "random_from_data", "random"}, default "kmeans"
        How each start is chosen (all use ``random_state``):

        - "kmeans": ``init_kmeans``: greedy k-means++ seeds (20 candidates each), up to 10 Lloyd
          iterations, then a component per cluster (weight, centroid, per-dimension variance).
        - "k-means++": ``init_kmeans_plusplus``: greedy k-means++ seeds (2 + ln K candidates each), each
          point to its nearest seed, then a component per cluster.
        - "random_from_data": ``init_random_from_data``: K distinct data points as means, the data's
          variance in each dimension, uniform weights.
        - "random": ``init_random_resp``: random responsibilities, then an M-step.

        The first two run on at most 65,536 points drawn from the data, so they cost the same for any
        N. scikit-learn's "k-means++" and "random_from_data" start every component on a single point
        with variance ``reg_covar``; these start from clusters, which EM leaves faster.
        The default is "kmeans", chosen by held-out log-likelihood per second (the starts table of
        ``bench/bench_estimator.py``): its Lloyd iterations run on the sample, so they cost about
        what the seeding does; where the clusters are well separated (S2: 16 clusters in 16-D) it and
        "k-means++" reach the same fit in the same 3 iterations, and where they are many (64 clusters
        in 32-D) its extra seeding candidates find clusters that "k-means++" misses (in one measurement
        over 8 seeds: the best fit in 3 seeds instead of 1, mean held-out log-likelihood 0.38 higher
        per point).
    weights_init : array-like of shape (K,), optional
    means_init : array-like of shape (K, D), optional
    precisions_init : array-like of shape (K, D), optional
        Starting values (precisions are 1 / variances, as scikit-learn's "diag"); any not given
        come from ``init_params``. With all three given, ``n_init`` starts are all the same.
    random_state : int, RandomState instance or None, default None
        Seeds the starts (and ``sample``) through a ``torch.Generator``.
    warm_start : bool, default False
        If True, each ``fit`` after the first starts from the last fit (one start, ``n_init`` ignored).
    verbose : int, default 0
    verbose_interval : int, default 10
    device : str or torch.device, optional
        Where to fit ("cuda", "cpu", ...). None: where the data are (NumPy data: the CPU).
    dtype : {"float32", "float64"} or torch.dtype, optional
        None: follow the data (float32 stays float32; integers become float64).

    Attributes
    ----------
    weights_ : array or Tensor, shape (K,)
    means_ : array or Tensor, shape (K, D)
    covariances_ : array or Tensor, shape (K, D)
        The variances (scikit-learn's name for "diag").
    precisions_ : array or Tensor, shape (K, D)
        1 / covariances_.
    precisions_cholesky_ : array or Tensor, shape (K, D)
        1 / sqrt(covariances_).
    params_ : GMMParams
        The fitted parameters as tensors, on the fitting device.
    converged_ : bool
    n_iter_ : int
        EM iterations of the best start.
    lower_bound_ : float
        The per-point log-likelihood computed in the last E-step of the best start (as scikit-learn:
        that of the parameters before the last M-step).
    lower_bounds_ : list of float
        The same, for every iteration of the best start.
    n_features_in_ : int

    Examples
    --------
    >>> X, _ = sample_gmm(toy_params(torch.float64), 600, generator=torch.Generator().manual_seed(0))
    >>> gm = DiagonalGaussianMixture(3, random_state=0).fit(X.numpy())
    >>> gm.converged_, gm.means_.shape, type(gm.predict(X)).__name__
    (True, (3, 2), 'Tensor')
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"diag"})],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_PARAMS))],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device, None],
        "dtype": [StrOptions({"float32", "float64"}), Options(torch.dtype, {torch.float32, torch.float64}), None],
    }

    def __init__(self, n_components=1, *, covariance_type="diag", tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params=DEFAULT_INIT, weights_init=None, means_init=None, precisions_init=None, random_state=None,
                 warm_start=False, verbose=0, verbose_interval=10, device=None, dtype=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.device = device
        self.dtype = dtype

    # input and output ---------------------------------------------------------------------------

    def _working_dtype(self, dtype: torch.dtype) -> torch.dtype:
        if self.dtype is None:
            return dtype if dtype in (torch.float32, torch.float64) else torch.float64
        return getattr(torch, self.dtype) if isinstance(self.dtype, str) else self.dtype

    def _working_device(self) -> torch.device | None:
        """``device`` as a torch.device that this machine has (None: the input's device)."""
        if self.device is None:
            return None
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device: expected None, 'cpu', 'cuda', 'cuda:N' or another torch device, "
                             f"got {self.device!r}") from exc
        try:
            torch.empty(0, device=device)
        except (RuntimeError, AssertionError) as exc:  # torch raises AssertionError for CUDA in a CPU-only build
            raise ValueError(f"device: {self.device!r} is not available on this machine ({exc})") from exc
        return device

    def _as_tensor(self, X, reset: bool) -> torch.Tensor:
        """X validated and as a tensor of the working dtype on the working device."""
        if isinstance(X, torch.Tensor):
            if X.ndim != 2:
                raise ValueError(f"X: expected a 2-D tensor of shape (n_samples, n_features), got shape {tuple(X.shape)}")
            if X.dtype in (torch.float16, torch.bfloat16) and self.dtype is None:
                raise ValueError(f"X: {X.dtype} has too little precision for EM's exponentials; "
                                 "convert it with X.float() or pass dtype='float32'")
            if X.is_complex() or X.dtype == torch.bool:
                raise ValueError(f"X: expected a real-valued tensor, got {X.dtype}")
            if reset:
                if X.shape[0] < 2:
                    raise ValueError(f"X: expected at least 2 samples, got shape {tuple(X.shape)}")
                if X.shape[1] < 1:
                    raise ValueError(f"X: expected at least 1 feature, got shape {tuple(X.shape)}")
                self.n_features_in_ = X.shape[1]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            elif X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
            X = X.detach()
            if X.is_floating_point() and not _all_finite(X):
                raise ValueError("X: expected finite values, got NaN or inf")
            if not X.is_floating_point():
                X = X.double()
        else:
            X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2 if reset else 1, reset=reset)
            with warnings.catch_warnings():  # a read-only array: X is only ever read
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                X = torch.from_numpy(np.ascontiguousarray(X))
        device = self._working_device() if reset or not hasattr(self, "params_") else self.params_.means.device
        dtype = self._working_dtype(X.dtype) if reset else self.params_.means.dtype
        return X.to(device=device if device is not None else X.device, dtype=dtype)

    def _output(self, value: torch.Tensor, like):
        """NumPy for NumPy (or other array-like) input, a tensor on the input's device for tensor input;
        never memory shared with ``params_`` (editing ``means_`` in place must not change the model behind
        its back: the model is ``params_``)."""
        if isinstance(like, torch.Tensor):
            moved = value.to(like.device)
            return moved.clone() if moved.data_ptr() == value.data_ptr() else moved
        return value.detach().cpu().numpy().copy()

    def _check_init(self, name: str, value, shape: tuple, X: torch.Tensor) -> torch.Tensor | None:
        if value is None:
            return None
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        array = check_array(value, dtype=[np.float64, np.float32], ensure_2d=False)
        if array.shape != shape:
            raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but got {array.shape}")
        return torch.as_tensor(array).to(device=X.device, dtype=X.dtype)

    def _given_start(self, X: torch.Tensor) -> dict:
        """The starting values the user gave, validated (sklearn's messages)."""
        K, D = self.n_components, X.shape[1]
        weights = self._check_init("weights", self.weights_init, (K,), X)
        if weights is not None:
            if bool((weights < 0).any()) or bool((weights > 1).any()):
                raise ValueError(f"The parameter 'weights' should be in the range [0, 1], but got max value "
                                 f"{float(weights.max()):.5f}, min value {float(weights.min()):.5f}")
            atol = 1e-6 if weights.dtype == torch.float32 else 1e-8
            if abs(1.0 - float(weights.double().sum())) > atol:
                raise ValueError(f"The parameter 'weights' should be normalized, but got sum(weights) = "
                                 f"{float(weights.sum()):.5f}")
        means = self._check_init("means", self.means_init, (K, D), X)
        precisions = self._check_init("diag precision", self.precisions_init, (K, D), X)
        if precisions is not None and bool((precisions <= 0).any()):
            raise ValueError("'diag precision' should be positive")
        return dict(weights=weights, means=means, variances=None if precisions is None else 1.0 / precisions)

    # fitting -------------------------------------------------------------------------------------

    def _start(self, X: torch.Tensor, given: dict, generator: torch.Generator) -> GMMParams:
        if all(v is not None for v in given.values()):
            return GMMParams(given["weights"], given["means"], given["variances"])
        start = STARTS[self.init_params](X, self.n_components, generator=generator, reg_covar=self.reg_covar)
        return GMMParams(*(given[name] if given[name] is not None else value
                           for name, value in zip(GMMParams._fields, start)))

    def fit(self, X, y=None):
        """Fit the mixture by EM from ``n_init`` starts; keep the one with the highest final log-likelihood.

        Parameters
        ----------
        X : array-like or Tensor, shape (N, D)
        y : ignored

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit (as ``fit``) and return the most probable component of each point of X, shape (N,)."""
        X_fitted = self._fit(X)
        return self._output(self._map_blocks(X_fitted, lambda log_joint: log_joint.argmax(dim=1)), X)

    def _fit(self, X) -> torch.Tensor:
        """Fit; return X as the tensor it was fitted on."""
        self._validate_params()
        data = X
        X = self._as_tensor(X, reset=True)
        N, D = X.shape
        K = self.n_components
        if N < K:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {K}, n_samples = {N}")
        given = self._given_start(X)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        engine = FastEM(X, self.reg_covar, where=f"{type(self).__name__}.fit")  # buffers and the centred data, shared by every start

        best = None
        for init in range(n_init):
            if self.verbose:
                print(f"Initialization {init}")
            params = self._start(X, given, generator) if do_init else self.params_.to(X)
            lower_bound = -math.inf if do_init else self.lower_bound_
            lower_bounds, converged, n_iter = [], False, 0
            for n_iter in range(1, self.max_iter + 1):
                previous = lower_bound
                params, log_likelihood = engine.step(params)  # log_likelihood is that of the parameters before the step
                lower_bound = float(log_likelihood) / N
                lower_bounds.append(lower_bound)
                if self.verbose and n_iter % self.verbose_interval == 0:
                    print(f"  Iteration {n_iter}" + (f"\t change: {lower_bound - previous:.5g}" if self.verbose >= 2 else ""))
                if abs(lower_bound - previous) < self.tol:
                    converged = True
                    break
            if self.verbose:
                print(f"Initialization {'converged' if converged else 'did not converge'}: lower bound {lower_bound:.5g}")
            if self.max_iter == 0:
                lower_bound = -math.inf
            if best is None or lower_bound > best[0] or best[0] == -math.inf:  # as scikit-learn
                best = (lower_bound, params, n_iter, lower_bounds, converged)

        self.lower_bound_, params, self.n_iter_, self.lower_bounds_, self.converged_ = best
        if not self.converged_ and self.max_iter > 0:
            warnings.warn("Best performing initialization did not converge. Try different init parameters, or "
                          "increase max_iter, tol, or check for degenerate data.", ConvergenceWarning, stacklevel=3)
        self._set_params(params, data)
        return X

    def _set_params(self, params: GMMParams, like) -> None:
        self.params_ = params
        weights, means, variances = params
        self.weights_ = self._output(weights, like)
        self.means_ = self._output(means, like)
        self.covariances_ = self._output(variances, like)
        self.precisions_ = self._output(1.0 / variances, like)
        self.precisions_cholesky_ = self._output(variances.rsqrt(), like)

    # using the fit -------------------------------------------------------------------------------

    def _log_joint_blocks(self, X: torch.Tensor):
        """log pi_k + log N(x_n | k) for blocks of points: (start, (n, K) tensor), never an (N, K, D) tensor.

        The fit's own E-step kernel (``gmm_helpers.fast.ChunkKernel.log_joint``: the matrix-product form of
        notebook 04, with float64 products or direct log-densities where the expanded square would lose
        digits, e.g. a narrow component far from the others in float32), about a centre fixed by the
        model (the weighted mean of the means), so a point's result does not depend on the other points.
        """
        weights, means, _ = self.params_
        kernel = ChunkKernel(X.shape[1], X.dtype, X.device, weights @ means)  # (K,) @ (K, D) -> (D,)
        plan = kernel.weights_matrix(GMMParams(*(t.to(X.device, X.dtype) for t in self.params_)))
        block = max(1, SCORE_BLOCK // self.n_components)
        for start in range(0, X.shape[0], block):
            yield start, kernel.log_joint(plan, X[start:start + block])  # (n, K)

    def _map_blocks(self, X: torch.Tensor, fn) -> torch.Tensor:
        """``fn`` of each block's (n, K) log-joint, concatenated over the blocks."""
        if len(X) == 0:
            return fn(X.new_empty(0, self.n_components))
        return torch.cat([fn(block) for _, block in self._log_joint_blocks(X)])

    def score_samples(self, X):
        """log p(x_n) under the fitted mixture, shape (N,)."""
        check_is_fitted(self)
        data, X = X, self._as_tensor(X, reset=False)
        return self._output(self._map_blocks(X, lambda log_joint: torch.logsumexp(log_joint, dim=1)), data)

    def score(self, X, y=None):
        """The mean log-likelihood per point, (1/N) sum_n log p(x_n), as a float."""
        log_px = self.score_samples(X)
        return float(log_px.double().mean()) if isinstance(log_px, torch.Tensor) else float(np.mean(log_px, dtype=np.float64))

    def predict(self, X):
        """The most probable component of each point, shape (N,), int64."""
        check_is_fitted(self)
        data, X = X, self._as_tensor(X, reset=False)
        return self._output(self._map_blocks(X, lambda log_joint: log_joint.argmax(dim=1)), data)

    def predict_proba(self, X):
        """The responsibilities r_nk, shape (N, K): each row sums to one."""
        check_is_fitted(self)
        data, X = X, self._as_tensor(X, reset=False)
        return self._output(self._map_blocks(X, lambda log_joint: torch.softmax(log_joint, dim=1)), data)

    def sample(self, n_samples=1):
        """Draw ``n_samples`` points from the fitted mixture: (X of shape (n, D), component labels of shape (n,)).

        Seeded by ``random_state`` (an int gives the same points every call, as scikit-learn).
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires at least one sample.")
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        X, labels = sample_gmm(self.params_, int(n_samples), generator=generator)
        if isinstance(self.means_, torch.Tensor):  # fitted on tensors: on the device the attributes are on
            return X.to(self.means_.device), labels.to(self.means_.device)
        return X.cpu().numpy(), labels.cpu().numpy()

    def _n_parameters(self) -> int:
        """2 K D + K - 1: K D means, K D variances and K - 1 free weights."""
        check_is_fitted(self)
        return _n_parameters(self.params_.K, self.params_.D)

    def bic(self, X) -> float:
        """Bayesian information criterion on X: -2 log-likelihood + (2 K D + K - 1) log N. Lower is better."""
        N = len(X)
        return -2 * self.score(X) * N + self._n_parameters() * math.log(N)

    def aic(self, X) -> float:
        """Akaike information criterion on X: -2 log-likelihood + 2 (2 K D + K - 1). Lower is better."""
        return -2 * self.score(X) * len(X) + 2 * self._n_parameters()

    def to_distribution(self):
        """The fitted mixture as a ``torch.distributions.MixtureSameFamily`` (see ``GMMParams.to_distribution``)."""
        check_is_fitted(self)
        return self.params_.to_distribution()
