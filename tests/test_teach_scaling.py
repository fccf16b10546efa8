"""The classroom kit of notebook 10 (gmm_helpers/teach/scaling.py): measurements, the online curves, the figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gmm_helpers import fit_em, fit_em_online, init_random_points, log_likelihood, sample_gmm, toy_params
from gmm_helpers.distributed import allreduce_bytes, scaling_model
from gmm_helpers.teach import scaling


@pytest.fixture(scope="module")
def data():
    X, _ = sample_gmm(toy_params(torch.float64), 400, generator=torch.Generator().manual_seed(3))
    return X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0))


def test_online_curves_score_fit_em_online_after_each_chunk(data):
    X, start = data
    curves = scaling.online_curves(X, start, [(0.7, 100), (1.0, 400)], passes=2)
    seen, values = curves[0.7, 100]
    online = fit_em_online([c for _ in range(2) for c in X.split(100)], start, alpha=0.7)  # 8 chunks
    assert np.allclose(seen, np.arange(9) / 4)  # passes over the data after 0, 1, ..., 8 chunks of 100 of 400
    expected = [float(log_likelihood(X, p)) / 400 for p in online.history]
    assert np.allclose(values, expected, rtol=1e-12)
    # chunks holding all the data with alpha = 1 average two full-data statistics: update 1 is exact EM's first
    seen_full, values_full = curves[1.0, 400]
    exact = fit_em(X, start, max_iter=1, tol=0)
    assert seen_full.tolist() == [0.0, 1.0, 2.0]
    assert values_full[1] == pytest.approx(float(log_likelihood(X, exact.params)) / 400, rel=1e-10)


def test_online_curves_keep_every_kth_update_and_the_last(data):
    X, start = data
    seen, _ = scaling.online_curves(X, start, [(0.6, 50)], passes=1, every=3)[0.6, 50]
    assert np.allclose(seen, np.array([0, 3, 6, 8]) / 8)


def test_draw_online_em_shows_exact_em_up_to_the_passes_on_fixed_axes(data):
    X, start = data
    curves = scaling.online_curves(X, start, [(0.6, 100)], passes=2)
    fig, ax = plt.subplots()
    scaling.draw_online_em([-6.0, -5.0, -4.5, -4.2, -4.1], curves, (-5.5, -4.0), ax=ax)
    exact_line = ax.lines[0]
    assert exact_line.get_xdata().tolist() == [0, 1, 2]  # iterations beyond the online passes are cut
    assert ax.get_ylim() == (-5.5, -4.0) and ax.get_xlim() == (0, 2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "exact EM: one update per pass", r"online, $\alpha$ = 0.6, chunks of 100"]
    plt.close(fig)


def test_plot_scaling_model_draws_the_model_rows():
    fig, ax = plt.subplots()
    scaling.plot_scaling_model(2e-6, 256, 64, Ns=(10**9, 10**6), processes=[1, 2, 4, 8], ax=ax)
    compute, small, communication = ax.lines
    rows = scaling_model(10**9, 256, 64, 2e-6, [1, 2, 4, 8])
    assert compute.get_ydata().tolist() == pytest.approx([r["compute"] for r in rows])
    assert small.get_ydata()[0] == pytest.approx(2.0)  # 10^6 points at 2 µs each
    assert communication.get_xdata().tolist() == [2, 4, 8]  # no all_reduce on one process
    assert f"{allreduce_bytes(256, 64) // 1000} kB" in communication.get_label()
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plt.close(fig)


def test_plot_time_and_memory_shares_n_and_adds_the_data_line():
    results = {"fast": {"N": [10, 100], "seconds": [1e-3, 1e-2], "mb": [1.0, 2.0]},
               "streaming": {"N": [10, 100], "seconds": [2e-3, 2e-2], "mb": [1.0, -0.5]}}
    fig, axes = plt.subplots(1, 2, sharex=True)
    ax_time, ax_memory = scaling.plot_time_and_memory(results, D=4, axes=axes)
    assert len(ax_time.lines) == 2 and len(ax_memory.lines) == 3
    assert ax_memory.lines[1].get_ydata().tolist() == [1.0, 0.1]  # a negative growth is drawn at the 0.1 MB floor
    assert ax_memory.lines[2].get_ydata().tolist() == pytest.approx([10 * 4 * 4 / 2**20, 100 * 4 * 4 / 2**20])
    plt.close(fig)


def test_measure_seconds_per_point_is_a_plausible_positive_cost():
    cost = scaling.measure_seconds_per_point(N=2000, D=8, K=4, repeats=1)
    assert 1e-10 < cost < 1e-3


def test_measure_em_forms_reports_each_form_and_memory_grows_with_the_broadcast_tensor():
    results = scaling.measure_em_forms([2_000, 20_000], D=8, K=8, broadcast_max_N=20_000)
    assert set(results) == {"broadcast", "fast", "streaming"}
    for entry in results.values():
        assert entry["N"] == [2_000, 20_000] and all(s > 0 for s in entry["seconds"])
    # the broadcast form's (N, K, D) float32 intermediates: at least one tensor of 20000 x 8 x 8 x 4 bytes
    assert results["broadcast"]["mb"][1] > 20_000 * 8 * 8 * 4 / 2**20


def test_online_curves_run_on_one_thread_and_restore_the_count(data):
    X, start = data
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        scaling.online_curves(X, start, [(0.6, 200)], passes=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
