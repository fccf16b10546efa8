import pytest
import torch

from gmm_helpers import GMMParams, empirical_params, estimation_errors, sample_gmm, toy_params


def test_shapes_dtype_and_seed(dtype):
    p = toy_params(dtype)
    X1, l1 = sample_gmm(p, 100, generator=torch.Generator().manual_seed(3))
    X2, l2 = sample_gmm(p, 100, generator=torch.Generator().manual_seed(3))
    assert X1.shape == (100, 2) and X1.dtype == dtype and l1.dtype == torch.int64
    assert torch.equal(X1, X2) and torch.equal(l1, l2)
    X3, _ = sample_gmm(p, 100, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(X1, X3)


def test_zero_samples():
    X, labels = sample_gmm(toy_params(), 0)
    assert X.shape == (0, 2) and labels.shape == (0,)


def test_moments_match_the_mixture():
    """Per-component sample weights, means and variances approach the truth (n = 200k)."""
    p = toy_params(torch.float64)
    n = 200_000
    X, labels = sample_gmm(p, n, generator=torch.Generator().manual_seed(0))
    for k in range(p.K):
        Xk = X[labels == k]
        frac = len(Xk) / n
        assert abs(frac - p.weights[k]) < 4 * (p.weights[k] * (1 - p.weights[k]) / n) ** 0.5
        se_mean = (p.variances[k] / len(Xk)).sqrt()
        assert ((Xk.mean(0) - p.means[k]).abs() < 4 * se_mean).all()
        # variance of the sample variance of a normal: 2 sigma^4 / n
        se_var = (2 * p.variances[k] ** 2 / len(Xk)).sqrt()
        assert ((Xk.var(0) - p.variances[k]).abs() < 4 * se_var).all()


def test_variances_are_variances_not_standard_deviations():
    p = GMMParams(torch.ones(1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64),
                  torch.full((1, 1), 4.0, dtype=torch.float64))
    X, _ = sample_gmm(p, 100_000, generator=torch.Generator().manual_seed(1))
    assert abs(X.std().item() - 2.0) < 0.03


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=-1), r"n: expected an int >= 0, got -1"),
        (dict(n=2.5), r"n: expected an int"),
        (dict(params="toy"), r"params: expected a GMMParams"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(params=toy_params(), n=10) | kwargs
    with pytest.raises(ValueError, match=match):
        sample_gmm(**args)


def test_empirical_params_are_per_label_statistics():
    X = torch.tensor([[0.0, 0.0], [2.0, 2.0], [10.0, 0.0], [10.0, 4.0], [10.0, 2.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1, 1])
    p = empirical_params(X, labels, 3)
    torch.testing.assert_close(p.weights[:2], torch.tensor([0.4, 0.6], dtype=torch.float64))
    torch.testing.assert_close(p.means[:2], torch.tensor([[1.0, 1.0], [10.0, 2.0]], dtype=torch.float64))
    torch.testing.assert_close(p.variances[:2], torch.tensor([[1.0, 1.0], [0.0, 8 / 3]], dtype=torch.float64) + 1e-6)
    assert p.weights[2].item() == pytest.approx(10 * 2.2204e-16 / 5, rel=1e-3) and p.means[2].tolist() == [0.0, 0.0]  # empty: m_step's guard


def test_empirical_params_bad_labels():
    X = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"labels: expected values in 0..1, got 0..2"):
        empirical_params(X, torch.tensor([0, 1, 2]), 2)
    with pytest.raises(ValueError, match=r"labels: expected an int64 tensor of shape \(3,\)"):
        empirical_params(X, torch.tensor([0, 1]), 2)


def test_estimation_errors_shrink_like_one_over_sqrt_n():
    ns = [100, 10_000]
    errors = estimation_errors(toy_params(torch.float64), ns, repeats=10, generator=torch.Generator().manual_seed(0))
    assert errors.shape == (2, 3)
    ratio = errors[0] / errors[1]  # 100x the points: about 10x smaller errors
    assert ((ratio > 5) & (ratio < 20)).all(), ratio


def test_estimation_errors_per_repeat_are_the_averaged_ones_before_averaging():
    ns, truth = [30, 300], toy_params(torch.float64)
    each = estimation_errors(truth, ns, repeats=4, generator=torch.Generator().manual_seed(1), per_repeat=True)
    mean = estimation_errors(truth, ns, repeats=4, generator=torch.Generator().manual_seed(1))
    assert each.shape == (2, 4, 3)
    torch.testing.assert_close(each.mean(dim=1), mean)
    # the first repeat by hand: the same draws, the errors of the labelled estimates
    X, labels = sample_gmm(truth, 30, generator=torch.Generator().manual_seed(1))
    counts = torch.bincount(labels, minlength=3)
    fractions = counts / 30
    means = torch.stack([X[labels == k].mean(dim=0) for k in range(3)])
    assert float(each[0, 0, 0]) == pytest.approx(float((fractions - truth.weights).abs().mean()))
    assert float(each[0, 0, 1]) == pytest.approx(float((means - truth.means).abs().mean()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_parameters_with_a_cpu_generator_sample_the_same_points():
    cpu = sample_gmm(toy_params(torch.float64), 100, generator=torch.Generator().manual_seed(0))
    gpu = sample_gmm(toy_params(torch.float64, device="cuda"), 100, generator=torch.Generator().manual_seed(0))
    assert gpu[0].is_cuda
    torch.testing.assert_close(gpu[0].cpu(), cpu[0])
    assert torch.equal(gpu[1].cpu(), cpu[1])
    errors = estimation_errors(toy_params(torch.float64, device="cuda"), [50], repeats=2)
    assert errors.is_cuda


def test_running_example_is_the_same_points_in_every_dtype():
    from gmm_helpers import running_example

    X, labels, truth = running_example()
    X64, labels64, truth64 = running_example(torch.float64)
    assert X.shape == (600, 2) and X.dtype == torch.float32 and torch.equal(X64, X.double())
    assert torch.equal(labels, labels64) and truth64.means.dtype == torch.float64
    again, _ = sample_gmm(toy_params(), 600, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, X)
