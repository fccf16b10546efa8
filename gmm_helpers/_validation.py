"""Input checks shared by every public function.

Each check raises ``ValueError`` naming the argument, what was expected and what was received, so a
reader who passes the wrong thing learns what to pass instead. Nothing here computes; it only looks.
"""

from __future__ import annotations

import math
import numbers

import torch

# float16 and bfloat16 are refused: exp(-7) is already below float16's precision next to 1, so a
# component 1000 units from every point kept a weight of 0.0076 after one step (float64: ~1e-16).
SUPPORTED_DTYPES = (torch.float32, torch.float64)


def _describe(value) -> str:
    """What was received, in a few words: a tensor or array by its type, dtype and shape, never its values."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a NumPy (or array-library) array
        module = type(value).__module__.split(".")[0]
        return f"a {module}.{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_dtype(name: str, dtype) -> torch.dtype:
    """float32 or float64."""
    if dtype not in SUPPORTED_DTYPES:
        raise ValueError(f"{name}: expected torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def check_tensor(name: str, value, ndim: int, shape_doc: str) -> torch.Tensor:
    """A float32 or float64 tensor with ``ndim`` dimensions, no NaN and no inf."""
    if not isinstance(value, torch.Tensor):
        hint = f" (convert it with torch.from_numpy({name}))" if type(value).__module__.startswith("numpy") else ""
        raise ValueError(f"{name}: expected a torch.Tensor of shape {shape_doc}, got {_describe(value)}{hint}")
    if value.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-D tensor of shape {shape_doc}, got shape {tuple(value.shape)}"
        )
    if value.dtype not in SUPPORTED_DTYPES:
        hint = "" if value.is_floating_point() else " (convert it with .float() or .double())"
        if value.dtype in (torch.float16, torch.bfloat16):
            hint = f" ({value.dtype} has too little precision for EM's exponentials; convert it with {name}.float())"
        raise ValueError(f"{name}: expected a float32 or float64 tensor, got {value.dtype}{hint}")
    if not _all_finite(value):
        n_bad = sum(int((~torch.isfinite(block)).sum()) for block in _blocks(value))
        raise ValueError(f"{name}: expected finite values, got {n_bad} NaN or inf entries")
    return value


def _blocks(value: torch.Tensor, size: int = 2**20):
    """The tensor's entries in blocks of ``size`` (views), so a check never copies the whole tensor."""
    flat = value.detach().reshape(-1)
    return (flat[start:start + size] for start in range(0, flat.numel(), size))


def _all_finite(value: torch.Tensor) -> bool:
    """No NaN and no inf, checked a block at a time (torch.isfinite of a whole 128 MB tensor takes 200 MB more)."""
    return all(bool(torch.isfinite(block).all()) for block in _blocks(value))


def check_X(X) -> torch.Tensor:
    """Data of shape (N, D) with N >= 1 and D >= 1."""
    check_tensor("X", X, 2, "(N, D)")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X: expected at least one point and one dimension, got shape {tuple(X.shape)}")
    return X


def check_int(name: str, value, low: int, high: int | None = None, high_doc: str = "") -> int:
    """An integer (a Python int, a NumPy integer, a 0-d integer tensor) in [low, high], returned as an int."""
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point() and value.dtype != torch.bool:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an int, got {_describe(value)}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f"<= {high_doc or high}" if high is not None else ""
        expected = f">= {low}" + (f" and {bound}" if bound else "")
        raise ValueError(f"{name}: expected an int {expected}, got {value}")
    return value


def check_K(K, N: int) -> int:
    """A number of components between 1 and the number of points."""
    return check_int("K", K, 1, N, f"N = {N} (the number of points)")


def check_nonneg(name: str, value, expected: str = ">= 0") -> float:
    """A finite real number >= 0 (a Python or NumPy int or float), returned as a float; ``expected`` is the bound
    the error message states (``check_positive`` passes "> 0")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a float {expected}, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a float {expected}, got {value}")
    return float(value)


def check_positive(name: str, value) -> float:
    """A finite float > 0."""
    value = check_nonneg(name, value, "> 0")
    if value == 0:
        raise ValueError(f"{name}: expected a float > 0, got {value}")
    return value


def sum_tolerance(dtype: torch.dtype) -> float:
    """How far from 1 a sum of probabilities may be: sqrt of machine epsilon, and at least 1e-5.

    The floor accepts float32-computed probabilities converted to float64 (off by ~1e-7 each).
    """
    return max(math.sqrt(torch.finfo(dtype).eps), 1e-5)


def check_params(params, X: torch.Tensor | None = None):
    """A ``GMMParams`` whose shapes agree with each other (and with X), with valid values."""
    from .params import GMMParams

    if not isinstance(params, GMMParams):
        raise ValueError(f"params: expected a GMMParams(weights, means, variances), got {_describe(params)}")
    weights, means, variances = params
    check_tensor("weights", weights, 1, "(K,)")
    check_tensor("means", means, 2, "(K, D)")
    check_tensor("variances", variances, 2, "(K, D)")
    K, D = means.shape
    if K == 0 or D == 0:
        raise ValueError(f"means: expected at least one component and one dimension, got shape {(K, D)}")
    if weights.shape[0] != K:
        raise ValueError(
            f"weights: expected shape ({K},) to match means of shape {(K, D)}, got {tuple(weights.shape)}"
        )
    if variances.shape != means.shape:
        raise ValueError(
            f"variances: expected shape {(K, D)} to match means, got {tuple(variances.shape)}"
        )
    if X is not None:
        if X.shape[1] != D:
            raise ValueError(
                f"means: expected D = {X.shape[1]} dimensions to match X of shape {tuple(X.shape)}, "
                f"got means of shape {(K, D)}"
            )
        for name, tensor in zip(GMMParams._fields, params):
            if tensor.dtype != X.dtype or tensor.device != X.device:
                raise ValueError(
                    f"{name}: expected dtype {X.dtype} on {X.device} like X, "
                    f"got {tensor.dtype} on {tensor.device} (use params.to(X))"
                )
    if bool((weights < 0).any()):
        raise ValueError(f"weights: expected values >= 0, got minimum {float(weights.detach().min()):.4g}")
    total = float(weights.detach().sum())
    if abs(total - 1.0) > sum_tolerance(weights.dtype):
        raise ValueError(f"weights: expected values summing to 1, got sum {total:.6g} (off by {abs(total - 1):.1e})")
    if bool((variances <= 0).any()):
        raise ValueError(
            f"variances: expected values > 0 (variances, not standard deviations), "
            f"got minimum {float(variances.detach().min()):.4g}"
        )
    return params


def check_resp(resp, X: torch.Tensor) -> torch.Tensor:
    """Responsibilities of shape (N, K): non-negative rows that sum to one."""
    N = X.shape[0]
    check_tensor("resp", resp, 2, f"(N, K) with N = {N}")
    if resp.shape[0] != N or resp.shape[1] == 0:
        raise ValueError(
            f"resp: expected shape (N, K) with N = {N} rows like X and K >= 1, got {tuple(resp.shape)}"
        )
    if resp.dtype != X.dtype or resp.device != X.device:
        raise ValueError(f"resp: expected dtype {X.dtype} on {X.device} like X, got {resp.dtype} on {resp.device}")
    if bool((resp < 0).any()):
        raise ValueError(f"resp: expected values >= 0, got minimum {float(resp.detach().min()):.4g}")
    row_error = float((resp.detach().sum(dim=1) - 1).abs().max())
    if row_error > sum_tolerance(resp.dtype) * max(1.0, math.sqrt(resp.shape[1])):
        raise ValueError(f"resp: expected rows summing to 1, got a row off by {row_error:.4g}")
    return resp
