import numpy as np
import pytest
import torch

from gmm_helpers import check_close


def test_prints_one_stable_line(capsys):
    check_close("log_pdfs vs torch.distributions", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    assert capsys.readouterr().out == "log_pdfs vs torch.distributions: OK\n"


def test_agreeing_infinities_and_mixed_dtypes(capsys):
    check_close("inf", torch.tensor([-float("inf"), 0.0]), torch.tensor([-float("inf"), 0.0], dtype=torch.float64))
    assert capsys.readouterr().out == "inf: OK\n"


def test_raises_with_the_largest_difference(capsys):
    with pytest.raises(AssertionError, match=r"means: 1 of 3 values differ; largest absolute difference 0.5 at flat index 2"):
        check_close("means", torch.tensor([1.0, 2.0, 3.5]), torch.tensor([1.0, 2.0, 3.0]))
    assert capsys.readouterr().out == ""


def test_raises_on_shape_mismatch_and_nan():
    with pytest.raises(AssertionError, match=r"shapes differ: \(2,\) vs \(3,\)"):
        check_close("x", torch.zeros(2), torch.zeros(3))
    with pytest.raises(AssertionError, match="NaN in different places"):
        check_close("x", torch.tensor([float("nan")]), torch.tensor([0.0]))
    with pytest.raises(AssertionError, match=r"largest absolute difference inf"):
        check_close("x", torch.tensor([float("inf")]), torch.tensor([0.0]))


def test_tolerances_are_used():
    check_close("loose", torch.tensor(1.001), torch.tensor(1.0), rtol=1e-2)
    with pytest.raises(AssertionError):
        check_close("tight", torch.tensor(1.001), torch.tensor(1.0))
