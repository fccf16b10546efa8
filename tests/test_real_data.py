"""The drawing and widget helpers of notebook 09 (real data): what they draw, checked against the inputs."""

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from gmm_helpers.teach.figures import plot_confusion, plot_digit_grid, plot_palettes, plot_segmentation
from gmm_helpers.teach.widgets import draw_segmentation_k, segmentation_explorer, segmentation_images


def small_segmentations():
    """Two 'segmentations' of a 6 x 8 picture: K = 2 half certain, K = 4 all uncertain."""
    hard2 = torch.zeros(6, 8, 3)
    hard2[:, 4:] = torch.tensor([1.0, 0.5, 0.0])  # right half orange
    u2 = torch.zeros(6, 8)
    u2[:, :4] = 0.3
    hard4 = torch.full((6, 8, 3), 0.25)
    u4 = torch.full((6, 8), 0.5)
    return {2: (hard2, u2), 4: (hard4, u4)}


def test_plot_segmentation_draws_four_pictures_with_a_fixed_uncertainty_scale():
    image = torch.rand(6, 8, 3, generator=torch.Generator().manual_seed(0))
    axes = plot_segmentation(image, image, image * 0.5, torch.full((6, 8), 0.2))
    assert [ax.images[0].get_array().shape[:2] for ax in axes] == [(6, 8)] * 4
    np.testing.assert_allclose(axes[0].images[0].get_array(), image.numpy(), rtol=1e-6)
    assert axes[3].images[0].get_clim() == (0.0, 0.5)
    assert "uncertainty" in axes[3].get_title()
    plt.close("all")


def test_plot_palettes_bars_are_shares_sorted_dark_to_light():
    colours = np.array([[0.9, 0.9, 0.9], [0.1, 0.1, 0.1], [0.5, 0.2, 0.2]])
    shares = np.array([0.5, 0.3, 0.2])
    fig, ax = plt.subplots()
    plot_palettes({"one": (colours, shares), "two": (torch.tensor(colours), torch.tensor(shares))}, ax=ax)
    bars = ax.patches
    assert len(bars) == 6
    widths = [b.get_width() for b in bars[:3]]
    assert widths == pytest.approx([0.3, 0.2, 0.5])  # dark, middle, light
    assert bars[2].get_x() == pytest.approx(0.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["one", "two"]
    plt.close(fig)


def test_plot_digit_grid_clips_and_leaves_spare_axes_empty():
    fig, axes = plt.subplots(2, 3)
    images = torch.arange(64.0).reshape(1, 64).repeat(5, 1) - 10  # values -10..53
    plot_digit_grid(images, axes, titles=list("abcde"))
    shown = axes[0, 0].images[0].get_array()
    assert shown.shape == (8, 8) and shown.min() == 0 and shown.max() == 16
    assert not axes[1, 2].axison and axes[1, 1].get_title() == "e"
    plt.close(fig)


def test_plot_confusion_writes_every_nonzero_count():
    table = np.array([[50, 0, 0], [0, 42, 8], [0, 2, 48]])
    fig, ax = plt.subplots()
    plot_confusion(table, ["a", "b", "c"], ["x", "y", "z"], ax=ax)
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in table.ravel() if v)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    plt.close(fig)


def test_draw_segmentation_k_titles_the_uncertain_share():
    fig = draw_segmentation_k(small_segmentations(), 2)
    left, right = fig.axes[:2]
    assert "K = 2" in left.get_title() and "50% of pixels above 0.1" in right.get_title()
    assert right.images[0].get_clim() == (0.0, 0.5)
    plt.close(fig)


def decode(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=float) / 255


def test_segmentation_images_are_the_pictures_as_jpeg():
    hard, uncertainty = segmentation_images(small_segmentations(), 2)
    picture = decode(hard)
    assert picture.shape == (6, 8, 3)
    np.testing.assert_allclose(picture[:, 6], [[1.0, 0.5, 0.0]] * 6, atol=0.08)  # JPEG is lossy
    u = decode(uncertainty)
    magma = plt.get_cmap("magma")
    np.testing.assert_allclose(u[2, 6], magma(0.0)[:3], atol=0.08)  # uncertainty 0: black end
    np.testing.assert_allclose(u[2, 1], magma(0.6)[:3], atol=0.08)  # 0.3 on the 0..0.5 scale


def test_segmentation_explorer_redraws_when_the_slider_moves():
    explorer = segmentation_explorer(small_segmentations())
    slider, caption, row = explorer.children
    assert slider.options == (2, 4) and slider.value == 4
    assert "K = 4" in caption.value and "100% of pixels" in caption.value
    before = row.children[0].value
    slider.value = 2
    assert "K = 2" in caption.value and "50% of pixels" in caption.value
    assert row.children[0].value != before
    np.testing.assert_allclose(decode(row.children[0].value)[:, 6], [[1.0, 0.5, 0.0]] * 6, atol=0.08)
