# Story checks of notebooks/05_posteriors.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% bayes-picture
grid_1d = torch.linspace(-11, 5, 1601, dtype=torch.float64)[:, None]  # the figure's range
share_0 = log_responsibilities(grid_1d, EXERCISE_1D).exp()[:, 0]
flips = ((share_0[1:] > 0.5) != (share_0[:-1] > 0.5)).nonzero()[:, 0]
assert len(flips) == 2  # component 0's share crosses 1/2 twice, no more
assert grid_1d[flips[0], 0] < -1 < grid_1d[flips[1], 0] < 2  # once far left, once between the means
assert share_0[0] < 1e-3 and share_0[-1] < 1e-3  # component 1 wins far out on both sides
assert EXERCISE_1D.variances[:, 0].tolist() == [0.5, 1.0]  # component 1 the wider
assert EXERCISE_1D.weights.tolist() == [0.3, 0.7] and EXERCISE_1D.means[:, 0].tolist() == [-1.0, 2.0]  # as the text gives them
xlim_1d = fig.axes[1].get_xlim()
assert xlim_1d[0] < grid_1d[flips[0], 0] and grid_1d[flips[1], 0] < xlim_1d[1]  # the figure shows both crossings
_marks = [line.get_xdata()[0] for line in fig.axes[1].lines if line.get_marker() == "D"]  # the diamonds
assert len(_marks) == 2 and all(abs(m - grid_1d[i, 0].item()) < 0.02 for m, i in zip(_marks, flips))  # mark both crossings
assert weighted_log_pdfs(grid_1d[flips[0]][None], EXERCISE_1D).exp().max() < 1e-5  # bells too small to see there
assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["component 0: $r_0(x)$", "component 1: $r_1(x)$"]  # maths from 0, as the code
# the dots at x = 0, as the text quotes them: 0.062 (blue), 0.038 (orange), 0.100 (black); the share 0.062 / 0.100 = 0.62
_dots = [[f"{l.get_ydata()[0]:.3f}" for l in ax.lines if l.get_marker() == "o"] for ax in fig.axes[:2]]
assert _dots == [["0.062", "0.038", "0.100"], ["0.622", "0.378"]] and f"{0.062 / 0.100:.2f}" == "0.62"
_joint_0 = weighted_log_pdfs(torch.zeros(1, 1, dtype=torch.float64), EXERCISE_1D).exp()[0]  # the weighted bells at x = 0
assert [f"{v:.3f}" for v in _joint_0.tolist() + [_joint_0.sum().item()]] == ["0.062", "0.038", "0.100"]


# %% naive-version-probability-space
assert (f"{resp_naive[3, 1]:.2f}", f"{resp_naive[3, 2]:.2f}") == ("0.42", "0.56")  # the fourth point, shared
assert torch.tensor(-104.0).exp() == 0 < torch.tensor(-103.5).exp()  # float32: e^a is 0 below about -104
# the far point (60, 60), shown where the text claims it: every log-joint below -104, joints 0, naive 0/0 = NaN
assert (weights.log() + component_log_pdfs(far, truth) < -104).all() and joint_far.dtype == torch.float32
assert (joint_far == 0).all() and (joint_far / joint_far.sum(dim=1, keepdim=True)).isnan().all()


# %% log-sum-exp-trick
assert naive.item() == -math.inf and f"{trick.item():.3f}" == f"{torch.logsumexp(a, dim=0).item():.3f}" == "-999.592"
assert f"{1 + math.exp(-1) + math.exp(-2):.4f}" == "1.5032" and f"{-1000 - trick.item():.3f}" == "-0.408"
assert [f"{r:.3f}" for r in resp_a] == [f"{r:.3f}" for r in torch.softmax(a, dim=0)] == ["0.665", "0.245", "0.090"]


# %% log-sum-exp-trick-2
assert torch.allclose(log_resp_inline.exp(), resp_naive, atol=1e-6)  # "on these points it works": naive = inline
assert torch.allclose(log_resp_inline.exp(), torch.softmax(log_joint, dim=1), atol=1e-6)  # responsibilities = softmax of the log-joints
assert torch.allclose(log_joint, weighted_log_pdfs(X, truth))  # weighted_log_pdfs: the table of log-joints
assert round(torch.logsumexp(weighted_log_pdfs(far, truth), dim=1).item()) == -3338
assert [round(v) for v in log_resp_far[1:].tolist()] == [-1152, -3927] and log_resp_far.argmax() == 0
assert (log_resp_far[1:].exp() == 0).all()  # as probabilities, exactly 0
_a_far = weighted_log_pdfs(far, truth)  # (1, K): the far point's log-joints
assert torch.softmax(_a_far, dim=1).log()[0, 1:].isneginf().all()  # "never softmax().log()": its zeros' logs are -inf
assert torch.log_softmax(_a_far, dim=1).isfinite().all() and torch.allclose(torch.log_softmax(_a_far, dim=1)[0], log_resp_far)  # safe
assert [f"{r:.3f}" for r in log_resp_far.exp()] == ["1.000", "0.000", "0.000"]  # responsibilities (1, 0, 0)
# the far point (60, 60): ordinary log-joints, all far below -104, so every joint is 0 and the division 0/0 = NaN
assert [f"{a:.1f}" for a in log_joint_far[0]] == ["-3337.8", "-4490.1", "-7265.1"] and (log_joint_far < -104).all()
assert torch.allclose(log_joint_far, weights.log() + component_log_pdfs(far, truth)) and joint_far.dtype == torch.float32
assert (joint_far == 0).all() and (joint_far / joint_far.sum(dim=1, keepdim=True)).isnan().all()
# float64 fails here too: e^a is 0 below about -745, and every log-joint is far below it, so the cure is logs
assert torch.tensor(-745.5, dtype=torch.float64).exp() == 0 < torch.tensor(-745.0, dtype=torch.float64).exp()
_joint_far64 = (weights.double().log() + component_log_pdfs(far.double(), truth.to(torch.float64))).exp()
assert (log_joint_far < -745).all() and (_joint_far64 == 0).all() and (_joint_far64 / _joint_far64.sum()).isnan().all()
_r_far = torch.softmax(_a_far, dim=1)  # the far point's r, formed: its small shares are exactly 0
assert torch.allclose(log_resp_far.exp(), _r_far[0])  # ".exp() gives r"


# %% e-step-inside-em
from gmm_helpers import fit_em  # 07's loop: only to check the numbering the text claims
X64 = X.double()  # the same points in float64, from which 02, 06 and 07 draw the poor start (the figure cell's comments)
_start64 = init_random_points(X64, K, generator=torch.Generator().manual_seed(0))  # the series' poor start, float64
assert start.means.dtype == torch.float32 and torch.equal(start.means, _start64.matched_to(truth).means.float())
# "three random data points as means, variances 1, weights 1/3"
assert all((X == m).all(dim=1).any() for m in start.means) and (start.variances == 1).all() and torch.allclose(start.weights, torch.full((K,), 1 / K))
# "the colours are hindsight: each start component wears the colour of the group it ends on after EM":
# matched_to(truth) at the start = the final fit's matched_to order
_fit = fit_em(X64, _start64)
assert _start64.matching_order(truth) == _fit.params.matching_order(truth) and len(_fit.history) - 1 == 32
# float32 and float64 give the same owners at the start (the conventions' 38/104 are float64's)
assert torch.equal(owner_start, log_responsibilities(X64, _start64.matched_to(truth)).argmax(dim=1))
# green's mean sits in the big left group; it owns 210 of its 296 points; the lower-right group: 104 green, 38 orange
assert int(torch.cdist(start.means[2:3].double(), truth.means.double()).argmin()) == 0 and (labels == 0).sum() == 296
assert torch.bincount(owner_start[labels == 0], minlength=K).tolist() == [85, 1, 210]
assert (labels == 2).sum() == 142 and torch.bincount(owner_start[labels == 2], minlength=K).tolist() == [0, 38, 104]
assert (owner_start != owner_truth).sum() == 249 and N == 600  # "249 of the 600 points have another owner"
assert torch.equal(owner_truth, resp_naive.argmax(dim=1))  # the truth's owners, as computed earlier in the notebook
# "green's lie in two groups, so its mean lands between them. Orange then wins most of the lower-right group; green takes
# it over at iteration 23 (54 at iteration 22, 123 at 23)" (07 section 4): green's count of the group's points
_hist = [h.permuted(_start64.matching_order(truth)) for h in _fit.history]  # theta_t in the colours' order
_lo, _hi = torch.minimum(truth.means[0], truth.means[2]).double(), torch.maximum(truth.means[0], truth.means[2]).double()
assert ((_lo < _hist[1].means[2]) & (_hist[1].means[2] < _hi)).all()  # after the first M-step: between big left and lower right
_green_lr = [int((log_responsibilities(X64, _hist[t]).argmax(dim=1)[labels == 2] == 2).sum()) for t in (0, 1, 22, 23)]
assert _green_lr == [104, 76, 54, 123]  # the conventions' owners: the takeover at iteration 23
_orange_22 = int((log_responsibilities(X64, _hist[22]).argmax(dim=1)[labels == 2] == 1).sum())
assert _orange_22 == 88 and _orange_22 > 142 / 2 and 54 + 88 == 142  # "orange then wins most of the lower-right group"
# the figure: two panels, start left, truth right, points coloured by owner, the key says so
assert [ax.get_title() for ax in fig.axes[:2]] == ["at the poor start (iteration 0)", "at the truth"]
assert fig.legends[0].get_title().get_text() == "colour: the most responsible component;  ellipse line width: its weight (all equal at the start)"
assert [t.get_text() for t in fig.legends[0].get_texts()][:K] == [f"component {k}" for k in range(K)]
# "ellipses: inner 1σ, outer 2σ": per component the larger (2σ) ellipse is drawn fainter than the smaller (1σ)
assert "ellipses: inner 1σ, outer 2σ" in [t.get_text() for t in fig.legends[0].get_texts()]
for _ax in fig.axes[:2]:
    _ells = sorted(_ax.patches, key=lambda e: (tuple(e.center), e.width))  # per centre: 1σ then 2σ
    assert len(_ells) == 2 * K and all(tuple(_ells[i].center) == tuple(_ells[i + 1].center) and _ells[i + 1].width > _ells[i].width
                                       and _ells[i + 1].get_alpha() < _ells[i].get_alpha() for i in range(0, 2 * K, 2))
assert [[len(c.get_offsets()) for c in ax.collections] for ax in fig.axes[:2]] == [[85, 200, 315], [295, 163, 142]]  # points per owner


# %% pictures-responsibilities
assert shared == [9, 265]

ring = resp_right.max(dim=1).values < 0.9  # the ringed points (left panel)
shares_ringed = sorted(f"{v:.2f}" for v in resp_right.max(dim=1).values[ring].tolist())
assert [len(c.get_offsets()) for ax in fig.axes[:2] for c in ax.collections if c.get_gid() == "ring"] == [9]  # ringed: left panel only
# "each point in its most responsible component's colour, paler the more it is shared": edge = owner, fill lighter as share falls
import numpy as _np
from matplotlib.colors import to_rgb as _to_rgb
from gmm_helpers.teach.style import component_colour as _cc
for _ax, _r in zip(fig.axes[:2], (resp_right, resp_close)):
    (_pts,) = [c for c in _ax.collections if c.get_gid() == "points"]
    _largest, _owner = _r.max(dim=1)
    assert _np.allclose(_pts.get_edgecolors()[:, :3], [_to_rgb(_cc(int(k))) for k in _owner])  # the owner's colour
    _light = _pts.get_facecolors()[:, :3].sum(axis=1)  # brighter = paler, per point
    _owned, _shared = (_largest > 0.99).numpy(), (_largest < 0.6).numpy()
    assert _owned.any() and (_largest < 0.6).any() and _light[_shared].min() > _light[_owned].max()  # shared: paler than owned
assert "pale: shared half and half" in [t.get_text() for t in fig.legends[0].get_texts()]
_half = owner_colours(torch.tensor([[0.5, 0.5, 0.0]]))[0][0]  # a half-and-half point's fill
_strength = float((1 - _half[0]) / (1 - _to_rgb(_cc(0))[0]))  # how much of its owner's colour it keeps
assert abs((1 - _strength * (1 - 0.3)) - 0.75) < 0.01  # the pale swatch, grey 0.75: grey 0.3 at that strength
assert "ellipses: inner 1σ, outer 2σ" in [t.get_text() for t in fig.legends[0].get_texts()]
# "218 of them shared by two (third share under 0.1): a pale point is shared with the colour it borders"
_s, _order = resp_close.sort(dim=1, descending=True)
_two = (_s[:, 0] < 0.9) & (_s[:, 2] < 0.1)
assert _two.sum() == 218
_d = torch.cdist(X_close, X_close)
_d[_order[:, :1] == _order[:, 0][None, :]] = float("inf")  # distances to points with another owner
assert (_order[:, 0][_d.argmin(dim=1)] == _order[:, 1])[_two].double().mean() > 0.9  # its sharer owns its nearest other-coloured neighbour
assert fig.axes[0].get_xlim() != fig.axes[1].get_xlim()  # own axes: the right panel is X_close, on tighter axes
assert [_np.allclose(c.get_offsets(), d.numpy()) for ax, d in zip(fig.axes[:2], (X, X_close)) for c in ax.collections if c.get_gid() == "points"] == [True, True]
assert fig.axes[1].get_xlim()[1] - fig.axes[1].get_xlim()[0] < fig.axes[0].get_xlim()[1] - fig.axes[0].get_xlim()[0]  # 'on tighter axes': narrower x
assert fig.axes[1].get_ylim()[1] - fig.axes[1].get_ylim()[0] < fig.axes[0].get_ylim()[1] - fig.axes[0].get_ylim()[0]  # and narrower y
assert "ringed (left): no component above 90%" in [t.get_text() for t in fig.legends[0].get_texts()]  # the key says so
assert shares_ringed[0] == "0.50" and shares_ringed[-1] == "0.88" and sum(v < "0.75" for v in shares_ringed) == 4


# %% probe-point
assert torch.allclose(c_k, D * math.log(2 * math.pi) + variances.log().sum(dim=1))  # c_k: 04's constant
assert [f"{v:.2f}" for v in resp_probes["A"]] == ["0.43", "0.45", "0.13"]
assert resp_probes["B"][1] > 0.99 and resp_probes["C"][0] > 0.99  # B: component 1; C: component 0
assert sorted(resp_probes) == ["A", "B", "C", "E"] and D == X.shape[1] == 2  # "(no D: D is the dimension)"
assert int(resp_probes["E"].argmax()) == 2 and resp_probes["E"][2] > 0.99  # E, 6 below C: component 2
# "with equal weights and one variance sigma^2 everywhere the nearest mean would own each point, k-means' rule,
# and as sigma -> 0 the shares harden to 0 and 1"
_hard = []
for _s2 in (1.0, 0.01, 0.001):  # equal weights, one variance everywhere: the offsets tie
    _r = log_responsibilities(X, GMMParams(torch.full((K,), 1 / K), means, torch.full_like(variances, _s2))).exp()
    assert torch.equal(_r.argmax(dim=1), torch.cdist(X, means).argmin(dim=1))  # most responsible = nearest mean
    _hard.append((_r.max(dim=1).values > 0.99).double().mean().item())
assert _hard[0] < _hard[1] < _hard[2] == 1.0  # harder and harder: at sigma^2 = 0.001 every point's largest share is above 0.99
assert variances.unique().numel() > 1  # "our variances are not equal"

sq_maha_probe = delta2_probes
assert distance_probes["C"].argmin() == 1 and distance_probes["E"].argmin() == 2  # nearest mean: C component 1, E component 2
assert distance_probes["C"][2] < distance_probes["C"][0]  # C: components 1 and 2 both have nearer means than component 0
assert delta2_probes["A"].max() - delta2_probes["A"].min() < 4  # A's three delta^2 are close: shared
assert resp_probes["A"].min() > 0.1  # A: shared three ways
assert sq_maha_probe["C"].argmin() == 0 and sq_maha_probe["E"].argmin() == 2  # each goes to the nearest in its own units
assert [f"{sq_maha_probe[p][k]:.1f}" for p, k in (("C", 0), ("C", 2), ("E", 2), ("E", 0))] == ["156.2", "201.9", "150.4", "171.2"]
terms_probe = {p: diff_probes[p] ** 2 / variances for p in "CE"}  # (K, D): the two terms of delta^2
assert [f"{terms_probe['C'][k, d]:.1f}" for k, d in ((2, 0), (0, 0), (2, 1), (0, 1))] == ["144.0", "151.2", "57.9", "5.0"]
assert [f"{terms_probe['E'][k, 1]:.1f}" for k in (2, 0)] == ["6.4", "20.0"] and torch.equal(terms_probe["E"][:, 0], terms_probe["C"][:, 0])
assert abs(diff_probes["E"][2, 1]) < abs(diff_probes["E"][0, 1])  # E: nearer component 2's mean along x1
# C and component 1: nearest mean in plain distance, worst in delta^2, because its x0 variance is only 0.5
assert int(delta2_probes["C"].argmax()) == 1 and f"{delta2_probes['C'][1]:.1f}" == "264.7" and variances[1, 0].item() == 0.5
assert diff_probes["C"][1, 0].item() == 11.5 and f"{terms_probe['C'][1, 0]:.1f}" == f"{11.5**2 / 0.5:.1f}" == "264.5"
assert [f"{o:.2f}" for o in offset] == ["-2.71", "-3.05", "-2.70"]  # printed with the table; they differ by 0.35 at most
assert all(sq_maha_probe[p].sort().values[:2].diff().item() / 2 > 25 * (offset.max() - offset.min()) for p in "CE")  # the offsets can't reverse it
assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["decision boundary", "component: mean, 1σ ellipse"]  # no 90% band
assert [len([a for a in group if a.get_gid() == "component"]) for group in (fig.axes[0].patches, fig.axes[0].lines)] == [K, K]  # means, ellipses
assert [t.get_text() for t in fig.legends[0].get_texts()] == [f"component {k}" for k in range(K)]  # the map's own colour key
assert all(ls[1] is None for c in fig.axes[0].collections for ls in c.get_linestyle())  # only solid lines left on the map
assert len(fig.axes[1].texts) == 4 * 3 - 6 and "0.00" not in [t.get_text() for t in fig.axes[1].texts]  # 6 shares below 0.005: unlabelled
assert [int(delta2_probes[p].argmin()) for p in "BCE"] == [int(resp_probes[p].argmax()) for p in "BCE"] == [1, 0, 2]  # "where their delta^2 said"
assert fig.legends[0].get_title().get_text() == ("map: the components' colours, blended by responsibility\n"  # as the map key says
                                                 "(at ±20 the blends are too thin to see)")
# A's label sits clear of every component's mean marker (below right of A it covered component 2's)
_label_A = next(t for t in fig.axes[0].texts if t.get_text() == "A").get_window_extent()  # display units, as drawn
_mean_marks = [m.get_window_extent() for m in fig.axes[0].lines if m.get_gid() == "component"]  # each mean's X marker
assert len(_mean_marks) == K and not any(_label_A.overlaps(m) for m in _mean_marks)
assert all(not t.get_window_extent().overlaps(m) for t in fig.axes[0].texts for m in _mean_marks)  # nor any other label
# the worked point A: a_k = offset - delta^2 / 2, softmaxed to the bars
assert [f"{v:.2f}" for v in offset] == ["-2.71", "-3.05", "-2.70"] and f"{offset.max() - offset.min():.2f}" == "0.35"  # log pi_k - c_k / 2
assert [f"{v:.2f}" for v in a_A] == ["-7.31", "-7.26", "-8.54"] and torch.allclose(a_A, weighted_log_pdfs(torch.tensor([probes["A"]]), truth)[0])
assert [f"{v:.2f}" for v in torch.softmax(a_A, dim=0)] == [f"{v:.2f}" for v in resp_probes["A"]]
# "the offsets nearly cancel component 1's lead in delta^2": 0.39 in half delta^2, 0.05 left in a_k
lead_delta = ((delta2_probes["A"][0] - delta2_probes["A"][1]) / 2).item()
assert lead_delta > 0 and offset[0] > offset[1] and 0 < (a_A[1] - a_A[0]).item() < 0.2 * lead_delta
assert int(delta2_probes["A"].argmin()) == 1 and [f"{d / 2:.2f}" for d in delta2_probes["A"][:2]] == ["4.60", "4.21"]  # half delta^2
assert [f"{o:.2f}" for o in offset[:2]] == ["-2.71", "-3.05"] and offset[1] < offset[0]  # component 1's offset the lower


# %% weights-belong-e-step
assert changed == 1


# %% where-weights-matter-near
assert fig.axes[1].get_xlim() == fig.axes[0].get_xlim() == (-0.5, 3.5)  # both panels: A +- 2 along x0
from matplotlib.colors import to_hex
_contours = [c for c in fig.axes[0].collections if type(c).__name__ == "QuadContourSet"]
_styles = {(c.get_linestyle()[0][1] is not None, to_hex(c.get_edgecolor()[0])) for c in _contours}
assert _styles == {(False, "#000000"), (True, "#b000b5")}  # "solid black with the weights, dashed magenta without"
assert (f"{crossing['with']:.2f}", f"{crossing['without']:.2f}") == ("1.49", "1.33")
_fine = torch.linspace(-7, 7, 1400001, dtype=torch.float64)  # steps of 1e-5
_fine_line = torch.stack([_fine, torch.full_like(_fine, -0.5)], dim=1)
_fine_cross = [_fine[int((log_responsibilities(_fine_line, m.to(torch.float64)).argmax(dim=1) != 0).nonzero()[0])].item() for m in (truth, equal)]
assert [f"{v:.3f}" for v in _fine_cross] == ["1.487", "1.328"]  # the boundaries: the printed 1.49 and 1.33 are them to 2 decimals
assert all(0 < c - f < 0.01 for c, f in zip((crossing["with"], crossing["without"]), _fine_cross))  # the grid step just past each
moved_12 = [log_responsibilities(line, p).exp()[:, 1:].argmax(dim=1) for p in (truth, equal)]
assert torch.equal(*moved_12)  # components 1 and 2 alone: the same winner everywhere on the line, with or without the weights
# ... but on the map the visible 1-2 boundary reaches further left without the weights, to where the moved boundaries meet it
_g0, _g1 = torch.linspace(-0.5, 3.5, 401), torch.linspace(-2.5, 1.5, 401)  # the left panel's window, steps of 0.01
_grid = torch.stack(torch.meshgrid(_g0, _g1, indexing="xy"), -1).reshape(-1, 2)  # row i: x1 = _g1[i]
_left_end = {}
for _name, _p in (("with", truth), ("without", equal)):
    _lr = log_responsibilities(_grid, _p).reshape(401, 401, K)
    _owner, _w1 = _lr.argmax(-1), _lr[..., 1] > _lr[..., 2]
    _seen = (_w1[1:] != _w1[:-1]) & (_owner[1:] != 0) & (_owner[:-1] != 0)  # the 1-2 curve where it is a decision boundary
    _left_end[_name] = _g0[_seen.nonzero()[:, 1].min()].item()
assert _left_end["without"] < _left_end["with"] - 0.1  # about 1.38 against 1.55
a_probe = log_responsibilities(torch.tensor([[1.5, -0.5]]), truth).exp()[0]
assert a_probe.argmax() == 1 and 0 < 1.5 - crossing["with"] < 0.02  # A: just inside component 1's region
assert [f"{v:.2f}" for v in a_probe[:2]] == ["0.43", "0.45"]  # component 1's side: 0.45 against 0.43
assert [f"{v:.2f}" for v in log_responsibilities(torch.tensor([[1.5, -0.5]]), equal).exp()[0]] == ["0.27", "0.57", "0.16"]  # A without
# the answer to "Try it": the boundary moves left, away from A (x0 = 1.5); A's bars go from (0.43, 0.45, 0.13) to
# (0.27, 0.57, 0.16), component 1's growing most; the widget can show it (probe steps of 0.25, a map of +-3)
_a_without = log_responsibilities(torch.tensor([[1.5, -0.5]]), equal).exp()[0]
assert crossing["without"] < crossing["with"] < 1.5 and [f"{v:.2f}" for v in a_probe] == ["0.43", "0.45", "0.13"]
assert int((_a_without - a_probe).argmax()) == 1 and (_a_without - a_probe)[1] > 0.1
from gmm_helpers.teach.widgets import PROBE_ZOOM
assert PROBE_ZOOM == 3.0 and 1.5 % 0.25 == 0 and -0.5 % 0.25 == 0


# %% where-weights-matter-near-2
from gmm_helpers import m_step  # 06's M-step: the notebook imports it only in its optional section
# with the weights the average responsibility is close to pi_k (E[r_nk] = pi_k under the model)
assert [f"{r:.3f}" for r in resp_close.mean(dim=0)] == ["0.484", "0.270", "0.246"] and weights.tolist() == [0.5, 0.25, 0.25]
assert (resp_close.mean(dim=0) - weights).abs().max() < 0.025  # one sample of 600: within 0.02
assert len(X_many) == 200_000 and (resp_many.mean(dim=0) - weights).abs().max() < 0.0015  # 200,000 points: within about 0.001
assert [f"{r:.3f}" for r in resp_many.mean(dim=0)] == ["0.500", "0.249", "0.251"]  # printed: each within 0.001 of pi_k
assert torch.allclose(resp_many.sum(dim=1), torch.ones(len(X_many)))  # rows sum to one, so the averages do too
assert [f"{log_responsibilities(X_close, truth_close).exp().mean(dim=0)[0]:.3f}", f"{resp_without_weights(X_close, truth_close).mean(dim=0)[0]:.3f}"] == ["0.484", "0.433"]
assert f"{m_step(X_close, resp_close).weights[0]:.3f}" == "0.484"  # correct EM's first step from the truth (quoted in the optional part)

assert changed == 22 and f"{(labels_close == 0).double().mean():.3f}" == "0.493"
# "three rows: the share of the points each drew and the average responsibility vary from sample to sample;
# the weights pi_k are what both average to": on this sample they differ from pi_k and from each other
_drawn = torch.bincount(labels_close, minlength=K).double() / N_close
assert (_drawn - weights.double()).abs().max() > 0.005 and (resp_close.mean(dim=0) - weights).abs().max() > 0.005  # both off pi_k on this sample
assert [f"{v:.3f}" for v in _drawn] == ["0.493", "0.270", "0.237"] and not torch.allclose(_drawn, resp_close.mean(dim=0).double(), atol=5e-3)
_, _labels_many = sample_gmm(truth_close, 200_000, generator=torch.Generator().manual_seed(1))  # X_many's own labels
assert (torch.bincount(_labels_many, minlength=K).double() / 200_000 - weights.double()).abs().max() < 0.003  # shares drawn -> pi_k too


# %% exercise-5-1
# the solution's hand-worked steps, at the figures it quotes
_pdf = lambda x, mean, var: math.exp(-((x - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)
assert (f"{_pdf(0.5, -1.0, 0.5):.5f}", f"{_pdf(0.5, 2.0, 1.0):.4f}") == ("0.05947", "0.1295")
assert (f"{0.3 * 0.05947:.5f}", f"{0.7 * 0.1295:.5f}") == ("0.01784", "0.09065")
assert f"{0.01784 / (0.01784 + 0.09065):.4f}" == "0.1644"
_exact = log_responsibilities(torch.tensor([[0.5]], dtype=torch.float64), EXERCISE_1D).exp()[0, 0].item()
assert f"{_exact:.5f}" == "0.16442"
assert f"{0.05947:.3g}" == "0.0595"  # one step rounded to three figures
_early = 0.3 * 0.0595 / (0.3 * 0.0595 + 0.7 * 0.1295)  # 0.0595 in place of 0.05947, the other step as quoted
assert f"{_early:.5f}" == "0.16452" and f"{_early:.3g}" == "0.165" and abs(0.165 - _exact) > 0.0005  # rounds outside
assert abs(_early - _exact) <= 0.0005  # unrounded it would still pass: the fault is the 3-figure density
# "Both at three figures, 0.0595 and 0.130, give 0.1640, inside"
assert (f"{_pdf(0.5, -1.0, 0.5):.3g}", f"{_pdf(0.5, 2.0, 1.0):.3f}") == ("0.0595", "0.130")
_both3 = 0.3 * 0.0595 / (0.3 * 0.0595 + 0.7 * 0.130)
assert f"{_both3:.4f}" == "0.1640" and abs(float(f"{_both3:.3g}") - _exact) <= 0.0005

# %% optional-crossings
assert [f"{x:.2f}" for x in crossings] == ["-8.12", "0.12"]  # printed
roots_w = torch.tensor(crossings, dtype=torch.float64)[:, None]
assert torch.allclose(log_responsibilities(roots_w, EXERCISE_1D).exp()[:, 0], torch.tensor(0.5, dtype=torch.float64))  # shares 1/2 there
# the quadratic alpha x^2 + beta x + gamma of the derivation: alpha = 1/2 - 1, beta = -1/0.5 - 2/1, gamma = 0.499
assert [f"{x:g}" for x in (w0, w1, m0, m1, v0, v1)] == ["0.3", "0.7", "-1", "2", "0.5", "1"]  # the numbers plugged in (v_k: variances)
assert (alpha, beta) == (-0.5, -4.0) and alpha < 0 and v1 > v0  # alpha < 0: component 1 the wider
# "at x = 0 it is gamma > 0 (component 0 wins there), so it crosses zero once on each side: exactly twice"
_a01_at_0 = weighted_log_pdfs(torch.zeros(1, 1, dtype=torch.float64), EXERCISE_1D)[0]
assert gamma > 0 and abs((_a01_at_0[0] - _a01_at_0[1]).item() - gamma) < 1e-12 and crossings[0] < 0 < crossings[1]
assert f"{gamma:.3f}" == "0.499" and f"{0.5 * math.log(2):.4f}" == "0.3466" and f"{math.log(3 / 7):.4f}" == "-0.8473"  # gamma worked by hand
assert m1**2 / (2 * v1) == 2 and m0**2 / (2 * v0) == 1  # gamma's mu^2 / (2 sigma^2) terms, as written
assert f"{2 - 1 + 0.3466 - 0.8473:.3f}" == "0.499" and abs(gamma - (1 + 0.5 * math.log(2) + math.log(3 / 7))) < 1e-12
assert all(abs(alpha * x**2 + beta * x + gamma) < 1e-9 for x in crossings)  # the printed crossings are its roots


# %% optional-how-far
assert torch.tensor(-104.0).exp() == 0 < torch.tensor(-103.5).exp()  # float32: e^a is 0 below about -104
assert [f"{c:.2f}" for c in c_k] == ["4.04", "3.32", "2.63"]  # c_k 2.63 to 4.04
assert f"{-150 * math.log(2):.2f}" == "-103.97" and torch.tensor(-103.96).exp() > 0  # the threshold: log of half of 2^-149
assert torch.allclose(bound, 300 * math.log(2) - c_k + 2 * weights.log()) and f"{300 * math.log(2):.2f}" == "207.94" and all(f"{d:.1f}" == "14.2" for d in bound.sqrt())  # delta = 14.2 for every k
log_joint_there = weights.log() + component_log_pdfs(means + bound[:, None].sqrt() * variances.sqrt() * torch.tensor([1.0, 0.0]), truth).diagonal()
assert torch.allclose(log_joint_there, torch.tensor(-150 * math.log(2)))  # log pi_k - (c_k + delta^2) / 2 = -103.97 at delta^2 = 207.94 - c_k + 2 log pi_k
# "the cell checks each component at 14.1 and 14.3": the joints pi_k N (the cell's entries) positive at 14.1, all 0 at 14.3
assert delta == 14.3 and (joint_out == 0).all() and joint_out.dtype == torch.float32
_joint_141 = weights * component_log_pdfs(means + 14.1 * variances.sqrt() * torch.tensor([1.0, 0.0]), truth).diagonal().exp()
assert (_joint_141 > 0).all()
# "the tiny joints are float32's smallest numbers, multiples of 1.4e-45" (2^-149, the smallest subnormal)
_tiny = 2.0**-149
assert f"{_tiny:.1e}" == "1.4e-45" and torch.tensor(_tiny).item() == _tiny  # representable in float32
assert [round(j.item() / _tiny, 6) for j in _joint_141] == [3.0, 2.0, 3.0]  # 4.2e-45 2.8e-45 4.2e-45 as printed
assert [f"{j:.1e}" for j in _joint_141] == ["4.2e-45", "2.8e-45", "4.2e-45"]


# %% optional-bug-run-convergence
estimate_close = fit_close.params
assert iteration < 999 and fit_close.converged and buggy.weights[0] < 0.433  # the bug drifts past its first step's 0.433
assert (f"{buggy.weights[0]:.3f}", f"{estimate_close.weights[0]:.3f}") == ("0.362", "0.407")
# the trade with the shapes: correct EM makes component 0 lighter and narrower along x0 (1.26 against the truth's 1.8)
assert (f"{estimate_close.variances[0, 0]:.2f}", f"{truth_close64.variances[0, 0]:.1f}") == ("1.26", "1.8")  # as c78 prints them
assert estimate_close.weights[0] < truth_close64.weights[0] and estimate_close.variances[0, 0] < truth_close64.variances[0, 0]
# the code comment: the bug's loop can lower the log-likelihood, and here it even falls
_b, _lls = truth_close64, []
for _ in range(iteration + 1):
    _b = m_step(X_close64, resp_without_weights(X_close64, _b))
    _lls.append(log_likelihood(X_close64, _b).item())
assert torch.allclose(_b.means, buggy.means) and min(b - a for a, b in zip(_lls, _lls[1:])) < 0  # it falls at some step
# its path, as printed and quoted: -3.4685 at the truth, up to -3.4577 (iteration 3), down to -3.4589
assert torch.allclose(torch.stack(path[1:]), torch.tensor(_lls, dtype=torch.float64) / N_close) and len(path) == iteration + 2
assert (f"{path[0]:.4f}", f"{max(path):.4f}", f"{path[-1]:.4f}", peak) == ("-3.4685", "-3.4577", "-3.4589", 3)
assert all(b > a for a, b in zip(path[:peak], path[1:peak + 1])) and all(b < a for a, b in zip(path[peak:-1], path[peak + 1:]))  # rises, then only falls
# its stop on the means leaves the weights settled: 200 more steps move them by less than 1e-5
_more = buggy
for _ in range(200):
    _more = m_step(X_close64, resp_without_weights(X_close64, _more))
assert (_more.weights - buggy.weights).abs().max() < 1e-5
# both started at the truth and kept its order of components (so no matching is needed): each mean is nearest its own
assert all(torch.equal(torch.cdist(p.means, truth_close64.means).argmin(dim=1), torch.arange(K)) for p in (buggy, estimate_close))
# the truth (big weight 0.5) scores only 0.013 per point below correct EM's fit (0.407)
ll_truth = (log_likelihood(X_close64, truth_close64) / N_close).item()
assert f"{fit_close.log_likelihoods[-1] / N_close - ll_truth:.3f}" == "0.013"
assert f"{truth_close64.weights[0]:.1f}" == "0.5"
# the reference for 'only': fitting p free parameters gains about p/(2N) per point on its own sample (2 x gain ~ chi^2_p)
_p = (K - 1) + truth_close64.means.numel() + truth_close64.variances.numel()  # weights, means, diagonal variances
assert (K - 1, truth_close64.means.numel(), truth_close64.variances.numel(), _p, N_close) == (2, 6, 6, 14, 600)
_routine = _p / (2 * N_close)
assert f"{_routine:.3f}" == "0.012" and abs((fit_close.log_likelihoods[-1] / N_close - ll_truth) - _routine) < 0.002  # 'about what'
_spread = math.sqrt(2 * _p) / (2 * N_close)  # the sd of chi^2_p is sqrt(2p), halved and per point: sqrt(28)/1200 = sqrt(7)/600
# 'give or take about sqrt(2p)/(2N) = 0.004 here': the spread; 'Wilks: twice the gain summed over the N points ~ chi^2_p, mean p, sd sqrt(2p)'
# (Wilks needs large N and the fit to be the maximum-likelihood estimate: fit_close is EM run to tol=1e-10 from the truth)
assert f"{_spread:.3f}" == "0.004" and abs((fit_close.log_likelihoods[-1] / N_close - ll_truth) - _routine) < _spread / 2  # within half a spread: "partly luck"
assert settled  # the weightless loop stopped by its rule (no mean moved by 1e-6), not at the cap
ll_per_point = [log_likelihood(X_close64, buggy) / N_close, fit_close.log_likelihoods[-1] / N_close]
assert [f"{v:.5f}" for v in ll_per_point] == ["-3.45886", "-3.45512"]  # buggy < correct EM
assert f"{ll_per_point[1] - ll_per_point[0]:.3f}" == "0.004"  # the bug's cost in log-likelihood per point
assert 0.28 < (ll_per_point[1] - ll_per_point[0]) / _routine < 0.39  # about a third of that routine gain (not quoted)
_equal = buggy._replace(weights=torch.full_like(buggy.weights, 1 / K))  # the model the weightless loop fits
assert (f"{log_likelihood(X_close64, _equal) / N_close:.4f}", f"{ll_truth:.4f}") == ("-3.4619", "-3.4685")  # the loop's own model, equal weights
assert ll_truth < log_likelihood(X_close64, _equal) / N_close and ll_truth < ll_per_point[0]  # with equal or its own weights it beats the truth
# why the path can fall: the weightless loop is exact EM for the mixture with weights fixed at 1/K, so THAT
# mixture's log-likelihood rises at every iteration (from the truth's means and variances), while the path scores the
# unused M-step weights; and the loop's E-step is that mixture's own E-step
_eq_path, _b = [], truth_close64
for _ in range(iteration + 2):
    _eq_path.append((log_likelihood(X_close64, _b._replace(weights=torch.full_like(_b.weights, 1 / K))) / N_close).item())
    if len(_eq_path) < iteration + 2:
        _b = m_step(X_close64, resp_without_weights(X_close64, _b))
assert torch.allclose(_b.means, buggy.means) and f"{_eq_path[-1]:.4f}" == "-3.4619"
assert all(b > a for a, b in zip(_eq_path, _eq_path[1:]))  # "up at every iteration"
assert torch.allclose(torch.stack(path_equal), torch.tensor(_eq_path, dtype=torch.float64))  # the printed path is that one
assert f"{path_equal[-1]:.4f}" == "-3.4619"  # "to -3.4619", as printed
assert torch.allclose(resp_without_weights(X_close64, buggy), log_responsibilities(X_close64, _equal).exp())
assert (buggy.means - estimate_close.means).abs().max() > 0.1  # the means shift with the weights
# "flat along that trade": the bug's weights with correct EM's means and variances cost more than the whole bug
assert log_likelihood(X_close64, estimate_close._replace(weights=buggy.weights)) < log_likelihood(X_close64, buggy)
# why the tight tol: this log-likelihood is so flat in the weights that the default stop leaves them about 0.002 short
assert fit_em(X_close64, truth_close64).params.weights[0] - estimate_close.weights[0] > 0.0015


# %% optional-who-owns-plane
owner = lambda x0, x1: log_responsibilities(torch.tensor([[x0, x1]]), truth).argmax().item()  # noqa: E731
assert owner(25.0, 0.0) == owner(-25.0, 0.0) == 0 and owner(0.0, 25.0) == owner(0.0, -25.0) == 1
along = [owner(float(x0), -4.0) for x0 in range(-6, 30)]  # walking right along x1 = -4
assert along == [0] * 5 + [2] * 18 + [0] * 13  # on the integer grid: component 2 from x0 = -1 to 16, component 0 from 17 on
assert [owner(14.0, float(x1)) for x1 in range(-12, 6)] == [0] * 4 + [2] * 8 + [0] * 6  # x0 = 14: 2 owns x1 = -8..-1
assert variances[:, 0].argmax() == 0 and variances[:, 1].argmax() == 1  # widest along x0 and along x1 (the section below)
far_owner = lambda u0, u1: log_responsibilities(torch.tensor([[u0, u1]], dtype=torch.float64) * 1000, truth.to(torch.float64)).argmax().item()  # noqa: E731
assert far_owner(1.0, 1.6) == 0 and far_owner(1.0, 1.7) == 1 and far_owner(-1.0, -1.6) == 0 and far_owner(-1.0, -1.7) == 1  # the cone edge
assert (f"{island.min():.1f}", f"{island.max():.1f}") == ("-1.7", "17.0")  # the island, as printed
assert int((owner_line == 2).int().diff().abs().sum()) == 2  # one unbroken stretch: two ends
assert log_responsibilities(on_line, truth.to(torch.float64))[:, 1].exp().max() < 1e-5  # component 1 plays no part there
angles = torch.arange(72, dtype=torch.float64) * (2 * math.pi / 72)  # every 5 degrees
reach = [int((torch.stack([a.cos(), a.sin()]) ** 2 / variances.double()).sum(dim=1).argmin()) for a in angles]  # smallest sum u^2 / sigma^2
assert [far_owner(a.cos().item(), a.sin().item()) for a in angles] == reach and set(reach) == {0, 1}  # the 1-sigma ellipse reaching farthest owns


# %% numbers
v = variances.double()
assert f"{((1 / v[1, 0] - 1 / v[0, 0]) / (1 / v[0, 1] - 1 / v[1, 1])).sqrt().item():.2f}" == "1.64"
assert [f"{p:.2f}" for p in (1 / v[2]).tolist() + (1 / v[0]).tolist()] == ["1.00", "2.86", "0.56", "1.25"] and (1 / v[2] > 1 / v[0]).all()
assert [f"{x:.1f}" for x in variances[:2].flatten().tolist()] == ["1.8", "0.8", "0.5", "1.4"]  # the variances quoted for the tie
assert all((variances[j] != variances[k]).all() for j in range(K) for k in range(j))  # each pair differs in every coordinate
edge = {}  # where component 1 takes over, walking up (or down) from (x0, 0): its direction from the origin, x1 / x0
for x0_far in (30.0, 300.0, 3000.0):
    for sign in (1, -1):
        x1_far = torch.linspace(0, sign * 6 * x0_far, 200001, dtype=torch.float64)
        wins = log_responsibilities(torch.stack([torch.full_like(x1_far, x0_far), x1_far], 1), truth.to(torch.float64)).argmax(1)
        edge[x0_far, sign] = abs(x1_far[wins == 1][0].item()) / x0_far
assert max(edge[30.0, 1], edge[30.0, -1]) < 1.55 and all(1.55 < edge[300.0, s] < 1.64 for s in (1, -1))  # slowly towards 1.64
assert all(abs(edge[3000.0, s] - 1.64) < 0.01 for s in (1, -1))
