import pytest
import torch

from gmm_helpers import GMMParams, toy_params, toy_with_component0


def test_toy_params_is_the_running_example():
    p = toy_params(torch.float64)
    assert p.K == 3 and p.D == 2
    assert torch.allclose(p.weights.sum(), torch.tensor(1.0, dtype=torch.float64))
    # one component carries twice the weight of each other one
    assert sorted(p.weights.tolist()) == [0.25, 0.25, 0.5]
    # every component is non-spherical, and no two share variances
    assert (p.variances[:, 0] != p.variances[:, 1]).all()
    assert len({tuple(v) for v in p.variances.tolist()}) == 3
    # separated: means at least 2.5 pooled standard deviations apart along their axis
    for i in range(3):
        for j in range(i + 1, 3):
            gap = (p.means[i] - p.means[j]).norm()
            spread = (p.variances[i].max().sqrt() + p.variances[j].max().sqrt())
            assert gap / spread > 1.5


def test_toy_params_dtype_and_default(dtype):
    assert toy_params(dtype).means.dtype == dtype
    assert toy_params().means.dtype == torch.get_default_dtype()


def test_params_is_immutable_and_sortable():
    p = toy_params()
    with pytest.raises(AttributeError):
        p.means = torch.zeros(3, 2)
    s = p.sorted()
    assert (s.means[:, 0].diff() >= 0).all()
    # sorting permutes whole components: each (weight, mean, variance) triple is kept together
    triples = {(w.item(), tuple(m.tolist()), tuple(v.tolist())) for w, m, v in zip(*p)}
    assert triples == {(w.item(), tuple(m.tolist()), tuple(v.tolist())) for w, m, v in zip(*s)}


def test_to_moves_every_tensor():
    p = toy_params(torch.float32).to(torch.float64)
    assert all(t.dtype == torch.float64 for t in p)
    assert isinstance(p, GMMParams)


def test_toy_with_component0_is_a_valid_mixture():
    p = toy_with_component0(0.1, 2.0)
    assert p.weights.tolist() == pytest.approx([0.1, 0.45, 0.45])
    assert torch.allclose(p.variances[0], 2 * toy_params(torch.float64).variances[0])
    assert torch.equal(p.variances[1:], toy_params(torch.float64).variances[1:])
    with pytest.raises(ValueError, match=r"weight: expected a float in \(0, 1\), got 1.0"):
        toy_with_component0(1.0)


def test_matched_to_undoes_any_permutation_and_pairs_nearest_means():
    import itertools

    truth = toy_params(torch.float64)
    for order in itertools.permutations(range(3)):
        shuffled = truth.permuted(list(order))
        assert all(torch.equal(a, b) for a, b in zip(shuffled.matched_to(truth), truth))
    nudged = truth._replace(means=truth.means + 0.3).permuted([1, 2, 0])
    torch.testing.assert_close(nudged.matched_to(truth).means, truth.means + 0.3)
    g = torch.Generator().manual_seed(0)
    big = GMMParams(torch.full((10,), 0.1), torch.randn(10, 2, generator=g) * 10, torch.ones(10, 2))
    assert torch.equal(big.permuted(torch.randperm(10, generator=g)).matched_to(big).means, big.means)  # greedy, K > 8
    with pytest.raises(ValueError, match=r"reference: expected 3 components like this mixture, got 10"):
        truth.matched_to(big.to(torch.float64))
