# Story checks of notebooks/03_diagonal_gaussian.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% product-of-1-d-densities
assert marked.tolist() == [-4.0, 1.0] and torch.allclose(mean, torch.tensor([-2.5, 0.0], dtype=torch.float64))  # component 0
assert torch.allclose(variance, torch.tensor([1.8, 0.8], dtype=torch.float64))
assert torch.allclose(density_2d, factors.prod()) and 0 < density_2d < factors.min()  # the product; smaller than either factor
assert (f"{factors[0]:.3f}", f"{factors[1]:.3f}", f"{density_2d:.4f}") == ("0.159", "0.239", "0.0380")
assert f"{round(factors[0].item(), 3) * round(factors[1].item(), 3):.4f}" == f"{density_2d:.4f}"  # the title's rounded factors agree
_title = top_ax.get_title(loc="left")  # the figure states the rule and reads it at the dot
assert "is $p(x_0)\\,p(x_1)$" in _title and _title.endswith(f"at the dot: {density_2d:.4f} = {factors[0]:.3f} × {factors[1]:.3f}")
assert top_ax.get_shared_x_axes().joined(top_ax, joint_ax) and right_ax.get_shared_y_axes().joined(right_ax, joint_ax)  # same axes
_x0, _p0 = top_ax.lines[0].get_data()  # along the top: N(x_0 | -2.5, 1.8); along the right side: N(x_1 | 0, 0.8)
assert torch.allclose(torch.as_tensor(_p0), Normal(mean[0], variance[0].sqrt()).log_prob(torch.as_tensor(_x0)).exp())
_p1, _x1 = right_ax.lines[0].get_data()
assert torch.allclose(torch.as_tensor(_p1), Normal(mean[1], variance[1].sqrt()).log_prob(torch.as_tensor(_x1)).exp())
_levels = joint_ax.collections[0].levels  # the colours: the 2-D density, from 0 to its peak
assert _levels[0] == 0 and _levels[-1] >= MultivariateNormal(mean, covariance_matrix=Sigma).log_prob(mean).exp()
assert [line.get_xydata()[0].tolist() for line in joint_ax.lines if line.get_gid() == "point"] == [marked.tolist()]
assert not ((X64 - marked).abs().sum(dim=1) == 0).any()  # an arbitrary point, not a data point
assert joint_ax.get_aspect() == 1.0  # equal aspect: the ellipses' 1.8 : 0.8 variance ratio reads right (axis-aligned)
_bar = joint_ax.figure.axes[-1]  # the colour bar: the white line's density labelled at its tick
assert f"{density_2d:.3f}" in [t.get_text() for t in _bar.get_yticklabels()]
assert any(math.isclose(t, density_2d.item()) for t in _bar.get_yticks())
_level = joint_ax.collections[1]  # the white contour: where the 2-D density equals the product at the dot
assert len(_level.levels) == 1 and math.isclose(_level.levels[0], factors.prod().item()) and _level.get_edgecolor()[0].tolist() == [1, 1, 1, 1]
assert [t.get_text() for t in joint_ax.get_legend().get_texts()] == [f"2-D density = {density_2d:.4f}"]
_x1, _p0 = torch.linspace(-8, 8, 20_001, dtype=torch.float64), factors[0]  # the marginal line: integrating out x_1 leaves p(x_0)
assert math.isclose(torch.trapezoid(_p0 * Normal(mean[1], variance[1].sqrt()).log_prob(_x1).exp(), _x1).item(), _p0.item(), rel_tol=1e-9)


# %% density-not-probability
assert (f"{peak:.3f}", f"{area:.4f}", f"{peak.log():.2f}") == ("3.989", "1.0000", "1.38")  # a positive log-density


# %% logs-densities-underflow-overflow
assert (f"{factor:.3f}", f"{-factor.log():.3f}") == ("0.242", "1.419")  # 0.242^D; its log -1.419 D
assert math.isclose(factor, math.exp(-0.5) / math.sqrt(2 * math.pi), rel_tol=1e-6)  # e^{-1/2} / sqrt(2 pi)
_exact = dims.double() * math.log(math.exp(-0.5) / math.sqrt(2 * math.pi))  # log 0.242^D, exact: -1.419 D
for name, dtype, first in (("float32", torch.float32, 74), ("float64", torch.float64, 525)):
    assert products[name].dtype == log_sums[name].dtype == dtype
    # the product, computed factor by factor (each step rounded): 0.242^D while it is held, exactly 0 from `first` on
    assert int(dims[products[name] == 0][0]) == first and products[name][first - 2] > 0 and (products[name][first - 1:] == 0).all()
    assert torch.allclose(products[name][:first - 40].double().log(), _exact[:first - 40], rtol=1e-5)  # follows 0.242^D until near the end
    assert torch.full((first,), float(products[name][0]), dtype=dtype).prod() == 0 < torch.full((first - 1,), float(products[name][0]), dtype=dtype).prod()
    # the sum of logs: never 0, never -inf; -851.4 at D = 600 in both types
    assert torch.isfinite(log_sums[name]).all() and torch.allclose(log_sums[name].double(), _exact, rtol=1e-5)
    assert f"{log_sums[name][-1]:.1f}" == "-851.4"
# the figure: left, the product (log10) dropping to an "exactly 0" row, each type's first 0 labelled; right, the sums
_ax_prod, _ax_sum = axes
assert [t.get_text() for t in _ax_prod.texts if t.get_gid() == "first-zero"] == ["float64: 0 from D = 525", "float32: 0 from D = 74"]
assert _ax_prod.get_yticklabels()[-1].get_text() == "exactly 0" and _ax_prod.get_title() == "Multiply $D$ densities of 0.242 each"
_zero_row = _ax_prod.get_yticks()[-1]
for _line, (name, first) in zip([l for l in _ax_prod.lines if l.get_label() in products], (("float64", 525), ("float32", 74))):
    assert _line.get_label() == name
    _y = _line.get_ydata()
    assert (_y[first - 1:] == _zero_row).all() and (_y[:first - 1] > _zero_row + 15).all()  # on the 0 row exactly where the product is 0
assert [[round(v, 1) for v in l.get_ydata()[[0, -1]]] for l in _ax_sum.lines if l.get_label() in log_sums] == [[-1.4, -851.4]] * 2
assert [t.get_text() for t in _ax_sum.texts if t.get_gid() == "end-value"] == ["\N{MINUS SIGN}851.4 at D = 600"]  # the right panel's end, written
_sizes = {t.get_fontsize() for ax in axes for t in ax.get_xticklabels() + ax.get_yticklabels()}
assert len(_sizes) == 1  # every tick label the same size
assert _ax_sum.get_title() == "Add their logs: stays finite (never \N{MINUS SIGN}∞)" and [t.get_text() for t in _ax_sum.get_legend().get_texts()] == ["float32", "float64"]
assert [t.get_text() for t in _ax_prod.get_legend().get_texts()] == ["float32", "float64"]
# the 2-D far point: (14.4, 0) under N(0, I_2) is 0 in float32, both as a product of its factors and from its exact log
assert far.dtype == torch.float32 and far[0] == 0 and far.prod() == 0 and f"{far[1]:.3f}" == "0.399"
_far_log = diag_gaussian_log_pdf(torch.tensor([[14.4, 0.0]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64))
assert _far_log.to(torch.float32).exp() == 0 and _far_log > -200  # its log an ordinary number
# the exact 0.242^D, rounded once (not at each step), is 0 from D = 526 in float64, one D later than the product; 74 in float32
assert underflow_dimension(torch.float64) == 526 and _exact[525].exp() == 0 < _exact[524].exp() and products["float64"][524] == 0
assert underflow_dimension(torch.float32) == 74 and _exact[73].to(torch.float32).exp() == 0 < _exact[72].to(torch.float32).exp()


# %% logs-densities-underflow-overflow-2
assert (zero / (zero + zero)).isnan() and (inf / (inf + 1)).isnan() and 1 / (inf + 1) == 0
r_one_nan = torch.tensor([float("nan"), 0.5, 0.5])  # one point's responsibility is NaN
assert r_one_nan.sum().isnan() and (r_one_nan @ torch.tensor([1.0, 2.0, 3.0])).isnan()  # so N_k and the weighted sum for the mean


# %% logs-densities-underflow-overflow-3
assert a.exp() == 0 and b.exp() == 0 and f"{a:.2f}" == "-1418.94" and f"{1 / (1 + (b - a).exp()):.3f}" == "0.900"  # exactly 0, yet the share is ordinary


# %% diagonal-covariance-costs
assert f"{opposite:.0%}" == "14%" and f"{rho_hat:.3f}" == "0.905"
assert f"{0.5 - math.asin(rho_hat) / math.pi:.0%}" == "14%"  # the full fit's probability of opposite signs
assert torch.allclose(((Y - centre) ** 2).mean(dim=0), Sigma_hat.diagonal())  # the ML diagonal fit is the diagonal of Sigma_hat
assert torch.allclose(Sigma_hat, torch.cov(Y.T, correction=0)) and not torch.allclose(Sigma_hat, torch.cov(Y.T))  # divides by N, not N - 1
_score = ((Y - centre) / Sigma_hat.diagonal()).sum(dim=0)  # the diagonal fit's log-likelihood gradient in its mean, at x bar:
assert torch.allclose(_score, torch.zeros(2, dtype=torch.float64), atol=1e-9)  # zero, so its ML mean is also x bar
assert (f"{1 - math.exp(-1 / 2):.0%}", f"{1 - math.exp(-4 / 2):.0%}") == ("39%", "86%")  # 2-D: P(squared Mahalanobis <= m) = 1 - e^{-m/2}
_lam, _vec = torch.linalg.eigh(Sigma_hat)  # the nσ ellipse's half-axes are n sqrt(eigenvalue) along the eigenvectors
for _n in (1, 2):
    _ends = _n * _vec * _lam.sqrt()  # columns: the ends of the two half-axes, relative to the centre
    assert torch.allclose((_ends * torch.linalg.solve(Sigma_hat, _ends)).sum(dim=0), torch.tensor(float(_n**2), dtype=torch.float64))  # squared Mahalanobis n^2


# %% diagonal-covariance-costs-2
assert f"{diagonal_cost(true_cov):.2f}" == f"{-0.5 * math.log(1 - 0.9**2):.2f}" == f"{cost:.2f}" == "0.83" and f"{math.exp(cost):.1f}" == "2.3"
assert (f"{rho_hat:.3f}", f"{gap:.3f}") == ("0.905", "0.855") and gap > cost  # the sample values quoted
sample_cost = diagonal_cost(Sigma_hat).item()  # the formula at rho_hat
assert math.isclose(gap.item(), sample_cost, rel_tol=1e-9) and math.isclose(gap.item(), -0.5 * math.log(1 - rho_hat.item() ** 2), rel_tol=1e-9)
from torch.distributions import kl_divergence  # the gap on the data is KL(full || diagonal) at the fitted parameters

assert torch.allclose(gap, kl_divergence(MultivariateNormal(centre, Sigma_hat), MultivariateNormal(centre, torch.diag(Sigma_hat.diagonal()))))
assert diagonal_cost(torch.diag(true_cov.diagonal())) == 0
# the derivation: each ML fit's quadratic term averages to D = 2 over the data, so only the determinants differ;
# in 2-D |Sigma_hat| = Sigma_00 Sigma_11 (1 - rho_hat^2), so the cost is -1/2 log(1 - rho_hat^2)
_d = Y - centre
_quad_full = (_d * torch.linalg.solve(Sigma_hat, _d.T).T).sum(dim=1)  # (800,): (x - mean)^T Sigma_hat^-1 (x - mean)
_quad_diag = (_d**2 / Sigma_hat.diagonal()).sum(dim=1)
assert torch.allclose(_d.T @ _d / len(_d), Sigma_hat)  # each product (x_i - mean_i)(x_j - mean_j) averages to Sigma_hat_ij
assert math.isclose(float(_quad_full.mean()), 2.0, rel_tol=1e-9) and math.isclose(float(_quad_diag.mean()), 2.0, rel_tol=1e-9)
_tr = [torch.trace(torch.linalg.solve(S, Sigma_hat)) for S in (Sigma_hat, torch.diag(Sigma_hat.diagonal()))]  # tr(Sigma^-1 Sigma_hat), each fit
assert all(math.isclose(float(t), 2.0, rel_tol=1e-12) for t in _tr) and math.isclose(float(_quad_diag.mean()), float(_tr[1]), rel_tol=1e-9)
assert math.isclose(float(torch.linalg.det(Sigma_hat)), float(Sigma_hat[0, 0] * Sigma_hat[1, 1] - Sigma_hat[0, 1] ** 2), rel_tol=1e-9)  # ad - bc
assert math.isclose(float(torch.linalg.det(Sigma_hat)), float(Sigma_hat[0, 0] * Sigma_hat[1, 1] * (1 - rho_hat**2)), rel_tol=1e-9)
_by_dets = 0.5 * float(Sigma_hat[0, 0].log() + Sigma_hat[1, 1].log() - torch.logdet(Sigma_hat))
assert math.isclose(_by_dets, sample_cost, rel_tol=1e-9) and math.isclose(-0.5 * math.log(1 - rho_hat.item() ** 2), sample_cost, rel_tol=1e-9)
_log_full = MultivariateNormal(centre, covariance_matrix=Sigma_hat).log_prob(Y)
_log_diag = diag_gaussian_log_pdf(Y, centre, Sigma_hat.diagonal())
assert math.isclose(float((_log_full - _log_diag).mean()), sample_cost, rel_tol=1e-9)  # the cost is the average gap
assert torch.allclose(((Y - centre) ** 2).mean(dim=0), Sigma_hat.diagonal())  # the ML diagonal fit's variances are Sigma_hat's diagonal


# %% diagonal-covariance-costs-3
# the same rho = 0.9 at variances 4 and 1 and at 8 and 1/32: tilted 25 and 3 degrees, the same cost 0.83 (only rho enters)
assert [f"{t:.0f}" for t in tilts] == ["25", "3"] and [t.get_text() for ax in axes for t in ax.texts] == ["tilt 25°", "tilt 3°"]
assert all("ρ = +0.90" in ax.get_title() and "loses 0.83 nats per point" in ax.get_title() for ax in axes)  # the titles' cost
_same_rho = [torch.tensor([[a, 0.9 * math.sqrt(a * b)], [0.9 * math.sqrt(a * b), b]], dtype=torch.float64) for a, b in ((4.0, 1.0), (8.0, 1 / 32))]
assert math.isclose(diagonal_cost(_same_rho[0]), diagonal_cost(_same_rho[1])) and f"{diagonal_cost(_same_rho[1]):.2f}" == f"{cost:.2f}" == "0.83"
assert [f"{math.degrees(math.atan2(*torch.linalg.eigh(S)[1][:, -1].flip(0).tolist())) % 180:.0f}" for S in _same_rho] == ["25", "3"]
_scale = torch.diag(torch.tensor([math.sqrt(2), 1 / (4 * math.sqrt(2))], dtype=torch.float64))  # rescale x_0 by sqrt 2, x_1 by 1/(4 sqrt 2)
assert torch.allclose(_scale @ _same_rho[0] @ _scale, _same_rho[1])  # the 8 and 1/32 panel is the 4 and 1 panel rescaled
# rescaling x_0 by a and x_1 by b multiplies Sigma_01 and sigma_0 sigma_1 both by ab: rho stays
_a, _b = math.sqrt(2), 1 / (4 * math.sqrt(2))
assert math.isclose(_same_rho[1][0, 1], _a * _b * _same_rho[0][0, 1]) and math.isclose(math.sqrt(8 / 32), _a * _b * math.sqrt(4 * 1))
assert all(math.isclose(S[0, 1] / math.sqrt(S[0, 0] * S[1, 1]), 0.9) for S in _same_rho)
# a, b > 0 (each sigma scales by |a|): a negative scale flips rho's sign and keeps the cost, which depends on rho^2
_mirrored = torch.diag(torch.tensor([-_a, _b], dtype=torch.float64)) @ _same_rho[0] @ torch.diag(torch.tensor([-_a, _b], dtype=torch.float64))
assert math.isclose(_mirrored[0, 1] / math.sqrt(_mirrored[0, 0] * _mirrored[1, 1]), -0.9) and math.isclose(diagonal_cost(_mirrored), diagonal_cost(_same_rho[0]))
# the tilts come from gaussian_tilt, the covariance's top eigenvector (as computed above with eigh)
assert [f"{gaussian_tilt(a, b, 0.9):.0f}" for a, b in ((4.0, 1.0), (8.0, 1 / 32))] == ["25", "3"]
# the bottom panel is cropped to x_1 within +-0.8 (the title says so), not zoomed: equal scale, the same units per inch as the top;
# its 2 sigma ellipses fit in it;
# the top panel is cropped to x_1 within +-3.5 (no empty band), its 2 sigma ellipses inside too (each reaches x_d = +-2 sigma_d: +-4, +-2)
assert axes[1].get_xlim() == (-6.0, 6.0) and axes[1].get_ylim() == (-0.8, 0.8) and axes[1].get_aspect() == 1.0
assert "cropped, same scale as above: $x_1$ from −0.8 to 0.8" in axes[1].get_title() and axes[0].get_xlim() == (-6.0, 6.0) and axes[0].get_ylim() == (-3.5, 3.5)
assert axes[0].get_aspect() == 1.0 and 2 * math.sqrt(4) < 6 and 2 * math.sqrt(1) < 3.5
assert 2 * math.sqrt(8) < 6 and 2 * math.sqrt(1 / 32) < 0.8
axes[0].figure.canvas.draw()  # the layout settles at draw: both panels then show 12 units of x_0 across the same width
assert math.isclose(axes[0].get_window_extent().width, axes[1].get_window_extent().width, rel_tol=0.01)


# %% optional-exact-limits-float32
from decimal import Decimal  # exact decimal arithmetic: 2**-1075 is below float64's range

for dtype, small, too_small, large, too_large in ((torch.float32, 1e-45, 1e-46, 1e38, 1e39), (torch.float64, 1e-323, 1e-324, 1e308, 1e309)):
    stored = torch.tensor([small, too_small, large, too_large], dtype=torch.float64).to(dtype)  # roughly 1e-45 to 1e38 (float32)
    assert stored[0] > 0 and stored[1] == 0 and stored[2] < math.inf and stored[3] == math.inf
    tiniest_d = torch.finfo(dtype).smallest_normal * torch.finfo(dtype).eps  # the rule below: at or below half of it, 0
    assert torch.tensor([0.5 * tiniest_d, 0.51 * tiniest_d], dtype=torch.float64).to(dtype).tolist() == [0.0, tiniest_d]
assert [f"{torch.finfo(d).smallest_normal * torch.finfo(d).eps:.1e}" for d in (torch.float32, torch.float64)] == ["1.4e-45", "4.9e-324"]
assert [f"{torch.finfo(d).max:.1e}" for d in (torch.float32, torch.float64)] == ["3.4e+38", "1.8e+308"]
assert f"{tiniest:.1e}" == "4.9e-324" and tiniest == 2.0**-1074 and torch.finfo(torch.float32).smallest_normal * torch.finfo(torch.float32).eps == 2.0**-149  # the limits printed
assert torch.finfo(torch.float32).smallest_normal == 2.0**-126 and torch.finfo(torch.float32).eps == 2.0**-23  # normal times step: 2^-149
quoted = {torch.float32: ("1.4e-45", "7.0e-46", "3.4e+38"), torch.float64: ("4.9e-324", "2.5e-324", "1.8e+308")}
for dtype, exponent, first in ((torch.float32, 150, 74), (torch.float64, 1075, 526)):
    info = torch.finfo(dtype)
    tiny = torch.tensor(info.smallest_normal * info.eps, dtype=dtype)  # the smallest positive number, 2**-(exponent - 1)
    assert (f"{tiny.item():.1e}", f"{Decimal(2) ** -exponent:.1e}", f"{info.max:.1e}") == quoted[dtype] and tiny.item() == 2.0 ** -(exponent - 1)
    assert tiny * 0.5 == 0 < tiny * 0.51  # at or below half of it: 0
    assert math.ceil(exponent * math.log(2) / log_factor) == underflow_dimension(dtype) == first  # step 3: 74 and 526
assert f"{150 * math.log(2):.2f}" == "103.97" and f"{150 * math.log(2) / log_factor:.1f}" == "73.3"  # the worked line
assert f"{log_factor:.3f}" == "1.419" and f"{math.exp(-log_factor):.3f}" == "0.242"  # 0.242^D = e^{-1.419 D}
# the float64 product is 0 one D sooner (525) than the exactly rounded density (526): at 524 it holds 2 steps (exactly 2.50)
assert products["float64"][523] == 2 * step and f"{exact_in_steps[0]:.2f}" == "2.50" and f"{exact_in_steps[1]:.2f}" == "0.60"
assert f"{0.242 * (products['float64'][523] / step):.2f}" == "0.48" and products["float64"][524] == 0
assert torch.exp(torch.tensor(-525 * log_factor, dtype=torch.float64)) == step and torch.exp(torch.tensor(-526 * log_factor, dtype=torch.float64)) == 0
assert int(dims[products["float32"] == 0][0]) == underflow_dimension(torch.float32) == 74  # float32: 74 either way


# %% optional-exact-limits-far-narrow
assert (f"{narrow_factor:.2f}", f"{math.log(narrow_factor):.2f}") == ("3.99", "1.38")  # the narrow component, per dimension
for dtype in (torch.float32, torch.float64):  # first inf as e^{log-density} and as a product
    first = math.ceil(math.log(torch.finfo(dtype).max) / math.log(narrow_factor))  # D log 3.99 past log(largest)
    as_exp = (torch.arange(1, 601, dtype=torch.float64) * math.log(narrow_factor)).to(dtype).exp()
    as_product = torch.full((600,), narrow_factor, dtype=dtype).cumprod(dim=0)
    assert int(as_exp.isinf().nonzero()[0]) + 1 == int(as_product.isinf().nonzero()[0]) + 1 == first
assert t.dtype == far_density.dtype == torch.float32 and far_density[0] > 0 and far_density[1] == 0 and f"{t[1]:.1f}" == "14.4"  # the far point: 0 from 14.4
assert math.ceil(math.log(torch.finfo(torch.float32).max) / math.log(narrow_factor)) < 600  # 3.99^D overflows in float32 (Exercise 3.2: which D)
for dtype, exponent, t_quoted in ((torch.float32, 150, "14.36"), (torch.float64, 1075, "38.58")):
    t_threshold = math.sqrt(2 * (exponent * math.log(2) - 0.5 * math.log(2 * math.pi)))
    assert f"{t_threshold:.2f}" == t_quoted
    for sigma in (1.0, 10.0):  # for N(0, sigma^2), t^2/2 at the threshold moves by -log sigma
        t_sigma = math.sqrt(2 * (exponent * math.log(2) - 0.5 * math.log(2 * math.pi) - math.log(sigma)))
        near = Normal(torch.tensor(0.0, dtype=dtype), sigma).log_prob(sigma * torch.tensor([t_sigma - 0.05, t_sigma + 0.05], dtype=dtype)).exp()
        assert near[0] > 0 == near[1]
assert f"{t_zero:.2f}" == "38.58"  # the last one printed: float64's
assert f"{log_max:.2f}" == "709.78" and math.ceil(log_max / math.log(narrow_factor)) == 513 and f"{log_max / math.log(narrow_factor):.2f}" == "512.98"
assert f"{narrow_factor:.2f}" == "3.99" and f"{math.log(narrow_factor):.4f}" == "1.3836" and math.ceil(log_max / math.log(3.99)) == 513  # 3.99 rounded: 513 too
far64 = Normal(torch.tensor(0.0, dtype=torch.float64), 1.0).log_prob(torch.tensor([38.5, 38.6], dtype=torch.float64)).exp()
assert far64[0] > 0 == far64[1]  # float64's far point: 0 between 38.5 and 38.6 (t = 38.58)
variance_zero = torch.zeros(1, dtype=torch.float64)  # a collapse: the formula gives NaN, and diag_gaussian_log_pdf rejects it
x_and_mean = torch.tensor([[0.0], [1.0]], dtype=torch.float64)  # at the mean (0/0) and off it (-inf + inf)
assert (-0.5 * (math.log(2 * math.pi) + variance_zero.log() + x_and_mean[:, 0] ** 2 / variance_zero)).isnan().all()
try:
    diag_gaussian_log_pdf(x_and_mean, torch.zeros(1, dtype=torch.float64), variance_zero)
    raise AssertionError("diag_gaussian_log_pdf accepted a variance of 0")
except ValueError:
    pass
f32 = {"dtype": torch.float32}  # the log fails when (x - mu)^2 / var overflows
assert diag_gaussian_log_pdf(torch.tensor([[1e20]], **f32), torch.zeros(1, **f32), torch.ones(1, **f32)) == -math.inf
assert diag_gaussian_log_pdf(torch.ones(1, 1, **f32), torch.zeros(1, **f32), torch.tensor([1e-40], **f32)) == -math.inf


# %% optional-play-2-d-gaussian
covs = [torch.tensor([[4.0, 2 * rho], [2 * rho, 1.0]], dtype=torch.float64) for rho in correlations + [-0.9]]  # variances 4 and 1
costs = [diagonal_cost(cov).item() for cov in covs]
peaks = [MultivariateNormal(torch.zeros(2, dtype=torch.float64), cov).log_prob(torch.zeros(2, dtype=torch.float64)).exp().item() for cov in covs]
assert costs[0] == 0 and costs[0] < costs[1] < costs[2] and peaks[0] < peaks[1] < peaks[2]  # both grow with rho
assert math.isclose(costs[3], costs[2]) and math.isclose(peaks[3], peaks[2])  # the same for rho and -rho
assert all(peak < 0.2 for peak in peaks) and math.isclose(levels[0], 0.001) and math.isclose(levels[-1], 0.2)  # the figure's own scale
assert all(math.isclose(ax.collections[0].levels[0], 0.001) for ax in axes)
from gmm_helpers.teach.widgets import GAUSSIAN_LEVELS

assert GAUSSIAN_LEVELS[0] == 0.001 and GAUSSIAN_LEVELS[-1] == 10  # the widget's fixed scale
assert all(f"peak {peak:.3f}" in ax.get_title() for peak, ax in zip(peaks, axes))  # the titles' peak formula
tilts = [math.degrees(math.atan2(v[1], v[0])) % 180 for v in (torch.linalg.eigh(cov).eigenvectors[:, -1] for cov in covs[:3])]
assert tilts[0] < tilts[1] < tilts[2] < 45  # at variances 4 and 1 the tilt grows with rho
equal = [torch.linalg.eigh(torch.tensor([[1.0, r], [r, 1.0]], dtype=torch.float64)).eigenvectors[:, -1] for r in (0.1, 0.6, 0.9)]
assert all(math.isclose(abs(v[1] / v[0]), 1.0) for v in equal)  # at equal variances (standard-deviation units): 45 degrees for every rho != 0
assert math.isclose(abs(torch.linalg.eigh(torch.tensor([[1.0, -0.6], [-0.6, 1.0]], dtype=torch.float64)).eigenvectors[0, -1].item()), 0.5**0.5)  # also rho < 0
for r in (0.3, -0.6, 0.9):  # why: [[1, r], [r, 1]] maps (1, 1) to (1 + r)(1, 1) and (1, -1) to (1 - r)(1, -1)
    R = torch.tensor([[1.0, r], [r, 1.0]], dtype=torch.float64)
    for sign in (1.0, -1.0):
        axis = torch.tensor([1.0, sign], dtype=torch.float64)
        assert torch.allclose(R @ axis, (1 + sign * r) * axis)
assert all(math.isclose(torch.linalg.det(cov).item(), 4.0 * 1.0 * (1 - r**2)) for cov, r in zip(covs, correlations + [-0.9]))  # |Sigma| = s0^2 s1^2 (1 - rho^2)
scaled = [diagonal_cost(torch.tensor([[a, 0.6 * (a * b) ** 0.5], [0.6 * (a * b) ** 0.5, b]], dtype=torch.float64)).item()
          for a, b in ((4.0, 1.0), (0.25, 0.25), (2.0, 8.0))]
assert max(scaled) - min(scaled) < 1e-12  # at a fixed rho the cost does not depend on the variances


# %% optional-opposite-signs
theta = math.degrees(math.acos(rho_hat))  # v_1's angle, counter-clockwise from v_0
assert f"{theta:.0f}" == "25"
_tilt = lambda S: math.degrees(math.atan2(*torch.linalg.eigh(S)[1][:, -1].flip(0).tolist())) % 180  # the long axis's angle
assert f"{_tilt(Sigma_hat):.2f}" == "25.16" and f"{theta:.2f}" == "25.17"  # about 25 degrees too (a coincidence), yet not equal
_stretched = Sigma_hat * torch.tensor([[4.0, 2.0], [2.0, 1.0]], dtype=torch.float64)  # x0 doubled: the same rho, another tilt
assert math.isclose(_stretched[0, 1] / (_stretched[0, 0] * _stretched[1, 1]).sqrt(), rho_hat) and abs(_tilt(_stretched) - theta) > 10
phi = torch.linspace(0, 360, 360_001, dtype=torch.float64)[:-1]  # u's direction, in degrees
on_1, on_2 = torch.cos(torch.deg2rad(phi)), torch.cos(torch.deg2rad(phi - theta))  # u . v_0 and u . v_1 for a unit u
differ = on_1 * on_2 < 0
sectors = ((phi > 90) & (phi < theta + 90)) | ((phi > 270) & (phi < theta + 270))
assert (differ == sectors).all() and (on_1[(phi > 90) & (phi < theta + 90)] < 0).all()  # the two sectors, u . v_0 < 0 in the first
assert math.isclose(differ.double().mean(), 2 * theta / 360, abs_tol=1e-4) and f"{2 * theta / 360:.0%}" == "14%"
for rho, opening in ((0.0, 90.0), (0.999999, 0.0)):  # the quadrants at rho = 0; nothing left as rho -> 1
    assert math.isclose(math.degrees(math.acos(rho)), opening, abs_tol=0.1)


# %% optional-deriving-cost
# step 2 on the data: half the difference of the log-determinants is the measured gap
assert math.isclose(0.5 * float(Sigma_hat.diagonal().log().sum() - torch.logdet(Sigma_hat)), gap.item(), rel_tol=1e-9)
_R = Sigma_hat / Sigma_hat.diagonal().sqrt()[:, None] / Sigma_hat.diagonal().sqrt()[None, :]  # the correlation matrix: S R S = Sigma_hat
assert torch.allclose(_R, torch.tensor([[1.0, rho_hat], [rho_hat, 1.0]], dtype=torch.float64)) and math.isclose(-0.5 * torch.logdet(_R).item(), gap.item(), rel_tol=1e-9)
_true_R = torch.tensor([[1.0, 0.9], [0.9, 1.0]], dtype=torch.float64)  # in expectation: KL at the true parameters is -1/2 log|R|
assert math.isclose(kl_divergence(MultivariateNormal(torch.zeros(2, dtype=torch.float64), true_cov),
                                  MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.diag(true_cov.diagonal()))).item(), -0.5 * torch.logdet(_true_R).item(), rel_tol=1e-9)
A = torch.randn(4, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
Sigma4 = A @ A.T + torch.eye(4, dtype=torch.float64)  # a 4-D covariance
sd = Sigma4.diagonal().sqrt()
assert torch.allclose(diagonal_cost(Sigma4), -0.5 * torch.logdet(Sigma4 / sd[:, None] / sd[None, :]))  # any D: -1/2 log|R|
assert diagonal_cost(Sigma4) > 0 and diagonal_cost(torch.diag(Sigma4.diagonal())) == 0  # >= 0, and 0 when R = I
# Hadamard by AM-GM: R's eigenvalues are >= 0 and sum to tr R = D, so |R| = their product <= (tr R / D)^D = 1
_R4 = Sigma4 / sd[:, None] / sd[None, :]
_lam = torch.linalg.eigvalsh(_R4)
assert (_lam >= 0).all() and math.isclose(float(_lam.sum()), 4.0, rel_tol=1e-12) and math.isclose(float(torch.trace(_R4)), 4.0, rel_tol=1e-12)
assert math.isclose(float(_lam.prod()), float(torch.linalg.det(_R4)), rel_tol=1e-9) and float(_lam.prod()) < 1 and math.isclose((float(_lam.sum()) / 4) ** 4, 1.0, rel_tol=1e-12)


# %% optional-rotation
assert abs(torch.corrcoef((Y @ turn).T)[0, 1] - rho_hat) > 0.5  # rotating the data changes rho
assert f"{torch.corrcoef((Y @ turn).T)[0, 1]:.3f}" == "-0.870" and f"{rho_hat:.3f}" == "0.905"  # the values quoted
assert torch.allclose(torch.tensor([[1.0, 0.0]], dtype=torch.float64) @ turn, torch.tensor([[1.0, -1.0]], dtype=torch.float64) / 2**0.5)  # rows times turn: (1, 0) goes to -45 degrees
assert torch.allclose(torch.corrcoef((Y * torch.tensor([3.0, 0.5], dtype=torch.float64)).T)[0, 1], rho_hat)  # rescaling does not
assert f"{torch.corrcoef(principal.T)[0, 1].abs():.3f}" == "0.000" and torch.allclose(torch.cov(principal.T, correction=0), torch.diag(eigenvalues))
assert torch.allclose(V.T @ V, torch.eye(2, dtype=torch.float64)) and torch.allclose(Sigma_hat @ V, V * eigenvalues)  # V^T V = I, Sigma_hat V = V Lambda
assert math.isclose(abs(torch.linalg.det(V).item()), 1.0)  # a rotation (or reflection)
_full = MultivariateNormal(centre, covariance_matrix=Sigma_hat).log_prob(Y).sum()  # the full fit, on the data
_on_axes = principal.mean(dim=0)  # after rotating: the full fit's likelihood unchanged, and the diagonal fit equals it
assert torch.allclose(MultivariateNormal(_on_axes, covariance_matrix=torch.cov(principal.T, correction=0)).log_prob(principal).sum(), _full)
assert torch.allclose(Independent(Normal(_on_axes, principal.var(dim=0, correction=0).sqrt()), 1).log_prob(principal).sum(), _full)


# %% optional-tiling-pooled-covariance
assert pooled[0, 1] == 0 and f"{diagonal_cost(pair[0]):.2f}" == f"{diagonal_cost(pair[1]):.2f}" == "0.83"  # PCA turns nothing
assert f"{gap:.3f}" == "0.855" and len(Y) == 800  # the tilted cloud's measured cost, quoted beside the expected 0.83
mixture = torch.cat([torch.randn(20_000, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64) @ torch.linalg.cholesky(c).T for c in pair])
assert torch.allclose(torch.cov(mixture.T), pooled, atol=0.1)  # the pooled covariance is the mixture's


# %% optional-several-diagonal-components
assert all(fit.converged for runs in starts.values() for fit in runs) and all(len(runs) == 5 for runs in starts.values())
assert all(per_point[K] == max(each_start[K]) for K in starts)  # each K keeps its best start, drawn and tabled
assert all(math.isclose(float(fits[K].log_likelihoods[-1]) / len(cross), per_point[K]) for K in (2, 4, 8))  # the figure's titles
two = fits[2].params  # the best of two: both centred on the crossing, one wide, one narrow
wide, narrow2 = int(two.weights.argmax()), int(two.weights.argmin())
assert (f"{two.weights[wide]:.2f}", f"{two.weights[narrow2]:.2f}") == ("0.55", "0.45") and two.means.abs().max() < 0.1
assert (two.variances[wide] > 4 * two.variances[narrow2]).all()
assert f"{per_point[2]:.3f}" == "-3.482" and sorted(f"{p:.3f}" for p in each_start[2]).count("-3.524") == 3  # three of five stop lower
for fit in starts[2]:
    if fit.log_likelihoods[-1] / len(cross) < per_point[2] - 0.01:  # the worse optimum: one over the whole X, one at one side
        w = fit.params.weights
        assert 0.04 <= round(w.min().item(), 2) <= 0.06 and fit.params.means[int(w.argmin())][0].abs() > 3.5
        _light_mean, _light_var = fit.params.means[int(w.argmin())], fit.params.variances[int(w.argmin())]  # both arms' tips there:
        _tips = 0.45 * _light_mean[0].abs()  # the arms (slope +-0.45) pass x_1 = +-this at its x_0
        assert _light_mean[1].abs() < 1 and ((_light_mean[1] - _tips).abs() < 2 * _light_var[1].sqrt()) and ((_light_mean[1] + _tips).abs() < 2 * _light_var[1].sqrt())  # in its 2σ ellipse
        assert fit.params.means[int(w.argmax())].abs().max() < 0.3
eight = fits[8].params  # the best of eight: one component over the crossing, seven lighter ones along the two arms, on both sides of the crossing
_order = eight.weights.argsort(descending=True)
assert f"{eight.weights[_order[0]]:.2f}" == "0.51" and eight.means[_order[0]].abs().max() < 0.3
assert (f"{eight.weights[_order[1:]].min():.2f}", f"{eight.weights[_order[1:]].max():.2f}") == ("0.03", "0.11")
_arms = eight.means[_order[1:]]  # each on an arm: away from the crossing, at about the arms' slope (+-0.47, tilt 25 degrees)
assert (_arms.norm(dim=1) > 1.5).all() and ((_arms[:, 1] / _arms[:, 0]).abs() - 0.47).abs().max() < 0.15
assert {(a > 0, b > 0) for a, b in _arms.tolist()} == {(True, True), (True, False), (False, True), (False, False)}  # both sides of both arms
_labels = sorted((t.get_text(), round(t.xy[0], 6)) for t in axes[0, 0].texts if t.get_gid() == "weight")  # the two means coincide:
assert _labels == sorted((f"{w:.2f}", round((m[0] + 2 * v[0].sqrt()).item(), 6)) for w, m, v in zip(two.weights, two.means, two.variances))  # at each ellipse's right end
assert sum(p.get_gid() == "last-fit" for p in axes[1, 1].patches) == 8  # the eight components, grey, under the true ones
# the keys sit outside the panels, so the (shared) y-range is the data's, no empty band; in the K = 4 panel the light
# left component's 0.17 is written left of its mean, off the heaviest component's thick ellipse
_ys = torch.cat([cross[:, 1]] + [torch.as_tensor(p.get_path().transformed(p.get_patch_transform()).vertices[:, 1]) for ax in axes.flat for p in ax.patches])
_low, _high = axes[0, 0].get_ylim()  # the points' and ellipses' y-range plus the usual 5% margins, nothing more
assert _high < float(_ys.max()) + 0.06 * (_high - _low) and _low > float(_ys.min()) - 0.06 * (_high - _low)
assert [(t.get_text(), t.get_ha()) for t in axes[0, 1].texts if t.get_text() == "0.17"] == [("0.17", "right")]
assert all(sum(p.get_gid() == "source" for p in ax.patches) == 2 for ax in axes.flat)  # the two true components, dashed
assert torch.allclose(true_per_point, torch.logsumexp(log_true + math.log(0.5), dim=1).mean())  # no underflow in 2-D
assert per_point[2] < per_point[4] < per_point[8] < true_per_point < per_point[8] + 0.05  # the true mixture beats 2, 4, 8; 8 within 0.05
assert true_per_point < per_point[12] and true_per_point < min(each_start[12])  # twelve score above the true mixture, from every start
assert n_parameters(8, 2, False) == 39 and n_parameters(2, 2, True) == 11 and n_parameters(1, 1000, True) - n_parameters(1, 1000, False) == 500_500 - 1000
assert n_parameters(1, 1000, True) == 501_500 and n_parameters(1, 1000, False) == 2_000 and n_parameters(1, 1000, True) // 2_000 == 250
from matplotlib.colors import to_rgb

for _ax, _K in zip(axes.flat, (2, 4, 8)):  # coloured by weight order: the heaviest blue in every panel
    _drawn = [to_rgb(p.get_edgecolor()) for p in _ax.patches if p.get_gid() not in ("source", "last-fit")]
    assert len(_drawn) == _K and _drawn[int(fits[_K].params.weights.argmax())] == to_rgb("#0072B2")
