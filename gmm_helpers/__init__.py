"""Helpers for the gmm-pytorch notebook series: diagonal Gaussian mixtures fitted by EM in PyTorch.

Each module is one concept of the series and names the notebook that teaches it:

- ``params``, ``data``   -> notebooks/01_synthetic_data.ipynb
- ``init``               -> notebooks/02_initialisation.ipynb
- ``gaussian``           -> notebooks/03_diagonal_gaussian.ipynb
- ``likelihoods``        -> notebooks/04_broadcasting_likelihoods.ipynb
- ``posteriors``         -> notebooks/05_posteriors.ipynb
- ``updates``            -> notebooks/06_parameter_updates.ipynb
- ``em``                 -> notebooks/07_em_fit.ipynb
"""

from .animate import animate_em, draw_em_iteration, save_gif
from .data import empirical_params, estimation_errors, sample_gmm
from .em import EMConvergenceWarning, EMResult, e_step, em_step, fit_em
from .gaussian import diag_gaussian_log_pdf
from .init import init_kmeans_plusplus, init_random_points, kmeans_plusplus_means
from .likelihoods import (
    broadcast_memory_bytes,
    component_log_pdfs,
    component_log_pdfs_expanded,
    log_likelihood,
    weighted_log_pdfs,
)
from .params import GMMParams, toy_params
from .posteriors import log_responsibilities
from .testing import check_close
from .updates import effective_counts, m_step

__all__ = [
    "GMMParams",
    "toy_params",
    "sample_gmm",
    "empirical_params",
    "estimation_errors",
    "init_random_points",
    "init_kmeans_plusplus",
    "kmeans_plusplus_means",
    "diag_gaussian_log_pdf",
    "component_log_pdfs",
    "component_log_pdfs_expanded",
    "broadcast_memory_bytes",
    "weighted_log_pdfs",
    "log_likelihood",
    "log_responsibilities",
    "effective_counts",
    "m_step",
    "e_step",
    "em_step",
    "fit_em",
    "EMResult",
    "EMConvergenceWarning",
    "animate_em",
    "draw_em_iteration",
    "save_gif",
    "check_close",
]
