"""run.py, the one setup-and-run script behind `make lab`, `make test` and Windows' `py run.py lab`.

Its steps are run here without make: on a copy of the project (what a fresh clone gives the script),
in dry-run mode for every command, with the steps recorded instead of run to check when it reinstalls,
for real where .venv is already current, and once for real from nothing (the `slow` test).
"""

import ast
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def load_run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_script = load_run_script()


def project_copy(tmp_path: Path, package: bool = False) -> Path:
    """What run.py sees in a fresh clone: itself, pyproject.toml, the notebooks' names (and, for a real
    install, what pip needs to build the package)."""
    root = tmp_path / "gmm-pytorch"
    (root / "notebooks").mkdir(parents=True)
    for name in ("run.py", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    for nb in NOTEBOOKS:
        (root / "notebooks" / nb.name).touch()
    if package:
        for name in ("README.md", "LICENSE"):
            shutil.copy(ROOT / name, root / name)
        shutil.copytree(ROOT / "gmm_helpers", root / "gmm_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def dry_run(root: Path, *argv: str, cwd: Path | None = None) -> list[list[str]]:
    """The commands `python run.py --dry-run ARGV` would run, each split into its words."""
    done = subprocess.run([sys.executable, str(root / "run.py"), "--dry-run", *argv],
                          capture_output=True, text=True, cwd=cwd or root.parent)
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in done.stdout.splitlines()]


# pyproject.toml's extras in file order: every one for developers, all but `test` for students
EVERY_EXTRA = "notebooks,test,sklearn"
STUDENT_EXTRAS = "notebooks,sklearn"


def venv_py(root: Path) -> str:
    return str(run_script.venv_python(root))


def install_steps(root: Path, extras: str, index: list[str] = ()) -> list[list[str]]:
    py = venv_py(root)
    return [
        [py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [py, "-m", "pip", "install", "--quiet", *index, "torch==2.13.0"],
        [py, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]", "torch==2.13.0"],
        [py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3", "--display-name", "Python 3 (gmm-pytorch)"],
    ]


def allow_root() -> list[str]:
    return ["--allow-root"] if os.geteuid() == 0 else []


# --------------------------------------------------------------------------- a fresh clone, every command

def test_lab_on_a_fresh_clone_makes_the_venv_installs_the_students_set_and_serves_the_project(tmp_path):
    root = project_copy(tmp_path)
    steps = dry_run(root, "lab")
    assert steps[0] == [sys.executable, "-m", "venv", str(root / ".venv")]
    assert steps[1:5] == install_steps(root, STUDENT_EXTRAS)  # no test tools for students
    assert steps[5] == [venv_py(root), "-m", "jupyterlab", *allow_root(), f"--ServerApp.root_dir={root}",
                        "--LabApp.default_url=/lab/tree/notebooks/00_overview.ipynb"]
    assert len(steps) == 6


def test_test_on_a_fresh_clone_installs_every_extra_and_runs_what_make_test_ran(tmp_path):
    root = project_copy(tmp_path)
    steps = dry_run(root, "test")
    assert steps[1:5] == install_steps(root, EVERY_EXTRA)
    assert steps[5] == [venv_py(root), "-m", "pytest", "tests", "gmm_helpers", *[f"notebooks/{nb.name}" for nb in NOTEBOOKS],
                        "--nbval-lax", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]


def test_site_on_a_fresh_clone_installs_the_students_set_and_builds_the_site(tmp_path):
    root = project_copy(tmp_path)
    steps = dry_run(root, "site")
    students = run_script.extras_for("lab")  # the students' set: nbconvert and MathJax come with "notebooks"
    assert "notebooks" in students and "test" not in students
    assert steps[1:5] == install_steps(root, ",".join(students))
    assert steps[5] == [venv_py(root), "tools/build_site.py"]
    assert len(steps) == 6


def test_every_extra_is_installed_for_developers_and_every_non_developer_extra_for_students():
    every = run_script.extras()
    assert run_script.extras_for("test") == run_script.extras_for("setup") == every
    assert run_script.extras_for("lab") == run_script.extras_for("kernel") == [e for e in every if e != "test"]
    assert run_script.extras_for("site") == [e for e in every if e != "test"]  # the site needs no test tools
    assert "test" in every and "notebooks" in every
    assert ",".join(every) == EVERY_EXTRA and ",".join(run_script.extras_for("lab")) == STUDENT_EXTRAS


def test_the_torch_index_url_applies_to_the_torch_install_only(tmp_path):
    root = project_copy(tmp_path)
    url = "https://download.pytorch.org/whl/cpu"
    assert dry_run(root, "lab", "--torch-index-url", url)[1:5] == install_steps(root, STUDENT_EXTRAS, ["--index-url", url])
    assert dry_run(root, f"--torch-index-url={url}", "setup")[1:5] == install_steps(root, EVERY_EXTRA, ["--index-url", url])


def test_kernel_registers_the_venv_for_this_user_only(tmp_path):
    root = project_copy(tmp_path)
    steps = dry_run(root, "kernel")
    assert steps[1:5] == install_steps(root, STUDENT_EXTRAS)
    assert steps[5] == [venv_py(root), "-m", "ipykernel", "install", "--user", "--name", "gmm-pytorch",
                        "--display-name", "Python 3 (gmm-pytorch)"]


def test_arguments_go_to_the_last_command_and_a_path_replaces_the_default_list(tmp_path):
    root = project_copy(tmp_path)
    assert dry_run(root, "lab", "--port", "8890")[-1][-2:] == ["--port", "8890"]
    tests_dir = root / "tests"
    tests_dir.mkdir()
    (tests_dir / "test_params.py").touch()
    assert dry_run(root, "test", "tests/test_params.py", "-k", "matched")[-1] == [
        venv_py(root), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg", "tests/test_params.py", "-k", "matched"]
    assert dry_run(root, "notebooks", "notebooks/03_diagonal_gaussian.ipynb")[-1] == [
        venv_py(root), "tools/run_notebooks.py", "notebooks/03_diagonal_gaussian.ipynb"]
    assert dry_run(root, "bench", "--quick")[-3:] == [[venv_py(root), "bench/bench_em.py", "--quick"],
                                                      [venv_py(root), "bench/bench_estimator.py", "--quick"],
                                                      [venv_py(root), "bench/bench_scale.py", "--quick"]]
    assert dry_run(root, "bench", "--device", "cuda")[-1] == [venv_py(root), "bench/bench_em.py", "--device", "cuda"]


def test_bench_runs_every_script_in_turn_and_reports_the_first_failure(tmp_path, monkeypatch, capsys):
    ran = []

    def child(cmd, root, use_exec=True):
        assert use_exec is False  # a child each, so that the next can follow
        ran.append(cmd[1])
        return {"bench/bench_em.py": 1}.get(cmd[1], 0)

    monkeypatch.setattr(run_script, "hand_over", child)
    cmds = run_script.bench_commands(["--sizes", "S2"], tmp_path)
    assert [c[1:] for c in cmds] == [[script, "--sizes", "S2"] for script in run_script.BENCH_SCRIPTS]
    assert run_script.run_in_turn(cmds, tmp_path) == 1 and ran == list(run_script.BENCH_SCRIPTS)  # went on after it
    assert "bench/bench_em.py --sizes S2 failed (exit status 1)" in capsys.readouterr().err
    ran.clear()
    monkeypatch.setattr(run_script, "hand_over", lambda cmd, root, use_exec=True: ran.append(cmd[1]) or -2)
    assert run_script.run_in_turn(cmds, tmp_path) == 130 and ran == ["bench/bench_em.py"]  # Ctrl-C ends the series


def test_clean_removes_the_venv_and_the_caches(tmp_path):
    root = project_copy(tmp_path)
    for name in (".venv", ".pytest_cache", "gmm_helpers.egg-info"):
        (root / name).mkdir()
    done = subprocess.run([sys.executable, str(root / "run.py"), "clean"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not any((root / name).exists() for name in (".venv", ".pytest_cache", "gmm_helpers.egg-info"))
    assert (root / "run.py").exists() and (root / "notebooks").exists()


def test_an_unknown_command_is_refused_with_the_list_of_commands(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "labb"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "unknown command 'labb'; expected one of lab, test, setup, kernel, notebooks, bench, clean" in done.stderr


def test_the_script_works_from_any_folder(tmp_path):
    root = project_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert dry_run(root, "lab", cwd=elsewhere) == dry_run(root, "lab")


# --------------------------------------------------------------------------- when it reinstalls

def test_a_second_run_installs_nothing_until_pyproject_or_the_extras_change(tmp_path, monkeypatch):
    root = project_copy(tmp_path)
    ran = []

    def record(step, root, quiet=False):
        ran.append(step)
        if step[1:3] == ["-m", "venv"]:  # stand in for `python -m venv`: the venv's python appears
            run_script.venv_python(root).parent.mkdir(parents=True)
            run_script.venv_python(root).touch()

    monkeypatch.setattr(run_script, "run_step", record)

    def setup(command):
        ran.clear()
        run_script.setup(command, "", root, dry_run=False)
        return list(ran)

    assert len(setup("lab")) == 5                          # venv + the four install steps
    assert setup("lab") == []                              # nothing the second time
    assert setup("test") == install_steps(root, EVERY_EXTRA)  # the test tools added, no new venv
    assert setup("lab") == [] and setup("test") == []      # the students' set is inside the developers'
    with (root / "pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    assert setup("lab") == install_steps(root, EVERY_EXTRA)  # reinstalled, keeping the test tools
    record_ = json.loads(run_script.stamp_path(root).read_text())
    assert record_["extras"] == ["notebooks", "test", "sklearn"] and record_["torch"] == "torch==2.13.0"


def test_a_failed_step_stops_the_setup_and_says_why(tmp_path, capsys):
    root = project_copy(tmp_path)
    with pytest.raises(SystemExit) as stop:
        run_script.run_step([sys.executable, "-c", "import sys; sys.exit(3)"], root)
    assert stop.value.code == 3
    assert "this step failed (exit status 3)" in capsys.readouterr().err
    assert not run_script.stamp_path(root).exists()


# --------------------------------------------------------------------------- the platforms

def test_on_windows_the_venv_python_is_under_scripts(tmp_path):
    assert run_script.venv_python(tmp_path, windows=True) == tmp_path / ".venv" / "Scripts" / "python.exe"
    assert run_script.venv_python(tmp_path, windows=False) == tmp_path / ".venv" / "bin" / "python"


def test_without_exec_the_last_command_runs_as_a_child_and_its_status_comes_back(tmp_path):
    # the Windows branch (POSIX execs instead)
    cmd = [sys.executable, "-c", "import os, sys; sys.exit(4 if os.getcwd() == sys.argv[1] else 1)", str(tmp_path)]
    assert run_script.hand_over(cmd, tmp_path, use_exec=False) == 4


def test_an_old_python_is_told_what_to_install():
    assert run_script.python_problem((3, 11, 0)) is None and run_script.python_problem((3, 13, 1)) is None
    message = run_script.python_problem((3, 9, 6), "/usr/bin/python3")
    assert "needs Python 3.11 or newer; this is Python 3.9.6 (/usr/bin/python3)" in message
    assert "python3.12 run.py lab" in message and "make lab PYTHON=python3.12" in message


def test_the_script_parses_on_the_python_macos_ships():
    # so that python3 (3.9 on macOS) reaches the version check instead of failing with a syntax error
    ast.parse((ROOT / "run.py").read_text(), feature_version=(3, 8))


def old_pythons() -> list[str]:
    """Interpreters older than 3.11 on this machine that actually run."""
    found = []
    candidates = [shutil.which(f"python3.{minor}") for minor in (8, 9, 10)]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.[89]*/bin/python3"))
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.10*/bin/python3"))
    for exe in filter(None, candidates):
        ok = subprocess.run([exe, "-c", "import sys; print(sys.version_info < (3, 11))"], capture_output=True, text=True)
        if ok.returncode == 0 and ok.stdout.strip() == "True" and exe not in found:
            found.append(exe)
    return found


def test_an_old_python_running_the_script_gets_the_message_and_no_venv(tmp_path):
    pythons = old_pythons()
    if not pythons:
        pytest.skip("no Python older than 3.11 on this machine (test_an_old_python_is_told_what_to_install covers the message)")
    root = project_copy(tmp_path)
    for exe in pythons:
        done = subprocess.run([exe, str(root / "run.py"), "lab"], capture_output=True, text=True)
        assert done.returncode == 1, (exe, done.stderr)
        assert "gmm-pytorch needs Python 3.11 or newer" in done.stderr and "Traceback" not in done.stderr
        assert not (root / ".venv").exists()


# --------------------------------------------------------------------------- make runs the script

def makefile_rules() -> dict[str, list[str]]:
    rules, target = {}, None
    for line in (ROOT / "Makefile").read_text().splitlines():
        if m := re.match(r"^([a-z]+):\s*$", line):
            target = m.group(1)
            rules[target] = []
        elif line.startswith("\t") and target:
            rules[target].append(line.strip())
    return rules


def test_every_make_target_is_one_call_of_the_script():
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^PYTHON \?= python3$", text, re.M)
    assert re.search(r"^RUN := \$\(PYTHON\) run\.py\$\(if \$\(TORCH_INDEX_URL\), --torch-index-url \$\(TORCH_INDEX_URL\),\)$",
                     text, re.M)
    rules = makefile_rules()
    assert set(rules) == {"setup", "lab", "test", "notebooks", "bench", "clean", "site"} == set(run_script.COMMANDS) - {"kernel"}
    for target, recipe in rules.items():  # ARGS (empty unless given: make bench ARGS="--device cuda") follow the command
        assert recipe == [f"$(RUN) {target} $(ARGS)"], target


# --------------------------------------------------------------------------- for real

def in_the_scripts_venv() -> bool:
    return Path(sys.prefix).resolve() == (ROOT / ".venv").resolve() and run_script.is_current(run_script.extras_for("test"))


@pytest.mark.skipif(not in_the_scripts_venv(), reason="runs only inside the .venv run.py made (elsewhere the script would install one)")
def test_with_the_venv_current_the_script_goes_straight_to_the_command_and_passes_its_status_back():
    script = [sys.executable, str(ROOT / "run.py"), "test", "tests/test_params.py", "-q", "-p", "no:cacheprovider"]
    passed = subprocess.run(script, capture_output=True, text=True, cwd=ROOT)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "pip install" not in passed.stdout and re.search(r"\d+ passed", passed.stdout)
    none_selected = subprocess.run([*script, "-k", "no_such_test"], capture_output=True, text=True, cwd=ROOT)
    assert none_selected.returncode == 5  # pytest's "no tests collected", through run.py unchanged


@pytest.mark.slow
def test_kernel_from_nothing_installs_the_students_set_and_registers_a_working_kernel(tmp_path):
    """The JupyterHub route, for real: a fresh .venv in a copy of the project (about a minute, 1.7 GB)."""
    root = project_copy(tmp_path, package=True)
    data_dir = tmp_path / "jupyter-data"  # where `ipykernel install --user` writes, kept out of the real home
    env = dict(os.environ, JUPYTER_DATA_DIR=str(data_dir))
    index = (run_script.installed() or {}).get("torch_index_url", "")  # the source this checkout's .venv used
    argv = [sys.executable, str(root / "run.py"), "kernel", *(["--torch-index-url", index] if index else [])]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=1200)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        assert "Registered the kernel 'Python 3 (gmm-pytorch)'" in done.stdout
        spec = json.loads((data_dir / "kernels" / "gmm-pytorch" / "kernel.json").read_text())
        assert spec["display_name"] == "Python 3 (gmm-pytorch)" and spec["argv"][0] == venv_py(root)
        probe = ("import importlib.util as u, gmm_helpers, torch, jupyterlab, sklearn; "
                 "print(gmm_helpers.__file__); print(torch.__version__.split('+')[0]); "
                 "print([m for m in ('pytest', 'playwright', 'hypothesis', 'nbval') if u.find_spec(m)])")
        out = subprocess.run([spec["argv"][0], "-c", probe], capture_output=True, text=True, check=True,
                             cwd=tmp_path).stdout.splitlines()  # not from this checkout's folder
        assert Path(out[0]).resolve() == (root / "gmm_helpers" / "__init__.py").resolve()  # the copy, editable
        assert out[1] == "2.13.0" and out[2] == "[]"  # the pinned torch; no test tools for students
        assert dry_run(root, "kernel")[:-1] == []  # a second run installs nothing
    finally:
        shutil.rmtree(root / ".venv", ignore_errors=True)
