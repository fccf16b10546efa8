"""Build the series as a static website that works offline: ``make site`` (= ``python run.py site``).

    python tools/build_site.py                    # into site/ (git-ignored); open site/index.html
    python tools/build_site.py --out /tmp/site    # somewhere else
    python tools/build_site.py --root DIR         # the notebooks/, figures/ and docs/ of another checkout

One page per notebook in notebooks/ (whatever is there), made by nbconvert from the outputs stored in the
notebook (nothing is re-executed), an index page (the series, what each notebook teaches, the animated
fit) and docs/*.md rendered as pages. The site mirrors the repository's layout (notebooks/, figures/,
docs/) so that the notebooks' ``../figures/...`` images load; links to ``NN_x.ipynb`` become links to
``NN_x.html``. The maths is typeset by MathJax 2.7 copied from the pip package ``jupyter-server-mathjax``
into ``mathjax/``: no page asks the network for anything. A widget's output (which needs a kernel) is
replaced by a note that its slider runs in JupyterLab; the static companion figure beside it stays.

A link to a notebook that this checkout lacks (the guide names the whole series) is shown as plain text,
with a warning; a link to any other file that is neither a page nor in the repository stops the build
with the list of such links.
"""

from __future__ import annotations

import argparse
import html
import posixpath
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "site_template"
MARKER = ".gmm-pytorch-site"  # in a folder this script made (so --out never deletes anything else)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="widget-note">The slider version of this figure runs in JupyterLab '
               '(<code>make lab</code>).</p>')
# What MathJax 2.7 needs for TeX input and HTML-CSS output with the STIX-Web fonts (the only ones the
# package ships); the combined configuration file holds the code of the input and output processors
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full"
MATHJAX_PARTS = ("MathJax.js", "LICENSE", f"config/{MATHJAX_CONFIG}.js", "config/Safe.js", "extensions",
                 "jax/input", "jax/element", "jax/output/HTML-CSS", "fonts/HTML-CSS/STIX-Web", "localization/en")


def mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SystemExit("build_site.py: the package jupyter-server-mathjax is missing (pip install "
                         "jupyter-server-mathjax, or `make site`, which installs it)") from None
    static = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (static / "MathJax.js").exists():
        raise SystemExit(f"build_site.py: no MathJax.js in {static}")
    return static


def copy_mathjax(site: Path) -> None:
    source = mathjax_source()
    for part in MATHJAX_PARTS:
        src, dst = source / part, site / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            # the accessibility explorer (a11y, 4 MB) is not loaded by this configuration
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("a11y"))
        else:
            shutil.copy2(src, dst)


# ----------------------------------------------------------------------------- what a notebook says

def title_of(nb) -> str:
    """The first Markdown heading, e.g. ``00 · Gaussian mixtures and EM: an overview``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def learn_lines(nb) -> list[str]:
    """The bullets under "**You will learn**" in the first cell (continuation lines joined)."""
    source = nb.cells[0].source if nb.cells else ""
    items, inside = [], False
    for line in source.splitlines():
        if line.strip().startswith("**You will learn**"):
            inside = True
            continue
        if not inside:
            continue
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and line.strip() and items:
            items[-1] += " " + line.strip()
        elif items:
            break
    return items


def time_to_work(nb) -> str:
    source = nb.cells[0].source if nb.cells else ""
    found = re.search(r"\*\*Time to work through:\*\*\s*(.+?)(?:\n\n|$)", source, re.S)
    return " ".join(found.group(1).split()) if found else ""


def plain(text: str) -> str:
    """A heading as text for <title>: no Markdown code marks or maths dollars."""
    return text.replace("`", "").replace("$", "")


def without_widgets(nb):
    """Each widget output (and its ``interactive(children=...)`` text) replaced by the note."""
    nb.metadata.pop("widgets", None)
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept, noted = [], False
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if WIDGET_MIME in data or text.startswith(("interactive(", "VBox(", "HBox(")):
                if not noted:
                    kept.append(nbformat.v4.new_output("display_data", data={"text/html": WIDGET_NOTE}))
                    noted = True
                    replaced += 1
                continue
            kept.append(out)
        cell.outputs = kept
    return nb, replaced


def without_story_checks(nb):
    """The cells tagged ``story-check`` left out: they assert the numbers the prose quotes (for CI) and print
    nothing; JupyterLab shows them collapsed, and a web page has no way to collapse them."""
    nb.cells = [cell for cell in nb.cells if "story-check" not in cell.get("metadata", {}).get("tags", [])]
    return nb


# ----------------------------------------------------------------------------- pages

def exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="gmmsite", extra_template_basedirs=[str(TEMPLATES)], theme="light")


def render(nb, page: str, title: str, has_guide: bool) -> str:
    """One HTML page; ``page`` is its path inside the site (it fixes the relative URLs)."""
    depth = page.count("/")
    site_root = "../" * depth
    ex = exporter()
    ex.mathjax_url = f"{site_root}mathjax/MathJax.js?config={MATHJAX_CONFIG},Safe"
    nb.metadata["title"] = plain(title)
    body, _ = ex.from_notebook_node(nb, resources={"metadata": {"name": plain(title)}, "site_root": site_root,
                                                   "mathjax_url": ex.mathjax_url, "has_guide": has_guide})
    return body


def markdown_page(source: str):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(source))
    return nb


LINK = re.compile(r'(\b(?:href|src)=")([^"]*)(")')
ANCHOR = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def unlink_absent_notebooks(page_html: str, page: str, root: Path, absent: list[str]) -> str:
    """A link to a notebook of the series that this checkout does not have (yet: the guide names all of
    them) becomes plain text, recorded in ``absent``; every other link is left to ``fix_links``."""
    here = posixpath.dirname(page)

    def unlink(match):
        url = html.unescape(match.group(1)).partition("#")[0]
        target = posixpath.normpath(posixpath.join(here, url)) if url and ":" not in url else ""
        if re.fullmatch(r"notebooks/[^/]+\.ipynb", target) and not (root / target).is_file():
            absent.append(f"{page}: {url}")
            return f'<span class="absent-notebook">{match.group(2)}</span>'
        return match.group(0)

    return ANCHOR.sub(unlink, page_html)


def fix_links(page_html: str, page: str, pages: dict[str, str], root: Path, site: Path, broken: list[str]) -> str:
    """Relative links resolved against the page's place in the repository: a notebook or a rendered
    Markdown file becomes its page, a file of the repository is copied into the site, anything else is
    recorded in ``broken``."""
    here = posixpath.dirname(page)

    def fix(match):
        url = html.unescape(match.group(2))
        if not url or url.startswith(("#", "//")) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
            return match.group(0)  # same page, or a scheme (http:, data:, mailto:)
        path, hash_, fragment = url.partition("#")
        path = path.split("?", 1)[0]
        target = posixpath.normpath(posixpath.join(here, path))
        if target in pages:
            new = posixpath.relpath(pages[target], here or ".") + hash_ + fragment
            return match.group(1) + html.escape(new) + match.group(3)
        if target in pages.values() or (site / target).is_file():
            return match.group(0)  # a page of the site (the navigation bar, the index), or a copied file
        if not target.startswith("..") and (root / target).is_file():
            (site / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / target, site / target)
            return match.group(0)
        broken.append(f"{page}: {url}")
        return match.group(0)

    return LINK.sub(fix, page_html)


def index_source(entries: list[dict], root: Path, has_guide: bool) -> str:
    lines = [
        "# Gaussian mixture models and EM in PyTorch",
        "",
        "A numbered series of notebooks that teaches Gaussian mixture models fitted by the "
        "expectation–maximisation (EM) algorithm, from the idea of a mixture to a tested EM in PyTorch. "
        "Each page shows a notebook as it was executed: its code, its printed checks and its figures. "
        "The sliders need a running Python: they work in JupyterLab (`make lab` in the project folder).",
        "",
    ]
    if (root / "figures" / "07_em_fit.gif").exists():
        lines += ['<img class="series-gif" src="figures/07_em_fit.gif" '
                  'alt="EM fitting three components to the running example, iteration by iteration">', "",
                  "*EM at work on the running example (notebook 07): from the poor start, each iteration moves "
                  "the three components until the fit stops improving.*", ""]
    lines += ["## The notebooks", ""]
    for e in entries:
        lines.append(f"### [{e['title']}]({e['page']})")
        lines.append("")
        if e["time"]:
            lines.append(f"*Time to work through: {e['time'].rstrip('.')}.*")
            lines.append("")
        if e["learn"]:
            lines.append("**You will learn**")
            lines.append("")
            lines += [f"- {item}" for item in e["learn"]]
            lines.append("")
    if has_guide:
        lines += ["## For teachers", "",
                  "[The teacher's guide](docs/teaching.html): who the series is for, a plan of 50-minute "
                  "classes with what to show live and what to set as homework, the misconceptions students "
                  "bring and where the series meets each, and how to run it in class.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the build

def prepare(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise SystemExit(f"build_site.py: {out} exists and was not made by this script; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by tools/build_site.py; deleted and rebuilt by each build\n")


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(root: Path, out: Path) -> dict:
    start = time.perf_counter()
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"build_site.py: no notebooks in {root / 'notebooks'}")
    prepare(out)
    copy_mathjax(out)
    shutil.copy2(TEMPLATES / "gmmsite" / "site.css", out / "site.css")
    if (root / "figures").is_dir():
        shutil.copytree(root / "figures", out / "figures")
    guides = sorted((root / "docs").glob("*.md")) if (root / "docs").is_dir() else []
    has_guide = (root / "docs" / "teaching.md").exists()

    # repository path -> site path, for the links
    pages = {f"notebooks/{p.name}": f"notebooks/{p.stem}.html" for p in notebooks}
    pages.update({f"docs/{p.name}": f"docs/{p.stem}.html" for p in guides})
    pages["index.html"] = "index.html"

    broken: list[str] = []
    absent: list[str] = []
    entries, widgets = [], 0
    for path in notebooks:
        nb, replaced = without_widgets(without_story_checks(nbformat.read(path, as_version=4)))
        widgets += replaced
        title = title_of(nb) or path.stem
        page = pages[f"notebooks/{path.name}"]
        entries.append({"title": title, "page": page, "learn": learn_lines(nb), "time": time_to_work(nb)})
        rendered = unlink_absent_notebooks(render(nb, page, title, has_guide), page, root, absent)
        write(out, page, fix_links(rendered, page, pages, root, out, broken))
    for path in guides:
        source = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in source.splitlines() if line.startswith("# ")), path.stem)
        page = pages[f"docs/{path.name}"]
        rendered = unlink_absent_notebooks(render(markdown_page(source), page, title, has_guide), page, root, absent)
        write(out, page, fix_links(rendered, page, pages, root, out, broken))
    index = render(markdown_page(index_source(entries, root, has_guide)), "index.html",
                   "Gaussian mixture models and EM in PyTorch", has_guide)
    write(out, "index.html", fix_links(index, "index.html", pages, root, out, broken))
    if broken:
        raise SystemExit("build_site.py: links to files that are neither pages nor in the repository:\n  "
                         + "\n  ".join(broken))
    for link in absent:
        print(f"build_site.py: a link to a notebook this checkout lacks is shown as text: {link}", file=sys.stderr)
    size, count = folder_size(out)
    return {"notebooks": len(notebooks), "guides": len(guides), "widgets": widgets,
            "seconds": time.perf_counter() - start, "bytes": size, "files": count}


def write(out: Path, page: str, text: str) -> None:
    (out / page).parent.mkdir(parents=True, exist_ok=True)
    (out / page).write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose notebooks/, figures/, docs/ to publish")
    parser.add_argument("--out", type=Path, default=None, help="the site's folder (default: ROOT/site)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = (args.out or root / "site").resolve()
    done = build(root, out)
    print(f"built {done['notebooks']} notebook pages, {done['guides']} guide page(s) and the index into {out} "
          f"({done['widgets']} widget outputs replaced by a note)")
    print(f"build time {done['seconds']:.1f} s; site size {done['bytes'] / 2**20:.1f} MiB in {done['files']} files")
    print(f"open {out / 'index.html'} in a browser (no network needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
