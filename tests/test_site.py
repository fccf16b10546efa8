"""The series as a website (``make site``, tools/build_site.py), opened from disk in headless Chromium.

The browser part (marked ``browser``, like tests/test_browser.py, whose Chromium it launches) builds the
site from the notebooks as they are and checks every page as a reader would get it: no request leaves
file:// (any other is blocked and fails the test), no console error, no file that fails to load, the maths
typeset (no raw ``$...$`` left), every image loaded, every link inside the site resolving (to a file, and
to its anchor), no widget text, each widget replaced by the note, and every solution closed on load.
Screenshots go to .screenshots/site-*.png (git-ignored).

The other tests build a small site from a made-up notebook: fast, no browser.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from tests.test_browser import CHROMIUM, IN_CI, SCREENSHOTS, browser  # noqa: F401  (browser is a fixture)

ROOT = Path(__file__).resolve().parents[1]
# the checkout whose notebooks/, figures/ and docs/ the browser test publishes: this one, unless
# GMM_SITE_SOURCE names another (e.g. a scratch folder with notebooks from several branches)
SOURCE = Path(os.environ.get("GMM_SITE_SOURCE", ROOT)).resolve()
NOTEBOOKS = sorted((SOURCE / "notebooks").glob("*.ipynb"))
GUIDES = sorted((SOURCE / "docs").glob("*.md")) if (SOURCE / "docs").is_dir() else []
NOTE = "The slider version of this figure runs in JupyterLab (make lab)."

# Under CI (CI=true) a missing chromium fails (tests/test_browser.py's check), never skips
no_chromium = pytest.mark.skipif(CHROMIUM is None and not IN_CI,
                                 reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)")


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = load_builder()


# --------------------------------------------------------------------------- the builder, on a made-up notebook

WIDGET_OUTPUT = {
    "output_type": "display_data", "metadata": {},
    "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
             "text/plain": "interactive(children=(FloatSlider(value=0.5, description='weight'), Output()))"},
}


def small_project(root: Path, link: str = "01_next.ipynb#Second-part") -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "figures").mkdir()
    (root / "docs").mkdir()
    (root / "figures" / "a.png").write_bytes((ROOT / "figures" / "00_running_example.png").read_bytes())
    first = nbformat.v4.new_notebook()
    first.cells = [
        nbformat.v4.new_markdown_cell("# 00 · First\n\n**You will learn**\n- the density $p(x)$;\n  and more\n"
                                      "- a second thing.\n\n**Time to work through:** about 10 minutes.\n\n"
                                      f"[next]({link}) · ![a figure](../figures/a.png) · [guide](../docs/teaching.md)"),
        nbformat.v4.new_code_cell("interact(...)", outputs=[nbformat.from_dict(WIDGET_OUTPUT)]),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
        nbformat.v4.new_code_cell("# Story check: ...\nassert STORY_MARKER == 1",
                                  metadata={"tags": ["story-check"], "jupyter": {"source_hidden": True}}),
        nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>\n\n$x = 1$\n\n</details>"),
    ]
    first.metadata["widgets"] = {"state": {}}
    second = nbformat.v4.new_notebook()
    second.cells = [nbformat.v4.new_markdown_cell("# 01 · Next\n\n## Second part\n\n[back](00_first.ipynb)")]
    nbformat.write(first, root / "notebooks" / "00_first.ipynb")
    nbformat.write(second, root / "notebooks" / "01_next.ipynb")
    (root / "docs" / "teaching.md").write_text("# Guide\n\nStart with [00](../notebooks/00_first.ipynb).\n")
    return root


def test_the_builder_makes_pages_rewrites_links_and_replaces_widgets(tmp_path):
    root = small_project(tmp_path / "project")
    out = tmp_path / "site"
    done = build_site.build(root, out)
    assert (done["notebooks"], done["guides"], done["widgets"]) == (2, 1, 1)
    first = (out / "notebooks" / "00_first.html").read_text()
    assert 'href="01_next.html#Second-part"' in first and 'href="../docs/teaching.html"' in first
    assert ".ipynb" not in re.sub(r"<title>.*?</title>", "", first)
    assert 'src="../figures/a.png"' in first and (out / "figures" / "a.png").exists()
    assert "interactive(children" not in first and first.count(NOTE.replace("make lab", "<code>make lab</code>")) == 1
    assert "<pre>1\n</pre>" in first and "<details>" in first  # other outputs stay
    assert "STORY_MARKER" not in first, "story-check cells are left out of the pages"
    assert 'src="../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"' in first and (out / "mathjax" / "MathJax.js").exists()
    assert not re.search(r'(src|href)="(https?:)?//', first), "a page must fetch nothing from the network"
    assert 'href="../notebooks/00_first.html"' in (out / "docs" / "teaching.html").read_text()
    index = (out / "index.html").read_text()
    assert 'href="notebooks/00_first.html"' in index and 'href="notebooks/01_next.html"' in index
    assert "the density $p(x)$; and more" in index and "a second thing." in index and "about 10 minutes" in index
    assert 'href="docs/teaching.html"' in index
    # a rebuild replaces the folder it made
    (out / "stale.html").write_text("old")
    build_site.build(root, out)
    assert not (out / "stale.html").exists()


def test_a_broken_link_stops_the_build_and_names_it(tmp_path):
    root = small_project(tmp_path / "project", link="../data/missing.csv")
    with pytest.raises(SystemExit, match=r"notebooks/00_first.html: ../data/missing.csv"):
        build_site.build(root, tmp_path / "site")


def test_a_link_to_a_notebook_this_checkout_lacks_becomes_text(tmp_path, capsys):
    root = small_project(tmp_path / "project", link="09_later.ipynb")
    build_site.build(root, tmp_path / "site")
    first = (tmp_path / "site" / "notebooks" / "00_first.html").read_text()
    assert '<span class="absent-notebook">next</span>' in first and "09_later" not in first
    assert "notebooks/00_first.html: 09_later.ipynb" in capsys.readouterr().err


def test_the_builder_never_deletes_a_folder_it_did_not_make(tmp_path):
    root = small_project(tmp_path / "project")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("keep")
    with pytest.raises(SystemExit, match="was not made by this script"):
        build_site.build(root, mine)
    assert (mine / "keep.txt").read_text() == "keep"


# --------------------------------------------------------------------------- the real site, in the browser

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    build_site.build(SOURCE, out)
    return out


def pages() -> list[str]:
    return ["index.html", *[f"notebooks/{p.stem}.html" for p in NOTEBOOKS], *[f"docs/{p.stem}.html" for p in GUIDES]]


MATHJAX_DONE = """() => new Promise(done => MathJax.Hub.Register.StartupHook("End", () => done(true)))"""

# text outside code, scripts and typeset maths that still looks like TeX between dollars
RAW_MATHS = r"""() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('pre, code, script, style, .MathJax, .MathJax_Display, .MathJax_Preview')) continue;
        if (/\$[^$\s][^$]*\$/.test(node.textContent) || /\\\(|\\\[/.test(node.textContent)) found.push(node.textContent.slice(0, 120));
    }
    return found;
}"""

IMAGES_LOADED = """() => [...document.images].filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 120))"""

LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


def widget_outputs(name: str) -> int:
    nb = nbformat.read(SOURCE / "notebooks" / f"{name}.ipynb", as_version=4)
    return sum(any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c.get("outputs", []))
               for c in nb.cells if c.cell_type == "code")


@pytest.mark.browser
@no_chromium
@pytest.mark.parametrize("page_path", pages())
def test_every_page_loads_offline_with_maths_images_links_and_closed_solutions(browser, site, page_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests, errors, failed = [], [], []
    context.route(re.compile(r"^(?!file:|data:|about:).*"), lambda route: route.abort())  # nothing may leave the disk
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url) if not r.url.startswith("about:") else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((site / page_path).as_uri(), wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.Hub", timeout=30_000)
        page.evaluate(MATHJAX_DONE)
        page.wait_for_function("() => [...document.images].every(img => img.complete)", timeout=30_000)

        offsite = [u for u in requests if not u.startswith(("file:", "data:", "about:"))]
        assert not offsite, f"requests that leave the disk: {offsite}"
        assert not failed, f"files that failed to load: {failed}"
        assert not errors, f"console errors: {errors}"
        assert page.evaluate(RAW_MATHS) == [], "maths left untypeset"
        source = (site / page_path).read_text()
        if "$" in re.sub(r"<(script|style|pre|code)[\s\S]*?</\1>", "", source):
            assert page.locator(".MathJax").count() > 0, "no maths typeset"
        assert page.locator(".noError, .merror, [class*='MathJax_Error']").count() == 0, "MathJax reported a TeX error"
        assert page.evaluate(IMAGES_LOADED) == []

        for url in page.evaluate(LINKS):
            if not url.startswith("file:"):
                continue
            target, _, fragment = url.partition("#")
            path = Path(urllib.parse.unquote(urllib.parse.urlparse(target).path))
            assert path.is_file() and site in path.parents, f"a link to a missing page: {url}"
            if fragment:
                # nbconvert writes a heading's id percent-encoded (00-%C2%B7-...), the browser may decode it
                ids = {html.unescape(urllib.parse.unquote(i)) for i in re.findall(r'\bid="([^"]*)"', path.read_text(errors="replace"))}
                assert urllib.parse.unquote(fragment) in ids, f"a link to a missing anchor: {url}"

        text = page.inner_text("body")
        assert "interactive(children" not in text
        if page_path.startswith("notebooks/"):
            name = Path(page_path).stem
            assert text.count(NOTE) == widget_outputs(name)
            details = page.locator("details")
            if "## Exercises" in (SOURCE / "notebooks" / f"{name}.ipynb").read_text():
                assert details.count() >= 1, "no collapsed solution on a page with exercises"
            assert page.evaluate("() => [...document.querySelectorAll('details')].filter(d => d.open).length") == 0
            assert page.locator("details[open]").count() == 0
        if page_path == "index.html":
            links = set(page.evaluate(LINKS))
            for nb in NOTEBOOKS:
                assert (site / "notebooks" / f"{nb.stem}.html").as_uri() in links, nb.name
            if (SOURCE / "figures" / "07_em_fit.gif").exists():
                assert page.locator('img[src="figures/07_em_fit.gif"]').count() == 1
        SCREENSHOTS.mkdir(exist_ok=True)
        shot = SCREENSHOTS / f"site-{page_path.replace('/', '-').removesuffix('.html')}.png"
        page.screenshot(path=str(shot))
    finally:
        context.close()

