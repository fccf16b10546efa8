# Story checks of notebooks/01_synthetic_data.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% drawing-the-component
assert sums.tolist() == [0.5, 0.75, 1.0] and v_example == 0.6  # the running example's sums; v = 0.6
assert int((sums <= v_example).sum()) == 1 and sums[0] <= v_example < sums[1]  # one sum <= v: [C_0, C_1), component 1
assert [round(p.get_width(), 6) for p in ax.patches] == weights.tolist()  # the figure's pieces have lengths pi_0, ..., pi_{K-1}
assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "$C_0$ = 0.5", "$C_1$ = 0.75", "$C_2$ = 1"]
assert ax.get_xlabel() == "uniform draw $v$ on [0, 1)"
assert picked == 1 and [p.get_alpha() for p in ax.patches] == [0.2, 0.8, 0.2]  # the piece v lands in is highlighted


# %% two-samplers
assert f"{1 - math.exp(-0.5):.0%}" == "39%" and f"{1 - math.exp(-2):.0%}" == "86%"  # the legend's 1- and 2-sigma ellipse shares in 2-D (00)
assert labels_loop[0] == 0 != labels[0] == 2  # the two samplers: their first labels differ (both printed)
g_alt, cum_64, alt = torch.Generator().manual_seed(0), torch.cumsum(weights.double(), dim=0), []  # 'Order': sample_gmm's
for n in range(N):  # label rule (a float64 uniform per label), but alternating label and noise as the loop does:
    alt.append(int((cum_64 <= torch.rand(1, dtype=torch.float64, generator=g_alt)).sum())); torch.randn(D, generator=g_alt)
assert alt[0] == labels[0] and alt[1] != labels[1]  # the same first label, then the order alone makes them differ
g_first, cum_32 = torch.Generator().manual_seed(0), torch.cumsum(weights, dim=0)  # and the loop's rule, all labels first:
first_all = [int((cum_32 <= torch.rand(1, generator=g_first)).sum()) for n in range(N)]
assert first_all[0] == labels_loop[0] and first_all[1] != labels_loop[1]
assert not torch.equal(X_loop[0], X[0]) and not torch.equal(labels_loop, labels)
v_all = torch.rand(N, dtype=torch.float64, generator=torch.Generator().manual_seed(0))  # 'multinomial turns random numbers into labels its own way' (here: float64 uniforms, all labels first)
assert torch.equal((cum_64 <= v_all[:, None]).sum(dim=1), labels)  # sample_gmm's labels: the cumulative-sum rule on those uniforms
first_u = float(torch.rand(1, generator=torch.Generator().manual_seed(0)))  # 'the loop's first uniform, 0.4963, lands in component 0's piece'
assert f"{first_u:.4f}" == "0.4963" and labels_loop[0] == 0 != labels[0]  # the same seed, yet multinomial's first label is 2
assert first_u < float(weights[0]) and int(torch.multinomial(weights, 1, generator=torch.Generator().manual_seed(0))) == 2  # seed 0: rand picks component 0, multinomial component 2
n_big = 20_000  # the same distribution (multinomial: 'the same law as the cumulative sums'): both samplers, at 20000 points, are within 5 standard errors of the truth
for x_s, lab_s in (sample_loop(weights, means, variances, n_big, torch.Generator().manual_seed(1)),
                   sample_gmm(truth, n_big, generator=torch.Generator().manual_seed(1))):
    est_s, nk_s = empirical_params(x_s, lab_s, K), torch.bincount(lab_s, minlength=K)[:, None]
    assert ((est_s.weights - weights).abs() < 5 * (weights * (1 - weights) / n_big).sqrt()).all()
    assert ((est_s.means - means).abs() < 5 * (variances / nk_s).sqrt()).all()
    assert ((est_s.variances - variances).abs() < 5 * variances * (2 / nk_s).sqrt()).all()


# %% timing
assert 1e-6 < loop_s / N_timing < 1e-3  # 'microseconds per point, printed below' (about 20 us on a quiet laptop): a loose range, not a benchmark
assert loop_s / vectorised_s > 3  # (loose: on a loaded 2-core machine the ratio falls from ~500 to ~5) 'the vectorised form [pays it] a handful of times': far faster


# %% labelled-ml
shrunk = [truth._replace(means=truth.means.double().index_put((torch.tensor(0),), X[0].double()), weights=truth.weights.double(),
                         variances=truth.variances.double().index_put((torch.tensor(0),), torch.full((2,), s, dtype=torch.float64)))
          for s in (1e-8, 1e-16, 1e-32)]  # 'for a mixture, l has no largest value': component 0 on one point, its variance -> 0
ll_shrunk = [float(log_likelihood(X.double(), p_s)) for p_s in shrunk]
assert ll_shrunk[0] + 15 < ll_shrunk[1] < ll_shrunk[2] - 30  # grows like log(1 / variance): without bound
alone = [float(log_likelihood(X.double(), truth._replace(weights=torch.ones(1, dtype=torch.float64), means=X[:1].double(),
                                                           variances=torch.full((1, 2), s, dtype=torch.float64)))) for s in (1e-2, 1e-4)]
assert alone[1] < alone[0] - 1e4  # 'K >= 2': with K = 1 nothing keeps the other points' densities up, and l falls
in_2 = X[labels == 2]  # (the fine print) 'it adds 1e-6 to every variance' (reg_covar): empirical_params' variances are the ML ones plus 1e-6
assert torch.allclose(from_labels.variances[2], ((in_2 - in_2.mean(dim=0)) ** 2).mean(dim=0) + 1e-6, rtol=0, atol=2e-7)  # float32 rounding
for k_h in range(K):  # 'checked by hand below': each printed pair of rows agrees digit for digit
    in_h = X[labels == k_h]
    hand = [len(in_h) / N, *in_h.mean(dim=0).tolist(), *((in_h - in_h.mean(dim=0)) ** 2).mean(dim=0).tolist()]
    pkg = [float(from_labels.weights[k_h]), *from_labels.means[k_h].tolist(), *from_labels.variances[k_h].tolist()]
    assert [f"{a:+.4f}" for a in hand] == [f"{b:+.4f}" for b in pkg] and max(abs(a - b) for a, b in zip(hand, pkg)) < 2e-6
x_21 = X[labels == 2, 1].double()  # the variance steps: f(s) = -(N_k / 2) log s - S / (2 s) peaks at s = S / N_k (here S > 0)
S_21 = float(((x_21 - x_21.mean()) ** 2).sum())
f_var = [-len(x_21) / 2 * math.log(s) - S_21 / (2 * s) for s in (S_21 / len(x_21) * c for c in (0.99, 1.0, 1.01))]
assert S_21 > 0 and f_var[1] > max(f_var[0], f_var[2])


# %% estimates-in-ses
u_15 = u_running.flatten()  # row by row: component k's fraction, means x0 x1, variances x0 x1
assert len(u_15) == 15 and within == [13, 14] and f"{float(u_15.abs().max()):.2f}" == "2.07"  # the printed line
assert int(u_15.abs().argmax()) == 2 * 5 + 2 and float(u_running[2, 2]) < -2  # the largest miss: component 2's mean along x1, low
assert torch.equal(u_running[:, 0], (from_labels.weights - weights) / (weights * (1 - weights) / N).sqrt())  # the SE formulas, true values in
n_k = torch.bincount(labels, minlength=K)[:, None]  # (K, 1)
assert torch.equal(u_running[:, 1:3], (from_labels.means - means) / (variances / n_k).sqrt())
assert torch.equal(u_running[:, 3:], (from_labels.variances - variances) / (variances * (2 / n_k).sqrt()))
worked = [(f"{float(e):.4f}", f"{float(t):.2f}", f"{float(se_r):.5f}", f"{float((e - t) / se_r):+.2f}") for _, e, t, se_r in rows]
assert worked == [("-2.6027", "-2.50", "0.04965", "-2.07"), ("0.2700", "0.25", "0.01768", "+1.13"), ("0.8363", "0.80", "0.06576", "+0.55")]
assert all(abs(float((e - t) / se_r - u)) < 1e-4 for (_, e, t, se_r), u in zip(rows, [u_running[2, 2], u_running[1, 0], u_running[0, 4]]))  # the table's u's
assert f"{float(u_15.abs().median()):.2f}" == "0.47"  # 'within about a standard error' (00, Summary): the typical miss is half an SE
se_plugged = [(from_labels.weights * (1 - from_labels.weights) / N).sqrt(), (from_labels.variances / n_k).sqrt()]  # hats in the SE formulas
assert all(((e / t - 1).abs() < 0.1).all() for e, t in zip(se_plugged, [(weights * (1 - weights) / N).sqrt(), (variances / n_k).sqrt()]))
b = (labels[:, None] == torch.arange(K)).double()  # (N, K): the yes/no draws; b**2 = b, so Var[b] = E[b] - E[b]**2
assert torch.equal(b**2, b) and torch.allclose(b.var(dim=0, unbiased=False), b.mean(dim=0) * (1 - b.mean(dim=0)))
nk_share = torch.bincount(labels, minlength=K) / N  # 'N_k is about pi_k N': each fraction within 0.025 of its weight
assert ((nk_share - weights).abs() < 0.025).all()


# %% counting-in-ses
p1, p2 = math.erf(1 / math.sqrt(2)), math.erf(2 / math.sqrt(2))  # 'about 68% within 1, 95% within 2: of 15, expect about 10 and 14'
assert f"{p1:.0%}" == "68%" and f"{p2:.0%}" == "95%" and round(15 * p1) == 10 and round(15 * p2) == 14
assert within == [13, 14] and p_1 == p1  # 'This sample has 13 and 14' (the table's printed line)
from scipy.stats import binom  # 'about 1 sample in 10' (15 independent u's): the printed sum is the binomial tail
assert len(terms) == 3 and abs(sum(terms) - binom.sf(12, 15, p1)) < 1e-12 and f"{sum(terms):.3f}" == "0.100"
assert [f"{t:.3f}" for t in terms] == ["0.074", "0.023", "0.003"]  # the printed line of arithmetic
within_1 = []  # 'nearly' independent: the same count in 300 other samples is also about 1 in 10
for s in range(1000, 1300):
    x_s, labels_s = sample_gmm(truth, N, generator=torch.Generator().manual_seed(s))
    within_1.append(int((standardised_errors(x_s, labels_s, truth).abs() <= 1).sum()))
assert 0.06 < sum(c >= 13 for c in within_1) / 300 < 0.15 and abs(sum(within_1) / 300 - 10.24) < 0.5


# %% errors-shrink-as-n
assert ((slopes + 0.5).abs() < 0.1).all()
assert mean_errors[3, 0] / mean_errors[4, 0] < 1.5  # a wobble: weights, N = 300 to 1000 (1/sqrt(N) predicts 1.83)
assert ns[2] == 100  # the slopes start at N = 100
g_10, few = torch.Generator().manual_seed(0), []  # estimation_errors' first 20 samples are those of N = 10
for r in range(20):
    few.append(int(torch.bincount(sample_gmm(truth.to(torch.float64), 10, generator=g_10)[1], minlength=K).min()))
assert min(few) <= 1  # at N = 10 some sample has a component with no point or one
g_10 = torch.Generator().manual_seed(0)  # 'and is then left out of the mean and variance errors': recompute N = 10's errors
for r in range(20):
    x_r, lab_r = sample_gmm(truth.to(torch.float64), 10, generator=g_10)
    est_r, present = empirical_params(x_r, lab_r, K), torch.bincount(lab_r, minlength=K) > 0
    assert torch.allclose(errors[0, r, 1], (est_r.means - truth.means.double())[present].abs().mean())
    assert torch.allclose(errors[0, r, 2], (est_r.variances - truth.variances.double())[present].abs().mean())
assert min(few) == 0  # and some of these 20 samples has an empty component, so the rule is used in the figure
w_list = weights.tolist()  # 'at N = 10 some component draws no point in 11% of samples' (inclusion-exclusion, K = 3)
p_empty = sum((1 - w) ** 10 for w in w_list) - sum(w ** 10 for w in w_list)
assert f"{p_empty:.0%}" == "11%" and sum((1 - w) ** 30 for w in w_list) < 1e-3  # and at N = 30 below 0.1%
g_e = torch.Generator().manual_seed(0)
empty = sum(int(torch.bincount(sample_gmm(truth, 10, generator=g_e)[1], minlength=K).min() == 0) for _ in range(2000)) / 2000
assert abs(empty - p_empty) < 0.03


# %% play-widget
from gmm_helpers import toy_with_component0  # what the explorer samples (float64)
assert toy_with_component0(0.05).weights.tolist() == [0.05, 0.475, 0.475]  # the others share the rest equally
light = [int((sample_gmm(toy_with_component0(0.05), 200, generator=torch.Generator().manual_seed(s))[1] == 0).sum()) for s in range(50)]
assert (min(light), max(light)) == (5, 17)  # the explorer's samples 0-49 at weight 0.05, N = 200: always an estimate
off_by_scale, sd_off = [], []  # variances x 4: component 0's ellipses (sigma x 2) and the dashed estimate's miss
for scale in (1.0, 4.0):  # (its mean's and its standard deviations' errors) double, the others' do not change
    x_s, lab_s = sample_gmm(toy_with_component0(0.5, scale), 200, generator=torch.Generator().manual_seed(0))
    estimate_s, truth_s = empirical_params(x_s, lab_s, K), toy_with_component0(0.5, scale)
    off_by_scale.append((estimate_s.means - truth_s.means).norm(dim=1))
    sd_off.append((estimate_s.variances.sqrt() - truth_s.variances.sqrt()).abs()[0])  # the ellipses' axes: standard deviations
assert torch.allclose(off_by_scale[1][0], 2 * off_by_scale[0][0]) and torch.allclose(off_by_scale[1][1:], off_by_scale[0][1:])
assert torch.allclose(sd_off[1], 2 * sd_off[0], rtol=1e-4)  # up to the 1e-6 floor empirical_params adds


# %% exercises
assert torch.bincount(labels)[1] == 162 and f"{12 / math.sqrt(600 * 0.25 * 0.75):.2f}" == f"{12 / 10.6:.2f}" == "1.13"  # Exercise 1.2's solution
assert f"{(float(from_labels.weights[1]) - 0.25) / math.sqrt(0.25 * 0.75 / N):+.2f}" == "+1.13"  # 'component 1's weight u' (the optional table)
assert abs(600 * math.sqrt(0.25 * 0.75 / 600) - math.sqrt(112.5)) < 1e-9 and f"{math.sqrt(112.5):.1f}" == "10.6"  # 600 x the fraction's SE
x_1_3 = torch.tensor([1.0, 2.0, 6.0])  # Exercise 1.3's solution: 4.67 (ML), 7 (the textbook sample variance)
assert f"{float(x_1_3.var(unbiased=False)):.2f}" == "4.67" and float(x_1_3.var(unbiased=True)) == 7.0
assert int((torch.cumsum(torch.tensor([0.2, 0.5, 0.3]), dim=0) <= 0.72).sum()) == 2  # Exercise 1.4: component 2


# %% optional-maximum-against-truth
from gmm_helpers import weighted_log_pdfs  # (05) the package's (N, K) table of log(pi_k N(x_n | mu_k, sigma^2_k))
w_lp = weighted_log_pdfs(X, from_labels)  # log_likelihood_labelled agrees with it, read at each point's label
assert torch.allclose(log_likelihood_labelled(X, labels, from_labels), w_lp[torch.arange(N), labels].sum(), rtol=1e-6)
assert abs(float(log_likelihood_labelled(X, labels, truth) - weighted_log_pdfs(X, truth)[torch.arange(N), labels].sum())) < 1e-2
best = log_likelihood_labelled(X, labels, from_labels)  # the labelled log-likelihood at its maximum (the notebook defines it in the slice's section)
nudged = [from_labels._replace(means=from_labels.means + 0.05), from_labels._replace(variances=from_labels.variances * 1.05),
          from_labels._replace(variances=from_labels.variances * 0.95), from_labels._replace(weights=from_labels.weights + torch.tensor([0.01, -0.01, 0.0]))]
assert best > log_likelihood_labelled(X, labels, truth) and all(best > log_likelihood_labelled(X, labels, p) for p in nudged)
assert f"{best / N:.4f}" == "-3.7983" and f"{log_likelihood_labelled(X, labels, truth) / N:.4f}" == "-3.8051"
assert f"{float(log_likelihood(X, truth)) / N:.4f}" == "-3.7853" and f"{float(log_likelihood(X, from_labels)) / N:.4f}" == "-3.7790"
assert log_likelihood(X, truth) > log_likelihood_labelled(X, labels, truth) and log_likelihood(X, from_labels) > best  # in each row
assert all((weighted_log_pdfs(X, p)[torch.arange(N), labels] <= weighted_log_pdfs(X, p).logsumexp(dim=1)).all() for p in (truth, from_labels))
gaps = [float(log_likelihood(X, p) - log_likelihood_labelled(X, labels, p)) / N for p in (truth, from_labels)]  # row gaps
for p, gap in zip((truth, from_labels), gaps):  # the gap is -(1/N) sum_n log r_{n z_n}, the true labels' responsibilities
    log_r = weighted_log_pdfs(X, p) - weighted_log_pdfs(X, p).logsumexp(dim=1, keepdim=True)
    assert abs(gap + float(log_r[torch.arange(N), labels].mean())) < 1e-5
assert all(0 < g < 0.05 for g in gaps) and abs(gaps[0] - gaps[1]) < 0.001  # near 0 and nearly constant
assert [f"{g:.5f}" for g in gaps] == ["0.01975", "0.01934"]  # the printed gaps (truth, from_labels), to 4 significant figures
lead = float(best - log_likelihood_labelled(X, labels, truth)) / N  # from_labels' lead in the labelled column: -3.7983 against -3.8051
assert abs(gaps[0] - gaps[1]) < lead and abs(0.01975 - 0.01934) < 3.8051 - 3.7983  # the gaps differ by less than the lead: hidden = labelled + gap
for p in (truth, from_labels):  # the responsibility of each point's label z_n (under each row's own parameters) is near 1: above 0.9 at 98% of the points
    w_p = weighted_log_pdfs(X, p)
    assert float(((w_p[torch.arange(N), labels] - w_p.logsumexp(dim=1)).exp() > 0.9).double().mean()) > 0.98
assert f"{float(climbed.log_likelihoods[-1]) / N:.4f}" == "-3.7786" and climbed.log_likelihoods[-1] > log_likelihood(X, from_labels)  # EM climbs higher
assert -3.7983 + 0.01934 > -3.8051 + 0.01975 and f"{float(climbed.log_likelihoods[-1] - log_likelihood(X, from_labels)) / N:.4f}" == "0.0004"  # the inequality; EM's tiny gain
w_fl = weighted_log_pdfs(X, from_labels)  # 'the true label gets e^-0.01934 = 98% posterior (a geometric average)'
geo = float((w_fl[torch.arange(N), labels] - w_fl.logsumexp(dim=1)).mean().exp())  # exp of the mean log r_{n z_n}
assert f"{math.exp(-0.01934):.0%}" == "98%" and f"{geo:.0%}" == "98%" and abs(geo - math.exp(-gaps[1])) < 1e-5
gap_em = float(log_likelihood(X, climbed.params) - log_likelihood_labelled(X, labels, climbed.params)) / N  # EM's row
assert f"{float(log_likelihood(X, climbed.params)) / N:.4f}" == "-3.7786" and f"{gap_em:.5f}" == "0.02038"  # the printed row
assert log_likelihood_labelled(X, labels, climbed.params) <= best  # 'no fit beats from_labels with labels'
gain = float(log_likelihood(X, climbed.params) - log_likelihood(X, from_labels)) / N  # 'EM gains at most the gap's rise'
assert f"{gain:.4f}" == "0.0004" and gain <= gap_em - gaps[1] and f"{gap_em - gaps[1]:.5f}" == "0.00104" == f"{0.02038 - 0.01934:.5f}"  # the printed gaps' difference
# the displayed bound, per point: '0.00044 = -0.00060 + 0.00104 <= 0.00104' (the printed line: labelled, gap, hidden)
assert [f"{float(rise[0]):+.5f}", f"{float(rise[1] - rise[0]):+.5f}", f"{float(rise[1]):+.5f}"] == ["-0.00060", "+0.00104", "+0.00044"]
assert f"{-0.00060 + 0.00104:.5f}" == "0.00044" and f"{0.00044:.4f}" == "0.0004"  # the sum as displayed; 'by only 0.0004 per point'
assert rise[0] <= 0 and rise[1] <= rise[1] - rise[0] and abs(float(rise[1] - rise[0]) - (gap_em - gaps[1])) < 1e-6  # bracket <= 0; gap rise as in the table


# %% optional-caveats
S_draws = ((lambda z: (z - z.mean(dim=1, keepdim=True)) ** 2)(torch.randn(20000, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64))).sum(dim=1)
empty = empirical_params(X[labels != 1], labels[labels != 1], K)  # the caveats: no point of component 1, weight 0
assert float(empty.weights[1]) < 1e-6 and float(empirical_params(X[:1], labels[:1], K).variances[labels[0]].max()) < 1e-5  # one point: S = 0 (+ reg_covar)
assert abs(float(S_draws.mean()) - 4) < 0.05  # E[S] = (N_k - 1) sigma^2: 4 for 5 standard-normal points (the variance bullet's cost)


# %% optional-min-k-1
assert f"{torch.cumsum(weights_19, dim=0)[-1]:.8f}" == "0.99999994" and float(torch.cumsum(weights_19, dim=0)[-1]) == 1 - 2**-24
assert float(torch.rand(10**6, generator=torch.Generator().manual_seed(0)).max()) <= 1 - 2**-24 and 1 - 2**-24 < 1
assert float(torch.cumsum(weights, dim=0)[-1]) == 1.0  # the running example's sums end at exactly 1


# %% optional-each-estimate
u_all = torch.cat([u_table[kind].flatten() for kind in ("weight", "mean", "variances")])  # the 15 printed u's
assert len(u_all) == 15 and f"{float(u_table['mean'][2, 1]):.2f}" == "-2.07"  # component 2's mean along x1: 2.07 SEs low
worst = int(u_all.abs().argmax())  # the largest |u|: after the 3 weights, means row by row, so [2, 1] is entry 3 + 5
u_others = torch.cat([u_all[:worst], u_all[worst + 1:]])
assert worst == 3 + 5 and f"{float(u_others.abs().max()):.2f}" == "1.13"  # 'every other |u| is at most 1.13'
assert float(u_others.abs().max()) < 1.135 and f"{float(u_table['weight'][1, 0]):+.2f}" == "+1.13"
assert f"{float(u_all.abs().median()):.2f}" == "0.47"  # 'within about one SE': the typical |u| is about half an SE
assert torch.allclose(u_table["mean"][2, 1], torch.tensor((float(from_labels.means[2, 1]) + 2.5) / math.sqrt(0.35 / 142)))
p_beyond_2 = math.erfc(2 / math.sqrt(2))  # 'one beyond 2: common with 15 estimates' (about half the samples, told in optional-why-5)
assert f"{1 / p_beyond_2:.0f}" == "22" and f"{1 - (1 - p_beyond_2) ** 15:.0%}" == "50%"  # (simulated: 49%, optional-why-5)
nk_se = torch.bincount(labels, minlength=K)[:, None].double()  # 'Standard errors': the true values put in; the estimates
se_true = [(weights.double() * (1 - weights.double()) / N).sqrt(), (variances.double() / nk_se).sqrt(), variances.double() * (2 / nk_se).sqrt()]
fl = from_labels  # would change no SE here by more than 10%
se_estimated = [(fl.weights.double() * (1 - fl.weights.double()) / N).sqrt(), (fl.variances.double() / nk_se).sqrt(), fl.variances.double() * (2 / nk_se).sqrt()]
assert max(float((e / t - 1).abs().max()) for e, t in zip(se_estimated, se_true)) < 0.10


# %% optional-worked-standardised-error
assert n_2 == 142 and f"{float(from_labels.means[2, 1]):.4f}" == "-2.6027" and f"{se_2:.5f}" == "0.04965"
assert f"{(-2.6027 + 2.5) / 0.04965:.2f}" == "-2.07" == f"{u_2:.2f}"  # the prose's rounded arithmetic agrees


# %% optional-u-over-many-samples
assert f"{float((u_samples.abs() < 2).double().mean()):.1%}" == "96.5%" and f"{math.erf(2 / math.sqrt(2)):.1%}" == "95.4%"
assert abs(float(u_samples.std()) - 1) < 0.05 and abs(float(u_samples.mean())) < 0.1  # close to a standard normal
assert abs(float(u_samples[0]) - u_2) < 1e-4 and 2 < abs(u_2) < 2.5  # seed 0: the running example, in the tail
counts_hist, edges = torch.histogram(u_samples, bins=torch.linspace(-4.5, 4.5, 19))  # the histogram follows the curve:
expected = 1000 * 0.5 * (torch.erfc(edges[:-1] / math.sqrt(2)) - torch.erfc(edges[1:] / math.sqrt(2)))  # a bin's expected count
assert ((counts_hist - expected).abs() < 4 * expected.sqrt() + 3).all()  # every bin within its Poisson noise
assert f"{float(lowest[0]):.2f}" == "-4.43" and f"{float(lowest[1]):.2f}" == "-3.21"  # the lone tick at -4.43: one sample
assert "u of 1,000 samples" in [t.get_text() for t in ax.get_legend().get_texts()]  # the histogram's legend entry
below_443 = 0.5 * math.erfc(4.43 / math.sqrt(2))  # P(u < -4.43) for a standard normal u
assert f"{below_443:.1e}" == "4.7e-06" and f"{1 - (1 - below_443) ** 1000:.1%}" == "0.5%"  # the lowest of 1000 that low
assert "-2 to 2: 96.5% of the samples" in [t.get_text() for t in ax.get_legend().get_texts()]  # the shaded band's share
assert torch.equal(tail, u_samples[u_samples.abs() > 2]) and len(tail) == 35 and float(tail.min()) == float(lowest[0])  # the ticks: every sample beyond +-2
assert "one tick per sample beyond ±2 (35)" in [t.get_text() for t in ax.get_legend().get_texts()]
assert -2.1 < u_2 < -2 and ((tail > -2.1) & (tail < -2)).sum() >= 1  # the running example's tick: just outside the band


# %% optional-three-samples
assert all(torch.equal(sample_gmm(truth, n, generator=torch.Generator().manual_seed(s))[1],
                       sample_gmm(toy_with_component0(0.5), n, generator=torch.Generator().manual_seed(s))[1]) for n, s in zip(sizes, [1, 3, 4]))
assert axes[0].get_title() == "N = 20, sample 1: counts (12, 8, 0)\nfractions (0.60, 0.40, 0.00)"  # no point of component 2
assert axes[1].get_title() == "N = 200, sample 3: counts (107, 50, 43)\nfractions (0.54, 0.25, 0.21)"
assert axes[2].get_title().startswith("N = 2000, sample 4: counts (1012, 508, 480)")
assert fig._suptitle.get_text().startswith("three separate samples;")  # not one growing sample
estimate_off = []  # the largest distance of an estimated mean (components with 2 points or more) from the truth, per panel
for n, s in zip(sizes, [1, 3, 4]):  # the points in float64, as the panels draw them
    x_s, lab_s = sample_gmm(truth.to(torch.float64), n, generator=torch.Generator().manual_seed(s))
    estimate_off.append(float((empirical_params(x_s, lab_s, K).means - means).norm(dim=1)[torch.bincount(lab_s, minlength=K) >= 2].max()))
assert estimate_off[0] > estimate_off[1] > estimate_off[2]  # the dashed estimates close in
assert estimate_off[2] < 0.1  # at N = 2000 they hide under the truth: every estimated mean within 0.1 (the axes span 14 and 12)
x_2000, lab_2000 = sample_gmm(truth.to(torch.float64), 2000, generator=torch.Generator().manual_seed(4))
assert ((empirical_params(x_2000, lab_2000, K).variances.sqrt() / variances.sqrt() - 1).abs() < 0.1).all()  # and the ellipses' axes within 10%
from gmm_helpers.teach.style import COMPONENT_COLOURS  # components 0, 1, 2: blue, orange, green
assert COMPONENT_COLOURS[:3] == ["#0072B2", "#D55E00", "#009E73"]
spread = [max(fractions_0[n]) - min(fractions_0[n]) for n in sizes]  # the fractions wander, less and less
assert all(abs(f - 0.5) < 2 * math.sqrt(0.5 * 0.5 / n) for n in sizes for f in fractions_0[n])  # by about their standard error
assert spread[0] > spread[1] > spread[2]
assert [f"{math.sqrt(0.5 * 0.5 / n):.2g}" for n in sizes] == ["0.11", "0.035", "0.011"]  # the printed standard errors
se_quarter = [math.sqrt(0.25 * 0.75 / n) for n in sizes]
assert [f"{se:.2g}" for se in se_quarter] == ["0.097", "0.031", "0.0097"]
assert f"{0.75**20:.1%}" == "0.3%"  # the left panel's odds
typical_u = [(torch.bincount(sample_gmm(truth, n, generator=torch.Generator().manual_seed(s))[1], minlength=K) / n - weights)
             / (weights * (1 - weights) / n).sqrt() for n, s in ((200, 3), (2000, 4))]  # the middle and right panels' fractions' u
assert all(float(u_f.abs().max()) < 1.2 for u_f in typical_u)  # 'typical: every fraction within about one standard error'


# %% optional-checking-a-sampler
g_0 = torch.Generator().manual_seed(0)  # sample_gmm's stream, redone by hand:
v_64 = torch.rand(N, dtype=torch.float64, generator=g_0)  # one float64 uniform per label, then the cumulative-sum rule
assert torch.equal((torch.cumsum(weights.double(), dim=0) <= v_64[:, None]).sum(dim=1), labels)  # all 600 labels
assert torch.equal(means[labels] + torch.randn(N, D, generator=g_0) * variances[labels].sqrt(), X)  # then all the noise
u_32 = torch.rand(1, generator=torch.Generator().manual_seed(0))  # the loop's first draw: a float32 uniform
assert int((torch.cumsum(weights, dim=0) <= u_32).sum()) == labels_loop[0] == 0 != labels[0] == 2  # then that point's noise
assert torch.equal(u_running, standardised_errors(X, labels, truth))  # (K, 1 + 2 D): columns fraction, means x0 x1, variances x0 x1
assert f"{float(u_running[2, 2]):.2f}" == "-2.07" == f"{u_2:.2f}"  # the table's entry [2, 2] is the worked u
largest_of = {name: float(standardised_errors(x, lab, truth).abs().max()) for name, (x, lab) in samples.items()}
assert K * (1 + 2 * D) == 15 and max(largest_of.values()) < 5  # 15 u's each, all below 5
assert same_as_gmm  # printed in the cell above
torch.manual_seed(0)  # c58: with seed 0, torch.distributions gives sample_gmm's labels and points, bit for bit
labels_0 = Categorical(probs=weights).sample((N,))
assert torch.equal(labels_0, labels) and torch.equal(Normal(means[labels_0], variances[labels_0].sqrt()).sample(), X)


# %% optional-why-5
assert f"{1 / beyond_2:.0f}" == "22" and f"{1 - (1 - beyond_2) ** 15:.0%}" == "50%"  # 1 time in 22; one of 15: about half
assert f"{caught_7:.1%}" == "97.7%"  # a 7-SE bug caught
assert f"{fails_2 / 1000:.0%}" == "49%"  # simulated (printed): the fractions' errors sum to 0, yet about half still fail
assert torch.allclose((u_running[:, 0] * (weights * (1 - weights) / N).sqrt()).sum(), torch.tensor(0.0), atol=1e-6)  # errors sum to 0
assert f"{math.sqrt(0.35 / 142):.5f}" == "0.04965" and f"{7 * 0.04965:.3f}" == f"{7 * math.sqrt(0.35 / 142):.3f}" == "0.348"  # 7 standard errors
assert f"{math.sqrt(0.35):.2f}" == "0.59" and f"{7 * math.sqrt(0.35 / 142) / math.sqrt(0.35):.1f}" == "0.6"  # in sds of component 2
from scipy.stats import chi2  # a variance's u: S / sigma^2 follows the chi^2 law with N_k - 1 degrees of freedom
chances = []  # P(|u| > 5) for each component's variance u, at the running example's counts
for n_k in torch.bincount(labels, minlength=K).tolist():
    df, spread = n_k - 1, 5 * math.sqrt(2 / n_k)  # |u| > 5 when S / sigma^2 lies outside n_k (1 -/+ spread)
    chances.append(chi2.sf(n_k * (1 + spread), df) + chi2.cdf(n_k * (1 - spread), df))
assert f"{beyond_5:.1e}" == "5.7e-07" and beyond_5 < min(chances) and max(chances) < 1e-5  # more often, but below 1e-5
assert K * beyond_5 + K * D * beyond_5 + D * sum(chances) < 1e-4  # 15 u's: a correct sampler almost never fails (union bound)


# %% optional-per-component-two
assert all(u > 5 for u in largest_u.values())  # both caught
root_mean, root_var = overall_mean_and_variance(truth._replace(variances=variances**2))  # the forgotten root:
assert torch.equal(root_mean, overall_mean_and_variance(truth)[0]) and (root_var - overall_mean_and_variance(truth)[1]).abs().max() > 0.5  # changes the overall variance
assert int(u_forgot.abs().argmax()) == 3 and round(float(u_forgot[0, 3])) == 10  # component 0, variance along x0
assert f"{variance_forgot[2, 1]:.3f}" == "0.122" and abs(float(variance_forgot[0, 0]) - 3.24) < 0.5
assert float(variances[2, 0]) == 1.0 and f"{float(u_forgot[2, 3]):.2f}" == "-0.76"  # a unit variance: the bug is invisible there


# %% optional-likelihood-slice
assert abs(float(values[50]) + 2.5) < 1e-6 and f"{-drops[50]:.2f}" == "2.15"  # the true value: 2.15 lower (a total)
assert abs(float(values[torch.tensor(drops).argmax()]) - xbar) < 0.003 and f"{xbar:.3f}" == "-2.603"  # the peak is the average
parabola = -142 * (xbar - values.double()) ** 2 / (2 * float(from_labels.variances[2, 1]))  # a downward parabola, peak at xbar
assert (torch.tensor(drops, dtype=torch.float64) - parabola).abs().max() < 0.01
assert ax.get_ylabel() == "labelled log-likelihood\nminus its maximum" and -0.01 < max(drops) <= 0  # the y-axis: the labelled drop
se_slice = math.sqrt(0.35 / 142)  # 'Dotted: one SE either side (true variance), where the curve is about 1/2 below the peak'
assert abs(float(variances[2, 1]) - 0.35) < 1e-7 and abs(se_2 - se_slice) < 1e-8 and int((labels == 2).sum()) == 142  # the dotted lines: xbar +- this SE
dotted = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":" and line.get_xdata()[0] == line.get_xdata()[1])
assert len(dotted) == 2 and abs(dotted[0] - (xbar - se_slice)) < 1e-6 and abs(dotted[1] - (xbar + se_slice)) < 1e-6
for side in (-1, 1):
    tried_se = from_labels.means.clone(); tried_se[2, 1] = xbar + side * se_slice
    assert abs(float(log_likelihood_labelled(X, labels, from_labels._replace(means=tried_se)) - best) + 0.5) < 0.01
assert f"{float(from_labels.variances[2, 1]):.4f}" == "0.3486" and abs(se_slice / math.sqrt(0.3486 / 142) - 1) < 0.003  # 'the curve's SE uses the ML variance 0.3486, the dotted lines the true 0.35: too close to see'
assert ax.get_title().startswith("labelled log-likelihood: only component 2's 142 points\ndepend on $m$")  # the title: only those points depend on m


# %% optional-log-likelihood-near
e = torch.linspace(-12, 12, 24001, dtype=torch.float64)  # the fine print: E[eps^4] = 3, by quadrature
assert abs(float(torch.trapezoid(e**4 * torch.exp(-e**2 / 2) / math.sqrt(2 * math.pi), e)) - 3) < 1e-6
assert torch.bincount(labels).tolist() == [296, 162, 142] and 1 / 142 < 0.01  # the divide-by-N_k bias: under 1% for 142 points
assert abs(float(S_draws.var()) - 2 * 4) < 0.5  # Var[S / sigma^2] = 2 (N_k - 1): the chi^2 law's variance
assert 1e-6 < 1e-3 * float((variances * (2 / torch.bincount(labels)[:, None]).sqrt()).min())  # reg_covar: far below every SE
nk2, var_hat = 142, float(from_labels.variances[2, 1])  # the derivation's N_k and sigma-hat^2
se_hat = math.sqrt(var_hat / nk2)  # sigma-hat / sqrt(N_k)
assert f"{-drops[50]:.2f}" == "2.15" and f"{2.07**2 / 2:.2f}" == "2.14"  # the drop at the truth is close to u^2 / 2
assert f"{math.sqrt(0.35 / var_hat) - 1:.1%}" == "0.2%"  # the main part's true variance moves the SE by 0.2%
assert f"{var_hat:.4f}" == "0.3486" and abs(nk2 * (xbar + 2.5) ** 2 / (2 * var_hat) + drops[50]) < 0.01  # the formula
for side in (-1, 1):  # one standard error from the peak: 1/2 lower
    tried = from_labels.means.clone(); tried[2, 1] = xbar + side * se_hat
    assert abs(float(log_likelihood_labelled(X, labels, from_labels._replace(means=tried)) - best) + 0.5) < 0.01
