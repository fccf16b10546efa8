"""Gaussian mixture models with diagonal covariances, fitted by EM in PyTorch.

The library is what a practitioner (or a ``torch.distributed`` worker) imports; it loads no plotting
or widget library. The classroom kit, ``gmm_helpers.teach`` (figures, widgets, the animation,
exercise checks), imports the library and loads matplotlib when first used.

Each module is one concept of the series and names the notebook that teaches it:

- ``params``, ``data``   -> notebooks/01_synthetic_data.ipynb
- ``init``               -> notebooks/02_initialisation.ipynb
- ``gaussian``           -> notebooks/03_diagonal_gaussian.ipynb
- ``likelihoods``        -> notebooks/04_broadcasting_likelihoods.ipynb
- ``posteriors``         -> notebooks/05_posteriors.ipynb
- ``updates``            -> notebooks/06_parameter_updates.ipynb
- ``em``, ``fast``       -> notebooks/07_em_fit.ipynb
- ``stats``, ``streaming``, ``online``, ``distributed`` -> notebooks/10_scaling_up.ipynb
- ``estimator``          -> notebooks/08_choosing_k.ipynb (``DiagonalGaussianMixture``; needs scikit-learn)
- ``classify``           -> notebooks/09_real_data.ipynb (a generative classifier, one mixture per class; needs scikit-learn)
"""

from .data import empirical_params, estimation_errors, running_example, sample_gmm
from .em import EMConvergenceWarning, EMResult, e_step, em_half_steps, em_step, fit_em
from .gaussian import diag_gaussian_log_pdf, diagonal_cost, log_normalisers, underflow_dimension
from .init import init_kmeans_plusplus, init_random_points, kmeans_plusplus_means, nearest_means
from .likelihoods import (
    broadcast_memory_bytes,
    component_log_pdfs,
    component_log_pdfs_expanded,
    log_likelihood,
    log_pdfs_peak_bytes,
    mixture_density_grid,
    weighted_log_pdfs,
)
from .params import GMMParams, toy_params, toy_with_component0
from .posteriors import log_responsibilities, responsibility_grid
from .updates import effective_counts, m_step
from .stats import SufficientStats, em_update, mixture_mean, params_from_stats
from .fast import sufficient_statistics
from .streaming import array_chunks, fit_em_streaming
from .online import OnlineEMResult, fit_em_online

# Names of the classroom kit that the top level also offers, loaded on first use (PEP 562), so that
# ``import gmm_helpers`` stays free of matplotlib.
_LAZY = {
    "animate_em": "gmm_helpers.teach.animate",
    "draw_em_iteration": "gmm_helpers.teach.animate",
    "save_gif": "gmm_helpers.teach.animate",
    "check_close": "gmm_helpers.teach.testing",
    # loaded on first use so that ``python -m gmm_helpers.distributed`` runs the module once, as __main__
    "fit_em_distributed": "gmm_helpers.distributed",
    "run_local_processes": "gmm_helpers.distributed",
    "DiagonalGaussianMixture": "gmm_helpers.estimator",  # loads scikit-learn
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gmm_helpers' has no attribute {name!r}")


__all__ = [
    "GMMParams",
    "toy_params",
    "toy_with_component0",
    "sample_gmm",
    "running_example",
    "empirical_params",
    "estimation_errors",
    "init_random_points",
    "init_kmeans_plusplus",
    "kmeans_plusplus_means",
    "nearest_means",
    "diag_gaussian_log_pdf",
    "log_normalisers",
    "underflow_dimension",
    "diagonal_cost",
    "component_log_pdfs",
    "component_log_pdfs_expanded",
    "broadcast_memory_bytes",
    "log_pdfs_peak_bytes",
    "weighted_log_pdfs",
    "log_likelihood",
    "mixture_density_grid",
    "log_responsibilities",
    "responsibility_grid",
    "effective_counts",
    "m_step",
    "e_step",
    "em_step",
    "em_half_steps",
    "fit_em",
    "EMResult",
    "EMConvergenceWarning",
    "SufficientStats",
    "sufficient_statistics",
    "params_from_stats",
    "mixture_mean",
    "em_update",
    "fit_em_streaming",
    "array_chunks",
    "fit_em_online",
    "OnlineEMResult",
    "fit_em_distributed",
    "run_local_processes",
]  # the lazily loaded names (animate_em, draw_em_iteration, save_gif, check_close, DiagonalGaussianMixture) are left out, so that
# ``from gmm_helpers import *`` stays free of matplotlib and scikit-learn too
