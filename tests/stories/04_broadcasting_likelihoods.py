# Story checks of notebooks/04_broadcasting_likelihoods.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% plain-way-loop-over
x0, mu, var = X[0], means[2], variances[2]
assert [f"{v:.3f}" for v in x0.tolist()] == ["0.481", "-1.790"] and means[2].tolist() == [2.0, -2.5] and f"{var[1]:.2f}" == "0.35"
assert [f"{v:.4f}" for v in x0.tolist()] == ["0.4813", "-1.7898"] and var[0].item() == 1.0  # sigma^2 = (1, 0.35)
terms = ((torch.tensor([0.4813, -1.7898], dtype=torch.float64) - mu.double()) ** 2 / var.double()).tolist()  # from x as printed
assert [f"{t:.4f}" for t in terms] == ["2.3064", "1.4411"] and f"{sum(terms):.4f}" == "3.7475"
assert f"{-0.5 * (2.626 + 3.7475):.3f}" == "-3.187"
assert f"{2 * math.log(2 * math.pi):.3f}" == "3.676" and f"{math.log(0.35):.3f}" == "-1.050"
assert f"{2 * math.log(2 * math.pi) + var.log().sum().item():.3f}" == "2.626" and f"{log_pdfs_loop[0, 2]:.3f}" == "-3.187"

assert log_pdfs_loop[0].argmax() == 2  # the largest in row 0


# %% broadcasting
assert stretched.stride() == (D, 0, 1) and stretched.data_ptr() == X.data_ptr()  # step 0 along K: X's own numbers
try:
    torch.zeros(3, 2) - torch.zeros(6, 2)  # 3 against 6: neither is 1
    raise AssertionError("expected an error")
except RuntimeError:
    pass


# %% batch-event-shapes
assert (three - means).shape == (3, 2) and (three[:, None, :] - means[None, :, :]).shape == (3, 3, 2)
assert torch.equal((three - means)[1], X[1] - means[1])  # point 1 minus mean 1 only
assert (X[:1] - means).shape == (K, D) and (X - means[:1]).shape == (N, D)  # N = 1 or K = 1: one axis missing
assert torch.allclose(oracle.log_prob(X[:, None, :]), normal.log_prob(X[:, None, :]).sum(dim=2))  # Independent sums over D


# %% broadcasting-costs
assert broadcast_memory_bytes(100_000, 32, 32) == 100_000 * 32 * 32 * 4 and f"{100_000 * 32 * 32 * 4 / 2**20:.1f}" == "390.6"
assert [round(mib / 390.6) for mib in held.values()] == [1, 3, 2, 0]  # tensors alive after each step
assert all(abs(mib - 390.6 * t) < 0.03 * 390.6 for mib, t in zip(held.values(), [1, 3, 2, 0]))  # within 3% of a tensor
assert abs(held["after the division, square named (the peak)"] * 2**20 / log_pdfs_peak_bytes(100_000, 32, 32) - 1) < 0.02  # the table's 1.1 GiB


# %% broadcasting-costs-2
assert all(log_pdfs_peak_bytes(n_, k_, d_) == 3 * broadcast_memory_bytes(n_, k_, d_) for n_, k_, d_ in sizes)
assert format_bytes(log_pdfs_peak_bytes(10**6, 64, 64)) == "45.8 GiB" and log_pdfs_peak_bytes(10**6, 64, 64) > 16 * 2**30


# %% play-sizes
peaks = {form: log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, form) for form in ("loop", "broadcast", "chunked", "expanded")}
for n, k, d in [(4096 * 25, 32, 32), (4096 * 250, 64, 64), (4096 * 100, 8, 128)]:  # c29's growth rates
    assert [log_pdfs_peak_bytes(n, k, d, torch.float32, f) // 4 for f in ("loop", "expanded", "chunked")] == [
        max((k - 1) * n + 2 * n * d, 2 * n * k), max(n * d + 2 * n * k, 3 * n * k), max(3 * 4096 * k * d + (n - 4096) * k, 2 * n * k)]
assert peaks["broadcast"] > 16 * 2**30 > 2**30 > max(peaks["loop"], peaks["chunked"], peaks["expanded"])
ladder = {"N": [log_pdfs_peak_bytes(n, 32, 32) for n in (10**6, 10**7)], "K": [log_pdfs_peak_bytes(10**5, k, 32) for k in (64, 128)],
          "D": [log_pdfs_peak_bytes(10**5, 32, d) for d in (128, 784)]}
assert [format_bytes(b) for b in ladder["N"] + ladder["K"] + ladder["D"]] == ["11.4 GiB", "114.4 GiB", "2.3 GiB", "4.6 GiB", "4.6 GiB", "28.0 GiB"]
options = [(n, k, d, dt) for n in [10**i for i in range(2, 8)] for k in (1, 2, 3, 4, 8, 16, 32, 64, 128)
           for d in (1, 2, 4, 8, 16, 32, 64, 128, 784) for dt in (torch.float32, torch.float64)]  # every widget setting
assert all(log_pdfs_peak_bytes(*o, form) <= log_pdfs_peak_bytes(*o) for o in options for form in ("loop", "chunked", "expanded"))


# %% counting-memory-line-line
import ast
n_, k_, d_ = 10**6, 64, 64
assert isinstance(ast.parse("2 * X @ A", mode="eval").body.left, ast.BinOp)  # (2 * X) @ A: * first, left to right
assert peaks["loop"] == 4 * (3 * k_ - 1) * n_ and peaks["expanded"] == 4 * 3 * n_ * k_ and peaks["chunked"] == 4 * 2 * n_ * k_  # D = K
assert [format_bytes(peaks[f]) for f in ("loop", "expanded", "chunked")] == ["728.6 MiB", "732.4 MiB", "488.3 MiB"]
assert all(log_pdfs_peak_bytes(n, k, 1) == 4 * 4 * n * k > 4 * 3 * n * k for n in (100, 10**6) for k in (1, 3, 64))  # D = 1: the last line wins
assert all(log_pdfs_peak_bytes(n, k, d) == 3 * broadcast_memory_bytes(n, k, d) for n in (100, 10**6) for k in (1, 3, 64) for d in (2, 16))


# %% cancellation-fast-code-centres
assert errors[1_000.0][1] > 0.1 and errors[10_000.0][1] > 10  # expanded: wrong by tenths, then by tens
assert all(max(e[0], e[2]) < 0.02 for e in errors.values())  # broadcast and centred: small at every offset
_g = torch.Generator().manual_seed(0)  # two groups at x1 = +-1000, variance 1: centring does not cure the cancellation
_X2 = torch.cat([torch.randn(300, 2, generator=_g, dtype=torch.float64) + torch.tensor([1000.0, 0.0], dtype=torch.float64),
                 torch.randn(300, 2, generator=_g, dtype=torch.float64) - torch.tensor([1000.0, 0.0], dtype=torch.float64)])
_p2 = GMMParams(torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([[1000.0, 0.0], [-1000.0, 0.0]], dtype=torch.float64),
                torch.ones(2, 2, dtype=torch.float64))
_c = _X2.float().mean(dim=0)
_err = component_log_pdfs_expanded(_X2.float() - _c, _p2.to(torch.float32)._replace(means=_p2.means.float() - _c)).double() - component_log_pdfs(_X2, _p2)
_own = torch.cat([_err[:300, 0], _err[300:, 1]]).abs()  # each point under its own component
assert 0.075 <= _own.max() < 0.085 and 0.015 <= _own.median() < 0.025  # up to 0.08, typically 0.02
assert torch.finfo(torch.float32).eps * 2**13 == 2**-10 and f"{2**-11:.4f}" == "0.0005"  # float32 spacing in [2^13, 2^14)
Xo = (X64 + 10_000.0).float()
assert (Xo.double() - (X64 + 10_000.0)).abs().max() <= 2**-11  # storing moves a coordinate by at most 2^-11


# %% same-trap-variance
one_pass = []
for seed in range(200):
    X_far = (10_000 + 0.01 * torch.randn(1000, 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)).float()
    one_pass.append(((X_far**2).mean() - X_far.mean() ** 2).item())
    assert abs(X_far.double().var(unbiased=False).item() - 1e-4) < 3e-5  # the true value is near 1e-4
assert all(v % 8 == 0 for v in one_pass) and one_pass.count(0.0) > 20 and sum(v < 0 for v in one_pass) > 10
assert torch.finfo(torch.float32).eps * 2**26 == 8  # float32 spacing in [2^26, 2^27), around 1e8
