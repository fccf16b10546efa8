"""pyproject.toml is the one list of dependencies; environment.yml must say the same thing."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch"}


def split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {CONDA_NAMES.get(name, name): spec for name, spec in map(split, reqs)}


def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_conda_forge_python_311_and_editable_install_last():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    assert deps[-1] == {"pip": ["-e ."]}


def test_same_packages_and_versions_as_pyproject():
    conda = dict(split(d) for d in environment()["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip")))
    assert conda == pyproject_requirements()


def test_every_extra_is_installed_by_the_makefile():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    makefile = (ROOT / "Makefile").read_text()
    assert f'-e ".[{",".join(extras)}]"' in makefile
    # torch is pinned to the CPU wheel on disk; an unpinned torch would pull a CUDA build
    assert re.search(r"^TORCH\s*:= torch==2\.13\.0$", makefile, re.M)
