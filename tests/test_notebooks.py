"""House rules for the committed notebooks (nbval checks that they run; this checks how they read)."""

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from gmm_helpers.teach.story import story_sections

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load(path):
    return json.loads(path.read_text())


def sources(nb, kind=None):
    return ["".join(c["source"]) for c in nb["cells"] if kind is None or c["cell_type"] == kind]


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


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
    learn = md[0].split("**You will learn**", 1)[1].split("\n\n", 1)[0]
    assert "](" not in learn, "no links in 'You will learn': tools/build_site.py copies it into the site's index"
    code = sources(nb, "code")
    checked = [src for src, cell in zip(code, code_cells(nb)) if "nbval-check-output" in cell["metadata"].get("tags", [])]
    assert any("check_close(" in src for src in checked), "a compared check cell (tagged nbval-check-output)"
    assert any("## Summary" in m for m in md) and any("## Exercises" in m for m in md)
    assert sum("<details><summary>Solution</summary>" in m for m in md) >= 2
    assert sum(re.search(r"\bcheck_\w+\(answer|check_\w+\(\w+\)$", src, re.M) is not None for src in code) >= 2
    imported = re.findall(r"from gmm_helpers\.teach\.widgets import ([^\n]+)", "\n".join(code))
    widget_makers = {n.strip() for line in imported for n in line.split(",")} - {""}
    widget_cells = [src for src in code if any(re.search(rf"^{name}\(", src, re.M) for name in widget_makers
                                               if not name.startswith(("draw_", "format_")))]
    assert widget_cells, "an interactive widget"
    ignored = [src for src, cell in zip(code, code_cells(nb)) if "nbval-ignore-output" in cell["metadata"].get("tags", [])]
    assert all(src in ignored for src in widget_cells), "widget output differs run to run: tag it nbval-ignore-output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbval_markers_are_tags_and_markdown_has_no_control_characters(path):
    nb = load(path)
    for src in sources(nb, "code"):
        assert "NBVAL_" not in src, "use the cell tags nbval-check-output / nbval-ignore-output, not comments students copy"
    for index, src in enumerate(sources(nb)):
        bad = sorted({hex(ord(ch)) for ch in src if ord(ch) < 32 and ch != "\n"})
        assert not bad, f"cell {index} holds control characters {bad} (a \\t or \\f typed into LaTeX?)"


STORY_CHECK = re.compile(
    r'check_story\("(?P<notebook>[0-9a-z_]+)", "(?P<section>[a-z0-9-]+)", globals\(\)\)'
    r'  # story check: asserts the numbers quoted above'
)
STORY_IMPORT = "from gmm_helpers.teach.story import check_story"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_story_checks_are_collapsed_silent_calls_of_their_own_sections(path):
    """A cell that only pins the prose's numbers is tagged ``story-check``, collapsed in JupyterLab, and is one
    line, a call that runs a section of ``tests/stories/<notebook>.py`` (the asserts stay out of the lesson's code); it
    prints nothing. Every section of the story file is run by exactly one cell, in file order."""
    called, imported = [], False
    for index, cell in enumerate(code_cells(load(path))):
        source = "".join(cell["source"])
        tagged = "story-check" in cell["metadata"].get("tags", [])
        assert tagged == source.startswith("check_story("), f"code cell {index}: tag and first word disagree"
        imported = imported or any(line.startswith(STORY_IMPORT) for line in source.splitlines())
        if tagged:
            call = STORY_CHECK.fullmatch(source.strip())
            assert call, f"code cell {index}: a story check is the one line of STORY_CHECK"
            assert imported, f"code cell {index}: import check_story in the imports cell, before the first story check"
            assert call["notebook"] == path.stem, f"code cell {index}: another notebook's story"
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, f"code cell {index}: collapse it"
            assert not cell["outputs"], f"code cell {index}: a story check prints nothing"
            called.append(call["section"])
    story = ROOT / "tests" / "stories" / f"{path.stem}.py"
    assert called == (list(story_sections(story)) if story.exists() else []), "each section run once, in file order"


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


def heading_anchors(path):
    """The anchors JupyterLab gives a notebook's Markdown headings: the heading's text as rendered (no backticks,
    emphasis or link targets), spaces turned into hyphens."""
    anchors = set()
    for text in sources(load(path), "markdown"):
        for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M):
            heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
            anchors.add(re.sub(r"[`*]", "", heading).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_links_to_a_heading_find_it(path):
    """A link such as ``06_parameter_updates.ipynb#Optional:-the-gap`` (or ``#Summary`` within the notebook) names
    a heading that exists: renaming a heading must not leave a dead link behind."""
    text = "\n".join(sources(load(path), "markdown"))
    for target, anchor in re.findall(r"\]\(([0-9a-z_]*\.ipynb)?#([^)\s]+)\)", text):
        linked = path.parent / target if target else path
        assert unquote(anchor) in heading_anchors(linked), f"no heading {anchor!r} in {linked.name}"


def test_readme_and_docs_links_to_a_heading_find_it():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target, anchor in re.findall(r"\]\((?:\.\./)?(?:notebooks/)?([0-9a-z_]+\.ipynb)#([^)\s]+)\)", doc.read_text()):
            assert unquote(anchor) in heading_anchors(ROOT / "notebooks" / target), f"{doc.name}: no heading {anchor!r} in {target}"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"README does not link {path.name}"
