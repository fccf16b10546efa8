import os
import sys

import pytest
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from gmm_helpers import GMMParams, component_log_pdfs, diag_gaussian_log_pdf, log_likelihood, toy_params
from tests.conftest import random_params


def mixture_oracle(params):
    """torch.distributions' own mixture: Normal takes standard deviations."""
    components = Independent(Normal(params.means, params.variances.sqrt()), 1)
    return MixtureSameFamily(Categorical(probs=params.weights), components)


def test_component_log_pdfs_against_loop_and_torch_distributions(toy_data):
    X, _, params = toy_data
    got = component_log_pdfs(X, params)
    assert got.shape == (500, 3) and got.dtype == X.dtype
    loop = torch.stack([diag_gaussian_log_pdf(X, params.means[k], params.variances[k]) for k in range(3)], dim=1)
    torch.testing.assert_close(got, loop)
    oracle = Independent(Normal(params.means, params.variances.sqrt()), 1).log_prob(X[:, None, :])  # (N, K)
    torch.testing.assert_close(got, oracle)


def test_log_likelihood_against_mixture_same_family(gen):
    for K, D in [(1, 1), (3, 2), (5, 7)]:
        params = random_params(K, D, gen)
        X = 3 * torch.randn(200, D, generator=gen, dtype=torch.float64)
        expected = mixture_oracle(params).log_prob(X).sum()
        torch.testing.assert_close(log_likelihood(X, params), expected, rtol=1e-12, atol=0)


def test_zero_weight_component_is_ignored():
    p = toy_params(torch.float64)
    X = torch.randn(20, 2, dtype=torch.float64)
    two = GMMParams(torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64), p.means, p.variances)
    dropped = GMMParams(torch.tensor([0.5, 0.5], dtype=torch.float64), p.means[:2], p.variances[:2])
    torch.testing.assert_close(log_likelihood(X, two), log_likelihood(X, dropped))


def test_a_point_a_thousand_standard_deviations_away(dtype):
    params = toy_params(dtype)
    X = torch.tensor([[1000.0 * 1.4, -1000.0 * 1.4], [0.0, 0.0]], dtype=dtype)
    oracle = mixture_oracle(params.to(torch.float64))
    torch.testing.assert_close(log_likelihood(X, params).double(), oracle.log_prob(X.double()).sum(), rtol=1e-6, atol=0)
    torch.testing.assert_close(component_log_pdfs(X, params).double(),
                               oracle.component_distribution.log_prob(X.double()[:, None, :]), rtol=1e-6, atol=0)


def test_finite_in_1000_dimensions_float32(gen):
    params = random_params(4, 1000, gen, torch.float32)
    X = torch.randn(30, 1000, generator=gen)
    expected = mixture_oracle(params.to(torch.float64)).log_prob(X.double()).sum()
    torch.testing.assert_close(log_likelihood(X, params).double(), expected, rtol=1e-5, atol=0)


@pytest.mark.parametrize(
    "params, match",
    [
        (GMMParams(torch.tensor([0.5, 0.5]), torch.zeros(3, 2), torch.ones(3, 2)), r"weights: expected shape \(3,\) to match means"),
        (GMMParams(torch.ones(3) / 3, torch.zeros(3, 2), torch.ones(2, 2)), r"variances: expected shape \(3, 2\) to match means"),
        (GMMParams(torch.ones(3) / 3, torch.zeros(3, 4), torch.ones(3, 4)), r"means: expected D = 2 dimensions to match X"),
        (GMMParams(torch.tensor([1.5, -0.5, 0.0]), torch.zeros(3, 2), torch.ones(3, 2)), r"weights: expected values >= 0"),
        (GMMParams(torch.tensor([0.5, 0.4, 0.0]), torch.zeros(3, 2), torch.ones(3, 2)), r"weights: expected values summing to 1, got sum 0.9"),
        (GMMParams(torch.ones(3) / 3, torch.zeros(3, 2), -torch.ones(3, 2)), r"variances: expected values > 0"),
        (GMMParams(torch.ones(3) / 3, torch.zeros(3, 2), torch.zeros(3, 2)), r"variances: expected values > 0"),
        (GMMParams(torch.ones(3) / 3, torch.zeros(3, 2, dtype=torch.float64), torch.ones(3, 2)), r"means: expected dtype torch.float32"),
        ((torch.ones(3) / 3, torch.zeros(3, 2), torch.ones(3, 2)), r"params: expected a GMMParams"),
    ],
)
def test_bad_params(params, match):
    X = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=match):
        component_log_pdfs(X, params)
    with pytest.raises(ValueError, match=match):
        log_likelihood(X, params)


def test_bad_X():
    with pytest.raises(ValueError, match=r"X: expected finite values, got 1 NaN or inf"):
        log_likelihood(torch.tensor([[0.0, float("inf")]]), toy_params())


def test_expanded_form_matches_broadcast_in_float64(gen):
    from gmm_helpers import component_log_pdfs_expanded

    for K, D in [(1, 1), (4, 3), (16, 32)]:
        params = random_params(K, D, gen)
        X = 3 * torch.randn(100, D, generator=gen, dtype=torch.float64)
        torch.testing.assert_close(component_log_pdfs_expanded(X, params), component_log_pdfs(X, params), rtol=1e-10, atol=1e-10)


def test_expanded_form_cancels_in_float32_far_from_the_origin():
    """The reason notebook 04 warns about it and the fast path centres the data."""
    from gmm_helpers import component_log_pdfs_expanded, sample_gmm

    p = toy_params(torch.float64)
    X, _ = sample_gmm(p, 500, generator=torch.Generator().manual_seed(0))
    X, p = X + 1e3, p._replace(means=p.means + 1e3)
    reference = component_log_pdfs(X, p)
    err_expanded = (component_log_pdfs_expanded(X.float(), p.to(torch.float32)).double() - reference).abs().max()
    err_broadcast = (component_log_pdfs(X.float(), p.to(torch.float32)).double() - reference).abs().max()
    assert err_expanded > 0.05 and err_broadcast < 0.01


def test_broadcast_memory_bytes():
    from gmm_helpers import broadcast_memory_bytes

    assert broadcast_memory_bytes(10**6, 64, 64, torch.float32) == 16_384_000_000
    assert broadcast_memory_bytes(10, 2, 3, torch.float64) == 480


def test_density_grid_integrates_to_one_and_matches_log_likelihood():
    from gmm_helpers import mixture_density_grid

    xs, ys, density = mixture_density_grid(toy_params(), (-12, 12), (-12, 12), n=300)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert float(density.sum() * cell) == pytest.approx(1.0, abs=1e-3)
    point = torch.tensor([[float(xs[7]), float(ys[11])]], dtype=torch.float64)
    torch.testing.assert_close(density[11, 7], log_likelihood(point, toy_params(torch.float64)).exp())


def test_broadcast_shapes_table_and_byte_format():
    from gmm_helpers.likelihoods import broadcast_shapes_table, format_bytes

    rows = {expr: (shape, mem) for expr, shape, mem in broadcast_shapes_table(10**6, 64, 64)}
    assert rows["diff = X[:, None, :] - means[None, :, :]"] == ((10**6, 64, 64), "15.3 GiB")
    table = broadcast_shapes_table(10**6, 64, 64)
    assert [shape for _, shape, _ in table].count((10**6, 64, 64)) == 3  # diff, diff**2, the quotient: the 3 of the peak
    assert table[-1][0].endswith("log_pdfs") and table[-4][0].endswith("delta^2")  # the sum gives delta^2, not log_pdfs
    assert [shape for _, shape, _ in table[-4:]] == [(10**6, 64), (64,), (10**6, 64), (10**6, 64)]  # c_k + delta^2: a tensor too
    assert rows["X[:, None, :]"][1].startswith("0 B") and rows["variances[None, :, :]"] == ((1, 64, 64), "0 B (a view)")
    assert rows["means"] == rows["variances"] == ((64, 64), "16.0 KiB")  # one row each: shape and memory of one tensor
    rows64 = {expr: mem for expr, _, mem in broadcast_shapes_table(10**6, 64, 64, torch.float64)}
    assert rows64["diff = X[:, None, :] - means[None, :, :]"] == "30.5 GiB"
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(10) == "10 B" and format_bytes(2**40) == "1.0 TiB"
    # 3 significant figures (the memory widget): one notch of K, a factor 2, reads as one
    assert [format_bytes(2**30 * g, significant=3) for g in (1.14453125, 2.2890625)] == ["1.14 GiB", "2.29 GiB"]
    assert format_bytes(390.625 * 2**20, significant=3) == "391 MiB" and format_bytes(10, significant=3) == "10 B"
    assert broadcast_shapes_table(10**6, 64, 64, significant=3)[6][2] == "15.3 GiB"


PEAK_SCRIPT = """
import sys, torch
from gmm_helpers import GMMParams, component_log_pdfs, component_log_pdfs_expanded, diag_gaussian_log_pdf
torch.set_num_threads(1)
form, N, K, D = sys.argv[1], *map(int, sys.argv[2:5])
X = torch.randn(N, D)
p = GMMParams(torch.full((K,), 1 / K), torch.randn(K, D), torch.ones(K, D))
forms = {
    "loop": lambda X: torch.stack([diag_gaussian_log_pdf(X, p.means[k], p.variances[k]) for k in range(K)], dim=1),
    "broadcast": lambda X: component_log_pdfs(X, p),
    "chunked": lambda X: torch.cat([component_log_pdfs(X[i:i + 4096], p) for i in range(0, len(X), 4096)]),
    "expanded": lambda X: component_log_pdfs_expanded(X, p),
}


def kib(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field))


forms[form](X[:100])  # warm up: the first call loads code and sets up the allocator
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident memory
before = kib("VmRSS:")
result = forms[form](X)
print((kib("VmHWM:") - before) * 1024)
"""


# glibc's malloc: every block over 128 KiB gets its own mapping, returned to the system when freed (by default
# the threshold rises after the first free, and freed blocks then stay resident, so the peak would overstate)
ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads and resets the peak in /proc/self")
@pytest.mark.parametrize("form", ["loop", "broadcast", "chunked", "expanded"])
@pytest.mark.parametrize("N, K, D", [(100_000, 32, 8), (100_000, 12, 24)])  # each max() branch; chunk blocks > 128 KiB
def test_log_pdfs_peak_bytes_is_what_the_process_peak_grows_by(form, N, K, D):
    _check_peak(form, N, K, D)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads and resets the peak in /proc/self")
@pytest.mark.parametrize("form", ["loop", "broadcast", "expanded"])  # chunks of 4096 rows at D = 1 stay under 128 KiB
@pytest.mark.parametrize("N, K, D", [(1_000_000, 1, 1), (1_000_000, 4, 1), (1_000_000, 1, 2)])  # D = 1: 4NK; loop at K = 1
def test_log_pdfs_peak_bytes_in_one_dimension(form, N, K, D):
    _check_peak(form, N, K, D, tolerance=1.15)


def _check_peak(form, N, K, D, tolerance=1.4):
    """The oracle: the peak resident memory of a fresh process running that form (one thread)."""
    import subprocess

    from gmm_helpers import log_pdfs_peak_bytes

    measured = int(subprocess.run([sys.executable, "-c", PEAK_SCRIPT, form, str(N), str(K), str(D)],
                                  capture_output=True, text=True, check=True, env=ENV).stdout)
    predicted = log_pdfs_peak_bytes(N, K, D, torch.float32, form)
    assert predicted / tolerance < measured < tolerance * predicted, (form, measured, predicted)


def test_log_pdfs_peak_bytes_orders_the_forms_and_rejects_unknown_forms():
    from gmm_helpers import broadcast_memory_bytes, log_pdfs_peak_bytes

    peaks = {form: log_pdfs_peak_bytes(10**6, 64, 64, torch.float64, form) for form in ("loop", "broadcast", "chunked", "expanded")}
    assert peaks["broadcast"] == 3 * broadcast_memory_bytes(10**6, 64, 64, torch.float64)
    assert peaks["expanded"] == 3 * 10**6 * 64 * 8  # three (N, K) tensors when D = K
    assert peaks["loop"] == (3 * 64 - 1) * 10**6 * 8  # 63 columns done and two (N, D) temporaries of the last
    assert peaks["chunked"] < peaks["broadcast"] / 50  # 4096 rows at a time, and the (N, K) results
    with pytest.raises(ValueError, match="form: expected one of"):
        log_pdfs_peak_bytes(10, 2, 2, form="matrix")


@pytest.mark.parametrize("N, K, D, chunk", [(100, 1, 1, 4096), (600, 3, 2, 4096), (10_000, 16, 16, 4096),
                                             (8192, 4, 4, 4096), (10_001, 2, 3, 1000), (5, 7, 1, 2)])
def test_chunked_peak_is_the_largest_of_a_naive_walk_over_the_chunks(N, K, D, chunk):
    """Oracle: walk the chunks one by one, holding the results so far next to the chunk's three temporaries."""
    from gmm_helpers import log_pdfs_peak_bytes

    worst, done = 0, 0
    for start in range(0, N, chunk):
        rows = min(chunk, N - start)
        worst = max(worst, max(3 * rows * K * D, rows * K * D + 3 * rows * K) + done * K)  # diff held to the end
        done += rows
    worst = max(worst, 2 * N * K)  # all the results and torch.cat's copy
    assert log_pdfs_peak_bytes(N, K, D, torch.float32, "chunked", chunk_rows=chunk) == 4 * worst


def test_chunking_never_costs_more_than_the_broadcast_form():
    from gmm_helpers import log_pdfs_peak_bytes

    for N, K, D in [(100, 1, 1), (600, 3, 2), (4096, 8, 8), (4097, 8, 8), (10**5, 64, 64)]:
        chunked = log_pdfs_peak_bytes(N, K, D, torch.float32, "chunked")
        broadcast = log_pdfs_peak_bytes(N, K, D, torch.float32, "broadcast")
        assert chunked <= broadcast, (N, K, D)
    assert log_pdfs_peak_bytes(100, 1, 1, torch.float32, "chunked") == 4 * 100 * 4  # one chunk: the broadcast peak, 4NK at D = 1
