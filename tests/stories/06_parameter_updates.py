# Story checks of notebooks/06_parameter_updates.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% the-running-example
from gmm_helpers import fit_em
from gmm_helpers.teach.widgets import fit_in_reference_order

sizes = torch.bincount(labels, minlength=K)  # the true groups: 0 the big left one, 1 upper right, 2 lower right (142 points)
assert sizes.argmax() == 0 and truth.means[0, 0] < 0 < truth.means[1, 0] and truth.means[2, 0] > 0
assert truth.means[1, 1] > truth.means[2, 1] and int(sizes[2]) == 142
assert torch.equal(start_in_truth_order.matched_to(truth).means, start_in_truth_order.means)  # component k is paired with group k
assert nearest_means(start_in_truth_order.means, truth.means).tolist() == [0, 1, 0]  # green's (2's) mean starts in the big left group
ended = fit_in_reference_order(fit_em(X64, start), truth)
assert torch.equal(ended.history[0].means, start_in_truth_order.means)  # EM's end order is the pairing's order
assert nearest_means(ended.params.means, truth.means).tolist() == [0, 1, 2]  # each component ends on its paired group


# %% one-e-step-one
assert nearest_means(start_in_truth_order.means, truth.means).tolist() == [0, 1, 0]  # two in the big left group (true 0), none in 2
assert (int((lower_right == 2).sum()), int((lower_right == 1).sum())) == (104, 38) and int((lower_right == 0).sum()) == 0
assert any(t.get_text() == "lower right: 104 green, 38 orange" for t in axes[0].texts)  # the split, on the figure
assert start_in_truth_order.weights.eq(start_in_truth_order.weights[0]).all()  # equal weights (and variances 1, below): nearest mean wins
assert torch.equal(nearest_means(X64[labels == 2], start_in_truth_order.means).bincount(minlength=K), torch.tensor([0, 38, 104]))
assert truth.means[2].tolist() == [2.0, -2.5]  # the lower-right group's true centre; green's squared distance 31, orange's 37
assert [f"{d:.0f}" for d in ((start_in_truth_order.means[1:] - truth.means[2]) ** 2).sum(dim=1).tolist()] == ["37", "31"]
assert start_in_truth_order.variances.eq(1).all() and f"{updated.variances[1, 1]:.2f}" == "5.12"  # all start variances 1; component 1 stretched along x_1
moved = updated.means - start_in_truth_order.means
assert (f"{start_in_truth_order.means[1, 1]:.2f}", f"{updated.means[1, 1]:.2f}") == ("3.55", "1.54")
assert [f"{v:.2f}" for v in start_in_truth_order.means[2].tolist() + updated.means[2].tolist()] == ["-2.16", "1.21", "-0.81", "-0.68"]
assert -moved[2, 1] > moved[2, 0] > 0  # component 2: down more than right
assert -2.5 < updated.means[2, 0] < 0 and (f"{updated.variances[2, 0]:.2f}", f"{updated.variances[2, 1]:.2f}") == ("4.00", "2.42")  # middle, wide
assert updated.means[0, 0] < -3  # component 0 keeps the left part of the big group
axes[1].figure.canvas.draw()  # the figure: each weight label on the right sits nearest its own component's new mean
for k, label in enumerate(t for t in axes[1].texts if t.get_text().startswith("weight")):
    centre = axes[1].transData.inverted().transform(label.get_window_extent().get_points().mean(axis=0))
    assert int(((updated.means - torch.as_tensor(centre)) ** 2).sum(dim=1).argmin()) == k
    assert label.get_text() == f"weight {updated.weights[k]:.2f}"
assert fig.legends[0].get_texts()[-1].get_text() == "1σ ellipse; thicker: more weight"  # only 1σ ellipses, both panels


# %% maximising-q-helps
from gmm_helpers import fit_em
from gmm_helpers.teach.widgets import fit_in_reference_order

assert torch.equal(start_in_truth_order.means, fit_in_reference_order(fit_em(X64, start), truth).history[0].means)  # EM's numbering
assert (f"{Q_start:.3f}", f"{entropy / N:.3f}", f"{ll_start:.3f}", f"{Q_after:.3f}", f"{ll_after:.3f}") == ("-7.866", "0.183", "-7.683", "-4.587", "-4.228")
assert abs(Q_start + entropy / N - ll_start) < 1e-12  # equality at theta_old
assert (f"{Q_after - Q_start:.3f}", f"{ll_after - ll_start:.3f}", f"{ll_after - Q_after - entropy / N:.3f}") == ("3.279", "3.455", "0.176")
(ll_o, ll_t), (F_o, F_t) = (ll_old_x0, ll_top_x0), (F_old_x0, F_top_x0)  # the slice's values the figure cell prints
assert abs(ll_o - F_o) < 1e-9 and ll_t > F_t > F_o  # they touch at theta_old; the M-step climbs F; l there is higher still
assert abs(F_o * N - float(Q(*start_in_truth_order) + entropy)) < 1e-6  # the dashed curve is this notebook's Q + H
F_near = bound_along_mean(X64, start_in_truth_order, 2, 0, [top_x0 - 1e-2, top_x0 + 1e-2])[1]
assert F_t > F_near.max()  # the M-step's value is the top of the dashed curve
assert f"{ll_t:.2f}" == "-6.88" and ll_t < ll_after  # the slice's l at the M-step's value (the triangle), not l(theta_new)
assert (f"{F_t - F_o:.3f}", f"{ll_t - ll_o:.3f}") == ("0.469", "0.804")  # the two rises, drawn as arrows
assert Q_after - Q_start > F_t - F_o and ll_after - ll_start > ll_t - ll_o  # one coordinate's rises: the full M-step's are larger
assert abs(top_x0 - float(m_step(X64, resp, reg_covar=0.0).means[2, 0])) < 1e-12  # the square: the full M-step's value (r_old only)
assert {"$F$ up 0.469\n(one coordinate moved)", "$\\ell$ up 0.804\n(one coordinate moved)"} <= {t.get_text() for t in ax.texts}  # not the full M-step's rises
rise_arrows = [t for t in ax.texts if t.get_text() == "" and hasattr(t, "xy")]  # the two rises: on the M-step's dotted vertical
assert len(rise_arrows) == 2 and all(abs(a.xy[0] - top_x0) < 0.15 and abs(a.xyann[0] - top_x0) < 0.15 for a in rise_arrows)
bottom = ax.get_ylim()[0]  # the axis is cut at -10, and F goes on below it (said on the figure)
assert -10.5 < bottom < -10 and min(ax.lines[1].get_ydata()) < -10 and any("goes on" in t.get_text() for t in ax.texts)
diamond = next(line for line in ax.lines if line.get_marker() == "D")  # l's own top on the slice, as drawn
assert diamond.get_xdata()[0] > top_x0 + 1 and diamond.get_ydata()[0] > ll_t  # further right, and higher: EM stops short
assert 1.0 < diamond.get_xdata()[0] < 1.25 and ax.lines[0].get_ydata()[-1] < diamond.get_ydata()[0] - 0.2  # l turns down, in view
assert "$F(r" in ax.get_legend().get_texts()[1].get_text() and not any("Q + H" in t.get_text() for t in ax.texts)  # one name, F
(log_p_old, F_old), (log_p_new, F_new) = ([float(v) for v in sides] for sides in one_point.values())  # one point, two components
assert abs(log_p_old - F_old) < 1e-12 and log_p_new - F_new > 0.4  # equal at theta_old, below at the other theta
mean_1 = r_one[1] * x_one / r_one[1]  # component 1's M-step mean on the one point: the point itself
assert abs(float(mean_1) - 1.0) < 1e-12 and float(r_one[1] * (x_one - mean_1) ** 2 / r_one[1]) == 0.0  # its M-step variance: 0
try:  # m_step without reg_covar refuses it: the collapse
    m_step(x_one.reshape(1, 1), r_one[None], reg_covar=0.0)
    raise AssertionError("expected a collapse")
except FloatingPointError as error:
    assert "collapsed to variance 0" in str(error)
assert F_new > F_old and log_p_new - log_p_old > F_new - F_old  # both rose, the log-likelihood more
posterior_new = p_one([0.0, 1.0]) / p_one([0.0, 1.0]).sum()  # the gap is KL(r || the posterior at the other theta)
assert abs(log_p_new - F_new - float((r_one * (r_one / posterior_new).log()).sum())) < 1e-12
(ll_pm, F_pm) = bound_along_mean(X64, start_in_truth_order, 2, 0, [old_x0 - 1e-5, old_x0 + 1e-5])  # tangent at theta_old
slope_ll, slope_F = float(ll_pm[1] - ll_pm[0]) / 2e-5, float(F_pm[1] - F_pm[0]) / 2e-5
assert abs(slope_ll) > 0.5 and abs(slope_ll - slope_F) < 1e-6  # the same (non-zero) slope: F and l are tangent there
assert any(line.get_marker() == "s" for line in ax.lines)  # F's top: the square
ax.figure.canvas.draw()  # the key, below the axes, hides no line (it used to cover F's tail, then the dotted line)
key = ax.get_legend().get_window_extent()
drawn = [xy for line in ax.lines[:2] for xy in line.get_transform().transform(line.get_xydata())]
assert not any(key.contains(x, y) for x, y in drawn if ax.bbox.contains(x, y))
assert key.y1 < ax.bbox.y0  # the key sits below the axes: over no line, the dotted one included


# %% watch-em-alternate
from gmm_helpers import fit_em
from gmm_helpers.teach.widgets import fit_in_reference_order

series_fit = fit_in_reference_order(fit_em(X64, start), truth)  # the series' fit: iteration t is theta_t = history[t]
assert len(series_fit.history) == 33  # 32 iterations
assert len(states) == 65 and f"{series_fit.log_likelihoods[-1] / N:.4f}" == "-3.7786"
assert all(torch.allclose(states[2 * t + 1][0].means, series_fit.history[t].means, rtol=0, atol=1e-9) for t in range(32))
assert all(torch.equal(states[2 * t + 1][0].means, states[2 * t][0].means) for t in range(32))  # an E-step keeps theta_t
assert all(torch.allclose(states[2 * t + 1][1], log_responsibilities(X64, states[2 * t][0]).exp(), rtol=0, atol=1e-12) for t in range(32))
split = {t: tuple(int((states[2 * t + 1][1].argmax(dim=1)[labels == 2] == k).sum()) for k in (1, 2)) for t in range(32)}  # orange, green
assert int((labels == 2).sum()) == 142 and [split[t] for t in shown] == [(38, 104), (117, 25), (114, 28), (19, 123)]
assert (split[1], split[22], split[24]) == ((66, 76), (88, 54), (9, 133)) and all(split[t] == (1, 141) for t in range(27, 32))
assert [t for t in range(6, 32) if split[t][1] > split[t][0]][0] == 23  # green's takeover: iteration 23
rises = lls[2::2] - lls[0:-1:2]  # (32,): iteration t's rise, index t - 1
assert [t for t in range(1, 26) if rises[t - 1] < 0.01] == list(range(6, 21))  # the plateau, iterations 6 to 20: l hardly rises (under 0.01, at 5 and 21 above)
assert [panels[f"p{i}"].get_title().split("\n")[0] for i in range(4)] == [
    "iteration 0, the start = the stepper's E-step 1"] + [f"iteration {t} = the stepper's E-step {t + 1}" for t in (6, 20, 23)]
assert all(panels[f"p{i}"].get_title().split("\n")[1].startswith(f"colours: $r$ at $\\theta_{{{t}}}$;") for i, t in enumerate(shown))
for t in shown:  # the two names of one state: iteration t (theta_t, r at theta_t) is the stepper's E-step t + 1 (half-step 2t + 1)
    assert states[2 * t + 1][2].startswith(f"E-step {t + 1}") and torch.equal(states[2 * t + 1][0].means, at_iteration(t)[0].means)
    assert torch.allclose(states[2 * t + 1][1], at_iteration(t)[1], atol=1e-12)
assert [panels[f"p{i}"].texts[-1].get_text() for i in range(4)] == [f"lower-right group:\n{g} green, {o} orange" for o, g in (split[t] for t in shown)]  # 15's order
assert all(f"{lls[2 * t]:.3f}" in panels[f"p{i}"].get_title() for i, t in enumerate(shown))
assert fig.legends[0].get_texts()[-1].get_text() == "1σ ellipse; thicker: more weight"  # only 1σ ellipses
for t in (6, 20):  # the plateau, as the text reads the panels: orange stretched over both right-hand groups, green wide
    theta_t = series_fit.history[t]
    assert truth.means[2, 1] < theta_t.means[1, 1] < truth.means[1, 1]  # orange's mean: between the two right-hand groups
    assert theta_t.means[1, 1] - 2 * theta_t.variances[1, 1].sqrt() < truth.means[2, 1] and \
        theta_t.means[1, 1] + 2 * theta_t.variances[1, 1].sqrt() > truth.means[1, 1]  # its 2σ range along x_1 spans both
    assert truth.means[0, 0] < theta_t.means[2, 0] < truth.means[2, 0]  # green's mean: between the big left and lower-right groups
    assert theta_t.variances[2, 0] > truth.variances[:, 0].max()  # green: wider along x_0 than any true group
theta_6, theta_20 = series_fit.history[6], series_fit.history[20]  # green: the big left group's right side at 6, between the groups at 20
owner_6 = log_responsibilities(X64, theta_6).argmax(dim=1)
left_x0 = X64[labels == 0, 0]
assert int((owner_6[labels == 0] == 2).sum()) == 91 and left_x0[owner_6[labels == 0] == 2].mean() > truth.means[0, 0] > left_x0[owner_6[labels == 0] == 0].mean()
mahalanobis = lambda m: (((m - truth.means) ** 2) / truth.variances).sum(dim=1).sqrt()  # (K,): from each true centre, in true sigmas
assert mahalanobis(theta_6.means[2]).argmin() == 0 and mahalanobis(theta_6.means[2])[0] < 1.5  # at 6: inside the big left group
assert int((log_responsibilities(X64, theta_20).argmax(dim=1) == 2).sum()) == 37 and mahalanobis(theta_20.means[2]).min() > 1.5  # at 20: few points, in no group
green_at = lambda h: int((states[h][1].argmax(dim=1)[labels == 2] == 2).sum())  # the stepper's half-step h: green's points
assert (green_at(41), green_at(45), green_at(47)) == (28, 54, 123)  # M-step 20 to M-step 24 (half-steps 40 to 48) show the takeover
assert states[40][2].startswith("M-step 20:") and states[48][2].startswith("M-step 24:")  # c37: half-step 2t is M-step t
assert [states[h][2].split(":")[1].strip() for h in (1, 13, 41, 47)] == [f"colours $r$ at $\\theta_{{{t}}}$" for t in shown]  # c39's half-steps
assert all(torch.equal(states[h][1], log_responsibilities(X64, at_iteration(t)[0]).exp()) for h, t in zip((1, 13, 41, 47), shown))  # the figure's colours
from matplotlib.patches import Ellipse
from gmm_helpers.teach.widgets import draw_half_step
stepper_fig = draw_half_step(X64, states, 46, limits=limits)  # the stepper's drawing: 1σ and 2σ rings
rings = [patch.width for patch in stepper_fig.axes[0].patches if isinstance(patch, Ellipse)]
assert stepper_fig.axes[0].get_title().startswith("M-step 23: ellipses $\\theta_{23}$, colours still $r$ at $\\theta_{22}$")  # c37's titles
assert torch.equal(states[46][1], states[45][1]) and torch.allclose(states[47][0].means, series_fit.history[23].means, rtol=0, atol=1e-9)  # 46: old r; 47: panel 23
assert len(rings) == 2 * K and all(abs(b - 2 * a) < 1e-9 for a, b in zip(rings[::2], rings[1::2]))
plt.close(stepper_fig)


# %% optional-hard-labels
assert f"{hard_start:.3f}" == "-7.773" and hard_start < ll_start - 0.05  # hard labels: below l even at theta_old
assert (f"{ll_after_hard:.4f}", f"{ll_after:.4f}") == ("-4.2435", "-4.2279")  # here their M-step still raised l, less
assert (f"{ll_best:.5f}", f"{ll_best_hard:.5f}") == ("-3.77856", "-3.77872") and ll_best_hard < ll_best - 1e-4  # hard labels lower l
assert f"{float(log_likelihood(X64, m_step(X64, hard_best, reg_covar=0.0))) / N:.5f}" == "-3.77872"  # with reg_covar 0 as well
assert f"{float(log_likelihood(X64, m_step(X64, log_responsibilities(X64, best_three).exp()))) / N:.5f}" == "-3.77856"  # soft: stays
assert f"{ll_best_soft:.5f}" == "-3.77856" and abs(ll_best_soft - ll_best) < 1e-7  # printed: the soft M-step leaves l where it is


# %% the-bookkeeping
H_1, H_2 = ell_minus_Q[1], ell_minus_Q[3]  # l - Q right after the E-steps of iterations 1 and 2: H (equality at theta_old)
assert (f"{H_1:.3f}", f"{ell_minus_Q[2] - H_1:.3f}", f"{ell_minus_Q[2]:.3f}", f"{H_2:.3f}") == ("0.183", "0.176", "0.359", "0.417")
assert H_2 > ell_minus_Q[2] and qs[3] < qs[2]  # half-step 3: the new H exceeds the old l - Q, so Q falls
assert lls[3] == lls[2]  # an E-step keeps l, so Q_new - Q_old = (l - Q)_old - H_new
assert f"{float(f'{ell_minus_Q[2]:.3f}') - float(f'{H_2:.3f}'):.3f}" == f"{qs[3] - qs[2]:.3f}" == "-0.058"  # 0.359 - 0.417, from the table
assert (qs[1:5].diff() < 0).nonzero().flatten().tolist() == [1]  # of half-steps 1-4 only 2 -> 3 (an E-step) lowers Q
table = [(lls[h], qs[h], ell_minus_Q[h if h % 2 else h - 1]) for h in range(1, 5)]  # the printed rows: l, Q, H
assert [f"{l:.4f}/{q:.4f}/{h:.4f}/{q + h:.4f}/{l - q - h:.4f}" for l, q, h in table] == [
    "-7.6825/-7.8657/0.1832/-7.6825/0.0000", "-4.2279/-4.5870/0.1832/-4.4038/0.1759",
    "-4.2279/-4.6453/0.4174/-4.2279/0.0000", "-4.1425/-4.5918/0.4174/-4.1744/0.0319"]
for l, q, h in table:  # 4 decimals: the printed entries add up by hand, F = Q + H and l - F = l - F
    L, Q4, H4 = (round(float(v), 4) for v in (l, q, h))
    assert f"{Q4 + H4:.4f}" == f"{q + h:.4f}" and f"{L - float(f'{q + h:.4f}'):.4f}" == f"{l - q - h:.4f}"
assert lls[4] - qs[4] - H_2 > 0 and abs(lls[3] - qs[3] - H_2) < 1e-12  # l - F: 0 after an E-step, > 0 after an M-step
assert H_2 > 2 * H_1  # H more than doubles at E-step 2 ...
H_e = ell_minus_Q[e_steps]  # (32,): H after each E-step; gaps: l - F after each M-step
assert torch.allclose(qs[e_steps[1:]] - qs[m_steps[:-1]], H_e[:-1] + gaps[:-1] - H_e[1:], rtol=0, atol=1e-12)  # 37's identity, every E-step
decided = [int((states[h][1].max(dim=1).values > 0.9).sum()) for h in (1, 3)]  # points with a component above 0.9
assert decided[1] < decided[0] - 200  # ... as fewer points are decided (451 -> 227): M-step 1 left the components overlapping
assert states[2][0].variances[2].prod() > 9 * states[0][0].variances[2].prod()  # green's wide ellipse (variances 4.00, 2.42)
dip = [t for t in curve_panels["zoom"].texts if t.get_text() == "E-step 2 lowers $Q$"]  # the zoom marks the dip
assert len(dip) == 1 and tuple(dip[0].xy) == (1.5, float(qs[3]))  # at t = 1.5, on Q after iteration 2's E-step
low, high = curve_panels["zoom"].get_ylim()  # the zoom shows half-steps 2-6 (t = 1 to 3) of l and Q, and the dip, in its box
assert curve_panels["zoom"].get_xlim() == (0.5, 3.1) and low < float(qs[2:7].min()) and float(lls[2:7].max()) < high
assert float(qs[2] - qs[3]) > 0.08 * (high - low)  # ... on a scale where the dip (0.058) is visible: 9% of the height
box = [p for p in curve_panels["curve"].patches if isinstance(p, Rectangle)]  # the grey box on the curve: the zoom's limits
assert len(box) == 1 and box[0].get_x() == 0.5 and abs(box[0].get_x() + box[0].get_width() - 3.1) < 1e-12
assert abs(box[0].get_y() - low) < 1e-12 and abs(box[0].get_y() + box[0].get_height() - high) < 1e-12
assert curve_panels["zoom"].get_title().endswith("$t$ from 0.5 to 3.1")  # the title names the box's span
curve_panels["gap"].figure.canvas.draw()  # the gap panel's title sits clear below the curve's x-label
assert curve_panels["gap"].title.get_window_extent().y1 < curve_panels["curve"].xaxis.label.get_window_extent().y0
assert (f"{ell_minus_Q[2] - ell_minus_Q[1]:.3f}", f"{H_1:.3f}") == ("0.176", "0.183")  # (l - F)_old and H_old of E-step 2
assert f"{0.1832 + 0.1759 - 0.4174:.4f}" == f"{qs[3] - qs[2]:.4f}" == "-0.0583"  # the quoted sum, from the table's entries
assert (f"{H_1:.4f}", f"{ell_minus_Q[2] - H_1:.4f}", f"{H_2:.4f}") == ("0.1832", "0.1759", "0.4174")  # c66's terms
# Q drawn as steps: solid along one Q (E-step t to E-step t + 1, up at M-step t), dotted where the next E-step replaces it
q_solid, q_jumps = curve_panels["curve"].lines[2], curve_panels["curve"].lines[5]
assert q_jumps.get_linestyle() == ":" and q_solid.get_linestyle() == "-"


def pieces(line):  # the NaN-separated pieces of a line, each an (n, 2) tensor of (x, y)
    xy = torch.as_tensor(line.get_xydata())
    cuts = torch.isnan(xy[:, 0]).nonzero().flatten().tolist()
    return [xy[a + 1:b] for a, b in zip(cuts, cuts[1:]) if b > a + 1]


solid = pieces(q_solid)  # 32 pieces: flat at Q after E-step t, up at M-step t, flat to the next E-step (the last stops at t = 32)
assert len(solid) == 32
for t, piece in enumerate(solid, start=1):
    corners = [(t - 0.5, qs[2 * t - 1]), (t, qs[2 * t - 1]), (t, qs[2 * t]), (t + 0.5, qs[2 * t])][:len(piece)]
    assert len(piece) == (3 if t == 32 else 4) and torch.allclose(piece, torch.tensor(corners, dtype=torch.float64), atol=0)
jumps = pieces(q_jumps)  # 31 dotted verticals: at E-step t + 1 (t + 1/2), from the old Q's value to the new Q's, same theta
assert len(jumps) == 31 and all(torch.equal(j, torch.tensor([[t + 0.5, qs[2 * t]], [t + 0.5, qs[2 * t + 1]]], dtype=torch.float64))
                                for t, j in enumerate(jumps, start=1))
curve_key = curve_panels["curve"].get_legend()
assert any("new $Q$" in t.get_text() for t in curve_key.get_texts())
curve_panels["curve"].figure.canvas.draw()  # the key sits outside the curve's axes (right of them): it hides no line
assert curve_key.get_window_extent().x0 > curve_panels["curve"].bbox.x1
assert curve_key.get_window_extent().y0 > curve_panels["zoom"].bbox.y1  # ... above the zoom
assert [tuple(c) for c in curve_panels["curve"].collections[-1].get_offsets()] == [(t, float(lls[2 * t])) for t in (6, 20, 23)]  # circled


# %% optional-bookkeeping
assert (ll_m_steps > 0).all() and (q_m_steps > 0).all()
assert (q_e_steps < 0).nonzero().flatten().tolist() == [0]  # only the E-step of iteration 2 lowered Q
assert (lls[e_steps] == lls[e_steps - 1]).all()  # an E-step leaves l where it was
assert f"{ll_m_steps.min():.1e}" == "4.0e-07" and int(ll_m_steps.argmin()) == 31  # the last iteration, 32
assert f"{lls[64]:.4f}" == "-3.7786"  # iteration 32
assert (f"{qs[2]:.3f}", f"{qs[3]:.3f}") == ("-4.587", "-4.645")  # the E-step of iteration 2 lowers Q
assert ell_minus_Q[3] > ell_minus_Q[2]  # why: its new H (l - Q after the E-step) exceeds the old H + (l - F)
assert f"{qs[1]:.2f}" == "-7.87" and f"{lls[0]:.2f}" == "-7.68"  # the two arrows below the scale
F_all = torch.stack([qs[s] + ell_minus_Q[s if s % 2 else s - 1] for s in range(1, 65)])  # F = Q + H at every half-step
assert torch.equal(F_all, bound) and (bound.diff() > 0).all()  # F never falls (it rises at every half-step)
assert torch.allclose(bound[2::2] - bound[1:-1:2], gaps[:-1], rtol=0, atol=1e-12)  # why: E-step t + 1 raises F by the gap l - F > 0 ...
assert torch.allclose(bound[1::2] - bound[0::2], q_m_steps, rtol=0, atol=1e-12)  # ... and M-step t by Q's rise, at fixed r
assert (gaps > 0).all() and torch.allclose(gaps, torch.stack([lls[2 * t] - bound[2 * t - 1] for t in range(1, 33)]))  # l - F
assert (f"{gaps[22]:.3f}", f"{gaps[27]:.1e}", f"{gaps[31]:.1e}") == ("0.028", "1.5e-03", "9.1e-08")  # the gap panel's shape
assert int(gaps[5:].argmax()) == 17 and gaps[22] > 20 * gaps[13]  # largest after the first steps at iteration 23 (the takeover)
assert gaps[:2].min() > gaps[22]  # the first steps open larger gaps
assert (gaps[28:] / gaps[27:-1] < 0.15).all()  # from iteration 28, about tenfold down per iteration


# %% optional-plateau
from gmm_helpers.teach.widgets import Q_COLOUR

assert torch.equal(ll_at, lls[e_steps]) and torch.equal(ll_at, lls[0:64:2])  # an E-step keeps l: l at theta_t, t = 0..31
assert all(torch.equal(states[2 * t + 1][0].means, states[2 * t][0].means) for t in range(32))  # E-step t + 1 is at theta_t
assert torch.allclose(Q_at + H_at, ll_at, rtol=0, atol=1e-12)  # the gap is 0 right after an E-step: Q lies H below l
l_up, Q_up, H_down = float(ll_at[20] - ll_at[6]), float(Q_at[20] - Q_at[6]), float(H_at[6] - H_at[20])
assert (f"{l_up:.3f}", f"{Q_up:.3f}", f"{H_down:.3f}", f"{H_at[6]:.3f}", f"{H_at[20]:.3f}") == ("0.047", "0.213", "0.166", "0.389", "0.223")
assert f"{0.213 - 0.166:.3f}" == "0.047" and abs(l_up - (Q_up - H_down)) < 1e-12  # the quoted, rounded terms add up
assert Q_up > 4 * l_up and H_down > 3 * l_up  # l barely rises while Q rises and H falls
assert (Q_at[7:21] > Q_at[6:20]).all() and (H_at[7:21] < H_at[6:20]).all()  # at every plateau iteration, Q up and H down
assert (ll_at[7:21] - ll_at[6:20] < 0.01).all()  # ... while l rises under 0.01 per iteration
e_jumps = qs[15:42:2] - qs[14:41:2]  # the E-steps' dotted jumps from theta_6 to theta_20 (half-steps 14 -> 15, ..., 40 -> 41)
assert torch.allclose(e_jumps, q_e_steps[6:20], rtol=0, atol=1e-12)
assert torch.allclose(m_rises, qs[14:41:2] - qs[13:40:2], rtol=0, atol=1e-12)  # M-steps 7..20 (half-steps 13 -> 14, ..., 39 -> 40)
assert len(m_rises) == 14 and abs(float(e_jumps.sum() + m_rises.sum()) - Q_up) < 1e-12
assert f"{float(e_jumps.sum()):.4f}" == "0.1893" and e_jumps.sum() > 5 * m_rises.sum()  # mostly in the E-steps (new r, same theta)
assert (f"{Q_up:.4f}", f"{float(m_rises.sum()):.4f}", f"{Q_up - float(m_rises.sum()):.4f}") == ("0.2126", "0.0233", "0.1893")  # the printed split
assert f"{0.0233 + 0.1893:.4f}" == "0.2126"  # the quoted, rounded split adds up
assert m_rises.sum() <= l_up and (m_rises <= ll_at[7:21] - ll_at[6:20] + 1e-12).all()  # each M-step: Q rises at most as much as l
assert l_ax.get_shared_x_axes().joined(l_ax, h_ax) and torch.equal(torch.as_tensor(l_ax.lines[0].get_ydata()), ll_at)  # l above H, one x axis
assert len(l_ax.patches) == 1 and (l_ax.patches[0].get_x(), l_ax.patches[0].get_width()) == (6, 14)  # the plateau, shaded in both
q_line = l_ax.lines[1]  # Q: brown squares joined dotted (each point a different Q), as in the bookkeeping figure and the stepper
assert torch.equal(torch.as_tensor(q_line.get_ydata()), Q_at) and q_line.get_color() == Q_COLOUR and q_line.get_linestyle() == ":"
assert q_line.get_marker() == "s" and "dotted: a new $Q$" in l_ax.get_legend().get_texts()[1].get_text()
assert l_ax.get_legend().get_texts()[0].get_text() == "$\\ell$"
assert l_ax.get_ylim()[0] < float(Q_at[1:].min()) and float(Q_at[0]) < l_ax.get_ylim()[0]  # Q: only t = 0 off the scale
assert l_ax.get_ylim()[0] < float(ll_at[1:].min()) and float(ll_at.max()) < l_ax.get_ylim()[1] and float(ll_at[0]) < l_ax.get_ylim()[0]  # only t = 0 off the scale
assert float(ll_at[20] - ll_at[6]) < 0.25 * float(ll_at[27] - ll_at[20])  # flat on the plateau next to the rise after it
decided = [int((states[2 * t + 1][1].max(dim=1).values > 0.9).sum()) for t in (6, 20)]  # points with a component above 0.9: sharper r
assert decided[1] > decided[0]
assert torch.equal(torch.as_tensor(h_ax.lines[0].get_ydata()), H_at) and list(h_ax.lines[0].get_xdata()) == list(range(32))
assert len(h_ax.patches) == 1 and (h_ax.patches[0].get_x(), h_ax.patches[0].get_width()) == (6, 14)  # the plateau, shaded from 6 to 20
assert [t.get_text() for t in h_ax.texts] == ["plateau, iterations 6 to 20:\n$H$ down 0.166, $\\ell$ up 0.047"]
assert h_ax.get_ylim()[0] <= 0 and H_at.max() < h_ax.get_ylim()[1] and h_ax.get_xlabel() == "iteration $t$"


# %% updates-need-reg-covar
spiked = [float(log_likelihood(X64, with_spike(v))) / N for v in (1e-2, 1e-6, 1e-12, 1e-300)]
three, four = float(log_likelihood(X64, best_three)) / N, float(log_likelihood(X64, best_four)) / N
assert f"{three:.4f}" == "-3.7786" and f"{four:.4f}" == "-3.7703" and f"{spiked[1]:.4f}" == "-3.7627"
assert three < spiked[0] < four < spiked[1]  # the spike passes the best four-component fit by 1e-6
assert all(a < b for a, b in zip(spiked, spiked[1:]))  # climbs as the variance shrinks, without bound
assert float(best_four.variances.min()) > 0.1 and float(best_four.weights.min()) * N > 20  # spread: no spike


# %% updates-need-reg-covar-2
d = (1.5e-20) ** 0.5  # c81: reg_covar=0 flags a spread within 4 rounding steps of zero (or an empty component); a spread of 1e-10 passes
tiny = m_step(torch.tensor([[1.0, 2.0], [1.0 + d, 2.0 + d], [1.0 - d, 2.0 - d]], dtype=X64.dtype), owned, reg_covar=0.0)
assert torch.allclose(tiny.variances, torch.full((1, 2), 1e-20, dtype=X64.dtype), rtol=1e-3, atol=0)  # variance 1e-20: no error
assert 0 < Q(*updated) - Q(*with_eta) < 1e-6 * N  # not exactly the maximum, but negligibly below it
assert dead.means[3].eq(0).all() and dead.variances[3].eq(1e-6).all() and f"{dead.weights[3]:.1e}" == "3.7e-18"  # origin, reg_covar, tiny: not 0
assert abs(dead.weights[3] * N / (10 * torch.finfo(X64.dtype).eps) - 1) < 1e-9  # about 10 eps / N
assert log_responsibilities(X64, dead).exp()[:, 3].max() == 0  # the next E-step gives it exactly 0
try:  # c81: with reg_covar=0 an empty component (N_k <= 10 eps) raises too
    m_step(X64, resp_4, reg_covar=0.0)
    raise AssertionError("expected the empty component to raise")
except FloatingPointError as error:
    assert "component 3 collapsed" in str(error)
nearest = float(X64.norm(dim=1).min())  # the dead spike: standard deviation 1e-3 at the origin; the nearest point
assert f"{nearest:.4f}" == "0.1975" and f"{nearest / 1e-3:.1f}" == "197.5"  # 0.1975 away: 197.5 standard deviations
assert f"{-nearest**2 / (2 * 1e-6):,.0f}" == "-19,498"  # the distance term alone: about -19,500
log_r_dead = log_responsibilities(X64, dead)[:, 3]  # its log-responsibility, a fine float64: largest at the nearest point
assert f"{float(log_r_dead.max()):,.0f}" == "-19,522" and int(log_r_dead.argmax()) == int(X64.norm(dim=1).argmin())
nearest_point = X64[int(X64.norm(dim=1).argmin())][None]  # (1, D): + log weight (-40), normaliser (+12), - log p(x) (+4)
pieces_sum = -nearest**2 / 2e-6 + float(dead.weights[3].log()) - __import__("math").log(2 * __import__("math").pi * 1e-6) \
    - float(log_likelihood(nearest_point, dead))
assert abs(pieces_sum - float(log_r_dead.max())) < 1e-6
assert -nearest**2 / (2 * 1e-6) < __import__("math").log(5e-324) * 20  # far below float64's smallest number, e^-744: underflow, not a true 0
assert f"{torch.finfo(torch.float64).eps:.1e}" == "2.2e-16"  # machine epsilon
zero64 = torch.zeros((), dtype=torch.float64)
assert f"{float(torch.nextafter(zero64, zero64 + 1)):.1e}" == "4.9e-324"  # the smallest positive float64 (subnormal)
assert f"{(Q(*updated) - Q(*with_eta)) / N:.1e}" == "3.8e-13"


# %% what-adding-reg-covar-costs
assert (f"{updated.variances.min():.2f}", f"{updated.variances.max():.2f}") == ("0.57", "5.12")  # the range quoted (c9 prints them)
assert abs((Q(*updated) - Q(*with_eta)) / N / cost_estimate - 1) < 0.01 and f"{cost_estimate:.1e}" == "3.8e-13"  # second order
assert (demo_costs > 0).all() and f"{demo_costs.max():.1e}" == "1.2e-12" and abs(demo_costs[0] * N - (Q(*updated) - Q(*with_eta))) < 1e-9
assert demo_costs.max() < 1e-5 * ll_rises.min() and f"{ll_rises.min():.1e}" == "4.0e-07"  # far below the smallest rise
