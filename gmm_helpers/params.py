"""The parameters of a diagonal Gaussian mixture, and the running example of the series."""

from __future__ import annotations

from typing import NamedTuple

import torch


class GMMParams(NamedTuple):
    """The parameters of a mixture of K diagonal Gaussians in D dimensions.

    Introduced in notebooks/01_synthetic_data.ipynb.

    Attributes
    ----------
    weights : Tensor, shape (K,)
        Mixing weights pi_k: non-negative, summing to one.
    means : Tensor, shape (K, D)
        Component means mu_k.
    variances : Tensor, shape (K, D)
        Per-dimension variances sigma^2_kd (variances, **not** standard deviations).

    Notes
    -----
    Saving: ``torch.save(params, f)``, then ``torch.load(f)`` with torch's default ``weights_only=True``
    in any process that has imported ``gmm_helpers``: importing the package allow-lists this type (a
    tuple of three tensors) with ``torch.serialization.add_safe_globals``.

    Examples
    --------
    >>> p = GMMParams(torch.tensor([0.5, 0.5]), torch.zeros(2, 3), torch.ones(2, 3))
    >>> p.K, p.D
    (2, 3)
    """

    weights: torch.Tensor
    means: torch.Tensor
    variances: torch.Tensor

    @property
    def K(self) -> int:
        """Number of components."""
        return self.means.shape[0]

    @property
    def D(self) -> int:
        """Number of dimensions."""
        return self.means.shape[1]

    def to(self, *args, **kwargs) -> "GMMParams":
        """The same parameters with every tensor moved by ``Tensor.to`` (dtype, device, or a tensor).

        >>> toy_params().to(torch.float64).means.dtype
        torch.float64
        """
        return GMMParams(*(t.to(*args, **kwargs) for t in self))

    def sorted(self, dim: int = 0) -> "GMMParams":
        """The same mixture with components ordered by ``means[:, dim]``.

        A mixture is only defined up to the order of its components, so compare two fits after
        sorting both.

        >>> toy_params().sorted().means[:, 0].diff().ge(0).all().item()
        True
        """
        order = torch.argsort(self.means[:, dim])  # (K,)
        return self.permuted(order)

    def permuted(self, order) -> "GMMParams":
        """The same mixture with its components in the order ``order`` (a permutation of 0..K-1).

        >>> toy_params().permuted([2, 0, 1]).weights.tolist()
        [0.25, 0.5, 0.25]
        """
        order = torch.as_tensor(order, dtype=torch.int64, device=self.means.device)
        return GMMParams(self.weights[order], self.means[order], self.variances[order])

    def matched_to(self, reference: "GMMParams") -> "GMMParams":
        """The same mixture with its components reordered to line up with ``reference``'s
        (``self.permuted(self.matching_order(reference))``).

        A mixture's components have no order of their own (EM may return the true components in any
        order: "label switching"), so before comparing a fit with the truth, or two fits with each
        other, reorder one to match the other. Component k of the result is the one whose mean is
        paired with ``reference.means[k]`` by the pairing with the smallest total squared distance
        (every pairing tried for K <= 8; for larger K, greedily, closest pair first).

        >>> truth = toy_params()
        >>> truth.permuted([2, 0, 1]).matched_to(truth).means.equal(truth.means)
        True
        """
        return self.permuted(self.matching_order(reference))

    def matching_order(self, reference: "GMMParams") -> list[int]:
        """The order ``matched_to`` puts the components in: entry k is the index of the component paired with
        ``reference``'s component k. Apply it to anything that shares this mixture's component order (a fit
        started from it, say) with ``permuted``.

        >>> toy_params().permuted([2, 0, 1]).matching_order(toy_params())
        [1, 2, 0]
        """
        import itertools

        K = self.K
        if reference.K != K:
            raise ValueError(f"reference: expected {K} components like this mixture, got {reference.K}")
        cost = ((reference.means[:, None, :].double() - self.means[None, :, :].double()) ** 2).sum(dim=2)  # (K, K)
        if K <= 8:
            orders = torch.tensor(list(itertools.permutations(range(K))), device=cost.device)  # (K!, K)
            order = orders[cost[torch.arange(K, device=cost.device), orders].sum(dim=1).argmin()].tolist()
        else:
            order, free = [None] * K, set(range(K))
            for flat in cost.flatten().argsort().tolist():
                k, j = divmod(flat, K)
                if order[k] is None and j in free:
                    order[k] = j
                    free.remove(j)
        return list(order)

    def to_distribution(self) -> "torch.distributions.MixtureSameFamily":
        """The mixture as a ``torch.distributions`` object, for ``log_prob``, ``sample`` and friends.

        Introduced in notebooks/08_choosing_k.ipynb.

        ``MixtureSameFamily(Categorical(probs=weights), Independent(Normal(means, variances.sqrt()), 1))``:
        ``Normal`` takes a **standard deviation**, so the square root is taken here, once;
        ``Independent(..., 1)`` turns the D one-dimensional normals of a component into one
        D-dimensional diagonal Gaussian (its event shape is (D,)).

        >>> truth = toy_params(torch.float64)
        >>> X = torch.zeros(4, 2, dtype=torch.float64)
        >>> bool(torch.allclose(truth.to_distribution().log_prob(X).sum(), log_likelihood(X, truth)))
        True
        """
        from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

        weights, means, variances = self
        return MixtureSameFamily(Categorical(probs=weights), Independent(Normal(means, variances.sqrt()), 1))

    @classmethod
    def from_distribution(cls, distribution) -> "GMMParams":
        """The parameters of a ``MixtureSameFamily`` of ``Independent(Normal(loc, scale), 1)`` components.

        Introduced in notebooks/08_choosing_k.ipynb. The inverse of ``to_distribution``: the variances
        are ``scale ** 2``.

        >>> truth = toy_params(torch.float64)
        >>> back = GMMParams.from_distribution(truth.to_distribution())
        >>> all(torch.allclose(a, b) for a, b in zip(back, truth))
        True
        """
        from torch.distributions import Independent, MixtureSameFamily, Normal

        expected = "a MixtureSameFamily of Independent(Normal(loc, scale), 1) components with batch shape ()"
        if not isinstance(distribution, MixtureSameFamily):
            raise ValueError(f"distribution: expected {expected}, got {type(distribution).__name__}")
        components = distribution.component_distribution
        if not (isinstance(components, Independent) and isinstance(components.base_dist, Normal)
                and components.reinterpreted_batch_ndims == 1):
            raise ValueError(f"distribution: expected {expected}, got components of type {components!r:.80}")
        if distribution.batch_shape != torch.Size([]):
            raise ValueError(f"distribution: expected {expected}, got batch shape {tuple(distribution.batch_shape)}")
        normal = components.base_dist
        return cls(distribution.mixture_distribution.probs, normal.loc, normal.scale**2)


# torch.load unpickles only tensors, plain containers and allow-listed types (weights_only=True, its
# default since torch 2.6). A GMMParams is a named tuple of tensors and runs no code when rebuilt, so it is
# safe to allow: a saved one then loads wherever gmm_helpers is imported.
torch.serialization.add_safe_globals([GMMParams])


def toy_params(dtype: torch.dtype | None = None, device=None) -> GMMParams:
    """The running example of the series: 3 components in 2-D.

    Introduced in notebooks/01_synthetic_data.ipynb.

    One component carries twice the weight of each other (0.5, 0.25, 0.25); every component has
    different variances along x and y. The clusters are separated enough to see, and overlap
    enough that points between them have mixed responsibilities.

    Parameters
    ----------
    dtype : torch.dtype, optional
        Defaults to ``torch.get_default_dtype()``.
    device : torch.device or str, optional

    Returns
    -------
    GMMParams
        weights (3,), means (3, 2), variances (3, 2).

    Examples
    --------
    >>> p = toy_params()
    >>> p.weights.tolist(), tuple(p.means.shape), tuple(p.variances.shape)
    ([0.5, 0.25, 0.25], (3, 2), (3, 2))
    """
    kwargs = dict(dtype=dtype or torch.get_default_dtype(), device=device)
    weights = torch.tensor([0.5, 0.25, 0.25], **kwargs)
    means = torch.tensor([[-2.5, 0.0], [2.5, 2.5], [2.0, -2.5]], **kwargs)
    variances = torch.tensor([[1.8, 0.8], [0.5, 1.4], [1.0, 0.35]], **kwargs)
    return GMMParams(weights, means, variances)


def toy_with_component0(weight: float = 0.5, variance_scale: float = 1.0, dtype=torch.float64) -> GMMParams:
    """``toy_params()`` with component 0's weight set (the others share the rest 1:1) and its variances scaled.

    Introduced in notebooks/00_overview.ipynb.

    Examples
    --------
    >>> toy_with_component0(0.2).weights.tolist()
    [0.2, 0.4, 0.4]
    """
    from ._validation import check_positive

    weight = check_positive("weight", weight)
    if weight >= 1:
        raise ValueError(f"weight: expected a float in (0, 1), got {weight}")
    variance_scale = check_positive("variance_scale", variance_scale)
    base = toy_params(dtype)
    others = base.weights[1:] / base.weights[1:].sum() * (1 - weight)  # (K - 1,)
    weights = torch.cat([torch.tensor([weight], dtype=dtype), others])  # (K,)
    variances = base.variances.clone()
    variances[0] = variances[0] * variance_scale
    return GMMParams(weights, base.means, variances)
