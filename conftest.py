"""Shared pytest setup: the doctests see torch and the whole public API, as a notebook does."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

import gmm_helpers  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["torch"] = torch
    for name in [*gmm_helpers.__all__, *gmm_helpers._LAZY]:
        doctest_namespace[name] = getattr(gmm_helpers, name)
