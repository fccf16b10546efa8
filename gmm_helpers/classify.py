"""A generative classifier: one Gaussian mixture per class, and Bayes' rule to choose among them.

Introduced in notebooks/09_real_data.ipynb.

Each class c gets its own density p(x | c), a ``DiagonalGaussianMixture`` fitted to that class's
training points only, and a prior p(c), the class's share of the training points. A new point goes
to the class with the largest log p(x | c) + log p(c), which is the largest posterior p(c | x) since
p(x) is the same for every class. With one component per class this is Gaussian naive Bayes.

Like ``estimator``, this module imports scikit-learn; ``import gmm_helpers`` does not load it.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._validation import check_tensor


class ClassMixtures(NamedTuple):
    """A fitted generative classifier.

    models : list of DiagonalGaussianMixture
        ``models[c]`` is p(x | c), fitted to the points of class c.
    log_priors : Tensor, shape (C,)
        log p(c): the log of each class's share of the training points.
    """

    models: list
    log_priors: torch.Tensor


def _check_labels(X: torch.Tensor, y) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.dtype not in (torch.int32, torch.int64):
        got = f"a {y.dtype} tensor of shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y: expected a 1-D int64 tensor of class labels 0..C-1, got {got}")
    if len(y) != len(X):
        raise ValueError(f"y: expected one label per row of X ({len(X)}), got {len(y)}")
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"y: expected class labels 0..C-1, got the label {int(y.min())}")
    return y.long()


def best_by_bic(X: torch.Tensor, Ks, **kwargs):
    """Fit a ``DiagonalGaussianMixture`` for each K in ``Ks``; return the one with the lowest BIC on X.

    Introduced in notebooks/09_real_data.ipynb. ``kwargs`` go to the estimator (``random_state``,
    ``reg_covar``, ...). Returns ``(best model, {K: BIC})``.
    """
    from .estimator import DiagonalGaussianMixture

    X = check_tensor("X", X, 2, "(N, D)")
    Ks = list(Ks)
    if not Ks or any(isinstance(K, bool) or not isinstance(K, int) or K < 1 for K in Ks):
        raise ValueError(f"Ks: expected a non-empty list of positive ints, got {Ks!r}")
    models = {K: DiagonalGaussianMixture(K, **kwargs).fit(X) for K in Ks}
    bics = {K: model.bic(X) for K, model in models.items()}
    return models[min(Ks, key=bics.get)], bics


def fit_class_mixtures(X: torch.Tensor, y: torch.Tensor, n_components=1, **kwargs) -> ClassMixtures:
    """One mixture per class, and the class priors.

    Introduced in notebooks/09_real_data.ipynb.

    Parameters
    ----------
    X : Tensor, shape (N, D)
    y : Tensor of int64, shape (N,)
        Class labels 0..C-1; every class must have at least one point.
    n_components : int, or a sequence of C ints, or a sequence of candidate K's under ``"bic"``
        K for every class, or K per class; ``("bic", Ks)`` chooses each class's K from ``Ks`` by BIC
        on that class's points (``best_by_bic``).
    **kwargs
        Passed to ``DiagonalGaussianMixture`` (``random_state``, ``reg_covar``, ``n_init``, ...).

    Returns
    -------
    ClassMixtures
    """
    from .estimator import DiagonalGaussianMixture

    X = check_tensor("X", X, 2, "(N, D)")
    y = _check_labels(X, y)
    C = int(y.max()) + 1 if len(y) else 0
    counts = torch.bincount(y, minlength=C)  # (C,)
    if C == 0 or bool((counts == 0).any()):
        missing = [c for c in range(C) if counts[c] == 0]
        raise ValueError(f"y: expected at least one point of every class 0..C-1, got none of the classes {missing}")
    by_bic = isinstance(n_components, tuple) and len(n_components) == 2 and n_components[0] == "bic"
    if not by_bic:
        Ks = [n_components] * C if isinstance(n_components, int) else list(n_components)
        if len(Ks) != C or any(isinstance(K, bool) or not isinstance(K, int) or K < 1 for K in Ks):
            raise ValueError(f"n_components: expected a positive int, {C} positive ints (one per class) "
                             f"or ('bic', candidate Ks), got {n_components!r}")
    models = []
    for c in range(C):
        Xc = X[y == c]
        if by_bic:
            models.append(best_by_bic(Xc, n_components[1], **kwargs)[0])
        else:
            models.append(DiagonalGaussianMixture(Ks[c], **kwargs).fit(Xc))
    log_priors = (counts.double() / len(y)).log().to(X.dtype)
    return ClassMixtures(models, log_priors)


def class_log_joint(mixtures: ClassMixtures, X: torch.Tensor) -> torch.Tensor:
    """log p(x_n | c) + log p(c) for every point and class, shape (N, C).

    Introduced in notebooks/09_real_data.ipynb. A softmax over the classes gives p(c | x_n).
    """
    X = check_tensor("X", X, 2, "(N, D)")
    columns = [torch.as_tensor(model.score_samples(X)) for model in mixtures.models]  # C of (N,)
    return torch.stack(columns, dim=1) + mixtures.log_priors.to(X.dtype)  # (N, C)


def predict_class(mixtures: ClassMixtures, X: torch.Tensor) -> torch.Tensor:
    """The class of largest posterior, argmax_c log p(x_n | c) + log p(c), shape (N,), int64."""
    return class_log_joint(mixtures, X).argmax(dim=1)


__all__ = ["ClassMixtures", "best_by_bic", "fit_class_mixtures", "class_log_joint", "predict_class"]
