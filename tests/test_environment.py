"""pyproject.toml is the one list of dependencies; the two conda files and run.py must say the same thing.

environment.yml is the students' environment (and Binder's): the runtime and every extra but the
developer ones. environment-dev.yml is everything. run.py installs the same split into .venv.
"""

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch"}


def load_run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_script = load_run_script()


def split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_requirements(extras) -> dict[str, str]:
    reqs = list(project()["dependencies"])
    for extra in extras:
        reqs += project()["optional-dependencies"][extra]
    return {CONDA_NAMES.get(name, name): spec for name, spec in map(split, reqs)}


def environment(name: str):
    return yaml.safe_load((ROOT / name).read_text())


def conda_packages(name: str) -> dict[str, str]:
    deps = environment(name)["dependencies"]
    return dict(split(d) for d in deps if isinstance(d, str) and not d.startswith(("python", "pip")))


ALL_EXTRAS = list(project()["optional-dependencies"])
STUDENT_EXTRAS = [e for e in ALL_EXTRAS if e not in run_script.DEVELOPER_EXTRAS]


@pytest.mark.parametrize("name", ["environment.yml", "environment-dev.yml"])
def test_conda_forge_python_311_and_editable_install_last(name):
    env = environment(name)
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    # the lowest Python pyproject.toml allows, which is the one CI runs
    assert project()["requires-python"] == ">=3.11" and "python=3.11" in deps and "pip" in deps
    assert deps[-1] == {"pip": ["-e ."]}


def test_students_get_the_runtime_and_the_notebook_extras():
    assert conda_packages("environment.yml") == pyproject_requirements(STUDENT_EXTRAS)


def test_students_get_no_test_tools():
    developer_only = set(pyproject_requirements(run_script.DEVELOPER_EXTRAS)) - set(pyproject_requirements(STUDENT_EXTRAS))
    assert {"pytest", "playwright", "hypothesis", "nbval"} <= developer_only
    assert not developer_only & set(conda_packages("environment.yml"))


def test_developers_get_everything():
    assert conda_packages("environment-dev.yml") == pyproject_requirements(ALL_EXTRAS)
    assert environment("environment-dev.yml")["name"] != environment("environment.yml")["name"]


def test_the_notebooks_imports_are_in_the_student_set():
    # 07 compares fit_em with scikit-learn: a student environment without it would fail there
    student = pyproject_requirements(STUDENT_EXTRAS)
    for package, module in {"scikit-learn": "sklearn", "matplotlib": "matplotlib", "ipywidgets": "ipywidgets"}.items():
        used = any(f"import {module}" in p.read_text() or f"from {module}" in p.read_text()
                   for p in (ROOT / "notebooks").glob("*.ipynb"))
        assert not used or package in student, package


def test_the_torch_pin_is_the_bottom_of_the_range():
    # the range accepts only versions something checks: it starts at the pinned version CI runs on
    pin = Requirement(run_script.TORCH)
    (pinned,) = [Version(s.version) for s in pin.specifier]
    torch_range = next(Requirement(r) for r in project()["dependencies"] if Requirement(r).name == "torch")
    assert str(torch_range.specifier) == f">={pinned.major}.{pinned.minor}"
    assert pinned in torch_range.specifier and Version(f"{pinned.major}.{pinned.minor - 1}") not in torch_range.specifier
    assert conda_packages("environment.yml")["pytorch"] == str(torch_range.specifier)


def test_the_tests_run_on_the_pinned_torch():
    import torch

    installed = Version(torch.__version__.split("+")[0])
    torch_range = next(Requirement(r) for r in project()["dependencies"] if Requirement(r).name == "torch")
    assert installed in torch_range.specifier
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():  # run.py's environment: CI's
        assert f"torch=={installed}" == run_script.TORCH


def test_the_script_needs_the_python_pyproject_needs():
    assert project()["requires-python"] == ">=" + ".".join(map(str, run_script.MIN_PYTHON))


def test_binder_builds_the_students_environment():
    # repo2docker reads binder/ or .binder/ instead of the root when either exists; at the root it takes
    # environment.yml, and its `-e .` (a local requirement) makes it copy the repository in first
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    assert (ROOT / "environment.yml").exists()
