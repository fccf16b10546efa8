# Story checks of notebooks/02_initialisation.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% scheme-1-random-data
import math  # for later sections (the notebook imports none)

assert nearest_means(start.means, truth.means).tolist() == [1, 0, 0]  # in the scheme's order: two means in group 0, none in group 2
_fit64 = fit_em(X.double(), start.to(torch.float64))  # as 00 and 07 fit it
assert nearest_means(_fit64.params.means, truth.means.double()).tolist() == [1, 2, 0]  # EM moves a group-0 mean into group 2
_inner = int(to_group_2.argmin())  # "the mean nearest group 2" (the prose and printout give it no number)
assert torch.allclose(to_group_2, (start.means - truth.means[2]).norm(dim=1)) and nearest_means(start.means, truth.means)[_inner] != 2
assert nearest_means(_fit64.params.means, truth.means.double())[_inner] == 2  # EM moves it into group 2
from matplotlib.colors import to_rgba
from gmm_helpers.teach.style import component_colour
_crosses = [(to_rgba(l.get_color()), l.get_xydata()[0].tolist()) for l in ax.get_lines() if l.get_marker() == "X"]
assert sorted(_crosses) == sorted((to_rgba("black"), m.tolist()) for m in start.means)  # the figure: the poor start's means all black
from matplotlib.patches import Ellipse
assert [to_rgba(e.get_edgecolor(), 1) for e in ax.patches if isinstance(e, Ellipse)] == [to_rgba("black")] * K  # and its circles


# %% scheme-2-k-means
assert f"({first[0]:.2f}, {first[1]:.2f})" == "(2.77, 3.55)" and labels[(X == first).all(dim=1)].tolist() == [1]
assert [f"{p_next[labels == k].sum():.3f}" for k in range(K)] == ["0.677", "0.025", "0.298"]
_size = torch.bincount(labels).tolist()
assert _size[0] == 296 and _size[2] == 142 and [f"{p_next[labels == k].mean():.4f}" for k in (0, 2)] == ["0.0023", "0.0021"]  # per point
_size_ratio = _size[0] / _size[2]
_per_point_ratio = p_next[labels == 0].mean() / p_next[labels == 2].mean()
assert _size_ratio > 2 and _per_point_ratio < 1.1  # "mostly because the group is big, not because it is farther"
_first_index = torch.randint(N, (1,), generator=torch.Generator().manual_seed(0))[0]  # "also the poor start's first mean" (both draw index 44 first)
assert _first_index == 44 and torch.randperm(N, generator=torch.Generator().manual_seed(0))[0] == 44 and torch.equal(first, start.means[0])


# %% scheme-2-k-means-2
assert start_coverage(picked_pp, truth.means) == "group 0 has no mean of its own" and f"({picked_pp[2, 0]:.2f}, {picked_pp[2, 1]:.2f})" == "(0.36, -0.18)"
assert labels[stray] == 0 and f"{to_centre[0]:.2f}" == "2.86" and f"{to_centre[2]:.2f}" == "2.84"
_near_0 = nearest_means(X, truth.means) == 0  # an unlucky draw: most of the third pick's P(n) lay on points nearest group 0
assert f"{p_third[_near_0].sum():.0%}" == "85%" and f"{p_third[stray]:.4f}" == "0.0006" and not _near_0[stray]
assert torch.equal(p_third, dist2_two / dist2_two.sum()) and torch.equal(dist2_two, torch.minimum(((X - picked_pp[0]) ** 2).sum(dim=1), ((X - picked_pp[1]) ** 2).sum(dim=1)))
assert round(8 * (math.log(K) + 2)) == 25  # the guarantee: expected cost at most 8 (ln K + 2) times the best


# %% from-picked-points-start
assert start_coverage(plain_pp.means, truth.means) == "one mean per group" and torch.allclose(centroids, plain_pp.means)  # the figure's centroids
assert nearest_means(picked_pp, truth.means).tolist() == [1, 2, 2]  # panel 1: two green picked points, none blue
assert nearest_means(centroids, truth.means).tolist() == [1, 2, 0]  # panel 3: the stray one's centroid is blue
_clusters = nearest_means(X, picked_pp)  # (N,): the assignment to the picked points gives the weights; the variances use the same clusters
assert torch.allclose(plain_pp.weights, torch.bincount(_clusters, minlength=K) / N)
assert torch.allclose(plain_pp.variances, torch.stack([((X[_clusters == k] - plain_pp.means[k]) ** 2).mean(dim=0) for k in range(K)]) + 1e-6)
assert cluster_groups == [291, 19, 0] and torch.bincount(labels).tolist()[0] == 296 and nearest_means(centroids, truth.means)[2] == 0
import numpy as np
from matplotlib.collections import PathCollection  # the figure: data points grey in panels 2 and 3, so no group colour paints another group
from matplotlib.colors import to_rgba
from gmm_helpers.teach.style import component_colour
_dots = [to_rgba(c.get_facecolor()[0], 1) for ax in axes[1:] for c in ax.collections if isinstance(c, PathCollection)]
assert len(_dots) == 2 * K and all(r == g == b for r, g, b, _ in _dots)  # every cluster grey (its shape tells it apart)
_stray_dots = [[c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) == 310] for ax in axes[1:]]
assert [len(d) for d in _stray_dots] == [1, 1] and all(np.array_equal(d[0].get_paths()[0].vertices, _stray_dots[0][0].get_paths()[0].vertices) for d in _stray_dots)
from matplotlib.markers import MarkerStyle  # "the grey triangles": the stray cluster's dots are triangles
_tri = MarkerStyle("^").get_path().transformed(MarkerStyle("^").get_transform()).vertices
assert np.allclose(_stray_dots[0][0].get_paths()[0].vertices, _tri)
_crosses_3 = {to_rgba(l.get_color()) for l in axes[2].get_lines() if l.get_marker() == "X"}
assert _crosses_3 == {to_rgba(component_colour(k)) for k in range(K)}  # panel 3: the centroids in their nearest groups' colours
assert [ax.get_title().split("\n")[1] for ax in axes] == ["colour: each one's nearest group", "grey, in that picked point's shape",
                                                          "colour: the centroid's nearest group"]  # each panel's rule
_triangles = [[tuple(line.get_xydata()[0]) for line in ax.get_lines() if line.get_marker() == "^"] for ax in axes]
assert _triangles == [[tuple(picked_pp[2].tolist())]] * 3  # the stray picked point (number 2) is the triangle, in every panel
_shapes = [line.get_marker() for line in axes[0].get_lines() if line.get_label().startswith("picked point")]
assert len(set(_shapes)) == K  # each picked point its own shape


# %% many-starts-side-side
verdicts = {(scheme, s): start_coverage(init(X, K, generator=torch.Generator().manual_seed(s)).means, truth.means)
            for scheme, init in [("random", init_random_points), ("greedy", init_kmeans_plusplus)] for s in random_seeds}
assert random_seeds == [4, 11, 5] and 0 not in random_seeds  # the poor start is not in the grid (it is drawn above, in black)
assert [verdicts["random", s] for s in random_seeds] == ["groups 0 and 2 have no mean of their own", "group 2 has no mean of its own",
                                                        "group 1 has no mean of its own"]
assert [verdicts["greedy", s] for s in random_seeds] == ["one mean per group", "one mean per group", "group 2 has no mean of its own"]
assert nearest_means(init_random_points(X, K, generator=torch.Generator().manual_seed(11)).means, truth.means).sort().values.tolist() == [0, 0, 1]  # seed 11: two blue
assert tall == 1 and f"{start_5.variances[tall, 1]:.2f}" == "7.25" and start_5.means[tall, 0] > 1  # the tall orange ellipse, on the right
to_centres = (init_random_points(X, K, generator=torch.Generator().manual_seed(4)).means[:, None, :] - truth.means[None]).norm(dim=2)  # (K, K)
assert (to_centres.argmin(dim=1) == 1).all() and to_centres[2].min() > 2.5  # seed 4: all nearest group 1, one in the empty middle
means_5 = init_random_points(X, K, generator=torch.Generator().manual_seed(5)).means
assert sorted(nearest_means(means_5, truth.means).tolist()) == [0, 2, 2]  # random seed 5: two green
assert nearest_means(start_5.means, truth.means).tolist() == [0, 1, 0]  # greedy seed 5: two blue, the tall one orange
_greedy_fails = [s for s in range(1, 21) if start_coverage(init_kmeans_plusplus(X, K, generator=torch.Generator().manual_seed(s)).means, truth.means) != "one mean per group"]
assert _greedy_fails == [5]  # "picked to show failures; greedy's, seed 5, is a rare one": its only failure in seeds 1-20; "3% of its seeds fail": the 97.0% asserted in the next section


# %% many-starts-side-side-2
for _s in range(200):  # "at each seed all schemes share their first point" (in this PyTorch version; seeds 0-199)
    assert torch.randperm(N, generator=torch.Generator().manual_seed(_s))[0] == torch.randint(N, (1,), generator=torch.Generator().manual_seed(_s))[0]
    _first = init_random_points(X, K, generator=torch.Generator().manual_seed(_s)).means[0]
    assert all(torch.equal(_first, kmeans_plusplus_means(X, K, generator=torch.Generator().manual_seed(_s), n_local_trials=t)[0]) for t in (1, None))
assert {scheme: [f"{s:.1%}" for s in pair] for scheme, pair in shares.items()} == {
    "random data points": ["23.5%", "55.5%"], "plain k-means++": ["66.5%", "88.5%"], "greedy k-means++": ["92.0%", "97.0%"]}
assert abs(expected_share - 1 / 5) < 0.01 and abs(shares["random data points"][0] - expected_share) < 0.05  # "only about one start in five" (cell 12): 19.7% by chance, 23.5% counted
assert f"{expected_share:.1%}" == "19.7%"  # the dashed line: what chance predicts for random points
for _s in range(5):  # "`init_random_points` has none": its means are data points, no Lloyd iteration (the 55.5% bar is a variant used only here)
    _m = init_random_points(X, K, generator=torch.Generator().manual_seed(_s)).means
    assert all((X == m).all(dim=1).any() for m in _m)
for scheme, (good_seeds, good_after) in good.items():
    assert any(a and not s for s, a in zip(good_seeds, good_after))  # one Lloyd iteration repairs some failed picked points
    assert not any(s and not a for s, a in zip(good_seeds, good_after))  # and breaks no good one


# %% what-a-good-start-buys
assert f"{best:.4f}" == "-3.7786" and all(scores.max() <= best + 1e-6 for scores, _ in outcome.values())  # the best fit: the highest any start reaches
_reach = {scheme: int((scores > best - 1e-3).sum()) for scheme, (scores, _) in outcome.items()}
_median = {scheme: int(iters.median()) for scheme, (_, iters) in outcome.items()}
assert _reach == {"random data points": 71, "greedy k-means++": 99, "plain k-means++": 93}
assert _median == {"random data points": 15, "greedy k-means++": 6, "plain k-means++": 7}
assert all(iters.double().quantile(0.5) == iters.median() for _, iters in outcome.values())  # no half-way median (100 runs)
assert all(iters.max() < 1000 for _, iters in outcome.values())  # every run met tol before max_iter
_good_random = [one_mean_per_group(init_random_points(X64, K, generator=torch.Generator().manual_seed(s)).means) for s in range(100)]
assert sum(_good_random) == 21 and _good_random == good["random data points"][0][:100]  # "only 21 with one mean per group"
assert all(r >= g for r, g in zip(outcome["random data points"][0] > best - 1e-3, _good_random))  # every good random start reaches it
_bad_reach = [bool(r) for r, g in zip(outcome["random data points"][0] > best - 1e-3, _good_random) if not g]
assert len(_bad_reach) == 79 and sum(_bad_reach) == 50  # "all 21 good starts and, repaired by EM, 50 of the 79 bad ones"


# %% many-starts-side-side-3
lucky = [s for s in range(1, 21) if start_coverage(init_random_points(X, K, generator=torch.Generator().manual_seed(s)).means, truth.means) == "one mean per group"]
assert lucky == [6, 8, 17, 19]
_plain = lambda X, K, generator: init_kmeans_plusplus(X, K, generator=generator, n_local_trials=1)  # the widget's plain scheme
_fails = {name: [s for s in range(1, 21) if start_coverage(init(X, K, generator=torch.Generator().manual_seed(s)).means, truth.means)
                 != "one mean per group"] for name, init in [("greedy", init_kmeans_plusplus), ("plain", _plain)]}
assert _fails == {"greedy": [5], "plain": [8, 9, 15, 19]}  # after the Lloyd iteration, as the widget shows them


# %% bad-start-costs
import inspect  # the stop: fit_em's default tol, 1e-6 per point
assert inspect.signature(fit_em).parameters["tol"].default == 1e-6
assert [f"{per_point[s]:.3f}" for s in (0, 5)] == ["-3.779", "-4.028"]
assert f"{gap:.3f}" == "0.249" and f"{N * gap:.1f}" == "149.5"  # as printed
import math  # "about e^150 (10^65) times": the printed 0.249 x 600 and 149.5 both round to 150
assert N == 600 and round(N * 0.249, -1) == round(N * gap, -1) == 150 and f"{150 / math.log(10):.0f}" == f"{N * gap / math.log(10):.0f}" == "65"
assert f"{fits[5].params.variances[tall, 1]:.2f}" == "7.29" and nearest_means(fits[5].params.means, truth.means.double())[tall] == 1  # kept, orange
assert fit_poor.converged and (fit_poor.n_iter, fits[0].n_iter) == (32, 6)  # the poor start: 32 iterations against 6
assert f"{per_point_poor:.3f}" == f"{per_point[0]:.3f}" == "-3.779" and abs(per_point_poor - per_point[0]) < 1e-6  # the same fit
assert per_point[0] == best  # greedy seed 0 ends on the best fit
assert mean_shift < 1e-3  # the same means as greedy seed 0's fit
_g5 = nearest_means(fits[5].params.means, truth.means.double()).tolist()  # the figure, right: two blue means, one orange
assert _g5 == [0, 1, 0] and [f"{w:.2f}" for w in fits[5].params.weights] == ["0.17", "0.52", "0.31"]
assert nearest_means(fits[0].params.means, truth.means.double()).sort().values.tolist() == [0, 1, 2]  # left: one mean per group
assert [ax.get_title().split("\n")[-1] for ax in axes] == ["log-likelihood -3.779 per point", "log-likelihood -4.028 per point", "log-likelihood -4.042 per point"]  # the titles' scores
# the right panel: the poor start at iteration 13 (theta_13), on its plateau, shares only the tall orange with greedy seed 5 (middle)
_ref = fit_in_reference_order(fit_poor, truth)  # component k ends on group k: 0 blue, 1 orange, 2 green
assert nearest_means(_ref.params.means, truth.means.double()).tolist() == [0, 1, 2] and plateau[0] <= 13 <= plateau[1]
assert torch.equal(poor_13.means, _ref.history[13].means) and panels[2][1] == [component_colour(k) for k in range(K)]
assert f"{fit_poor.log_likelihoods[13].item() / N:.3f}" == "-4.042" and axes[2].get_title().startswith("the poor start at iteration 13 (plateau)\ncolour: the group each mean ends on\n")  # fit_in_reference_order: component k ends on group k
assert int(poor_13.variances[:, 1].argmax()) == 1 and poor_13.variances[1, 1] > 7 and fits[5].params.variances[tall, 1] > 7  # "its tall orange component"
assert (poor_13.means[1] - fits[5].params.means[tall]).norm() < 0.5  # near where seed 5's tall one sits (0.28 apart)
from gmm_helpers import log_responsibilities
_own13 = log_responsibilities(X64, poor_13).argmax(dim=1)  # each point's most responsible component at theta_13
assert (_own13[labels == 1] == 1).all() and (_own13[labels == 2] == 1).float().mean() > 0.9  # "over both right-hand groups"
assert _g5.count(0) == 2 and [component_colour(g) for g in _g5] == panels[1][1]  # seed 5: "two blues in group 0"
assert panels[2][1].count(component_colour(0)) == 1 and (_own13[labels == 0] == 0).float().mean() > 0.85  # the poor start: "one blue" (264 of group 0's 296)
assert (poor_13.variances[2] > 3 * poor_13.variances[0]).all() and f"{poor_13.weights[2]:.2f}" == "0.15"  # "a wide green" (4.52, 2.28 against blue's 1.31, 0.67)
assert truth.means[0, 0] + 1 < poor_13.means[2, 0] < truth.means[1:, 0].min() - 1 and torch.cdist(poor_13.means[2:], truth.means.double()).min() > 2  # "in the gap"; with the two lines above: "shares only that orange"
assert ((log_responsibilities(X64, _ref.params).argmax(dim=1)[labels == 2] == 2).sum() >= 140)  # "which later wins group 2"
from matplotlib.backends.backend_agg import FigureCanvasAgg
_rend = FigureCanvasAgg(axes[0].figure).get_renderer()  # the legend sits below the panels' x_0 labels, covering none
assert axes[0].figure.legends[0].get_window_extent(_rend).y1 < min(ax.xaxis.label.get_window_extent(_rend).y0 for ax in axes)
assert [t.get_text() for t in axes[2].texts] == [f"{w:.2f}" for w in poor_13.weights]
assert [t.get_text() for t in axes[1].texts] == ["0.17", "0.52", "0.31"]  # the figure: each mean's weight beside it
_gain = (fit_poor.log_likelihoods / N).diff()  # (n_iter,): _gain[t - 1] is the rise at iteration t (theta_t vs theta_(t-1))
assert [t for t in range(1, fit_poor.n_iter + 1) if _gain[t - 1] < 0.01] == list(range(6, 21)) + [28, 29, 30, 31, 32]  # the plateau: 6 to 20
assert plateau == (6, 20) and (_gain[5:20] < 0.01).all() and _gain[4] > 0.01 and _gain[20] > 0.01  # bounded by the rises at 5 and 21 (0.015)
_ll = fit_poor.log_likelihoods / N
assert [f"{_ll[t]:.2f}" for t in (6, 20)] == ["-4.07", "-4.02"] and _ll[6] < per_point[5] < _ll[20]  # "from -4.07 to -4.02, past seed 5's final"
assert fit_poor.log_likelihoods[-1] / N > per_point[5] + 0.2  # then escapes
_ll5 = fits[5].log_likelihoods / N  # greedy seed 5: nearly final by iteration 2, then creeps
assert per_point[5] - _ll5[2] < 0.003 and _ll5[2:].diff().max() < 0.001 and fits[5].n_iter - 2 == 30
assert f"{_ll5[2]:.3f}" == "-4.030" and f"{_ll5[2:].diff().max():.1e}" == "6.3e-04" and _ll5[2:].diff().max() == _ll5[3] - _ll5[2]  # as printed; the same 6.3e-4 as the rise at iteration 3 in the table
_lines = [l for l in ax_curves.get_lines() if l.get_label() in [f"{n}: {f.n_iter} iterations" for n, (f, *_) in curves.items()]]
assert [len(l.get_xdata()) for l in _lines] == [33, 7, 33] and [l.get_label().split(": ")[1] for l in _lines] == ["32 iterations", "6 iterations", "32 iterations"]
assert ax_curves.get_ylim()[0] < min(float(l.get_ydata()[1:].min()) for l in _lines) and fit_poor.log_likelihoods[0] / N < ax_curves.get_ylim()[0]  # only the poor start's iteration 0 is off the scale
assert f"{fit_poor.log_likelihoods[0].item() / N:.2f}" == "-7.68" and ax_curves.get_ylim()[1] > per_point[0]
assert min(float(l.get_ydata()[1:].min()) for l in _lines) - ax_curves.get_ylim()[0] > 0.05  # the poor start's iteration 1 (-4.23) clear of the floor
_p0 = fit_poor.history[0]  # why -7.68: no mean near group 2, variance-1 circles, so group 2's points are far out in every component
assert (_p0.variances == 1).all() and (torch.cdist(X64[labels == 2], _p0.means).min(dim=1).values.mean() > 5)  # ~5.6 sd from the nearest mean
_mix0 = torch.stack([log_likelihood(X64[labels == k], _p0) / (labels == k).sum() for k in range(K)])  # per point, by group
assert _mix0[2] < -15 and (_mix0[:2] > -5).all()  # group 2's points (about -18.8 each) pull the average down to -7.68
assert inspect.signature(fit_em).parameters["max_iter"].default == 100 and fit_poor.n_iter == fits[5].n_iter < 100  # "a coincidence ... far below the cap"
assert fits[5].n_iter == 32 and fits[5].converged  # its iteration count is the creep under the 1e-6 tolerance, not a cost of the start
assert [t.get_text().split(":")[0] for t in ax_curves.texts if t.get_text()] == ["plateau", "stuck"]  # the annotations
assert [t.get_text() for t in ax_curves.texts if t.get_text()][1] == "stuck: run on, it gains\nunder 1e-5 per point"  # the tol=1e-10 run, next section
assert [t.xy for t in ax_curves.texts if t.get_text()] == [(13, _ll[13].item()), (29, per_point[5])] and 13 in range(6, 21)  # point at the plateau and seed 5's line
assert abs(fits[5].log_likelihoods[29].item() / N - per_point[5]) < 1e-4 and ax_curves.get_ylim()[0] < -4.19  # the arrow hits seed 5's line
assert ax_curves.get_title() == "A bad start costs iterations (the poor start) or the fit (greedy seed 5)"
_shade = [p for p in ax_curves.patches if p.get_label().startswith("the poor start's plateau")]
assert len(_shade) == 1 and _shade[0].get_label() == "the poor start's plateau, iterations 6-20: rises below 0.01"
assert (_shade[0].get_x(), _shade[0].get_x() + _shade[0].get_width()) == (5.5, 20.5)  # the shading covers iterations 6 to 20
# the text after the figure: the poor start fails "one mean per group", yet its mean nearest group 2 ends there
assert start_coverage(start.means, truth.means) != "one mean per group"
assert nearest_means(fit_poor.params.means, truth.means.double())[int(to_group_2.argmin())] == 2
# the proxy, quoted from 07 section 5 (of 100 random starts 21 have one mean per group and 71 reach the best fit,
# 50 of the 79 others: the summary's "EM repairs many of the others"):
from gmm_helpers.teach.story import STORIES  # 07's story pins these counts where 07 computes them
assert 'share["random data points"] == (21, 71, 50, 79) and share["k-means++"][:2] == (99, 99)' in (STORIES / "07_em_fit.py").read_text()
_07 = (STORIES.parent.parent / "notebooks" / "07_em_fit.ipynb").read_text()  # "seeds 0-99, half of these 200": 07 fits the first 100 of 02's 200
assert "manual_seed(s)) for s in range(200)]  # 02's 200 starts" in _07 and "starts = starts[:100]  # fit the first 100" in _07
assert torch.equal(fit_poor.history[0].means, start.means.double())
from matplotlib.colors import to_rgba
assert len({to_rgba(l.get_color()) for l in _lines}) == 3  # three distinguishable curve colours
assert not {to_rgba(l.get_color()) for l in _lines} & {to_rgba(component_colour(k)) for k in range(K)}  # none a group's colour



# %% bad-start-costs-2
from gmm_helpers import log_responsibilities as _log_resp
# the two flat stretches told apart by their rises (rise at iteration t: theta_t against theta_(t-1), per point)
assert torch.equal(rise_5, (fits[5].log_likelihoods / N).diff()) and torch.equal(rise_poor, (fit_poor.log_likelihoods / N).diff())
assert at == [1, 3, 6, 10, 14, 15, 16, 20, 23, 32] and len(rise_5) == len(rise_poor) == 32
assert (rise_5.diff() < 0).all()  # greedy seed 5: "its rise shrinks at every iteration"
assert f"{rise_5[3 - 1]:.1e}" == "6.3e-04" and f"{rise_5[32 - 1]:.1e}" == "9.7e-07"  # "from 6.3e-4 at iteration 3 to 9.7e-7 at 32"
assert [f"{rise_poor[t - 1]:.1e}" for t in (14, 15)] == ["1.8e-03", "1.8e-03"] and int(rise_poor.argmin()) + 1 > 20  # the plateau's smallest, "1.8e-3"
assert int(rise_poor[:20].argmin()) + 1 == 15 and (rise_poor[:15].diff() < 0).all()  # the poor start's rises shrink up to 15 ...
assert (rise_poor[15 - 1:23].diff() > 0).all() and rise_poor[23 - 1] > 0.05  # "... then grow", up to the takeover at iteration 23
for _t in range(plateau[0], plateau[1] + 1):  # "on its plateau the poor start looks like greedy seed 5's fit": one tall component over both right-hand groups
    _h = fit_poor.history[_t]
    _j = int(_h.variances[:, 1].argmax())  # the poor start's tall component at iteration _t
    _owner = _log_resp(X64, _h).argmax(dim=1)  # each point's most responsible component, at theta_t
    assert _h.variances[_j, 1] > 7 and (_h.means[_j] - fits[5].params.means[tall]).norm() < 0.5  # like seed 5's (7.29 along x_1)
    assert (_owner[labels == 1] == _j).float().mean() > 0.95 and (_owner[labels == 2] == _j).float().mean() > 0.75  # it owns most of groups 1 and 2
assert f"{rise_poor[0]:.1f}" == "3.5" and (rise_5[:10].diff() < 0).all()  # the table: the poor start's rises shrink from 3.5 at 1 to 1.8e-3 at 15
# greedy seed 5 run on with tol = 1e-10 keeps its score to four decimals over 645 iterations (the figure: "stuck: run on,
# it gains under 1e-5 per point"; it still climbs a little, as 07 says of its stopping points)
assert 0 < (fit_5_on.log_likelihoods[-1] - fits[5].log_likelihoods[-1]).item() / N < 1e-5
assert fit_5_on.converged and fit_5_on.n_iter == 645 and fit_5_on.n_iter > 10 * fits[5].n_iter and torch.equal(fit_5_on.history[0].means, fits[5].history[0].means)
assert f"{fit_5_on.log_likelihoods[-1].item() / N:.4f}" == f"{per_point[5]:.4f}" == "-4.0278"


# %% bad-start-costs-3
# tol = 2e-3 stops the poor start on its plateau, at iteration 13, below greedy seed 5
assert torch.equal(fit_poor_loose.history[0].means, start.means.double()) and fit_poor_loose.n_iter == 13 and plateau[0] <= 13 <= plateau[1]
assert f"{fit_poor_loose.log_likelihoods[-1].item() / N:.3f}" == "-4.042" and fit_poor_loose.log_likelihoods[-1].item() / N < per_point[5]  # below seed 5

# %% optional-inside-greedy-k
assert 2 + math.floor(math.log(K)) == 3  # candidates per step of greedy k-means++
assert torch.equal(picked_greedy[:2], picked_pp[:2]) and nearest_means(picked_greedy, truth.means).tolist() == [1, 2, 0]
g = torch.Generator().manual_seed(0)  # greedy's draws, replayed: step 1 uniform, step 2 three candidates by d^2
first_index = torch.randint(N, (1,), generator=g)
d2_1 = ((X - X[first_index]) ** 2).sum(dim=1)
running = d2_1.double().cumsum(dim=0)
candidates = torch.searchsorted(running, torch.rand(3, generator=g, dtype=torch.float64) * running[-1], right=True)
cost_after = torch.stack([torch.minimum(d2_1, ((X - X[c]) ** 2).sum(dim=1)).sum() for c in candidates])
assert torch.equal(X[candidates[0]], picked_pp[1]) and cost_after.argmin() == 0  # candidate 1 = plain's draw, and it wins
assert torch.allclose(start_pp.means, torch.stack([X[nearest_means(X, picked_greedy) == k].mean(dim=0) for k in range(K)]))
assert shares["greedy k-means++"][0] > shares["plain k-means++"][0] + 0.2  # "far more often"


# %% optional-k-means-limit-em
# the restricted EM: responsibilities -> nearest-mean assignments, log-likelihood -> -phi / 2 s2 + N c
# equal weights, one shared fixed variance s2 -> 0; at s2 = 1e-3 on these data
_X, _mu, _s2 = X.double(), start.means.double(), 1e-3  # any means will do; the poor start's
_d2 = ((_X[:, None, :] - _mu[None]) ** 2).sum(dim=2)  # (N, K): d_k^2 for every point
_r = torch.softmax(-_d2 / (2 * _s2), dim=1)  # (N, K): the responsibilities of the formula
assert (_r.argmax(dim=1) == _d2.argmin(dim=1)).all() and (_r.amax(dim=1) > 0.99).float().mean() > 0.99  # (almost) wholly to the nearest mean
_phi = _d2.amin(dim=1).sum()
_ll = log_likelihood(_X, GMMParams(torch.full((K,), 1 / K, dtype=_X.dtype), _mu, torch.full((K, D), _s2, dtype=_X.dtype)))
_const = -N * (D / 2 * math.log(2 * math.pi * _s2) + math.log(K))  # log-likelihood = -phi / (2 s2) + const (+ at most N ln K)
_rest = _ll - (-_phi / (2 * _s2) + _const)  # each point's other components add between 0 and ln K (up to rounding)
assert -1e-6 <= _rest <= N * math.log(K) and _rest.abs() < 1e-6 * _phi / (2 * _s2)
_mu2 = fits[0].params.means  # two sets of means: their log-likelihoods differ by Delta / 2 s2, give or take at most N ln K
_phi2 = ((_X[:, None, :] - _mu2[None]) ** 2).sum(dim=2).amin(dim=1).sum()
_ll2 = log_likelihood(_X, GMMParams(torch.full((K,), 1 / K, dtype=_X.dtype), _mu2, torch.full((K, D), _s2, dtype=_X.dtype)))
assert ((_ll2 - _ll) - (_phi - _phi2) / (2 * _s2)).abs() <= N * math.log(K) and _phi2 < _phi and _ll2 > _ll


# %% optional-fixed-variance-ignores
_xl, _yl = axes[0, 0].get_xlim(), axes[0, 0].get_ylim()  # the figure's data x 0.1, random data points, zoomed out
_m = init_random_points(X * 0.1, K, generator=torch.Generator().manual_seed(0)).means  # (K, D): variance 1 each
_circles = [e for e in axes[0, 0].patches if isinstance(e, Ellipse)]
_centres = torch.tensor(np.array([e.get_center() for e in _circles]), dtype=X.dtype)
assert len(_circles) == K and torch.allclose(_centres, _m) and all(abs(e.width - 2) < 1e-6 and abs(e.height - 2) < 1e-6 for e in _circles)  # radius 1
assert (_m[:, 0] - 1 > _xl[0]).all() and (_m[:, 0] + 1 < _xl[1]).all() and (_m[:, 1] - 1 > _yl[0]).all() and (_m[:, 1] + 1 < _yl[1]).all()  # shown whole
_span = (X * 0.1).amax(dim=0) - (X * 0.1).amin(dim=0)  # (D,): the cloud's width and height at x 0.1
assert 2 > 1.5 * _span.max()  # "far wider than the data": each circle's diameter, 2, against the cloud's widest extent
assert "far wider than the data" in " ".join(t.get_text() for t in axes[0, 0].texts).replace("\n", " ") and "zoomed out" in axes[0, 0].get_title()
assert not any(t.get_text().startswith("group") for t in axes[0, 0].texts)  # the small cloud's group labels removed; the panel below names them
_crosses_01 = [to_rgba(l.get_color()) for ax_ in axes[0] for l in ax_.get_lines() if l.get_marker() == "X"]
assert _crosses_01 == [to_rgba("black")] * (3 * K)  # the top row is the poor start: black, as in its own figure
_g0 = init_kmeans_plusplus(X, K, generator=torch.Generator().manual_seed(0))  # greedy seed 0: paired colours = nearest-group colours
assert nearest_means(_g0.matched_to(truth).means, truth.means).tolist() == [0, 1, 2]


# %% optional-count-good-random
assert f"{expected_share:.3f}" == "0.197" and sizes == [285, 165, 150] and torch.bincount(labels).tolist() == [296, 162, 142]
assert nearer_other == 13 and nearest_means(X, truth.means)[stray] == 2 and labels[stray] == 0  # the stray picked point is one of them
_equal = 6 * 200**3 / (N * (N - 1) * (N - 2))  # three equal groups of 200, distinct picks
assert f"{_equal:.1%}" == "22.3%" > f"{expected_share:.1%}" == "19.7%" and f"{measured:.1%}" == "23.5%"
assert f"{(measured - expected_share) / standard_error:.1f}" == "1.4"  # standard errors above the 19.7%


# %% optional-checking-sampler-against
assert f"{exact[3:].sum():.2f}" == "0.59" and 0.97 <= round(other_group.min().item(), 2) and round(other_group.max().item(), 2) == 0.99
assert miss_d.argmax() == 4 and f"{miss_d[4]:.1f}" == "9.2" and 0.9 < spread_d[4] < 1.1  # worst at (6, 5): 9.2 standard errors, give or take about 1
assert miss_d[4] - 5 > 4 * spread_d[4]  # a dist sampler's run misses by more than the allowed 5 in practically every run
assert n_tiny * math.erfc(5 / math.sqrt(2)) < 1e-5  # a correct sampler: 5 points, each beyond 5 standard errors with chance 6e-7
assert f"{math.erfc(5 / math.sqrt(2)):.0e}" == "6e-07"  # the chance quoted
