"""Each way the README starts JupyterLab serves the project folder, so the notebooks' figures load.

The notebooks show images as ``../figures/NAME``: that resolves only when the server's root is the
project folder (a server on ``notebooks/`` serves no ``figures/``). Two routes are started here exactly
as a reader starts them, plus only what a test needs (a free port, no browser, no token):

- ``python run.py lab`` (what ``make lab`` runs);
- the conda route's ``jupyter lab ...`` command, as the README's Setup section writes it, from the
  project folder (run with this environment's jupyter: no conda channel is reachable here).

For each: every figure a Markdown cell shows comes back from ``/files/figures/...`` byte for byte, the notebook is at
``notebooks/00_overview.ipynb`` under the server's root, and the page the browser would be sent to is 00.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_run import in_the_scripts_venv

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
FIRST = "notebooks/00_overview.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_flags(port: int) -> list[str]:
    return ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
             "--IdentityProvider.token=", "--ServerApp.password="]


def figures_shown_from_markdown() -> list[str]:
    """The figures the notebooks' Markdown cells show (``![...](../figures/NAME)``): the browser fetches
    these from the server (a figure a code cell draws travels inside the notebook instead)."""
    names = set()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                names |= set(re.findall(r"\(\.\./figures/([\w.\-]+\.(?:png|gif|jpg))\)", "".join(cell["source"])))
    assert names, "no notebook shows a figure from ../figures/ in a Markdown cell"
    return sorted(names)


def start(argv: list[str], tmp_path: Path):
    """The server, its base URL and its runtime folder (where it writes the page a browser would open)."""
    runtime = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    port = re.search(r"--port=(\d+)", " ".join(argv)).group(1)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                return server, url, runtime, log
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop(server, log)
                raise AssertionError(f"JupyterLab did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}") from None
            time.sleep(0.5)


def stop(server: subprocess.Popen, log) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


def page_the_browser_would_open(runtime: Path) -> str:
    """The URL in the file JupyterLab writes for the browser: the one for a named file if there is one."""
    deadline = time.monotonic() + 30
    while True:
        pages = sorted(runtime.glob("jpserver-file-to-run-*-open.html")) or sorted(runtime.glob("jpserver-*-open.html"))
        if pages:
            return re.search(r'url=([^"]+)"', pages[0].read_text()).group(1)
        assert time.monotonic() < deadline, f"no jpserver-*-open.html in {runtime}"
        time.sleep(0.5)


def fetch_from_a_notebook_page(url: str, path: str):
    """GET ``path`` as the browser does for an image in a notebook: with the notebook page as referer
    (a server without a token refuses /files/ requests that come from no page of its own)."""
    request = urllib.request.Request(f"{url}{path}", headers={"Referer": f"{url}/lab/tree/{FIRST}"})
    return urllib.request.urlopen(request, timeout=30)


def check_serves_the_project(url: str, runtime: Path) -> None:
    for name in figures_shown_from_markdown():
        with fetch_from_a_notebook_page(url, f"/files/figures/{name}") as response:
            assert response.status == 200
            assert response.read() == (ROOT / "figures" / name).read_bytes(), name
    with urllib.request.urlopen(f"{url}/api/contents/{FIRST}?content=0", timeout=30) as response:
        assert json.load(response)["path"] == FIRST
    assert page_the_browser_would_open(runtime).endswith(f"/lab/tree/{FIRST}")


@pytest.mark.skipif(not in_the_scripts_venv(),
                    reason="runs only inside the .venv run.py made (elsewhere the script would install one first)")
def test_run_py_lab_serves_the_figures_and_opens_00(tmp_path):
    argv = [sys.executable, str(ROOT / "run.py"), "lab", *server_flags(free_port())]
    server, url, runtime, log = start(argv, tmp_path)
    try:
        check_serves_the_project(url, runtime)
        with urllib.request.urlopen(f"{url}/", timeout=30) as response:  # the front page redirects to 00 too
            assert response.geturl().endswith(f"/lab/tree/{FIRST}")
    finally:
        stop(server, log)


def conda_lab_command() -> str:
    setup = re.search(r"^## Setup\n(.*?)^## ", README, re.S | re.M).group(1)
    conda = re.search(r"\*\*Conda\*\*.*?`(jupyter lab [^`]*)`", setup, re.S).group(1)
    return conda


def test_the_conda_command_is_the_one_environment_yml_shows():
    assert f"#   {conda_lab_command()}\n" in (ROOT / "environment.yml").read_text()


def test_the_conda_command_serves_the_figures_and_opens_00(tmp_path):
    words = shlex.split(conda_lab_command())
    assert words[:2] == ["jupyter", "lab"]
    jupyter = Path(sys.executable).with_name("jupyter.exe" if os.name == "nt" else "jupyter")
    root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    argv = [str(jupyter), *words[1:], *root_flag, *server_flags(free_port())]
    server, url, runtime, log = start(argv, tmp_path)
    try:
        check_serves_the_project(url, runtime)
    finally:
        stop(server, log)


def test_a_server_on_the_notebooks_folder_would_not_serve_them(tmp_path):
    # the failure the routes avoid: the old conda command, `jupyter lab notebooks/`
    jupyter = Path(sys.executable).with_name("jupyter.exe" if os.name == "nt" else "jupyter")
    root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    argv = [str(jupyter), "lab", "notebooks/", *root_flag, *server_flags(free_port())]
    server, url, runtime, log = start(argv, tmp_path)
    try:
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch_from_a_notebook_page(url, f"/files/figures/{figures_shown_from_markdown()[0]}")
        assert missing.value.code == 404
        missing.value.close()
    finally:
        stop(server, log)
