import subprocess
import sys

import numpy as np
import torch
from matplotlib.colors import to_rgb

from gmm_helpers.teach.style import CLASSROOM_RC, COMPONENT_COLOURS, responsibility_colours, use_classroom_style


def test_import_changes_no_global_matplotlib_state():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import gmm_helpers, gmm_helpers.teach.plotting, gmm_helpers.teach.figures, gmm_helpers.teach.widgets; "
        "changed = [k for k in before if mpl.rcParams[k] != before[k]]; print(changed)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_responsibility_colours_blend():
    colours = responsibility_colours(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    c0, c1 = np.array(to_rgb(COMPONENT_COLOURS[0])), np.array(to_rgb(COMPONENT_COLOURS[1]))
    np.testing.assert_allclose(colours, [c0, c1, (c0 + c1) / 2])


def test_classroom_style_sets_large_fonts():
    import matplotlib.pyplot as plt

    before = dict(plt.rcParams)
    try:
        use_classroom_style()
        assert plt.rcParams["font.size"] == CLASSROOM_RC["font.size"] >= 14
    finally:
        plt.rcParams.update(before)
