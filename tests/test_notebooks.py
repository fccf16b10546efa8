"""House rules for the committed notebooks (nbval checks that they run; this checks how they read)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load(path):
    return json.loads(path.read_text())


def sources(nb, kind=None):
    return ["".join(c["source"]) for c in nb["cells"] if kind is None or c["cell_type"] == kind]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_executed_clean_and_small(path):
    nb = load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "restart the kernel and run all"
    assert "widgets" not in nb["metadata"], "widget state in the metadata: run tools/run_notebooks.py"
    for cell in code:
        for out in cell["outputs"]:
            assert out["output_type"] != "error"
            assert not (out.get("name") == "stderr"), f"stderr output: {''.join(out['text'])[:200]}"
            assert "<matplotlib." not in "".join(out.get("data", {}).get("text/plain", "")), "assign plot calls: _ = ax.plot(...)"
    assert path.stat().st_size < 3 * 2**20


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_structure_title_navigation_checks_exercises(path):
    nb = load(path)
    md = sources(nb, "markdown")
    number = path.name[:2]
    assert md[0].startswith(f"# {number} · ") and "**You will learn**" in md[0]
    assert "[index](00_overview.ipynb)" in md[0] or number == "00"
    code = sources(nb, "code")
    assert any(src.startswith("# NBVAL_CHECK_OUTPUT") and "check_close(" in src for src in code), "a compared check cell"
    assert any("## Summary" in m for m in md) and any("## Exercises" in m for m in md)
    assert sum("<details><summary>Solution</summary>" in m for m in md) >= 2
    assert sum(re.search(r"\bcheck_\w+\(answer|check_\w+\(\w+\)$", src, re.M) is not None for src in code) >= 2
    imported = re.findall(r"from gmm_helpers\.widgets import ([^\n]+)", "\n".join(code))
    widget_makers = {n.strip() for line in imported for n in line.split(",")} - {""}
    widget_cells = [src for src in code if any(re.search(rf"^{name}\(", src, re.M) for name in widget_makers
                                               if not name.startswith(("draw_", "format_")))]
    assert widget_cells, "an interactive widget"
    assert all(src.startswith("# NBVAL_IGNORE_OUTPUT") for src in widget_cells), "widget output differs run to run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_links_and_figures_exist(path):
    nb = load(path)
    text = "\n".join(sources(nb))
    for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", text):
        assert (path.parent / target).exists(), f"link to missing {target}"
    saved = re.findall(r"savefig\(\"\.\./figures/([^\"]+)\"", text)
    shown = re.findall(r"\]\(\.\./figures/([^)]+)\)", text)
    for name in saved + shown:
        assert (ROOT / "figures" / name).exists(), f"missing figure {name}"
        assert name.startswith(path.name[:2] + "_"), f"figure {name} should be named after its notebook"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"README does not link {path.name}"
