"""The package as a practitioner (or a torch.distributed worker) imports it: light, and honest about versions."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_loads_no_plotting_or_widget_library():
    code = ("import sys, gmm_helpers; from gmm_helpers import fit_em, GMMParams; from gmm_helpers import *; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'IPython', 'sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def test_the_classroom_kit_is_still_one_attribute_away():
    code = "import sys, gmm_helpers; f = gmm_helpers.animate_em; print('matplotlib' in sys.modules, f.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["True", "gmm_helpers.teach.animate"]


def test_the_library_never_imports_the_classroom_kit():
    for path in (ROOT / "gmm_helpers").glob("*.py"):
        text = path.read_text()
        assert "from .teach" not in text and "import gmm_helpers.teach" not in text, path
        assert "matplotlib" not in text and "ipywidgets" not in text or path.name == "__init__.py", path


def test_requires_python_is_what_the_code_needs():
    # the tests (and so the checked code) use tomllib, new in Python 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert sys.version_info >= (3, 11)
