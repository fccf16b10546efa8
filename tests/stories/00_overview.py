# Story checks of notebooks/00_overview.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% pytorch-primer
assert t[0].tolist() == [1.0, 5.0, 3.0] and t[:, 0].shape == (2,) and t[:, :1].shape == (2, 1)  # the indexing sentence
assert 1e-7 < torch.finfo(torch.float32).eps < 2e-7 and 2e-16 < torch.finfo(torch.float64).eps < 3e-16  # 7 and 16 digits
assert t[rows].shape == (3, 3) and t[mask].tolist() == [[4.0, 2.0, 6.0]]  # the comments' claims
assert (t - v).shape == (2, 3) and (t - v)[1].tolist() == [-6.0, -18.0, -24.0] and (v[:, None] - v[None, :]).shape == (3, 3)


# %% one-bell-curve-not
assert near_peak == 24  # the single Gaussian's most likely place is a sparse one
assert [f"{s:.2f}" for s in one_gaussian_sigmas] == ["2.65", "2.05"] and (one_gaussian_sigmas > 2).all()  # much wider than radius 1
# what the single Gaussian itself predicts within radius 1 of its peak: integrate over x_0 the chance that |x_1| < sqrt(1 - x_0^2)
_x0 = torch.linspace(-1, 1, 20001, dtype=torch.float64)
_s0, _s1 = one_gaussian_variances.double().sqrt()
_strip = torch.special.erf((1 - _x0**2).sqrt() / (_s1 * math.sqrt(2)))  # P(|x_1 - mu_1| < sqrt(1 - x_0^2))
_predicted = N * torch.trapezoid(torch.exp(-_x0**2 / (2 * _s0**2)) / (_s0 * math.sqrt(2 * math.pi)) * _strip, _x0)
assert abs(predicted_near_peak - _predicted) < 0.5 and f"{predicted_near_peak:.0f}" == "53"  # about 53 predicted (the draws agree)
assert near_peak < predicted_near_peak / 2  # 24 found
assert offsets.shape[0] == 1_000_000  # "from a million random draws"
assert any("not 1σ" in t.get_text() for t in fig.legends[0].get_texts())  # the dotted circle: radius 1, not 1 sigma
assert one_gaussian_variances.shape == (D,)  # "axis-aligned": one variance per axis, no covariance (so no tilt)
from matplotlib.patches import Ellipse  # "a 1σ ellipse drawn dark, a 2σ ellipse lighter, in the same colour"

_one = sorted((p for p in right.patches if isinstance(p, Ellipse) and p.get_linestyle() == "solid"), key=lambda p: p.width)
assert len(_one) == 2 and [p.get_alpha() for p in _one] == [1.0, 0.5] and _one[0].get_edgecolor()[:3] == _one[1].get_edgecolor()[:3]


# %% mixture-model
from gmm_helpers import GMMParams, weighted_log_pdfs

assert isinstance(truth, GMMParams) and truth._fields == ("weights", "means", "variances")  # a named tuple of three tensors

grid = torch.linspace(-12, 12, 4001, dtype=torch.float64)
terms = weighted_log_pdfs(grid[:, None], x0_mixture.to(torch.float64)).exp()  # (4001, K)
assert torch.allclose(terms.sum(dim=0) * (grid[1] - grid[0]), truth.weights.double(), atol=1e-6)  # each area is the weight
assert truth.means[1, 0] == 2.5 and truth.means[2, 0] == 2.0 and terms.sum(dim=1).max() < 0.27 < ax.get_ylim()[1]  # inside the y-range, below the key
from torch.distributions import MultivariateNormal  # the diagonal factorisation, against a full-covariance Gaussian
t64, x_test = truth.to(torch.float64), torch.tensor([[0.3, -1.2], [2.0, 2.5]], dtype=torch.float64)
for k in range(truth.K):
    product = (torch.exp(-((x_test - t64.means[k]) ** 2) / (2 * t64.variances[k])) / torch.sqrt(2 * torch.pi * t64.variances[k])).prod(dim=1)
    assert torch.allclose(product, MultivariateNormal(t64.means[k], torch.diag(t64.variances[k])).log_prob(x_test).exp())
assert counts.tolist() == [296, 162, 142] and [f"{c / N:.3f}" for c in counts] == ["0.493", "0.270", "0.237"]  # the sample's shares


# %% components-figure
# "the answer a fit must find from the grey points of the first figure. No ellipse is tilted: a diagonal Sigma_k
# stretches along x_0 or x_1 only"
import numpy as np
from matplotlib.patches import Ellipse

_grey = left.collections[0].get_facecolors()[:, :3]  # the first figure's left panel: the points, all one grey
assert len(left.collections[0].get_offsets()) == N and np.ptp(_grey, axis=1).max() < 1e-9 and np.ptp(_grey, axis=0).max() < 1e-9
_ell = [p for p in ax.patches if isinstance(p, Ellipse)]
assert len(_ell) == 2 * truth.K  # 1σ and 2σ per component
assert all(p.get_linestyle() == "solid" for p in _ell) and all(  # 1σ dark, 2σ lighter (half the alpha), the same colour
    p.get_alpha() == (1.0 if p.width < q.width else 0.5) and p.get_edgecolor()[:3] == q.get_edgecolor()[:3]
    for p in _ell for q in _ell if p is not q and np.allclose(p.center, q.center))
for _e in _ell:
    assert abs((_e.angle + 45) % 90 - 45) < 1e-9  # not tilted
    _xy = _e.get_patch_transform().transform(_e.get_path().vertices)  # the outline in data coordinates
    _k = int(((truth.means - torch.tensor(_e.center, dtype=torch.float32)) ** 2).sum(dim=1).argmin())
    _half = (_xy.max(axis=0) - _xy.min(axis=0)) / 2  # half-extent along x_0 and along x_1
    assert np.allclose(_half / _half[0], (truth.variances[_k].sqrt() / truth.variances[_k, 0].sqrt()).numpy(), rtol=1e-3)
_sq = ((X - truth.means[labels]) ** 2 / truth.variances[labels]).sum(dim=1)  # each point against its own component
for _k in range(truth.K):  # "about 39% and 86% of its points" inside its 1σ and 2σ ellipses
    assert abs((_sq[labels == _k] <= 1).float().mean() - 0.39) < 0.04 and abs((_sq[labels == _k] <= 4).float().mean() - 0.86) < 0.02


# %% density-at-points
# the four printed densities: (0, 0) in the gap, far below the single Gaussian there; (5, 5) far from every group
from torch.distributions import Independent, Normal

_single_at_gap = Independent(Normal(one_gaussian_mean, one_gaussian_variances.sqrt()), 1).log_prob(points[0]).exp()
assert f"{density_inline[0]:.4f}" == "0.0117" and f"{_single_at_gap:.4f}" == "0.0293" and density_inline[0] < _single_at_gap / 2
assert torch.isclose(single_per_dim.prod(), _single_at_gap) and f"{single_per_dim.prod():.4f}" == "0.0293"  # printed (2.929e-02)
assert f"{density_inline[3]:.0e}" == "1e-05" and density_inline[3] < density_inline[:3].min() / 1000  # the unlikely point
_peak = 1 / (2 * math.pi * float(one_gaussian_variances.sqrt().prod()))  # the single Gaussian's peak, 1 / (2 pi 2.65 2.05)
assert [f"{v:.2f}" for v in one_gaussian_variances.sqrt().tolist()] == ["2.65", "2.05"] and f"{_peak:.4f}" == "0.0293"
assert one_gaussian_mean.abs().max() < 0.1 and _single_at_gap > 0.998 * _peak  # 0.0293 is about its peak (no longer quoted): the peak is at (-0.08, 0.07)
# "in the first figure's dotted disc it predicts 24.5 points, where 24 lie": N times the mixture's integral over the disc
from torch.distributions import Categorical, MixtureSameFamily

_t64 = truth.to(torch.float64)
_mixture = MixtureSameFamily(Categorical(probs=_t64.weights), Independent(Normal(_t64.means, _t64.variances.sqrt()), 1))
_rad = (torch.arange(800, dtype=torch.float64) + 0.5) / 800  # midpoints in r and theta (polar: area element r dr dtheta)
_ang = (torch.arange(1440, dtype=torch.float64) + 0.5) * 2 * math.pi / 1440
_disc = one_gaussian_mean.double() + torch.stack([_rad[:, None] * _ang.cos(), _rad[:, None] * _ang.sin()], dim=-1).reshape(-1, 2)
_in_disc = N * float((_mixture.log_prob(_disc).exp().reshape(800, 1440) * _rad[:, None]).sum() / 800 * 2 * math.pi / 1440)
assert f"{_in_disc:.1f}" == "24.5" and near_peak == 24
assert f"{predicted_in_disc:.1f}" == "24.5" and abs(predicted_in_disc - _in_disc) < 0.3  # the printed estimate (a million draws per component) agrees


# %% fitting-chicken-egg
assert N == 600 == len(X)  # "the N = 600 points"
assert f"{per_point_truth:.4f}" == "-3.7853" and f"{per_point_truth.exp():.4f}" == "0.0227"
assert torch.isclose(per_point_truth.exp(), oracle.log_prob(X).mean().exp())  # the geometric mean
assert oracle.log_prob(X).exp().prod() == 0 and oracle.log_prob(X.double()).exp().prod() == 0  # the product of 600 densities underflows
assert Normal(0.0, 0.1).log_prob(torch.tensor(0.0)).exp() > 1  # a density can exceed 1 (a narrow bell is tall) ...
assert log_likelihood(truth.means, truth._replace(variances=truth.variances / 100)) / 3 > 0  # ... so the per-point value can be positive


# %% why-hard
# the result: d l / d mu_kd = sum_n r_nk (x_nd - mu_kd) / sigma^2_kd, against autograd on the running example (float64),
# so setting it to zero gives the weighted average; r_nk = pi_k N_nk / p(x_n)
from gmm_helpers import log_responsibilities

_p = truth.to(torch.float64)
_X = X.double()
_means = _p.means.clone().requires_grad_(True)
(_grad,) = torch.autograd.grad(log_likelihood(_X, _p._replace(means=_means)), _means)
_r = log_responsibilities(_X, _p).exp()  # (N, K)
_N = torch.exp(-((_X[:, None, :] - _p.means) ** 2) / (2 * _p.variances)).prod(dim=2) / torch.sqrt(2 * torch.pi * _p.variances).prod(dim=1)
assert torch.allclose(_r, _p.weights * _N / (_p.weights * _N).sum(dim=1, keepdim=True))  # the share of the sum p(x_n)
assert torch.allclose(_grad, (_r[:, :, None] * (_X[:, None, :] - _p.means) / _p.variances).sum(dim=0))  # the chain's end
_weighted = _r.T @ _X / _r.sum(dim=0)[:, None]  # (K, D): the weighted mean, with r at the truth
assert not torch.allclose(_weighted, _p.means)  # at the truth the equation fails: solving it once moves mu_k, and so r
# "For one Gaussian ... mu = (1/N) sum_n x_n, the average of the points": the derivative in the mean is zero there
_mu1 = _X.mean(dim=0).requires_grad_(True)
(_g1,) = torch.autograd.grad(Normal(_mu1, one_gaussian_variances.double().sqrt()).log_prob(_X).sum(), _mu1)
assert _g1.abs().max() < 1e-9 and torch.allclose(one_gaussian_mean.double(), _X.mean(dim=0))  # the first figure's peak


# %% one-round-in-numbers
assert [f"{v:.3f}" for v in r.flatten()] == ["0.881", "0.119", "0.500", "0.500", "0.018", "0.982"]
assert w[0] == w[1] and var[0] == var[1]  # equal weights and variances ...
assert torch.allclose(r.sum(dim=1), torch.ones(3)) and r[1, 0] == r[1, 1]  # ... so the middle point splits half and half
assert (f"{new_mu[0]:.2f}", f"{new_mu[1]:.2f}") == ("0.40", "2.15") and (new_mu[0] > mu[0]) and (new_mu[1] > mu[1])
from gmm_helpers import m_step  # the hand-worked round against the package's M-step
_p = m_step(x[:, None], r, reg_covar=0.0)
assert torch.allclose(_p.weights, new_w) and torch.allclose(_p.means[:, 0], new_mu) and torch.allclose(_p.variances[:, 0], new_var, atol=1e-5)
from gmm_helpers import GMMParams  # the log-likelihood before and after, against the package's

assert (f"{ll_before:.3f}", f"{ll_after:.3f}") == ("-4.998", "-4.400") and ll_after > ll_before
assert torch.isclose(ll_before, log_likelihood(x[:, None], GMMParams(w, mu[:, None], var[:, None])))
assert torch.isclose(ll_after, log_likelihood(x[:, None], GMMParams(new_w, new_mu[:, None], new_var[:, None])))
import numpy as np

from gmm_helpers.teach.style import responsibility_colours  # the figure: points coloured by r, curves before and after

assert len(ax.lines) == 4 and [l.get_linestyle() for l in ax.lines] == ["--", "--", "-", "-"]  # dashed before, solid after
assert np.allclose(ax.collections[0].get_facecolors()[:, :3], responsibility_colours(r)[:, :3], atol=1e-6)  # each point by its r
assert new_var[0] < var[0] and new_var[1] > var[1]  # component 0 narrows, component 1 widens
assert (f"{w[0]:.2f}", f"{new_w[0]:.2f}") == ("0.50", "0.47")  # "at nearly the same weight (0.50 to 0.47)"
assert ax.lines[2].get_ydata().max() > 1.2 * ax.lines[0].get_ydata().max()  # "... stands taller": component 0's solid peak over its dashed
assert ax.get_legend().get_texts()[-1].get_text().startswith("the points")  # the key's swatch: the point at 1's blended colour
assert np.allclose(ax.collections[1].get_facecolors()[0], ax.collections[0].get_facecolors()[1]) and r[1, 0] == r[1, 1]
_printed = [t.get_text() for t in ax.texts]  # "its r_nk, printed below it": both numbers under each point
assert _printed == [f"{r[n, k]:.2f}" for n in range(3) for k in range(2)]
assert torch.isclose(new_w.sum(), torch.tensor(1.0)) and torch.allclose(r.sum(dim=1), torch.ones(3))  # the new weights sum to 1
# "both steps raise a lower bound on the log-likelihood": F(q, theta) = sum q (log p_nk - log q) <= l(theta) for every q
def _F(q, w_, mu_, var_):  # in float64, so that rounding cannot decide the comparisons
    q = q.double()
    return float((q * (weighted_densities(w_.double(), mu_.double(), var_.double(), at=x.double()).log() - q.log())).sum())
_g = torch.Generator().manual_seed(0)
assert abs(_F(r, w, mu, var) - float(ll_before)) < 1e-5  # after the E-step the bound touches the log-likelihood
assert float(ll_before) + 1e-9 < _F(r, new_w, new_mu, new_var) <= float(ll_after) + 1e-9  # the M-step pushes it up; it stays below l
for _ in range(200):  # the E-step's r beats any other table for the old parameters ...
    _q = torch.rand(3, 2, generator=_g) + 1e-3
    assert _F(_q / _q.sum(dim=1, keepdim=True), w, mu, var) <= _F(r, w, mu, var) + 1e-9
    _dw = 0.1 * (torch.rand(1, generator=_g) - 0.5)  # ... and the M-step's parameters beat nearby ones for that r
    _w2 = torch.cat([new_w[:1] + _dw, new_w[1:] - _dw])
    _mu2 = new_mu + 0.2 * (torch.rand(2, generator=_g) - 0.5)
    _var2 = new_var * (1 + 0.4 * (torch.rand(2, generator=_g) - 0.5))
    assert _F(r, _w2, _mu2, _var2) <= _F(r, new_w, new_mu, new_var) + 1e-9  # with r fixed, F differs from
    # sum_n sum_k r_nk log(pi_k N_nk) (what the M-step maximises) by a constant in theta: the M-step's parameters beat nearby ones
def _Q(w_, mu_, var_):  # Q(theta; theta_old) = sum_n sum_k r_nk log(pi_k N(x_n | mu_k, var_k)), r from the E-step at theta_old
    return float((r.double() * weighted_densities(w_.double(), mu_.double(), var_.double(), at=x.double()).log()).sum())
for _ in range(200):  # "the M-step maximises Q with r held fixed": its closed forms beat nearby parameters
    _dw = 0.1 * (torch.rand(1, generator=_g) - 0.5)
    _w2 = torch.cat([new_w[:1] + _dw, new_w[1:] - _dw])
    _mu2 = new_mu + 0.2 * (torch.rand(2, generator=_g) - 0.5)
    _var2 = new_var * (1 + 0.4 * (torch.rand(2, generator=_g) - 0.5))
    assert _Q(_w2, _mu2, _var2) <= _Q(new_w, new_mu, new_var) + 1e-9
# "l(theta) - l(theta_old) >= Q(theta; theta_old) - Q(theta_old; theta_old)": here Q rises, and l rises by more
_Q_rise = _Q(new_w, new_mu, new_var) - _Q(w, mu, var)
assert _Q_rise > 0 and float(ll_after) - float(ll_before) >= _Q_rise - 1e-6
assert all(abs(xs[ax.lines[2 + k].get_ydata().argmax()] - new_mu[k]) < 0.03 for k in range(2))  # the solid curves peak at the new means
assert min(ax.get_yticks()) == 0 and ax.get_ylim()[0] < 0  # room below 0 for the r_nk, but no negative density ticks
# "Why is it hard?": d l / d mu_k = sum_n r_nk (x_n - mu_k) / var_k (autograd), and 0 there gives mu_k = sum r x / sum r
_mu = mu.double().clone().requires_grad_(True)
_ll = torch.log((w.double() * torch.exp(-((x.double()[:, None] - _mu) ** 2) / (2 * var.double())) / torch.sqrt(2 * torch.pi * var.double())).sum(dim=1)).sum()
(_grad,) = torch.autograd.grad(_ll, _mu)
assert torch.allclose(_grad, (r.double() * (x.double()[:, None] - mu.double())).sum(dim=0) / var.double(), atol=1e-6)
assert torch.allclose(new_mu, (r * x[:, None]).sum(dim=0) / r.sum(dim=0))  # the M-step's mean: that equation with r held fixed
# "linear in the indicators, so its expectation is the same sum with r_nk in their place": the expectation of the
# complete-data log-likelihood over all 2^3 labelings z, each with probability prod_n r_{n z_n}, equals Q
import itertools
_logp = weighted_densities(new_w.double(), new_mu.double(), new_var.double(), at=x.double()).log()  # (3, 2) at a new theta
_rd = r.double() / r.double().sum(dim=1, keepdim=True)  # rows summing to 1 in float64
_expect = sum(float(torch.prod(torch.stack([_rd[n, k] for n, k in enumerate(_z)]))) * sum(float(_logp[n, k]) for n, k in enumerate(_z))
              for _z in itertools.product(range(2), repeat=3))
assert abs(_expect - float((_rd * _logp).sum())) < 1e-9 and abs(_expect - _Q(new_w, new_mu, new_var)) < 1e-5


# %% em-at-work-teaser
import inspect

from gmm_helpers import log_responsibilities, nearest_means

assert torch.equal(X64, X.double()) and X64.dtype == torch.float64 and fit.params.means.dtype == torch.float64  # the teaser fits X64
first = log_responsibilities(X64, start).exp()  # (N, K): iteration 0's responsibilities
_N_k = first.sum(dim=0)  # the M-step formulas of the EM loop, against fit_em's first iteration
m_means = first.T @ X64 / _N_k[:, None]
m_vars = (first[:, :, None] * (X64[:, None, :] - m_means) ** 2).sum(dim=0) / _N_k[:, None]
assert torch.allclose(fit.history[1].weights, _N_k / N, atol=1e-6) and torch.allclose(fit.history[1].means, m_means, atol=1e-5)
assert torch.allclose(fit.history[1].variances, m_vars, rtol=1e-4, atol=2e-6)  # fit_em adds reg_covar = 1e-6
assert nearest_means(start.means, truth.means.double()).tolist() == [1, 0, 0]  # two start means nearest the left group, none the lower-right
_first_ordered = log_responsibilities(X64, ordered.history[0]).exp()  # iteration 0's colours, in truth's order
assert (_first_ordered[labels == 2].argmax(dim=1) == 2).float().mean() > 0.6  # the lower-right group is mostly green already
_nearest0 = nearest_means(X64[labels == 2], ordered.history[0].means)  # equal weights and variances: the nearest mean wins
assert (_nearest0 == 2).float().mean() > 0.6 and torch.equal(_nearest0, _first_ordered[labels == 2].argmax(dim=1))
assert torch.equal(nearest_means(X64, ordered.history[0].means), _first_ordered.argmax(dim=1))  # every point's largest share: its nearest mean
from matplotlib.patches import Ellipse
_ell = [p for p in fig.axes[0].patches if isinstance(p, Ellipse)]  # "1σ (dark) and 2σ (light) ellipses": 2σ drawn at half alpha
assert len(_ell) == 6 and sorted({p.get_alpha() for p in _ell}) == [0.5, 1.0]
assert all(p.get_alpha() == (1.0 if p.width < q.width else 0.5) for p in _ell for q in _ell if p is not q and np.allclose(p.center, q.center))
_curve = fig.axes[len(drawn)]  # the panels, then the curve
assert [a.get_title().split("\n")[0] for a in fig.axes[:len(drawn)]] == [f"({c}) iteration {t}" for c, t in zip("abc", drawn)] == [
    "(a) iteration 0", "(b) iteration 6", "(c) iteration 23"]  # "Panel a is the start; b and c, 6 and 23 iterations later"
assert fig.axes[len(drawn)].get_title() == "(d) log-likelihood per point"  # "d, the log-likelihood per point"
assert all(a.get_shared_x_axes().joined(a, fig.axes[0]) and a.get_shared_y_axes().joined(a, fig.axes[0]) for a in fig.axes[:len(drawn)])
_widths = [p.get_linewidth() for a in fig.axes[:len(drawn)] for p in a.patches if isinstance(p, Ellipse)]
assert min(_widths) > 2.4  # thicker than plot_mixture's own (1.66 for weight 0.11): the light green ellipses stay visible
assert not _curve.child_axes  # no inset: the curve alone
_lower_right = labels == 2
def _owners(t):  # (N,): each point's most responsible component after iteration t, in truth's order
    return log_responsibilities(X64, ordered.history[t]).exp().argmax(dim=1)
for _t in (6, 20):  # the plateau: orange spans both right groups, green hangs in the middle
    _p = ordered.history[_t]
    assert _p.variances[1, 1] > 4 * truth.variances[1:, 1].max() and _p.means[1, 1] < 1 and (_owners(_t)[_lower_right] == 1).float().mean() > 0.75
    assert -2 < _p.means[2, 0] < 1.5 and -2 < _p.means[2, 1] < 0  # between the left group and the lower-right one
assert nearest_means(ordered.history[0].means, truth.means.double())[2] == 0  # green starts in the left group
assert per_point.diff()[0] == per_point.diff().max() and per_point.diff()[0] > 10 * per_point.diff()[1:].max()  # the first jump
assert [p.get_x() for p in _curve.patches][:1] == [6] and _curve.patches[0].get_width() == 14  # the grey band: iterations 6 to 20
assert (_owners(23)[_lower_right] == 2).float().mean() > 0.8 and (_owners(20)[_lower_right] == 2).float().mean() < 0.25  # the takeover
_rise = fit.log_likelihoods.diff() / N  # _rise[t - 1]: iteration t's rise per point
assert all(_rise[t - 1] < 0.01 for t in range(6, 21)) and _rise[5 - 1] > 0.01 and _rise[21 - 1] > 0.01  # the plateau: 6 to 20
assert (_rise[:15].diff() < 0).all() and (_rise[14:23].diff() > 0).all()  # the plateau's rises shrink, then grow again: down to 15, up to 23
assert int(_lower_right.sum()) == 142 and [int((_owners(t)[_lower_right] == 2).sum()) for t in (22, 23)] == [54, 123]  # the takeover at 23
assert torch.equal(lower_right, _lower_right) and torch.equal(owners, _owners(23))  # the printed owners: the largest r_nk
assert green_owns == {0: 104, 6: 25, 22: 54, 23: 123}  # the printed counts ("Each panel prints green's count")
assert [[t.get_text() for t in a.texts if t.get_text().startswith("green owns")] for a in fig.axes[:len(drawn)]] == [
    [f"green owns {n}\nof the lower-right 142"] for n in (104, 25, 123)]  # panels a-c, at iterations 0, 6, 23
assert [int((_owners(t)[_lower_right] == 1).sum()) for t in (0, 6, 20, 22, 23)] == [38, 117, 114, 88, 19]  # the convention's owners (orange)
assert [int((_owners(t)[_lower_right] == 2).sum()) for t in (0, 6, 20)] == [104, 25, 28]
_end = ordered.history[fit.n_iter]  # orange back on the upper group: its 2σ ellipse ends above the lower-right group's points
assert _end.means[1, 1] - 2 * _end.variances[1, 1].sqrt() > X64[_lower_right, 1].max() - 1 and (_owners(fit.n_iter)[_lower_right] == 1).float().mean() < 0.02
_p23 = ordered.history[23]  # at 23 orange still spans both right-hand groups: its 2σ ellipse reaches below the lower-right centre
assert _p23.means[1, 1] - 2 * _p23.variances[1, 1].sqrt() < truth.means[2, 1] and _p23.variances[1, 1] > 4 * _end.variances[1, 1]
_keys = [t.get_text() for t in fig.legends[0].get_texts()]  # the key names the ellipses' encoding; whole-number x ticks
assert {"1σ / 2σ ellipse (dark / light)", "thicker ellipse: larger weight"} <= set(_keys)
assert len(_keys) == 6 and "the iterations drawn" not in _keys  # the red dots carry their iteration numbers: no key entry
assert {"log-likelihood of the true parameters", "plateau\n(iterations 6-20)"} <= {t.get_text() for t in _curve.texts}  # named on the curve
# "blue left, orange upper right, green lower right": components 0, 1, 2 end on these true groups
assert truth.means[0, 0] < 0 < truth.means[1, 0] and truth.means[2, 1] < 0 < truth.means[1, 1] and truth.means[2, 0] > 0
assert nearest_means(ordered.params.means, truth.means.double()).tolist() == [0, 1, 2]
assert [float(x) for x in fig.axes[0].get_xticks() if -7.5 <= x <= 5.5] == [-6, -4, -2, 0, 2, 4]

assert torch.equal(ordered.params.means, estimate.means) and nearest_means(estimate.means, truth.means.double()).tolist() == [0, 1, 2]
_tol = inspect.signature(fit_em).parameters["tol"].default
assert (per_point.diff()[:-1] > 0).all() and abs(per_point[-1] - per_point[-2]) < _tol  # rises; the last step is below tol
assert per_point[20] - per_point[6] < 0.06 < per_point[25] - per_point[20]  # the curve
assert fit.converged and fit.n_iter == 32
_d2 = ((ordered.history[0].means - truth.means[2].double()) ** 2).sum(dim=1)  # start means (truth's order) to the lower-right centre
assert _d2[2] < _d2[1] < _d2[0]  # green nearest, then orange: green is nearest for most of the lower-right group
# "its weight, 0.13, is the average of the responsibilities at iteration 22": the M-step averaged the r at 22
_r22 = log_responsibilities(X64, ordered.history[22]).exp()  # (N, K): r at theta_22
assert torch.allclose(ordered.history[23].weights, _r22.mean(dim=0), atol=1e-9) and f"{ordered.history[23].weights[2]:.2f}" == "0.13"
assert "0.13" in fig.axes[2].get_title() and fig.axes[2].get_title().startswith("(c) iteration 23")  # the weight panel c shows
assert int((_r22[_lower_right].argmax(dim=1) == 2).sum()) == 54  # "when green owned only 54": the colours at 23 give 123
assert [a.get_title().split("\n")[2] for a in fig.axes[:len(drawn)]] == [  # each title says where its weights come from
    "(from the start)", "(from the r at iteration 5)", "(from the r at iteration 22)"]
assert all(torch.allclose(ordered.history[t].weights, log_responsibilities(X64, ordered.history[t - 1]).exp().mean(dim=0),
                          atol=1e-9) for t in drawn[1:])  # weights at t: the mean responsibilities at t - 1 (the lag, in b and c)
assert (ordered.history[0].variances == 1).all() and (ordered.history[0].weights == ordered.history[0].weights[0]).all()
assert inspect.signature(fit_em).parameters["tol"].default == 1e-6  # the default tolerance quoted
from gmm_helpers.em import em_loop  # "stops when an iteration changes the log-likelihood per point by less than 1e-6"

assert "abs(float(log_likelihoods[-1] - log_likelihoods[-2])) / count < tol" in inspect.getsource(em_loop)
assert fit.log_likelihoods.shape == (fit.n_iter + 1,) and abs(float(fit.log_likelihoods[-1] - fit.log_likelihoods[-2])) / N < 1e-6
assert all(abs(float(d)) / N >= 1e-6 for d in fit.log_likelihoods.diff()[:-1])  # it stopped at the first such iteration
assert inspect.signature(fit_em).parameters["reg_covar"].default == 1e-6  # fit_em adds 1e-6 to every variance
assert f"{per_point[-1] - log_likelihood(X, truth) / N:.3f}" == "0.007" and per_point[-1] > log_likelihood(X, single) / N + 0.5
assert f"{log_likelihood(X, single) / N:.2f}" == "-4.53"
# "The single Gaussian ... scores -4.529 per point: the mixture's 0.75 more ... about twice as high (e^0.75 ~ 2.1)"
_gain = per_point[-1] - log_likelihood(X, single) / N
assert f"{log_likelihood(X, single) / N:.3f}" == "-4.529" and f"{_gain:.2f}" == "0.75" and f"{math.exp(0.75):.1f}" == "2.1"
assert 1.9 < float(_gain.exp()) < 2.3  # "about twice"
assert [f"{v:.3f}" for v in estimate.weights] == ["0.491", "0.274", "0.236"]  # "its weights (0.491, 0.274, 0.236) track"
assert [f"{v:.3f}" for v in counts / N] == ["0.493", "0.270", "0.237"] and [f"{v:.2f}" for v in truth.weights] == ["0.50", "0.25", "0.25"]
assert (estimate.weights - counts / N).abs().max() < 0.004 < (estimate.weights - truth.weights).abs().max()  # near the shares, not the weights
assert f"{(estimate.weights - truth.weights).abs().max():.3f}" == "0.024"  # "up to 0.024 from the true weights"
assert nearest_means(fit.params.means, truth.means.double())[0] == 1  # label switching: EM's component 0 ends on true group 1


# %% components-their-ellipses
assert all(abs(inside[R] - (1 - math.exp(-R**2 / 2))) < 0.03 for R in (1, 2))  # 600 points: a share's standard error is at most about 2 percentage points; 3 allowed
assert [f"{f:.1%}" for f in inside_one] == ["26.2%", "91.5%"] and int((sq_radius_one <= 4).sum()) == 549  # the single Gaussian's 26.2% and 91.5% (549 of 600)
assert inside_one[0] < 1 - math.exp(-1 / 2) - 0.1 and inside_one[1] > 1 - math.exp(-2) + 0.03  # too few near the centre, too many in the ring


# %% mean-equation-derived
# the optional derivation's steps, at the truth on the running example (float64):
# d log N_nk / d mu_kd = (x_nd - mu_kd) / sigma^2_kd, and the chain's end sum_n r_nk (x_nd - mu_kd) / sigma^2_kd
_p = truth.to(torch.float64)
_X = X.double()
_means = _p.means.clone().requires_grad_(True)
(_grad,) = torch.autograd.grad(log_likelihood(_X, _p._replace(means=_means)), _means)
_r = log_responsibilities(_X, _p).exp()  # (N, K)
_x0 = _X[0]  # one point
_m = _p.means.clone().requires_grad_(True)
(_dlogN,) = torch.autograd.grad(torch.log(torch.exp(-((_x0 - _m) ** 2) / (2 * _p.variances)).prod(dim=1) / torch.sqrt(2 * torch.pi * _p.variances).prod(dim=1)).sum(), _m)
assert torch.allclose(_dlogN, (_x0 - _p.means) / _p.variances)  # only term d's square varies; the chain rule
assert torch.allclose(_grad, (_r[:, :, None] * (_X[:, None, :] - _p.means) / _p.variances).sum(dim=0))  # the chain's end


# %% teaser-notes
# the optional notes on the teaser: its colours, the stop rule, the rounding-sized last change, the inset
import inspect

from gmm_helpers import nearest_means
from gmm_helpers.em import em_loop  # the stop rule: the size of the change per point, below tol

assert "abs(float(log_likelihoods[-1] - log_likelihoods[-2])) / count < tol" in inspect.getsource(em_loop)
assert nearest_means(fit.params.means, truth.means.double())[0] == 1  # EM's own numbering differs from the truth's ...
assert nearest_means(ordered.params.means, truth.means.double()).tolist() == [0, 1, 2]  # ... the teaser's matches it
_perm = [int(((fit.params.means - m) ** 2).sum(dim=1).argmin()) for m in ordered.params.means]  # the final matching
assert sorted(_perm) == [0, 1, 2] and all(torch.equal(ordered.history[t].means, fit.history[t].means[_perm]) for t in drawn)
assert (fit.log_likelihoods.diff() > 0).all() and fit.log_likelihoods.dtype == torch.float64  # float64: it rises at every step
_last64 = float(fit.log_likelihoods[-1] - fit.log_likelihoods[-2]) / N  # the last rise: about 4e-7 per point
_tol = inspect.signature(fit_em).parameters["tol"].default
assert f"{_last64:.1e}" == "4.0e-07" and _last64 < _tol  # "4.0e-7 per point, below tol"
_truth_pp = log_likelihood(X64, truth.to(X64)) / N  # the dashed line: crossed between iterations 27 and 28
assert per_point[27] < _truth_pp < per_point[28] and (per_point[:28] < _truth_pp).all() and (per_point[28:] > _truth_pp).all()
assert f"{_truth_pp - per_point[27]:.4f}" == "0.0001"  # at 27 just below the line, by 0.0001 per point
_lo, _hi = _curve.get_ylim()  # the teaser's curve
assert _truth_pp - per_point[27] < (_hi - _lo) / 1000  # "too little to see in the figure": under 0.1% of the curve's height


# %% weight-volume-not-height
assert truth.weights[0] == 2 * truth.weights[2] and heights[0] <= heights[2]  # twice the weight, no taller
assert (f"{spreads[0]:.2f}", f"{spreads[2]:.2f}") == ("1.20", "0.59") and 1.9 < spreads[0] / spreads[2] < 2.1  # about twice
assert (f"{heights[0]:.4f}", f"{heights[2]:.4f}") == ("0.0663", "0.0673")
assert torch.allclose(heights, truth.weights * Independent(Normal(truth.means, truth.variances.sqrt()), 1).log_prob(truth.means).exp())
assert all(torch.allclose(a, b.double()) for a, b in zip(toy_with_component0(0.5), truth))  # the middle panel is the truth
_heights = lambda p: p.weights / (2 * torch.pi * p.variances.prod(dim=1).sqrt())
_others = {w: _heights(toy_with_component0(w))[1:] for w in (0.5, 0.8)}  # components 1 and 2
assert hills[0.8, 1.0][1] > hills[0.5, 1.0][1] and (_others[0.8] < _others[0.5]).all()  # 0 rises, 1 and 2 fall
assert all(abs(volume - weight) < 1e-3 for (weight, _), (volume, _) in hills.items())  # the volume is the weight
assert torch.equal(toy_with_component0(0.8).means, toy_with_component0(0.5).means)  # raising the weight: no hill moves
assert torch.equal(toy_with_component0(0.8).variances, toy_with_component0(0.5).variances)  # ... or widens
assert abs(hills[0.5, 4.0][1] - hills[0.5, 1.0][1] / 4) < 1e-9  # widening by 4: a quarter of the height
import numpy as np

from matplotlib.colors import LogNorm

from gmm_helpers.teach.widgets import WEIGHT_LEVELS

assert np.allclose(WEIGHT_LEVELS[2:] / WEIGHT_LEVELS[:-2], 4)  # each band twice the next: a quarter is two bands down
for _ax in axes:  # every panel: the same fixed levels on a log scale, the thin lines at the band edges
    _filled, _lines = _ax.collections[:2]
    assert isinstance(_filled.norm, LogNorm) and np.allclose(_filled.levels, WEIGHT_LEVELS) and np.allclose(_lines.levels, WEIGHT_LEVELS)
assert (WEIGHT_LEVELS < min(h for _, h in hills.values())).sum() >= 4  # even the low hill (0.017) shows rings
from matplotlib.patches import Ellipse  # "thick white lines are the 1σ ellipses": solid, like every 1σ ellipse here

for _ax in axes:
    _white = [p for p in _ax.patches if isinstance(p, Ellipse)]
    assert len(_white) == 3 and all(p.get_linestyle() == "solid" and p.get_edgecolor()[:3] == (1.0, 1.0, 1.0) for p in _white)
    assert min(p.get_linewidth() for p in _white) > 2 * max(_ax.collections[1].get_linewidths())  # thicker than the band edges
    assert min(p.get_zorder() for p in _white) > _ax.collections[1].get_zorder()  # drawn above them: one on a level stays thick white


# %% weight-explorer
_slider = [round(0.05 * i, 2) for i in range(1, 19)]  # the weight slider: 0.05 to 0.9 in steps of 0.05
import inspect

assert "value=0.5, min=0.05, max=0.9, step=0.05" in inspect.getsource(weight_explorer)  # (building one would draw a figure)
assert "base=2, min=-2, max=2, step=0.5" in inspect.getsource(weight_explorer)  # variances x 0.25 to x 4
from gmm_helpers.teach.widgets import draw_weight_effect

assert "variances ×{variance_scale:.3g}" in inspect.getsource(draw_weight_effect)  # steps of 2**0.5: "× 0.354 or × 0.707"
assert [f"{2.0**e:.3g}" for e in (-1.5, -0.5)] == ["0.354", "0.707"]
_all_heights = torch.stack([_heights(toy_with_component0(w, 2.0**e)) for w in _slider for e in np.arange(-2, 2.25, 0.5)])
assert _all_heights.min() >= 4 * WEIGHT_LEVELS[0] and _all_heights.max() < WEIGHT_LEVELS[-1]  # every hill visible, none saturates
_tallest = [w for w in _slider if int(_heights(toy_with_component0(w, 0.25)).argmax()) == 0]
assert _tallest[0] == 0.25 and all(w in _tallest for w in _slider if w >= 0.25)  # the answer: 0.25, and above
_h20 = _heights(toy_with_component0(0.20, 0.25))
assert (f"{_h20[0]:.3f}", f"{_h20[2]:.3f}") == ("0.106", "0.108") and _h20[2] == _h20.max()  # at 0.20: component 2 still tallest
_s = truth.variances.double().prod(dim=1).sqrt()  # (K,): sigma_k1 sigma_k2
assert (f"{_s[0] / 4:.2f}", f"{_s[2]:.3f}") == ("0.30", "0.592")
_w = float(_s[0] / 4 / (_s[0] / 4 + 2 * _s[2]))  # w / (0.30) = ((1 - w) / 2) / 0.592
_hw = _heights(toy_with_component0(_w, 0.25))
assert f"{_w:.3f}" == "0.202" and torch.isclose(_hw[0], _hw[2])


# %% checks
from gmm_helpers import GMMParams, nearest_means

_p = GMMParams(torch.ones(2) / 2, torch.zeros(2, 3), torch.ones(2, 3))  # the appendix's GMMParams note
assert _p._replace(variances=2 * _p.variances).variances[0, 0] == 2 and _p.variances[0, 0] == 1 and (_p.K, _p.D) == (2, 3)
assert [tuple(x.shape) for x in _p] == [(2,), (2, 3), (2, 3)] and torch.equal(_p.means, _p[1])  # weights, means, variances = p

# Exercise 0.1's solution: the point is farther from component 2 in its own units, yet component 2's density is higher
x_01 = torch.tensor([0.0, -1.5])
sq_01 = ((x_01 - truth.means) ** 2 / truth.variances).sum(dim=1)  # (K,)
assert f"{sq_01[0]:.2f}" == "6.28" and f"{sq_01[2]:.2f}" == "6.86"
density_01 = torch.exp(-sq_01 / 2) / (2 * torch.pi * truth.variances.prod(dim=1).sqrt())  # (K,)
assert density_01[2] > density_01[0]
_euclid_01 = (x_01 - truth.means).norm(dim=1)  # plain distances: nearer to component 2's mean (2.24 against 2.92)
assert [f"{d:.2f}" for d in _euclid_01[[2, 0]]] == ["2.24", "2.92"] and _euclid_01.argmin() == 2
assert log_responsibilities(x_01[None, :], truth).exp()[0].argmax() == 0  # ... yet component 0 wins
# matched_to: the pairing with the smallest total squared distance; EM's component 0 ends on the true 1
import itertools
best_pairing = min(itertools.permutations(range(3)), key=lambda p: float(((fit.params.means[list(p)] - truth.means) ** 2).sum()))
assert torch.equal(estimate.means, fit.params.means[list(best_pairing)]) and nearest_means(fit.params.means, truth.means.double())[0] == 1
# Exercise 0.2's solution: the weight pi_2 (pi_1 = 0.25, pi_0 = 0.75 - pi_2) at which components 0 and 2 tie at the point
_dens = Independent(Normal(truth.means.double(), truth.variances.double().sqrt()), 1).log_prob(x_01.double()).exp()  # (K,): N_k
_tie = float(0.75 * _dens[0] / (_dens[0] + _dens[2]))
assert f"{_tie:.3f}" == "0.297" and f"{0.75 - _tie:.3f}" == "0.453" and [f"{d:.5f}" for d in _dens[[2, 0]]] == ["0.00873", "0.00573"]
assert f"{_dens[2] / _dens[0]:.1f}" == "1.5" and abs((_tie / (0.75 - _tie)) - 2 / 3) < 0.02  # "about 1.5 times", "about two thirds"
def _winner(pi_2):  # the most responsible component for the point, with weights (0.75 - pi_2, 0.25, pi_2)
    return int(log_responsibilities(x_01[None, :].double(), truth.to(torch.float64)._replace(
        weights=torch.tensor([0.75 - pi_2, 0.25, pi_2], dtype=torch.float64))).exp()[0].argmax())
assert _winner(0.25) == 0 and _winner(0.30) == 2 and _winner(_tie - 1e-6) == 0 and _winner(_tie + 1e-6) == 2
_point = torch.tensor([0.0, -1.5])  # the solution's code, in float32 as written there: it gives 0.297 too
_densities = torch.stack([(torch.exp(-((_point - truth.means[k]) ** 2) / (2 * truth.variances[k]))
                          / torch.sqrt(2 * torch.pi * truth.variances[k])).prod() for k in range(3)])
assert f"{float(0.75 * _densities[0] / (_densities[0] + _densities[2])):.3f}" == "0.297"
# the failing check: 5 of 6 differ, the one that passes is a variance of 1
assert int((truth.variances == 1).sum()) == 1 and truth.variances.numel() == 6
try:
    check_close("x", truth.variances, truth.variances.sqrt())
    raise RuntimeError("check_close should have failed here")
except AssertionError as error:
    assert "5 of 6" in str(error)


# %% pytorch-idioms
from gmm_helpers import GMMParams

# the primer's t, v, mask and g (the main line has since reused the name v)
t = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
v = torch.tensor([10.0, 20.0, 30.0])
mask = t[:, 0] > 2
g = torch.Generator().manual_seed(0)
assert torch.stack([t, t]).shape == (2, 2, 3) and torch.cat([t, t]).shape == (4, 3) and t.sum().item() == 21.0
assert t.sum().dim() == 0 and t.sum().shape == ()
assert t.argmax(dim=1).tolist() == [1, 2] == t.max(dim=1).indices.tolist() and (t > 0).all().item()
assert torch.bincount(torch.tensor([0, 2, 2]), minlength=3).tolist() == [1, 0, 2] and t.numpy().shape == (2, 3)
assert (~mask).tolist() == [True, False] and ((t > 1) & (t < 5))[0].tolist() == [False, False, True]
assert t[torch.arange(2), torch.tensor([1, 2])].tolist() == [5.0, 6.0]
assert v.expand(2, -1).shape == (2, 3) and v.expand(2, -1).data_ptr() == v.data_ptr()  # no copy
assert t.to(torch.float64).dtype == torch.float64 and t.double().float().dtype == torch.float32
assert torch.randn(2, 3, generator=g).shape == (2, 3) and torch.empty(3, dtype=torch.int64).shape == (3,)
p = GMMParams(torch.ones(2) / 2, torch.zeros(2, 3), torch.ones(2, 3))
assert p.to(torch.float64).means.dtype == p.to(torch.float64).variances.dtype == torch.float64
assert torch.diag(v).diagonal().tolist() == [10.0, 20.0, 30.0] and torch.diag(v)[0, 1] == 0
assert (t @ t.T).shape == (2, 2) and torch.full((2,), 0.5).tolist() == [0.5, 0.5] and t.reshape(3, 2).shape == (3, 2)
assert torch.tensor([1.0, 4.0, 9.0]).diff().tolist() == [3.0, 5.0] and (t > 5).any() and torch.unique(torch.tensor([2, 0, 2])).tolist() == [0, 2]
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

_mix = MixtureSameFamily(Categorical(probs=p.weights), Independent(Normal(p.means, p.variances.sqrt()), 1))
assert _mix.log_prob(torch.zeros(600, 3)).shape == (600,) and _mix.sample((5,)).shape == (5, 3)  # torch.distributions
