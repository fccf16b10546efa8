import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image

from gmm_helpers import animate_em, draw_em_iteration, fit_em, init_random_points, sample_gmm, save_gif, toy_params
from gmm_helpers.teach.widgets import iteration_scrubber


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
    assert len(frames) == len(result.history) == 7
    with Image.open(path) as gif:
        assert gif.n_frames == 7
        assert gif.size == (880, 368)  # the animation's own 11 x 4.6 in at 80 dpi, whatever savefig.dpi says
    assert path.stat().st_size < 3 * 2**20


def test_frames_show_the_iteration_and_a_growing_curve(fit):
    X, result = fit
    fig = draw_em_iteration(X, result, 4)
    ax_data, ax_curve = fig.axes
    assert ax_data.get_title().startswith("iteration 4: log-likelihood per point ")
    assert len(ax_curve.lines[0].get_xdata()) == 5
    assert len(ax_data.patches) == 6  # 1σ and 2σ ellipses for 3 components


def test_scrubber_draws_first_and_last_iteration(fit):
    X, result = fit
    w = iteration_scrubber(X, result)
    slider = w.children[0]
    assert slider.max == result.n_iter and w.result.axes[0].get_title().startswith(f"iteration {result.n_iter}:")
    slider.value = 0
    assert w.result.axes[0].get_title().startswith("iteration 0:")
    plt.close("all")


def test_bad_input(fit):
    X, result = fit
    with pytest.raises(ValueError, match=r"t: expected an int in 0..6"):
        draw_em_iteration(X, result, 7)
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 2\)"):
        animate_em(torch.zeros(5, 3), result)


def test_save_gif_writes_at_the_given_rate(fit, tmp_path):
    X, result = fit
    path = tmp_path / "slow.gif"
    save_gif(animate_em(X, result, dpi=40), path, fps=2, dpi=40)
    with Image.open(path) as gif:
        assert gif.n_frames == 7 and gif.size == (440, 184) and gif.info["duration"] == 500
