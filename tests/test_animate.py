import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image

from gmm_helpers import animate_em, draw_em_iteration, fit_em, init_random_points, sample_gmm, save_gif, toy_params


@pytest.fixture(scope="module")
def fit():
    X, _ = sample_gmm(toy_params(), 200, generator=torch.Generator().manual_seed(0))
    result = fit_em(X, init_random_points(X, 3, generator=torch.Generator().manual_seed(0)), max_iter=6, tol=0)
    return X, result


def test_runs_headless():
    assert matplotlib.get_backend().lower() == "agg"


def test_one_frame_per_history_entry_and_the_gif_has_them(fit, tmp_path):
    X, result = fit
    path = tmp_path / "fit.gif"
    animation = animate_em(X, result, gif_path=path)
    frames = list(animation.new_frame_seq())
    assert frames == list(range(7)) + [6] * 8  # every state, then the last one held
    with Image.open(path) as gif:
        assert gif.n_frames == 7  # the writer merges the repeated last frame into one long frame
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
        assert durations[:-1] == [300] * 6 and durations[-1] == 9 * 300
        assert gif.size == (600, 760)  # the animation's own 7.5 x 9.5 in at 80 dpi, whatever savefig.dpi says
    assert path.stat().st_size < 3 * 2**20


def test_frames_show_the_iteration_and_a_growing_curve(fit):
    X, result = fit
    fig = draw_em_iteration(X, result, 4)
    ax_data, ax_curve = fig.axes
    assert ax_data.get_title().startswith("iteration 4: log-likelihood per point ")
    assert len(ax_curve.lines[0].get_xdata()) == 5
    assert len(ax_data.patches) == 6  # 1σ and 2σ ellipses for 3 components


def test_curve_is_scaled_to_iterations_from_one_and_the_start_is_marked(fit):
    X, result = fit
    fig = draw_em_iteration(X, result, result.n_iter)
    ax_curve = fig.axes[1]
    per_point = (result.log_likelihoods / X.shape[0]).tolist()
    assert ax_curve.get_ylim()[0] > per_point[0]  # the start is below the visible range...
    assert any(t.get_text().startswith("start (iteration 0):") for t in ax_curve.texts)  # ...a label says so...
    assert any(getattr(t, "arrow_patch", None) is not None and t.xy[0] == 0 for t in ax_curve.texts)  # ...and an arrow
    assert ax_curve.get_ylim()[0] < min(per_point[1:])
    plt.close("all")


def test_animation_has_a_colour_key(fit, tmp_path):
    X, result = fit
    animation = animate_em(X, result, dpi=20, gif_path=tmp_path / "key.gif")
    texts = [t.get_text() for legend in animation._fig.legends for t in legend.get_texts()]
    assert texts[:3] == ["component 0", "component 1", "component 2"] and "mixed colour" in texts[3]


def test_bad_input(fit):
    X, result = fit
    with pytest.raises(ValueError, match=r"t: expected an int in 0..6"):
        draw_em_iteration(X, result, 7)
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 2\)"):
        animate_em(torch.zeros(5, 3), result)
    with pytest.raises(ValueError, match=r"hold_last: expected an int >= 0"):
        animate_em(X, result, hold_last=-1)
    with pytest.raises(ValueError, match=r"slow: expected iterations in 0..6, got \[7\]"):
        animate_em(X, result, slow=[7])


def test_slow_iterations_get_more_frames(fit, tmp_path):
    X, result = fit
    path = tmp_path / "lingers.gif"
    save_gif(animate_em(X, result, dpi=20, hold_last=0, slow=range(2, 4), slow_repeat=3), path, fps=2, dpi=20)
    with Image.open(path) as gif:  # Pillow merges repeated frames into one shown longer
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert durations == [500, 500, 1500, 1500, 500, 500, 500]  # iterations 2 and 3 shown three times as long


def test_save_gif_writes_at_the_given_rate(fit, tmp_path):
    X, result = fit
    path = tmp_path / "slow.gif"
    save_gif(animate_em(X, result, dpi=40, hold_last=0), path, fps=2, dpi=40)
    with Image.open(path) as gif:
        assert gif.n_frames == 7 and gif.size == (300, 380) and gif.info["duration"] == 500
