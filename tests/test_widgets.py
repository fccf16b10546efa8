import matplotlib.pyplot as plt
import pytest
import torch

from gmm_helpers import sample_gmm, toy_params
from gmm_helpers.teach.widgets import gaussian_explorer, init_explorer, sampling_explorer, weight_explorer


def controls(w):
    return {c.description: c for c in w.children if hasattr(c, "description") and c.description}


def test_weight_explorer_redraws_with_the_new_weights():
    w = weight_explorer()
    assert isinstance(w.result, plt.Figure)
    controls(w)["weight of component 0"].value = 0.2
    assert w.result.axes[0].get_title() == "weights = (0.20, 0.40, 0.40)"


def test_sampling_explorer_resamples():
    w = sampling_explorer()
    c = controls(w)
    c["N points"].value = 5000
    title = w.result.axes[0].get_title()
    assert title.startswith("N = 5000")
    c["weight of component 0"].value = 0.9
    fractions = [float(x) for x in w.result.axes[0].get_title().split("(")[1].rstrip(")").split(",")]
    assert fractions[0] == pytest.approx(0.9, abs=0.02)


def test_init_explorer_changes_start_with_seed_and_scheme():
    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    w = init_explorer(X)
    c = controls(w)
    first = [line.get_xydata().tolist() for line in w.result.axes[0].lines]
    c["seed"].value = 5
    assert [line.get_xydata().tolist() for line in w.result.axes[0].lines] != first
    c["scheme"].value = "k-means++"
    assert w.result.axes[0].get_title() == "k-means++, seed 5"


def test_gaussian_explorer_reports_the_peak_density():
    w = gaussian_explorer()
    c = controls(w)
    c["variance σ₁²"].value = 0.1
    c["variance σ₂²"].value = 0.1
    assert w.result.axes[0].get_title().endswith(f"{1 / (2 * torch.pi * 0.1):.3f}")


def test_shapes_explorer_lists_every_intermediate(capsys):
    from gmm_helpers.teach.widgets import shapes_explorer

    w = shapes_explorer()
    c = controls(w)
    c["K components"].value = 64
    c["D dimensions"].value = 64
    c["N points"].value = 10**6
    rows = dict((expr, (shape, mem)) for expr, shape, mem in w.result)
    assert rows["X[:, None, :] - means[None]"] == ((10**6, 64, 64), "15.3 GiB")
    assert rows["X[:, None, :]"][1].startswith("0 B")
    c["dtype"].value = "float64"
    assert dict((e, m) for e, _, m in w.result)["X[:, None, :] - means[None]"] == "30.5 GiB"


def test_probe_explorer_bars_follow_the_probe():
    from gmm_helpers.teach.widgets import probe_explorer

    p = toy_params()
    w = probe_explorer(p)
    c = controls(w)
    c["probe x₁"].value, c["probe x₂"].value = 2.5, 2.5  # on component 1's mean
    bars = [patch.get_height() for patch in w.result.axes[1].patches]
    assert len(bars) == 3 and bars[1] > 0.99
    assert w.result.axes[0].get_title() == "probe x = (+2.5, +2.5)"


def test_em_stepper_alternates_e_and_m_steps():
    from gmm_helpers import init_random_points
    from gmm_helpers.teach.widgets import em_stepper

    X, _ = sample_gmm(toy_params(torch.float64), 200, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    w = em_stepper(X, start, n_iter=2)
    controls(w)["half-step (E, M, E, M, ...)"].value = 4
    assert w.result.axes[0].get_title() == "iteration 2: M-step (move the components)"


def test_online_em_explorer_redraws_the_chosen_setting_on_fixed_axes():
    from gmm_helpers import fit_em_online, init_random_points, log_likelihood
    from gmm_helpers.teach.widgets import online_em_explorer

    X, _ = sample_gmm(toy_params(), 300, generator=torch.Generator().manual_seed(0))
    start = init_random_points(X, 3, generator=torch.Generator().manual_seed(0))
    exact_curve = [-5.0, -4.5, -4.2, -4.1]
    w = online_em_explorer(X, start, exact_curve, (-4.5, -3.5), passes=3)
    c = controls(w)
    c["points per chunk"].value = 100
    c["step-size exponent α"].value = 0.9
    ax = w.result.axes[0]
    assert ax.get_ylim() == (-4.5, -3.5) and ax.get_xlim() == (0, 3)
    online_line = ax.lines[1]
    assert "0.9" in online_line.get_label() and "chunks of 100" in online_line.get_label()
    # its last point: all of X under fit_em_online's parameters after 9 chunks (3 passes of 3 chunks)
    online = fit_em_online([chunk for _ in range(3) for chunk in X.split(100)], start, alpha=0.9)
    seen, values = online_line.get_xydata()[-1]
    assert seen == 3 and values == pytest.approx(float(log_likelihood(X, online.params)) / 300, rel=1e-6)
