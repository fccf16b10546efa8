import pytest
import torch

from gmm_helpers import GMMParams, toy_params


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
