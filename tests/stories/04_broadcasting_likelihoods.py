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
assert [f"{t:.4f}" for t in terms] == ["2.3064", "1.4411"] and f"{sum(terms):.4f}" == "3.7475"  # from the 4-digit x
assert f"{-0.5 * (2.626 + 3.7475):.3f}" == "-3.187"
assert f"{2 * math.log(2 * math.pi):.3f}" == "3.676" and f"{math.log(0.35):.3f}" == "-1.050"
assert f"{2 * math.log(2 * math.pi) + var.log().sum().item():.3f}" == "2.626" and f"{log_pdfs_loop[0, 2]:.3f}" == "-3.187"

assert log_pdfs_loop[0].argmax() == 2  # the largest in row 0


# %% broadcasting
assert [f"{v:+.4f}" for v in diff[0, 2].tolist()] == ["-1.5187", "+0.7102"]  # c13: the x - mu of the hand calculation (c6)
assert f"{0.4813 - 2:.4f}" == "-1.5187" and f"{-1.7898 + 2.5:.4f}" == "0.7102"
try:
    torch.zeros(3, 2) - torch.zeros(6, 2)  # 3 against 6: neither is 1
    raise AssertionError("expected an error")
except RuntimeError:
    pass
assert stretched.stride() == (D, 0, 1) and stretched.data_ptr() == X.data_ptr()  # step 0 along K: X's own numbers


# %% batch-event-shapes
assert (three - means).shape == (3, 2) and (three[:, None, :] - means[None, :, :]).shape == (3, 3, 2)
assert torch.equal((three - means)[1], X[1] - means[1])  # point 1 minus mean 1 only
assert torch.allclose(oracle.log_prob(X[:, None, :]), normal.log_prob(X[:, None, :]).sum(dim=2))  # Independent sums over D
_t, _v = torch.rand(5, 3, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([1.0, 2.0, 4.0])  # K = D = 3, variances (K,)
assert (_t / _v).shape == (5, 3, 3) and not torch.allclose(_t / _v, _t / _v[None, :, None])  # runs, and divides by the wrong ones
assert torch.equal(_t / _v, _t / _v[None, None, :])  # c20: coordinate d divided by component d's variance
with torch.random.fork_rng():  # leaves the global random state as it was
    assert tuple(normal.sample().shape) == tuple(oracle.sample().shape) == (K, D)  # c18: one sample(), batch + event shape: (K, D) for each of the two objects
assert oracle._extended_shape((N,)) == (N, K, D) and normal._extended_shape((N,)) == (N, K, D)  # c18: (N, 1, D) against the batch shape followed by the event shape, (K, D)
assert tuple(oracle.batch_shape) + tuple(oracle.event_shape) == tuple(normal.batch_shape) == (K, D)  # batch + event: (K,) + (D,) = (K, D)
assert tuple(normal.batch_shape) + tuple(normal.event_shape) == (K, D) and tuple(normal.event_shape) == ()  # c18: (K, D) + () for Normal
assert [tuple(d.log_prob(X[:, None, :]).shape) for d in (normal, oracle)] == [(N, K, D), (N, K)]  # c18's table, last column
assert one_variance.shape == (K,) and (K, D) == (3, 2)  # c18/c19: K = 3 against D = 2, an error
assert (X - means[:1]).shape == (N, D)  # c20: at K = 1, X - means runs silently, (N, D): no component axis
assert ((X - means[:1]) ** 2 / variances[:1][None, :, :]).sum(dim=2).shape == (1, N)  # ... and the table comes out (1, N), not (N, 1)
try:
    diff / one_variance
    raise AssertionError("expected an error")
except RuntimeError:
    pass
_wrong = (diff_1d**2 / one_variance).sum(dim=2)  # D = 1: (N, K, 1) / (K,) -> (N, K, K), then (N, K)
assert (diff_1d**2 / one_variance).shape == (N, K, K) and _wrong.shape == (N, K)
assert not torch.allclose(_wrong, (diff_1d**2 / one_variance[None, :, None]).sum(dim=2))  # like the table, but wrong
assert tuple(oracle.event_shape) == (D,) == tuple(X[:, None, :].shape[-1:])  # c18: the last axis of (N, 1, D) is one value
assert torch.broadcast_shapes((N, 1), tuple(oracle.batch_shape)) == (N, K)  # c18: the rest, (N, 1), against the batch shape (K,)
for _shapes in [((6, 4), (3, 4)), ((6, 3, 4), (3,))]:  # c20 at the picture's (6, 3, 4): X - means, diff / variances
    try:
        torch.broadcast_shapes(*_shapes)
        raise AssertionError(f"expected an error: {_shapes}")
    except RuntimeError:
        pass
assert torch.broadcast_shapes((3, 4), (3, 4)) == (3, 4) and torch.broadcast_shapes((6, 4), (1, 4)) == (6, 4)  # c20: N = K, K = 1
assert torch.broadcast_shapes((6, 3, 3), (3,)) == (6, 3, 3) == torch.broadcast_shapes((6, 3, 1), (3,))  # c20: K = D, D = 1


# %% broadcasting-costs
_t = {"diff": 6 * 3 * 4, "(N, K)": 6 * 3}  # c24's trace at the picture's (N, K, D) = (6, 3, 4): numbers alive at each step
assert _t == {"diff": 72, "(N, K)": 18}
assert not any(t.requires_grad for t in (X, means, variances, diff, log_pdfs_broadcast))  # c23: autograd unused here
_steps = [_t["diff"], 2 * _t["diff"], 3 * _t["diff"], 2 * _t["diff"] + _t["(N, K)"], _t["diff"] + 3 * _t["(N, K)"]]  # diff; **2; /; .sum; last line
assert _steps == [72, 144, 216, 162, 126] and max(_steps) == _steps[2] == log_pdfs_peak_bytes(6, 3, 4) // 4  # the division is the peak
assert log_pdfs_peak_bytes(6, 3, 4) // 4 == max(3 * 72, 72 + 3 * 18)  # the library's max(3NKD, NKD + 3NK): the last row is its second term
assert 6 * 3 * 4 == 72 and 3 * 72 == 216 == log_pdfs_peak_bytes(6, 3, 4) // 4  # the table's last column, (N, K, D) = (6, 3, 4)
assert (3 * 100_000 * 8 * 8, log_pdfs_peak_bytes(100_000, 8, 1, torch.float64)) == (19_200_000, 25_600_000)  # Solution 4.3: the pair
assert 100_000 * 8 == 800_000 and format_bytes(25_600_000) == "24.4 MiB"  # Solution 4.3
from gmm_helpers.teach.exercises import EXERCISE_4_3_SIZES
_sliders = {w.description: w.options for w in memory_explorer().children[:3]}  # Exercise 4.3: sizes the widget offers
assert EXERCISE_4_3_SIZES == (100_000, 8, 1, torch.float64) and all(v in _sliders[name] for v, name in zip(EXERCISE_4_3_SIZES, ("N points", "K components", "D dimensions")))
assert all(log_pdfs_peak_bytes(n, k, d, dt, "loop") <= torch.finfo(dt).bits // 8 * 2 * n * (k + d)
           for n in (1, 100, 10**5) for k in (1, 2, 3, 8, 32, 64, 128) for d in (1, 2, 4, 32, 64, 784)
           for dt in (torch.float32, torch.float64))  # c25: the loop's peak is at most 2N(K + D) numbers, at every D
assert log_pdfs_peak_bytes(6, 3, 4, torch.float32, "loop") // 4 == 60 <= 2 * 6 * (3 + 4)  # the picture's size
_grid = [(n, k, d) for n in (1, 100, 4096 * 25, 10**6) for k in (1, 2, 3, 32, 64) for d in (2, 3, 32, 64, 784)]  # D >= 2
_loop = lambda n, k, d: max((k - 1) * n + 2 * n * d, 2 * n * k)  # noqa: E731  c21's loop count
assert all(k * n + 2 * n * d <= (k_ - 1) * n + 2 * n * d for n, k_, d in _grid for k in range(k_))  # c24: the row grows with k
assert all(2 * n * k * d + n * k < 3 * n * k * d and n * d + n < 2 * n * d for n, k, d in _grid)  # c24: at the .sum (square dead) less than at the division
assert all(log_pdfs_peak_bytes(n, k, d, torch.float32, "loop") // 4 == _loop(n, k, d) for n, k, d in _grid)
assert all(log_pdfs_peak_bytes(n, k, d, torch.float32, "broadcast") // 4 == 3 * n * k * d for n, k, d in _grid)
assert log_pdfs_peak_bytes(100, 1, 1, torch.float32, "loop") // 4 == 300 > _loop(100, 1, 1)  # D = 1: 03's last line, three (N,), can hold more
assert log_pdfs_peak_bytes(100, 3, 1) // 4 == 4 * 100 * 3 > 3 * 100 * 3  # D = 1, broadcast: the last line holds more (Exercise 4.3)


# %% play-sizes
assert [format_bytes(2**p) for p in (10, 20, 30)] == ["1.0 KiB", "1.0 MiB", "1.0 GiB"] and format_bytes(1023) == "1023 B"  # c26: the units
peaks = {form: log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, form) for form in ("loop", "broadcast", "chunked", "expanded")}
assert peaks["broadcast"] > 16 * 2**30 > 2**30 > max(peaks["loop"], peaks["chunked"], peaks["expanded"])
_bar = lambda n, k, d: [log_pdfs_peak_bytes(n, k, d, torch.float32, f) for f in ("broadcast", "loop")]  # noqa: E731
_factors = {_s: [f"{new / old:.2f}" for new, old in zip(_bar(*nkd), _bar(10**5, 32, 32))]  # c32: one notch from N = 10^5, K = D = 32
            for _s, nkd in {"N": (10**6, 32, 32), "K": (10**5, 64, 32), "D": (10**5, 32, 64)}.items()}
assert _factors == {"N": ["10.00"] * 2, "K": ["2.00", "1.35"], "D": ["2.00", "1.67"]}  # c35: broadcast doubles; loop 1.35 (K), 1.67 (D)
_fit = [n for n in (10**i for i in range(2, 8)) if log_pdfs_peak_bytes(n, 64, 64, torch.float32) < 16 * 2**30]  # c30's task: K = D = 64
assert max(n for n in range(349_000, 350_001) if log_pdfs_peak_bytes(n, 64, 64) < 16 * 2**30) == 349_525  # c35: the exact limit

assert max(_fit) == 10**5 and format_bytes(log_pdfs_peak_bytes(10**5, 64, 64), significant=3) == "4.58 GiB" and format_bytes(log_pdfs_peak_bytes(10**6, 64, 64), significant=3) == "45.8 GiB"  # c28, as the widget shows them
options = [(n, k, d, dt) for n in [10**i for i in range(2, 8)] for k in (1, 2, 3, 4, 8, 16, 32, 64, 128)
           for d in (1, 2, 4, 8, 16, 32, 64, 128, 784) for dt in (torch.float32, torch.float64)]  # every widget setting
assert all(log_pdfs_peak_bytes(*o, form) <= log_pdfs_peak_bytes(*o) for o in options for form in ("loop", "chunked", "expanded"))
assert all(log_pdfs_peak_bytes(n, k, d, dt) == torch.finfo(dt).bits // 8 * (3 * n * k * d if d > 1 else 4 * n * k)
           for n, k, d, dt in options)  # the broadcast bar: 3NKD, and 4NK at D = 1
assert all(log_pdfs_peak_bytes(n, k, d, dt, form) <= torch.finfo(dt).bits // 8 * 4 * n * max(k, d)
           for n, k, d, dt in options for form in ("loop", "expanded"))  # no NKD term: a few tensors of NK or ND


# %% sizes-at-scale
assert all(log_pdfs_peak_bytes(n_, k_, d_) == 3 * broadcast_memory_bytes(n_, k_, d_) for n_, k_, d_ in sizes)
assert format_bytes(broadcast_memory_bytes(100_000, 32, 32)) == "390.6 MiB"  # c25
assert format_bytes(log_pdfs_peak_bytes(10**6, 64, 64)) == "45.8 GiB" and 2.5 < log_pdfs_peak_bytes(10**6, 64, 64) / (16 * 2**30) < 3  # nearly 3 x 16 GiB


# %% cures-bars
assert [t.get_text() for t in axes[-1].get_xticklabels()] == ["1 MiB", "16 MiB", "256 MiB", "4 GiB", "64 GiB", "1 TiB"]  # c49: a tick every factor of 16
assert all(list(ax.get_xticks()) == [2.0**e for e in range(20, 41, 4)] for ax in axes)
_all_bars = [log_pdfs_peak_bytes(*s_, torch.float32, f) for s_ in sizes[1:] for f in ("loop", "broadcast", "chunked", "expanded")]
assert 2**20 < min(_all_bars) < 2**25 and 2**35 < max(_all_bars) < 2**40  # the cures' figure: the axis, 1 MiB to 1 TiB, holds every bar
_two = [log_pdfs_peak_bytes(*s_, torch.float32, f) for s_ in sizes[1:] for f in ("loop", "broadcast")]
assert [f"{b / l:.0f}" for l, b in zip(_two[::2], _two[1::2])] == ["16", "32", "64"]  # c49: the loop bar 16x, 32x, 64x smaller
assert [s_[0] for s_ in sizes[1:] if max(log_pdfs_peak_bytes(*s_, torch.float32, f) for f in ('loop', 'broadcast', 'chunked', 'expanded'))
        > 4 * 2**30] == [10**6]  # c31: only the last panel has a bar within a factor 4 of the 16 GiB line
_cures = {f: log_pdfs_peak_bytes(10**6, 64, 64, torch.float32, f) // 4 for f in ("loop", "broadcast", "chunked", "expanded")}
assert _cures["loop"] == 63 * 10**6 + 128 * 10**6 == 191 * 10**6 and _cures["chunked"] == 2 * 10**6 * 64 == 128 * 10**6  # 191N vs 128N
assert _cures["chunked"] < _cures["loop"]  # at N = 10^6 the chunks beat the loop
# c50, the loop's fine print: the stack's 2NK beats the last call when K + 1 > 2D, yet stays below 3NKD (D >= 2)
assert all((2 * n * k > (k - 1) * n + 2 * n * d) == (k + 1 > 2 * d) for n in (6, 10**5) for k in range(1, 130) for d in range(2, 70))
assert all(2 * n * k < 3 * n * k * d for n, k, d, dt in options if d >= 2)
assert all(n * 1 + n < 3 * n for n in (6, 100))  # D = 1: 03's return line (3N) beats the square (2ND = 2N): the loop's (K + 2)N
assert all(log_pdfs_peak_bytes(n, k, 1, dt, "loop") // (torch.finfo(dt).bits // 8) == max((k + 2) * n, 2 * n * k) < 4 * n * k
           == log_pdfs_peak_bytes(n, k, 1, dt) // (torch.finfo(dt).bits // 8) for n, k, d, dt in options if d == 1)  # c50: D = 1, the loop below the broadcast peak
assert 2 * 10**6 * 64 > 3 * 4096 * 64 * 64 + (10**6 // 4096 - 1) * 4096 * 64  # ... at the join, not a chunk
assert all(abs(log_pdfs_peak_bytes(*s_, torch.float32, 'loop') / log_pdfs_peak_bytes(*s_, torch.float32, 'expanded') - 1) < 0.03
           for s_ in sizes[1:])  # the products' bars nearly match the loop's
assert 10_000 // 4096 == 2 and 10_000 % 4096 > 0  # N = 10^4: two full chunks and a short one
_ratios = [log_pdfs_peak_bytes(*s_) / log_pdfs_peak_bytes(*s_, torch.float32, "chunked") for s_ in sizes[1:]]
assert f"{_ratios[0]:.1f}" == "2.4" and _ratios[0] < _ratios[1] < _ratios[2]  # the chunks help more as N grows

# c50, the products moment by moment at (6, 3, 4): X**2 beside the first product; 2 * X beside both; the difference
assert (6 * 4, 6 * 3) == (24, 18) and 24 + 18 == 42 < 24 + 2 * 18 == 60 and 3 * 18 == 54
assert max(60, 54) == 60 == log_pdfs_peak_bytes(6, 3, 4, torch.float32, "expanded") // 4
assert (3 - 1) * 6 == 12 and 2 * 6 * 4 == 48 and 12 + 48 == 60  # c50, the loop: K - 1 columns, then the last call's square
# c50, the loop (moved from the main path): its count, the ratio rule, the notch factors, D = 1
import inspect as _inspect_loop
assert ("sq_mahalanobis = ((X - mean) ** 2 / variance).sum(dim=1)" in _inspect_loop.getsource(diag_gaussian_log_pdf)
        and "return -0.5 * (log_normalisers(variance) + sq_mahalanobis)" in _inspect_loop.getsource(diag_gaussian_log_pdf))  # c25: the last call squares X - mean (03's code)
_call = [2 * 24, 2 * 24, 24 + 6, 3 * 6]  # c25: call k's worst moment is the square, two (N, D) = 24-number results; trace, besides the 6k finished numbers: square, division, .sum, return
assert _call == [48, 48, 30, 18] and _call[0] == _call[1] == max(_call)  # the squaring and the division tie
assert 6 * (3 - 1) + 48 == 12 + 48 == 60 == log_pdfs_peak_bytes(6, 3, 4, torch.float32, "loop") // 4  # the last call, k = K - 1 = 2
assert 2 * 6 * 3 == 36 < 60 < 216  # torch.stack: 2NK; c25: 60 against the broadcast form's 216
assert max(12 + 48, 36) == 60  # c25: the loop's peak, max((K - 1)N + 2ND, 2NK) at (6, 3, 4)
assert 6 * 4 == 24 and 2 * 6 == 12 and 2 * 24 == 48 and 12 + 48 == 60 == log_pdfs_peak_bytes(6, 3, 4, torch.float32, "loop") // 4  # loop, call 2
assert 6 * 3 == 18 and 18 + 18 == 36 == 2 * 6 * 3 < 60  # the stack: 36, below call 2's 60
assert [log_pdfs_peak_bytes(10**5, k, d, torch.float32, "loop") // (4 * 10**5)
        for k, d in ((32, 32), (64, 32), (32, 64))] == [95, 128, 159]  # the answers: 95N to 128N or 159N
assert 2 * 64 == 128 > (64 - 1) + 2 * 32 and 64 + 1 > 2 * 32  # c35: at K = 64, D = 32 the 128N is the stack's 2NK
assert f"{128 / 95:.2f}" == "1.35" and f"{159 / 95:.2f}" == "1.67" and 31 + 2 * 32 == 95 and 31 + 2 * 64 == 159  # c35: 95N to 128N (K), to 159N (D)
assert (log_pdfs_peak_bytes(10**5, 64, 2, torch.float32, "loop") // 4, log_pdfs_peak_bytes(10**5, 64, 2) // 4) == (128 * 10**5, 384 * 10**5)  # c32: K = 64, D = 2
assert 3 * 64 * 2 == 384 and 2 * 64 == 128 > 63 + 2 * 2 and 384 // 128 == 3  # c32: 3NKD = 384N against the stack's 2NK = 128N: 3 times
assert all(log_pdfs_peak_bytes(n, k, 1, dt, "loop") // (torch.finfo(dt).bits // 8) == max((k - 1 + 3) * n, 2 * n * k)
           and max((k + 2) * n, 2 * n * k) < 4 * n * k == log_pdfs_peak_bytes(n, k, 1, dt) // (torch.finfo(dt).bits // 8)
           for n, k, d, dt in options if d == 1)  # c35, D = 1: the loop's (K + 2)N (three (N,) beside K - 1 columns) or 2NK, below the broadcast 4NK
assert all(log_pdfs_peak_bytes(n, k, d, dt, "loop") < log_pdfs_peak_bytes(n, k, d, dt) for n, k, d, dt in options)  # c35: no setting
assert all((k - 1) * n + 2 * n * d < n * k * d + 2 * n * k * d and 2 * n * k < 3 * n * k * d
           and log_pdfs_peak_bytes(n, k, d, dt, "loop") // (torch.finfo(dt).bits // 8) == max((k - 1) * n + 2 * n * d, 2 * n * k)
           for n, k, d, dt in options if d >= 2)  # c35: the loop's counts below 3NKD, term by term, K = 1 included
_ratio_rule = lambda k, d: 3 * k * d / max(k - 1 + 2 * d, 2 * k)  # noqa: E731  c32: broadcast peak / loop peak, D >= 2
assert all(abs(log_pdfs_peak_bytes(n, k, d, dt) / log_pdfs_peak_bytes(n, k, d, dt, "loop") - _ratio_rule(k, d)) < 1e-9
           for n, k, d, dt in options if d >= 2)  # c32: the rule, N cancelling, at every widget setting
assert [f"{_ratio_rule(*s_[1:]):.0f}" for s_ in sizes[1:]] == ["16", "32", "64"] and f"{_ratio_rule(64, 2):.0f}" == "3"  # about K only when K = D
assert all(_bar(n, 2 * k, d)[i] <= 2 * _bar(n, k, d)[i] >= _bar(n, k, 2 * d)[i] for n in (100, 10**5) for k in (1, 4, 32, 64)
           for d in (1, 4, 32, 64) for i in (1,))  # c32: doubling K or D at most doubles the loop bar

# %% peak-measured
for n, k, d in [(4096 * 25, 32, 32), (4096 * 250, 64, 64), (4096 * 100, 8, 128), (10**5, 3, 2)]:  # c44's table (D >= 2): the two cures
    assert log_pdfs_peak_bytes(n, k, d, torch.float32, "expanded") // 4 == max(n * d + 2 * n * k, 3 * n * k)  # the products
assert log_pdfs_in_chunks.__defaults__ == (4096,)  # B = 4096
_X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0)); _A = torch.randn(3, 2, generator=torch.Generator().manual_seed(1))
assert torch.equal(2 * _X @ _A, (2 * _X) @ _A)  # c44: 2 * X @ A runs as (2 * X) @ A
import sys as _sys  # the memory held (RSS) and the timings below depend on the machine: their asserts run on Linux only

assert f"{one_tensor:.1f}" == "390.6" and list(held) == ["after diff_big = ...", "after quotient = diff_big**2 / variances", "after del diff_big, quotient", "highest while component_log_pdfs runs"]
if _sys.platform == "linux":  # "on Linux, as here": other systems may keep freed memory for reuse
    _tensors = [mib / one_tensor for mib in held.values()]
    assert [round(t) for t in _tensors] == [1, 2, 0, 3]  # tensors alive after each step; the peak
    assert all(abs(t - round(t)) < 0.03 for t in _tensors[:3]) and 2.5 < _tensors[3] < 3.5  # between lines: within 3%; the peak (sampled every ms, so loosely): about 3
    assert abs(held["highest while component_log_pdfs runs"] * 2**20 / log_pdfs_peak_bytes(100_000, 32, 32) - 1) < 0.15  # the table's 1.1 GiB


# %% counting-memory-line-line
_b, _k, _d, _n = 4, 2, 3, 8  # the tiny trace: chunk 2's division is the peak, 80 numbers
assert 3 * _b * _k * _d == 72 and 3 * _b * _k * _d + (_n // _b - 1) * _b * _k == 80 == log_pdfs_peak_bytes(_n, _k, _d, chunk_rows=_b, form="chunked") // 4
assert 2 * _n * _k == 32
_B = log_pdfs_in_chunks.__defaults__[0]  # B = 4096
assert _B == 4096
for n_, k_, d_ in sizes[1:]:  # c57: the figure's sizes: a shorter last chunk holds less; the helper's bar is the larger of the two moments
    _r = n_ % _B
    assert _r and 3 * _r * k_ * d_ + (n_ - _r) * k_ < 3 * _B * k_ * d_ + (n_ // _B - 1) * _B * k_
    assert log_pdfs_peak_bytes(n_, k_, d_, torch.float32, "chunked") == 4 * max(3 * _B * k_ * d_ + (n_ // _B - 1) * _B * k_, 2 * n_ * k_)
for _n, _k, _d, _r in [(4096 * 3 + 100, 4, 2, 100), (4096 * 3 + 4000, 4, 2, 4000), (4096 * 5 + 3500, 8, 16, 3500), (4096 * 5 + 4090, 8, 16, 4090)]:
    _short, _full = 3 * _r * _k * _d + (_n - _r) * _k, 3 * 4096 * _k * _d + (_n - _r - 4096) * _k  # the helper compares both chunks
    assert log_pdfs_peak_bytes(_n, _k, _d, torch.float32, "chunked") // 4 == max(_short, _full, 2 * _n * _k)
_r = 8191 - 4096  # c57: a short last chunk can hold more than the last full one (here a nearly full one is the peak)
assert 3 * _r * 64 * 2 + (8191 - _r) * 64 == 1_834_624 > 3 * 4096 * 64 * 2 + (8191 // 4096 - 1) * 4096 * 64 == 1_572_864 > 2 * 8191 * 64
assert log_pdfs_peak_bytes(8191, 64, 2, torch.float32, "chunked") // 4 == 1_834_624  # the helper counts the short chunk
for n, k, d in [(10**5, 32, 32), (10**6, 64, 64), (4096, 8, 128), (10**5, 64, 2)]:  # the products' peak
    assert log_pdfs_peak_bytes(n, k, d, torch.float32, "expanded") // 4 == max(n * d + 2 * n * k, 3 * n * k)
assert all(log_pdfs_peak_bytes(n, k, 1) == 4 * 4 * n * k > 4 * 3 * n * k for n in (100, 10**6) for k in (1, 3, 64))  # D = 1: the last line wins
assert all(log_pdfs_peak_bytes(n, k, d) == 3 * broadcast_memory_bytes(n, k, d) for n in (100, 10**6) for k in (1, 3, 64) for d in (2, 16))


# %% which-fastest
_largest = timings[20_000, 64, 64]  # loop, unchecked loop, broadcast, preallocated, chunks, products (noisy: only wide margins or orderings asserted)
assert max(timings, key=lambda s: s[0] * s[1] * s[2]) == (20_000, 64, 64)  # the most numbers per (N, K, D) tensor
_many_k = timings[200, 512, 2]  # c65: many components, few points: the K per-call costs dominate
_rows = [timings[s_] for s_ in [(10_000, 64, 16), (100_000, 16, 16), (20_000, 64, 64)]]  # c63: the last three rows
if _sys.platform == "linux":  # the prose claims these times "on Linux, here": other machines may order them differently
    assert 3 * _largest[5] < min(_largest[0], _largest[2], _largest[4])  # "many times faster than the loop, the broadcast form and the chunks": 20-60 measured; 3 asserted (load)
    _total_s = 4 * sum(sum(r) for r in timings.values())  # c60: a warm-up and 3 runs of each form (35 s stored)
    assert 5 < _total_s < 150  # "about half a minute": loose, timings vary by machine
    assert 2 * _many_k[2] < _many_k[0]  # broadcast faster than the loop by more than 2x (20-110x measured)
    assert _many_k[2] < _many_k[1] < _many_k[0]  # c65: the unchecked loop is faster than the loop (3-4x measured), the broadcast form faster still (7-15x)
    assert all(2 * r[5] < min(r[0], r[2], r[4]) for r in _rows)  # c63: the products many times faster in each (6-110x measured; 2 asserted)
    assert any(r[2] > r[0] for r in _rows)  # c65: with many points the broadcast form can lose to the loop (all three rows stored, 1.4-2.2x)
    assert all(r[3] < r[2] for r in _rows) and 2 * _largest[3] < _largest[2]  # c65: preallocated buffers beat fresh memory; 'several times' at (20000, 64, 64) (4-7x measured; 2 asserted, load)
_bufs = torch.full((N, K, D), math.nan), torch.full((N, K, D), math.nan)  # c65: the arithmetic lands in the buffers it is given
assert torch.allclose(broadcast_preallocated(X, truth, *_bufs), log_pdfs_broadcast) and torch.equal(_bufs[0], diff)
assert torch.allclose(_bufs[1], diff**2 / variances[None, :, :])
assert [format_bytes(4 * n * k * d) for n, k, d in timings if n >= 10_000] == ["39.1 MiB", "97.7 MiB", "312.5 MiB"]  # c65: (N, K, D) float32
assert max(4 * n * d for n, k, d in timings if n >= 10_000) == 4 * 100_000 * 16 and format_bytes(4 * 100_000 * 16) == "6.1 MiB"  # c65: (N, D) float32, at most
assert min(4 * n * k * d for n, k, d in timings if n >= 10_000) > 32 * 2**20  # c63: "memory this large (above glibc's mmap threshold, at most 32 MiB)"


# %% cancellation-fast-code-centres
_X1000 = X + 1000.0  # c67: `2 * X` adds no rounding (doubling only raises the exponent)
assert torch.equal((2 * _X1000).double(), 2 * _X1000.double())
assert errors[1_000.0][1] > 0.1 and errors[10_000.0][1] > 10  # expanded: wrong by tenths, then by tens
assert all(max(e[0], e[2]) < 0.01 for e in errors.values())  # broadcast and centred: within 0.01 at every offset
assert len(worst) == len(typical) == 20 and exact.shape == (500, 2)  # c62: 20 draws, 500 points, two components
assert all(0.01 <= t < 0.06 for t in typical)  # the median: a few hundredths (the printed digits vary between processors)
_one_coordinate = 2**-23 * 4 * 1000**2 / 1 / 2  # c66: the estimate for one coordinate of variance 1, |x|, |mu| about 1000
assert f"{_one_coordinate:.2f}" == "0.24" and all(_one_coordinate / 4 < w < _one_coordinate for w in worst)  # worst: a tenth or so, of that order
assert len(other) == 20 and -2.1e6 < max(other) < -1.9e6 and f"{max(other):.1e}" == "-2.0e+06"  # the other component, all draws: about -2e6, a density of 0
for _e in (13, 21, 26):  # the spacing rule: neighbours in [2^e, 2^(e+1)) are 2^(e-23) apart (the text's 2^-10)
    _x = torch.tensor([2.0**_e, 2.0 ** (_e + 1) * 0.999])
    assert (torch.nextafter(_x, torch.tensor(math.inf)) - _x).tolist() == [2.0 ** (_e - 23)] * 2
assert 2**13 < 10_000 < 2**14 and 2**26 < 10_000**2 < 2**27
assert torch.finfo(torch.float32).eps * 2**13 == 2**-10 and f"{2**-11:.4f}" == "0.0005"  # float32 spacing in [2^13, 2^14)
Xo = (X64 + 10_000.0).float()
assert all(torch.equal((truth64.means + o).float().double(), truth64.means + o) for o in errors)  # the shifted means are exact in float32
assert 10_002.5 in (truth64.means + 10_000.0).flatten().tolist() and not torch.equal(Xo.double(), X64 + 10_000.0)  # the points are not
assert (Xo.double() - (X64 + 10_000.0)).abs().max() <= 2**-11  # storing moves a coordinate by at most 2^-11
_m32 = (truth64.means + 10_000.0).float()  # c69 item 3 (Sterbenz): x - mu in float32 is exact, x and mu within a factor 2
assert ((Xo[:, None, :] / _m32 <= 2) & (Xo[:, None, :] / _m32 >= 0.5)).all()
assert torch.equal((Xo[:, None, :] - _m32).double(), Xo.double()[:, None, :] - _m32.double())  # no rounding at all
_err = (component_log_pdfs(Xo, po).double() - reference).abs()  # broadcast form at offset 10,000 (the loop's last)
assert reference.flatten()[_err.argmax()] < -30  # the largest error: a point far from its component
assert [f"{v:.1f}" for v in variances[1].tolist()] == ["0.5", "1.4"] and torch.finfo(torch.float32).eps == 2**-23  # c63's estimate: component 1
_estimate = [2**-23 * 4 * 1000**2 * (1 / v).sum().item() for v in variances.double()]  # in delta^2, per component
assert 1 + 2 + 1 == 4 and 2 * 2**-24 == 2**-23  # c67: terms of about 10^6 P, 2 10^6 P, 10^6 P; two roundings each
assert abs((1 + 2**-24) ** 2 - (1 + 2 * 2**-24)) < 2**-47  # c67: a product's relative errors add (to first order)
import inspect as _inspect
_src = _inspect.getsource(component_log_pdfs_expanded)  # c67: what the code forms: P, then X**2, means * P, means**2
assert all(part in _src for part in ("precisions = 1.0 / variances", "(X**2) @ precisions.T", "2.0 * X @ (means * precisions).T",
                                     "(means**2 * precisions).sum(dim=1)"))
_P = 1 / variances  # float32, rounded once
assert ((_P.double() - 1 / variances.double()).abs() <= 2**-24 * (1 / variances.double())).all()  # c67: P_d off by at most 2^-24 of itself
_x, _m = torch.tensor(1001.3, dtype=torch.float64), torch.tensor(1002.5, dtype=torch.float64)  # c67: a shared P_d scales the difference
_Pr = torch.tensor(1 / 0.35, dtype=torch.float32).double()  # P_d as rounded
assert abs((_x**2 * _Pr - 2 * _x * _m * _Pr + _m**2 * _Pr) / ((_x - _m) ** 2 / 0.35) - 1) < 2 * 2**-24 + 1e-9
assert f"{_estimate[1]:.1f}" == "1.3" and [f"{e / 2:.2f}" for e in _estimate] == ["0.43", "0.65", "0.92"]  # half in the log-density
_bound = (((X64 + 1000.0).float().double().abs()[:, None, :] + (truth64.means + 1000.0).abs()) ** 2 / truth64.variances).sum(dim=2) * 2**-23 / 2
assert all(abs(_bound[:, k].max().item() / (_estimate[k] / 2) - 1) < 0.01 for k in range(K))  # with the real |x| + |mu|: within 1%
assert 0.1 < errors[1_000.0][1] < 0.65  # "of the order of a few tenths"
assert f"{math.exp(0.4):.1f}" == "1.5" and 0.2 < errors[1_000.0][1] < 0.6  # c71: an error of 0.4 multiplies a density by about 1.5
assert 10 < errors[10_000.0][1] < 100  # "by tens"
_ratio = ((X64[:, None, :] - truth64.means).abs() / truth64.variances)  # |x - mu| / sigma^2, (N, K, D)
assert f"{_ratio.max().item():.1f}" == "23.3" and f"{truth64.variances.flatten()[_ratio.amax(dim=0).flatten().argmax()]:.2f}" == "0.35"  # c64
assert f"{23.3 * 2**-11:.3f}" == "0.011" and 0.005 < errors[10_000.0][0] < 0.015  # c64: the broadcast column's largest is of that order
_n, _k = divmod(_err.argmax().item(), K)  # the worst point: (x - mu) Delta / sigma^2 summed over coordinates explains its error
_lin = ((X64[_n] - truth64.means[_k]) * (Xo[_n].double() - X64[_n] - 10_000.0) / truth64.variances[_k]).sum().abs().item()
assert abs(_lin / _err.max().item() - 1) < 0.05
assert len(broadcast_worst) == 20 and max(broadcast_worst) < 1e-3  # the broadcast form on the two groups: below 1e-3
from gmm_helpers import fast as _fast  # c67: the fast path's E-step tolerance, 0.01 nats
assert _fast.E_STEP_TOLERANCE == 0.01
