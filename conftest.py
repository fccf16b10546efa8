"""Shared pytest setup: the doctests see torch and the whole public API, as a notebook does.

It also pins the floating-point code paths of every process the tests start (the notebooks' kernels under nbval
among them): PyTorch's portable kernels instead of the AVX2 / AVX-512 ones it picks per CPU, and MKL's
CPU-independent mode. Without that a float32 sum or matrix product can differ in its last bits from one CI machine to
another, and so can a notebook's printed digits. tools/run_notebooks.py sets the same two variables.
"""

import os

os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")  # read when torch is imported, in this process and each kernel
os.environ.setdefault("MKL_CBWR", "COMPATIBLE")

import matplotlib  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

matplotlib.use("Agg")

import gmm_helpers  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["torch"] = torch
    for name in [*gmm_helpers.__all__, *gmm_helpers._LAZY]:
        doctest_namespace[name] = getattr(gmm_helpers, name)
