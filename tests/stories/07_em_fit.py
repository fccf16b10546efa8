# Story checks of notebooks/07_em_fit.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% 1-loop-written-out
assert len(history) - 1 == 32 and f"{log_likelihoods[-1] / N:.4f}" == "-3.7786"


# %% 1-loop-written-out-2
assert fit_kpp.n_iter < 10 and abs(fit_kpp.log_likelihoods[-1] - fit.log_likelihoods[-1]) / N < 1e-4  # same optimum, fewer steps
assert abs(fit_from_truth.log_likelihoods[-1] - fit.log_likelihoods[-1]) / N < 1e-4 and f"{log_likelihood(X64, truth.to(X64)) / N:.3f}" == "-3.785"


# %% comparing-fit-truth
from gmm_helpers import nearest_means  # (the notebook does not use it)

assert nearest_means(fit.params.means, truth.means.double())[0] == 1  # fit_em's component 0 sits on true component 1
assert (estimate.means - truth.means).abs().max() < 0.15 and ((estimate.variances / truth.variances - 1).abs().max() < 0.1)  # nearly coincide


# %% 3-climb-plateau
assert f"{plateau.min():.1e}" == "1.8e-03" and early.n_iter == 6 and f"{early.log_likelihoods[-1] / N:.3f}" == "-4.067"
assert (f"{ratios.min():.2f}", f"{ratios.max():.2f}") == ("0.08", "0.11") and (ratios - 1 / 12).abs().median() < 0.005  # at the stop, about a twelfth
assert f"{fit.log_likelihoods[0] / N:.2f}" == "-7.68" and fit.n_iter == 32
assert changes[-1] < tol and (changes[:-1] > tol).all()  # iteration 32: the first rise below the red tol line (right panel)
assert (changes > 0).all() and changes.numel() == 32  # all 32 rises positive (the text), so every one is drawn on the log scale
assert plateau.min() > 1e3 * tol  # tol lies far below the plateau's rises
slow_iterations = ((changes < 1e-2).nonzero().flatten() + 1).tolist()  # iterations whose rise is below 1e-2 per point
assert slow_iterations[:15] == list(range(6, 21)) and slow_iterations[15] > 25  # the plateau: iterations 6 to 20
assert (changes[5:20] < 1e-2).all() and changes[4] > 1e-2 and changes[20] > 1e-2  # its definition: every rise 6..20 below 0.01, 5 and 21 above
assert takeover == 23 and rise_takeover == float(changes[takeover - 1]) and rise_takeover > 1e-2  # the figure's takeover label: on the bump, above the dash-dot line


# %% 4-animated-fit
# the appendix's table defines this for the reader; the story needs it here, where the prose quotes its numbers
def owners_of_lower_right(params):  # how many of the lower-right group's points each component owns (most responsible)
    return torch.bincount(log_responsibilities(X64, params).argmax(dim=1)[labels == 2], minlength=K).tolist()


assert resp_t.shape[0] == 33 and N == 600  # resp_t: the worth figure's cell
green_means = torch.stack([p.means[2] for p in ordered.history])  # (33, D): green's mean at each iteration (as the appendix computes it)
green_step = green_means.diff(dim=0).norm(dim=1)  # (32,): how far green's mean moves at each iteration (the appendix's green_step)
assert int((labels == 2).sum()) == 142 and [owners_of_lower_right(ordered.history[t])[2] for t in (22, 23)] == [54, 123]  # "123 of the 142 (54 at 22)"
assert torch.equal(ordered.params.means, fit.params.matched_to(truth).means)  # the truth's order, from the final fit's matching
assert not torch.equal(ordered.history[0].means[2], start.means[2])  # green is not start's component 2
owner_32 = log_responsibilities(X64, ordered.history[32]).argmax(dim=1)  # green ends on the lower-right group (each on one group)
assert all((owner_32[labels == k] == k).double().mean() > 0.98 for k in range(K))
# iteration 0: "no start mean in the lower-right group": blue's and green's nearest the left group, orange's the upper-right
assert nearest_means(ordered.history[0].means, truth.means.double()).tolist() == [0, 1, 0]
# green's points' worth by group (printed table): what the M-step's weighted average weighs
_worth = {g: [float(resp_t[t, labels == g, 2].sum()) for t in range(33)] for g in range(K)}  # green's worth in true group g, each iteration
assert {g: [float(w) for w in v] for g, v in green_worth.items()} == {"left": _worth[0], "lower-right": _worth[2]}  # the worth figure's lines
assert crossing == 18 and takeover == 23  # the figure's marks: the crossing (below) and the takeover
# the M-step's mean, split by true group: mu_green(t+1) = sum_g W_g c_g / sum_g W_g (W_g: group g's worth to green at t)
for _t in (0, 13, 17, 22):
    _r = resp_t[_t, :, 2]
    _W = torch.stack([_r[labels == g].sum() for g in range(K)])  # (K,): each group's worth to green
    _c = torch.stack([(_r[labels == g, None] * X64[labels == g]).sum(dim=0) / _W[g] for g in range(K)])  # (K, D): weighted centres
    assert torch.allclose((_W[:, None] * _c).sum(dim=0) / _W.sum(), ordered.history[_t + 1].means[2], rtol=0, atol=1e-10)
assert f"{float(resp_t[0, labels == 1, 2].sum()):.0f}" == "1"  # iteration 0: "the upper-right 1"
_m1 = ordered.history[1].means[2]  # iteration 1: green's mean "between them, nearer the left"
assert (_m1 - truth.means[0].to(X64)).norm() < (_m1 - truth.means[2].to(X64)).norm()
# iterations 10 to 17, why blue takes the left group: blue's weight grows, green's falls, green's mean drifts away from it
_wts = [ordered.history[t].weights for t in range(33)]
assert (f"{_wts[10][0]:.2f}", f"{_wts[17][0]:.2f}", f"{_wts[10][2]:.2f}", f"{_wts[17][2]:.2f}") == ("0.35", "0.42", "0.20", "0.12")
assert all(_wts[t + 1][0] > _wts[t][0] and _wts[t + 1][2] < _wts[t][2] for t in range(10, 17))
_green_to_left = [float((green_means[t] - truth.means[0].to(X64)).norm()) for t in range(33)]
assert all(_green_to_left[t + 1] > _green_to_left[t] for t in range(10, 17))  # drifts away from the left group
_blue_left_r = resp_t[:, labels == 0, 0]
assert (_blue_left_r[11:18] > _blue_left_r[10:17]).all()  # "every left point leans further to blue", each iteration 10 to 17
assert (f"{_worth[0][0]:.0f}", f"{_worth[2][0]:.0f}") == ("205", "100")  # iteration 0: "205 in the left group, 100 in the lower-right"
# iterations 10 to 17, "blue takes over the left group": green's worth there falls from 75 to 34, blue's rises
assert (f"{_worth[0][10]:.0f}", f"{_worth[0][17]:.0f}") == ("75", "34") and all(_worth[0][t + 1] < _worth[0][t] for t in range(10, 17))
_blue_left_worth = [float(resp_t[t, labels == 0, 0].sum()) for t in range(33)]
assert all(_blue_left_worth[t + 1] > _blue_left_worth[t] for t in range(10, 17)) and _blue_left_worth[17] > 0.85 * 296
assert all(27 < _worth[2][t] < 31 for t in range(10, 18))  # "its lower-right worth stays near 30"
assert all(_worth[0][t] > _worth[2][t] for t in range(0, 18))  # the left group outweighs the lower-right up to iteration 17 ...
assert all(_worth[2][t] > _worth[0][t] for t in range(18, 33))  # ... and from iteration 18 the lower-right outweighs the left
assert (f"{_worth[2][18]:.0f}", f"{_worth[0][18]:.0f}") == ("33", "29") and f"{_worth[2][22]:.0f}" == "72"  # "33 against 29", "72 at 22"
assert lowest == 13 == min(range(33), key=lambda t: _worth[2][t]) and f"{_worth[2][13]:.1f}" == "27.3"  # "its lowest (27.3, iteration 13)": the figure's ring
assert all(_worth[2][t + 1] > _worth[2][t] for t in range(13, 26))  # "from iteration 14": each step nearer raises its worth there
_orange_lr_owned = [owners_of_lower_right(ordered.history[t])[1] for t in range(6, 21)]  # orange's share of the lower-right group on the plateau
assert (min(_orange_lr_owned), max(_orange_lr_owned)) == (114, 132)  # "through the plateau, owns 114 to 132 of the lower-right group's 142 points"
_green_lr_owned = [owners_of_lower_right(ordered.history[t])[2] for t in range(33)]
assert (green_step[9:15] > green_step[8:14]).all() and f"{green_step[14]:.2f}" == "0.13"  # "in growing steps (0.13 at iteration 15)"
assert (green_step[9:17] > green_step[8:16]).all()  # growing over iterations 10 to 17
# "like random seed 11's end (section 5), but green's wide ellipse still reaches the lower-right group"
_fit_11 = fit_in_reference_order(fit_em(X64, init_random_points(X64, K, generator=torch.Generator().manual_seed(11)), max_iter=1000), truth)
_end_11 = _fit_11.params
assert f"{_fit_11.log_likelihoods[-1] / N:.3f}" == "-4.028"
assert float(fit.log_likelihoods[6]) < float(_fit_11.log_likelihoods[-1]) < float(fit.log_likelihoods[20])  # the plateau passes its score
assert nearest_means(_end_11.means, truth.means.double()).tolist() == [0, 1, 0]  # seed 11: blue and green on the left group, orange right
for t in (6, 10, 15):  # the strip's plateau panels (and between): the same shape
    _theta = ordered.history[t]
    assert nearest_means(_theta.means, truth.means.double()).tolist() == [0, 1, 0]
    assert _worth[0][t] > _worth[2][t] + _worth[1][t]  # green's worth: mostly in the left group
    _dx = (_theta.means[2] - _theta.means[0]).abs()
    assert _dx[0] > 1.5 and _dx[0] > 1.5 * _dx[1] and _theta.means[2, 0] > _theta.means[0, 0]  # blue and green split the left group left/right (green on the right), as seed 11's
    assert abs(float(_theta.variances[1, 1]) / float(_end_11.variances[1, 1]) - 1) < 0.05  # orange: seed 11's tall ellipse
    assert float(_theta.means[1, 1]) < float(truth.means[1, 1]) - 1.5  # orange centred between the right-hand groups, covering both
    _maha = (((truth.means[2].to(X64) - _theta.means[2]) ** 2 / _theta.variances[2]).sum().sqrt())
    assert _maha < 2  # green's 2-sigma ellipse reaches the lower-right group's true mean ...
_dx_11 = (_end_11.means[2] - _end_11.means[0]).abs()
assert _dx_11[0] > 1.5 and _dx_11[0] > 2 * _dx_11[1] and float(_end_11.means[1, 1]) < float(truth.means[1, 1]) - 1.5  # seed 11: the same split
assert (((truth.means[2].to(X64) - _end_11.means[2]) ** 2 / _end_11.variances[2]).sum().sqrt()) > 4  # ... seed 11's green does not
assert _green_lr_owned[6] == 25 and _green_lr_owned[22] == 54 and _green_lr_owned[32] == 141  # "25 at iteration 6", "54 at 22", "141"
assert all(_green_lr_owned[t + 1] > _green_lr_owned[t] for t in range(15, 24))  # from 16: more at every iteration (to the takeover and past it)
assert (green_step[15:22] > green_step[14:21]).all() and f"{green_step[21]:.2f}" == "0.48"  # "its step grown to 0.48" (iteration 22)
# iterations 0 to 1
start_0, after_1 = ordered.history[0], ordered.history[1]
assert (start_0.variances == 1).all() and torch.allclose(start_0.weights, torch.full((K,), 1 / K, dtype=start_0.weights.dtype))
nearest_start_mean = torch.cdist(X64, start_0.means).argmin(dim=1)  # equal variances and weights: the nearest mean is the most responsible
assert torch.equal(resp_t[0].argmax(dim=1), nearest_start_mean)
assert int((start_0.means - truth.means[2].to(start_0.means)).norm(dim=1).argmin()) == 2  # green's start mean: the nearest to the lower-right group
to_lower_right = (start_0.means - truth.means[2].to(start_0.means)).norm(dim=1)  # (K,): each start mean's distance to the group's TRUE mean
assert (f"{to_lower_right[2]:.1f}", f"{to_lower_right[1]:.1f}") == ("5.6", "6.1") and to_lower_right[0] > 6.5  # 02's distances (no longer quoted here)
assert owners_of_lower_right(start_0) == [0, 38, 104]  # "green owns 104 of its points"
z = (start_0.means[2] - truth.means[0].to(X64)) / truth.variances[0].to(X64).sqrt()  # green's start mean, in the left group's sds
assert z.norm() < 1.5 and 1 < z[1] and abs(z[0]) < 0.5  # "at the top of the big left group"
green_by_group = [float(resp_t[0, labels == g, 2].sum()) for g in range(K)]  # green's points' worth at iteration 0, by true group
assert green_by_group[0] > sum(green_by_group) / 2  # "most of its responsibility lies there" (the left group)
assert tuple(f"{float(m):+.2f}" for m in after_1.means[2]) == ("-0.81", "-0.68")  # "to (-0.81, -0.68)"
_r0 = resp_t[0, :, 2]  # the M-step's mean is the responsibility-weighted average (appendix table: green's mean at iteration 1)
assert torch.allclose((_r0[:, None] * X64).sum(dim=0) / _r0.sum(), after_1.means[2], rtol=0, atol=1e-10)
assert float(truth.means[0, 0]) < float(after_1.means[2, 0]) < float(truth.means[2, 0])  # between the groups
assert float(truth.means[2, 1]) < float(after_1.means[2, 1]) < float(truth.means[0, 1])
assert after_1.means[1, 1] < start_0.means[1, 1] - 1.5 and after_1.variances[1, 1] > 4 * start_0.variances[1, 1]  # orange stretches down along x_1
# iteration 1: "though its mean moves toward them", "its ellipse widens (variances 1 -> 4.0 and 2.4)", "orange's ... 1 -> 5.1", "orange takes those 28"
_to_lr = lambda m: float((m - truth.means[2].to(X64)).norm())
assert _to_lr(after_1.means[2]) < _to_lr(start_0.means[2])
assert tuple(f"{float(v):.1f}" for v in after_1.variances[2]) == ("4.0", "2.4") and f"{float(after_1.variances[1, 1]):.1f}" == "5.1"
assert [owners_of_lower_right(ordered.history[t])[1] for t in (0, 1, 6)] == [38, 66, 117]  # orange moves toward the lower-right points (strip titles)
assert all(owners_of_lower_right(ordered.history[t])[1] > 71 for t in range(6, 21))  # the plateau: orange "owns most lower-right points"
# iterations 6 to 20: the plateau
right_hand = labels > 0  # the upper-right and lower-right groups
for t in (6, 12, 20):  # orange's responsibility lies on both right-hand groups; its tall ellipse (2 sigma along x_1) covers both
    assert resp_t[t, right_hand, 1].sum() > 0.98 * resp_t[t, :, 1].sum()
    mean_x1, sd_x1 = float(ordered.history[t].means[1, 1]), float(ordered.history[t].variances[1, 1].sqrt())
    assert float(truth.means[2, 1]) < mean_x1 < float(truth.means[1, 1])
    assert 2 * sd_x1 > max(float(truth.means[1, 1]) - mean_x1, mean_x1 - float(truth.means[2, 1]))
    assert owners_of_lower_right(ordered.history[t])[1] > 100  # orange keeps the lower-right points
for t in range(6, 13):  # green's mean "still near (-0.8, -0.7) until iteration 12, between the groups"
    green_mean = ordered.history[t].means[2]
    assert (green_mean - torch.tensor([-0.8, -0.7], dtype=X64.dtype)).norm() < 0.2 and torch.equal(green_mean, green_means[t])
    assert float(truth.means[0, 0]) + 1 < float(green_mean[0]) < float(truth.means[2, 0]) - 1  # between the left and lower-right groups
    assert float(truth.means[2, 1]) + 1 < float(green_mean[1]) < float(truth.means[0, 1])
assert (green_means[13] - torch.tensor([-0.8, -0.7], dtype=X64.dtype)).norm() > 0.2  # after iteration 12 it leaves
assert tuple(f"{float(m):+.2f}" for m in ordered.history[6].means[0]) == ("-2.97", "+0.07")  # blue's mean: inside the left group
blue_left = [float(resp_t[t, labels == 0, 0].sum()) for t in range(6, 21)]  # blue takes the left group from green
green_left = [float(resp_t[t, labels == 0, 2].sum()) for t in range(6, 21)]
assert all(b > a for a, b in zip(blue_left, blue_left[1:])) and all(b < a for a, b in zip(green_left, green_left[1:]))
assert resp_t[20, labels == 2, 2].sum() > 2 * resp_t[20, labels == 0, 2].sum()  # at iteration 20: mostly lower-right points
drift = [float((ordered.history[t].means[2] - truth.means[2]).norm()) for t in range(6, 25)]  # green drifts toward them
assert all(b < a for a, b in zip(drift, drift[1:]))
green_owns_lr = [owners_of_lower_right(ordered.history[t])[2] for t in range(20, 25)]  # each point it wins pulls it nearer: more points
assert all(b > a for a, b in zip(green_owns_lr, green_owns_lr[1:]))
assert green_owns == {22: 54, 23: 123} and green_owns_lr[2:4] == [54, 123] and takeover == 23  # the takeover: iteration 23 (printed; section 3's label)
assert max(b - a for a, b in zip(green_owns_lr, green_owns_lr[1:])) == 123 - 54  # the largest jump: iteration 22 to 23
assert [owners_of_lower_right(ordered.history[t]) for t in (20, 23, 24)] == [[0, 114, 28], [0, 19, 123], [0, 9, 133]]  # the strip's titles
# positive feedback: green's average leans ever more on its lower-right points, and nearer, it owns more of them (from iteration 16)
green_owned = [owners_of_lower_right(ordered.history[t])[2] for t in range(33)]  # green's owned lower-right points (the strip's titles)
assert green_owned[13:16] == [11, 10, 10] and min(green_owned[:24]) == 10  # fewest at iterations 14 and 15
assert all(green_owned[t + 1] > green_owned[t] for t in range(15, 24))  # "owns more of them" (appendix: from iteration 16): 12, 14, 17, 20, 28, ...
green_lr = [float(resp_t[t, labels == 2, 2].sum()) for t in range(33)]  # green's points' worth in the lower-right group
share_lr = [green_lr[t] / float(resp_t[t, :, 2].sum()) for t in range(6, 24)]
assert all(b > a for a, b in zip(share_lr, share_lr[1:]))  # "leans ever more on its lower-right points", 6 to 23
assert all(green_lr[t + 1] > green_lr[t] for t in range(13, 23)) and green_lr[13] < green_lr[12]  # its points' worth there grows from iteration 14 (section 4)
# why so slow
assert f"{(green_step[19] / green_step[8]) ** (1 / 11):.1f}" == "1.2"  # "its steps grow" (appendix: about 1.2 times the one before)
assert 1.1 < (green_step[9:20] / green_step[8:19]).min() and (green_step[9:20] / green_step[8:19]).max() < 1.3
assert (green_step[5:9] < 0.045).all() and f"{green_step[8]:.2f}" == "0.04" and f"{green_step[0]:.2f}" == "2.33"  # "about 0.04 per iteration at first"
assert green_step[5:9].max() - green_step[5:9].min() < 0.005 and green_step[9] > green_step[8]  # "at first (iterations 6 to 9)": flat; "from iteration 10 its steps grow"
assert (green_step[9:20] > green_step[8:19]).all() and f"{green_step[19]:.2f}" == "0.36" and 20 - 9 == 11  # "compounding ... eleven iterations (9 to 20) to reach 0.36"
assert sorted(nearest_means(fit.params.means, truth.means.double()).tolist()) == [0, 1, 2]  # iteration 32: one component per group


# %% 5-local-optima-restarts
finals = [f"{run.log_likelihoods[-1] / N:.3f}" for run in fits.values()]  # the panel titles and the text
assert finals == ["-3.779", "-4.028", "-4.251", "-4.308", "-3.779", "-4.028"] and f"{best / N:.3f}" == "-3.779"  # titles: the best
assert fits["random data points", 11].n_iter == 195 and all(run.converged for run in fits.values())  # the text below; printed
assert finals[0] == finals[4] == f"{best / N:.3f}"  # "random seed 0 and k-means++ seed 0 succeed, for reference"
for key, run in fits.items():  # "matching must pair one of the two sharing a group with another group": in every failure panel
    if key in (("random data points", 0), ("k-means++", 0)):
        continue  # the two best fits
    panel_means = run.params.matched_to(truth).means
    assert (nearest_means(panel_means, truth.means.double()) != torch.arange(K)).any()
left_11 = fits["random data points", 11].params.means[nearest_means(fits["random data points", 11].params.means, truth.means.double()) == 0]
assert left_11.shape[0] == 2 and (left_11[0] - left_11[1]).abs()[0] > 2 * (left_11[0] - left_11[1]).abs()[1]  # seed 11's panel: left/right
shapes = {key: sorted(nearest_means(run.params.means, truth.means.double()).tolist()) for key, run in fits.items()}
assert shapes["random data points", 11] == [0, 0, 1]  # -4.028: two components in the big left group, one on both right-hand groups
assert shapes["k-means++", 5] == shapes["random data points", 11]  # -4.028 twice (finals): the same shape, by two schemes
assert shapes["random data points", 54] == [0, 1, 1] and shapes["random data points", 5] == [0, 2, 2]  # two share a right-hand group
assert not fit_11_default.converged and fit_11_default.n_iter == 100 and len(caught) == 1  # the default max_iter: a warning
assert caught[0].category.__name__ == "EMConvergenceWarning"
assert all(int(run.history[0].means.shape[0]) == K for run in fits.values())  # hollow circles: each start's K means


# %% 5-local-optima-restarts-2
assert (f"{share_02['random data points']:.1%}", f"{share_02['k-means++']:.1%}") == ("23.5%", "97.0%")  # as in 02
assert max(top.values()) < best + 1e-4 * N  # none of the 200 fits beats the best fit (cell 11)
assert f"{max(top.values()) / N:.4f}" == f"{best / N:.4f}" == "-3.7786"  # printed: the highest score is the best fit's
assert misses == {"random data points": [5, 11, 15], "k-means++": [5]}  # the widget's text
assert share["random data points"] == (21, 71, 50, 79) and share["k-means++"][:2] == (99, 99)
assert (100 - share["random data points"][1]) + (100 - share["k-means++"][1]) == 30  # "each of the 30 failures" (appendix: where they end)


# %% pick-a-start
fit_15 = fit_in_reference_order(fit_em(X64, init_random_points(X64, K, generator=torch.Generator().manual_seed(15)), max_iter=1000), truth)
assert misses["random data points"].count(15) == 1  # "random seed 15 misses the best fit"
nearest_15 = [nearest_means(p.means, truth.means.double()).tolist() for p in fit_15.history]  # each iteration: each mean's nearest group
assert all(sorted(groups)[:2] == [0, 0] and sorted(groups)[2] != 0 for groups in nearest_15)  # "the left group holds two, since iteration 0"
for seed, (first, last) in {16: (4, 21), 9: (7, 14)}.items():  # answer 2: a plateau, then an escape to the best fit
    escaped = fit_em(X64, init_random_points(X64, K, generator=torch.Generator().manual_seed(seed)), max_iter=1000)
    rises_seed = escaped.log_likelihoods.diff() / N  # iteration t's rise is rises_seed[t - 1]
    assert (rises_seed[first - 1:last] < 1e-2).all() and rises_seed[first - 2] > 1e-2 and rises_seed[last] > 1e-2
    assert abs(escaped.log_likelihoods[-1] - best) / N < 1e-4  # it ends at the best fit
    if seed == 16:  # "stays between -4.06 and -4.02 from iteration 3 to 21", the longer plateau
        _plateau = escaped.log_likelihoods[3:22] / N
        assert ((_plateau > -4.06) & (_plateau < -4.02)).all() and last - first > 2 * (14 - 7)
        assert not -4.06 < float(escaped.log_likelihoods[2] / N) < -4.02 and not -4.06 < float(escaped.log_likelihoods[22] / N) < -4.02  # not 2, not 22


# %% exercises
fit_wrong = log_responsibilities(X64, fit.params.matched_to(truth)).argmax(dim=1) != labels  # (N,)
truth_wrong = log_responsibilities(X64, truth.to(X64)).argmax(dim=1) != labels
assert int(fit_wrong.sum()) == 2 and int((fit_wrong & truth_wrong).sum()) == 1  # one shared, one the fit's own


def my_em(X, start, max_iter, tol):  # Exercise 7.4's solution: the same loop as section 1's
    params, lls = start, [log_likelihood(X, start)]
    for _ in range(max_iter):
        params = m_step(X, log_responsibilities(X, params).exp())
        lls.append(log_likelihood(X, params))
        if abs(lls[-1] - lls[-2]) / X.shape[0] < tol:
            break
    return params, lls


_, lls_74 = my_em(X64, start, max_iter, tol)
assert len(lls_74) == len(log_likelihoods)  # it stops at the same iteration as section 1's loop
assert (torch.stack(lls_74) - torch.stack(log_likelihoods)).abs().max() / N < 1e-10  # the same values


# %% optional-fine-print-convergence
def q_value(params, r):  # Q(params; theta_old) with r from theta_old, float64
    return (r * (component_log_pdfs(X64, params) + params.weights.log())).sum()


assert len(reg_misses) == fit.n_iter == 32  # one per M-step of the run
for params, formula in zip(fit.history[:-1], reg_misses):  # the printed formula vs the real miss below Q's top (float64)
    r = log_responsibilities(X64, params).exp()
    miss = float(q_value(m_step(X64, r, reg_covar=0.0), r) - q_value(m_step(X64, r), r)) / N
    assert abs(miss / formula - 1) < 0.01  # the second-order formula gives the miss
assert f"{max(reg_misses):.1e}" == "1.2e-12" and (fit.log_likelihoods.diff() / N).min() > 1e4 * max(reg_misses)  # far below every rise
assert f"{exact.log_likelihoods[-1] / N:.4f}" == "-3.7786" and exact.converged  # reg_covar = 0: the same value
assert (exact.log_likelihoods.diff() / N).min() > -1e-12 and f"{min(float(p.variances.min()) for p in exact.history):.2f}" == "0.28"  # never down, bounded
import math  # noqa: E402 (the notebook has no math)

smallest_variance = min(float(p.variances.min()) for p in exact.history)
bound = -math.log(2 * math.pi * smallest_variance)  # each 2-D density <= 1 / (2 pi sqrt(var_0 var_1)) <= 1 / (2 pi * smallest variance)
assert f"{bound:.2f}" == "-0.56" and all(float(ll) / N <= bound for ll in exact.log_likelihoods)


# %% optional-how-fast-near-limit
assert f"{lam:.2f}" == "0.29" and 0.25 < step_ratios.min() <= lam  # the parameters' steps shrink by about 0.29 (rising towards 0.30)
assert [f"{r:.3f}" for r in step_ratios] == ["0.254", "0.277", "0.289"]  # still creeping up at iteration 32
assert f"{lam ** 2:.3f}" == "0.084" and abs(ratios[-1] - lam ** 2) < 0.002  # 0.29² matches the last rise ratio
assert (step_ratios.diff() > 0).all()  # creeping up
assert long_run.n_iter == 40 and f"{long_lam:.2f}" == "0.30" and all(f"{r:.2f}" == "0.09" for r in long_ratios)  # settled: 0.30, 0.09
assert (long_ratios - long_lam ** 2).abs().max() < 0.003  # c = λ² in the limit
assert (long_run.log_likelihoods[:33] - fit.log_likelihoods).abs().max() / N < 1e-12  # the same run, continued


# %% optional-float32-or-float64
rises = fit.log_likelihoods.diff() / N  # per point, float64
assert (rises > 0).all() and f"{rises.min():.1e}" == "4.0e-07" and rises.numel() == 32  # every one of the 32 steps rises
log_px_32 = torch.logsumexp(component_log_pdfs(X, fit32.params) + fit32.params.weights.log(), dim=1).double()  # (N,)
log_px_64 = torch.logsumexp(component_log_pdfs(X64, params_64) + params_64.weights.log(), dim=1)
assert 3e-8 < (log_px_32 - log_px_64).abs().mean() < 1e-6  # float32 rounds each per-point log-density by about 1e-7
assert 5e-9 < abs(float(fit32.log_likelihoods[-1]) / N - float(log_px_64.mean())) < 1e-6  # the recorded value: off by about 1e-8 to 1e-6
spacing = float(torch.nextafter(torch.tensor(3.8), torch.tensor(4.0)) - torch.tensor(3.8))  # float32 numbers between 2 and 4: this far apart
assert f"{spacing:.1e}" == "2.4e-07" and f"{float(log_px_64.mean()):.1f}" == "-3.8"  # "each point's log-density (about -3.8)"
error_32 = abs(float(fit32.log_likelihoods[-1]) / N - float(log_px_64.mean()))  # "off by a fraction of the last rise"
assert error_32 < 0.5 * float(rises[-1])
rises_32 = fit32.log_likelihoods.diff() / N  # per point, float32: the same 32 iterations
assert rises_32.numel() == 32 and ((rises_32[-3:] - rises[-3:]).abs() < 0.1 * rises[-3:]).all()  # "last three rises agree to within 10%"
assert fits["random data points", 5].n_iter == 87 and 87 - stop_5_32 >= 10  # seed 5 stops well before its float64 twin
rises_5 = fits["random data points", 5].log_likelihoods.diff() / N  # (87,): iteration t's rise is rises_5[t - 1]
assert rises_5[58] > 1.5e-6 and (rises_5[59:86] < 1.5e-6).all() and (rises_5[59:86] > 1e-6).all()  # "under 1.5 x tol from iteration 60 on"
assert rises_5[72] - 1e-6 > 1e-7 and (rises_5[73:86] - 1e-6 < 1e-7).all()  # "less than 1e-7 above it from iteration 74 to 86"


# %% optional-close-fit
assert all(fit_error < 3 and labelled_error < 3 for fit_error, labelled_error, _ in worst.values())
assert f"{max(difference for _, _, difference in worst.values()):.1f}" == "0.5"  # the fit is within half an se of the labelled estimates
assert f"{max(fit_error for fit_error, _, _ in worst.values()):.1f}" == "2.3"
assert f"{1 - 0.9545 ** 15:.2f}" == "0.50" and f"{1 - torch.erf(torch.tensor(2 / 2 ** 0.5)).item():.4f}" == "0.0455"  # the text: the largest of 15 misses exceeds 2 standard errors about half the time


# %% optional-plateau-strip
# the strip: seven iterations; its titles count the lower-right group's 142 points owned by 0 / 1 / 2
assert list(stages) == [0, 1, 6, 15, 22, 23, 32] and stages[6] == "plateau" and stages[23] == "takeover"
assert int((labels == 2).sum()) == 142 and strip_owned == {t: owners_of_lower_right(ordered.history[t]) for t in stages}
assert all(strip_owned[t][0] == 0 for t in stages)  # blue owns no lower-right point: the titles name green's and orange's counts
assert {t: strip_owned[t][2] for t in stages} == {0: 104, 1: 76, 6: 25, 15: 10, 22: 54, 23: 123, 32: 141}  # the titles' counts
assert strip_owned[0][1] == 38 and strip_owned[1][1] == 66  # orange: 38, then 66 at iteration 1 (strip titles)
assert torch.equal(owner, log_responsibilities(X64, ordered.history[32]).argmax(dim=1))  # the strip colours each point by its owner (last panel's)
assert torch.equal(shared, largest < 0.6)  # the key: outlined when no component holds the point to 60%
assert int((owner[labels == 2] == 2).sum()) == strip_owned[32][2]  # so its title's counts are the colours seen
assert strip_owned[0][2] - strip_owned[1][2] == 28 == strip_owned[1][1] - strip_owned[0][1]  # orange takes 28 of green's 104: all 28 go to orange (blue owns none)


# %% optional-plateau-table
assert list(stages) == [0, 1, 6, 15, 22, 23, 32] and N == 600 and resp_t.shape == (33, N, K)  # seven iterations; 600 points
assert table_t == [0, 1, 6, 10, 15, 17, 18, 20, 22, 23, 32]  # the strip's and the worth figure's iterations
assert strip_owned == {t: owners_of_lower_right(ordered.history[t]) for t in stages}  # the strip's titles: the table's first column
assert torch.allclose(handed_over * 2, resp_t.diff(dim=0).abs().sum(dim=(1, 2)))  # changed: what one component loses another gains
assert torch.allclose(resp_t.diff(dim=0).sum(dim=2), torch.zeros(1, dtype=resp_t.dtype), atol=1e-12)  # each point's gains and losses cancel
assert f"{handed_over[0]:.0f}" == "101" and (f"{handed_over[5:20].min():.0f}", f"{handed_over[5:20].max():.0f}") == ("6", "17")  # printed


# %% optional-plateau-measured
assert f"{green_step[0]:.2f}" == "2.33" and (green_step[5:9] < 0.045).all() and f"{green_step[19]:.2f}" == "0.36"  # about 0.04, 6 to 9
assert f"{growth:.1f}" == "1.2" and (green_step[9:20] > green_step[8:19]).all()  # it grows every iteration, 10 to 20
_step_ratios = green_step[9:20] / green_step[8:19]
assert 1.1 < _step_ratios.min() and _step_ratios.max() < 1.3  # "from iteration 10 on": each factor between 1.1 and 1.3
assert green_step[8] / green_step[7] < 1.1  # not from iteration 9: step 9 / step 8 is 1.02
assert green_step[5:9].max() - green_step[5:9].min() < 0.005  # "Its steps are flat from 6 to 9" (0.037 to 0.038)
_owned = [owners_of_lower_right(ordered.history[t])[2] for t in range(25)]  # green's owned lower-right points
assert _owned[14] == _owned[15] == 10 == min(_owned) and _owned[13] > 10  # "fewest (10) at iterations 14 and 15"
assert all(_owned[t + 1] > _owned[t] for t in range(15, 24))  # "more at every iteration from 16 on"
_r = green_step[9:22] / green_step[8:21]  # iterations 10 to 22 over the one before
assert 1.1 < _r.min() and _r.max() < 1.3 and f"{green_step[21]:.2f}" == "0.48"  # "from iteration 10 to 22 ... 0.48 at 22"
assert (green_step[22:] < green_step[21:-1]).all()  # "from the takeover (iteration 23) on, the steps shrink"


# %% optional-failure-ends
assert len(failures) == 30 == (100 - 71) + (100 - 99)  # "each of the 30 failures (29 random, 1 k-means++)"
assert failure_ends == {("left, split top/bottom", "-4.027"): 9, ("left, split left/right", "-4.028"): 15, ("upper-right", "-4.250"): 1,
                        ("upper-right", "-4.251"): 3, ("lower-right", "-4.303"): 1, ("lower-right", "-4.308"): 1}  # printed
assert still_moving == len(failures) == 30  # printed: "run on, each still climbs"
for failed in failures:  # the printed split is clear-cut: one direction over twice the other
    end = f"{failed.log_likelihoods[-1] / N:.3f}"
    if end in ("-4.027", "-4.028"):
        on_left = failed.params.means[torch.cdist(failed.params.means, truth.means.to(X64)).argmin(dim=1) == 0]  # (2, D)
        dx0, dx1 = (on_left[0] - on_left[1]).abs().tolist()
        assert (dx1 > 2 * dx0) if end == "-4.027" else (dx0 > 2 * dx1)
for failed in failures:  # "has one component on two groups": one component owns over 90% of each of two true groups' points
    owner = log_responsibilities(X64, failed.params).argmax(dim=1)
    held = torch.stack([torch.bincount(owner[labels == g], minlength=K) / (labels == g).sum() for g in range(K)])  # (groups, K)
    assert ((held > 0.9).sum(dim=0) >= 2).any()
# section 5's main text: "each of the 30 failures has, like the failed panels, one component over two groups" (above)


# %% optional-plateau-fool-stop
assert (stopped_5.n_iter, f"{stopped_5.log_likelihoods[-1] / N:.3f}") == (87, "-4.308")
stop_5_shown = stopped_5.params.matched_to(truth)
assert nearest_means(stop_5_shown.means, truth.means.double()).tolist() == [0, 2, 2]  # at the stop orange and green share the lower-right group
assert (f"{lls_5[-1] / N:.3f}", stopped_5.n_iter + extra_5) == ("-4.302", 519)  # the left panel's title
assert f"{(lls_5[-1] - stopped_5.log_likelihoods[-1]) / N:.1e}" == "5.3e-03"
assert k_small == 2 and (f"{shown_5.weights[2]:.3f}", f"{shown_5.variances[2, 1]:.3f}") == ("0.011", "0.012")  # green, a sliver along x_1
assert int(torch.round(shown_5.weights[2] * N)) == 7 and shown_5.variances[2, 0] > 20 * shown_5.variances[2, 1]  # about 7 points
assert float(shown_5.means[2, 1]) < float(stop_5_shown.means[2, 1]) < float(truth.means[2, 1])  # green ends at the group's lower edge
assert f"{c_5:.3f}" == "0.995" and rise[87] < 1e-6 and f"{promised_5:.1e}" == "1.9e-04"  # the ratio at the stop; the promise
assert round(gained_5 / promised_5) == 28 and f"{gained_5:.1e}" == "5.3e-03"  # "28 times what ... promised"
assert f"{rise[78] / rise[77]:.3f}" == "0.991" and all(rise[t + 1] / rise[t] > rise[t] / rise[t - 1] for t in range(77, 87))  # creeping toward 1
for seed, (final, lls, extra) in settled.items():  # section 5: run on, they settle near lower local optima, far below the best fit
    assert (lls[-1] - fits["random data points", seed].log_likelihoods[-1]) > 0 and (lls[-1] - best) / N < -0.2
assert f"{rise[spike]:.0e}" == "7e-04" and 490 < spike < 505 and rise[1] > rise[spike]  # "the largest rise after the shaded stretch", not overall
assert min(rise[t] for t in range(spike, len(rise) + 1)) < 1e-8 and len(rise) == stopped_5.n_iter + extra_5  # below the plot's floor before settling
assert all(0.8e-6 < rise[t] < 1e-6 for t in range(87, 249)) and rise[86] > 1e-6 < rise[249]  # just below tol at 87-248 (162)
assert (stopped_5.n_iter, last_below) == (87, 248)  # the figure's shaded stretch
assert (lls_5[-1] - lls_5[248 - stopped_5.n_iter]) / N > 4e-3  # a stop anywhere in that stretch falls nearly as short
around = fit_em(X64, stopped_5.params, tol=0, max_iter=spike - stopped_5.n_iter + 10).history  # iterations 87 to spike + 10
green = [float(p.matched_to(truth).weights[2]) for p in around]
assert green[0] > 0.1 and green[-21] > 1.5 * green[-1] and green[-1] < 0.012  # the spike: green shrinking onto its 7 points
assert [f"{moved[seed]:.2f}" for seed in (5, 11, 54)] == ["0.91", "0.15", "0.25"]
for seed in (11, 54):  # moved on too, less
    assert 0 < (settled[seed][1][-1] - fits["random data points", seed].log_likelihoods[-1]) / N < 1e-3
assert shown_5.weights[2] * N >= 2 and shown_5.variances[2].min() > 1e3 * 1e-6  # so recipe step 3 (08's collapse test) keeps it
assert f"{shown_5.variances[2].min() / 1e-6:.0e}" == "1e+04"  # at least about 1e4 times reg_covar
assert (lls_5[-1] - best) / N < -0.5 and (stopped_5.log_likelihoods[-1] - best) / N < -0.5  # step 4 discards it, stopped or settled
