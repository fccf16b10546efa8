"""Comparisons for notebook check cells and tests: one stable line when they agree."""

from __future__ import annotations

import torch


def check_close(name: str, actual, expected, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Print ``"<name>: OK"`` if ``actual`` and ``expected`` agree, else raise with the largest difference.

    Introduced in notebooks/00_overview.ipynb (section "Conventions and the toolkit": what it prints and
    what ``rtol`` and ``atol`` mean); the check cells of every notebook use it.

    The printed line contains no numbers, so it reads the same on every machine (nbval compares it).
    Values are compared in float64 with ``|actual - expected| <= atol + rtol * |expected|``.

    Parameters
    ----------
    name : str
        What is compared, e.g. ``"log_pdfs vs torch.distributions"``.
    actual, expected : Tensor, array or number
        Same shape.
    rtol, atol : float

    Raises
    ------
    AssertionError
        With the shapes, or, when values disagree, how many do and the largest absolute difference, where it
        is and the relative difference at that place (not the largest relative difference, which may be elsewhere).

    Examples
    --------
    >>> check_close("two ways to write one half", torch.tensor(0.5), 1 / 2)
    two ways to write one half: OK
    """
    a = torch.as_tensor(actual).detach().to("cpu", torch.float64)
    e = torch.as_tensor(expected).detach().to("cpu", torch.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{name}: shapes differ: {tuple(a.shape)} vs {tuple(e.shape)}")
    if not torch.equal(torch.isnan(a), torch.isnan(e)):
        raise AssertionError(f"{name}: NaN in different places")
    both = ~torch.isnan(a)
    a, e = a[both], e[both]
    same_inf = (a == e) & torch.isinf(a)  # -inf == -inf counts as agreement
    diff = torch.where(same_inf, torch.zeros_like(a), (a - e).abs())
    bad = diff > atol + rtol * e.abs()
    if bool(bad.any()):
        worst = int(diff.argmax())
        rel = float(diff[worst] / e[worst].abs()) if e[worst] != 0 else float("inf")
        raise AssertionError(
            f"{name}: {int(bad.sum())} of {a.numel()} values differ; largest absolute difference {float(diff[worst]):.3g} "
            f"at flat index {worst}: {float(a[worst]):.7g} vs {float(e[worst]):.7g} (relative difference there {rel:.3g})"
        )
    print(f"{name}: OK")
