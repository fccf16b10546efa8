#!/usr/bin/env python3
"""Set up and run gmm-pytorch on Linux, macOS and Windows, with or without ``make``.

    python run.py lab        set up .venv if needed, then open the series in JupyterLab   (= make lab)
    python run.py test       set up .venv if needed, then run every check                 (= make test)
    python run.py setup      only create or update .venv                                  (= make setup)
    python run.py site       build the series as a website in site/ (works offline): open site/index.html  (= make site)
    python run.py kernel     on a shared JupyterHub: set up .venv and register it as a Jupyter kernel
                             for you alone ("Python 3 (gmm-pytorch)")
    python run.py notebooks [NOTEBOOK ...]   re-execute notebooks in place                 (= make notebooks)
    python run.py bench [ARGS]               time EM: fit_em vs scikit-learn; runs each benchmark script
                                             in turn (bench/bench_em.py, then bench/bench_estimator.py),
                                             each given ARGS, e.g. --quick              (= make bench)
    python run.py clean      delete .venv and the caches                                  (= make clean)

On Windows type ``py`` (or ``python``) for ``python``; on macOS and Linux ``python3``. The Makefile's
targets call this script, so both routes run the same steps. The Python that runs the script (3.11 or
newer) is the one .venv is made from.

Options, anywhere on the line:
    --torch-index-url URL   where pip takes torch from, e.g. https://download.pytorch.org/whl/cpu for the
                            CPU-only build on Linux (PyPI's Linux wheel is a CUDA build of several GB)
    --dry-run               print the steps instead of running them

Any other arguments go to the command run last: ``python run.py test -k params`` or
``python run.py test tests/test_params.py`` (a path, from the project folder, replaces the default list), ``python run.py lab --port 8890``.

This file must stay readable by old Pythons (macOS ships 3.9) so that it can say what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)  # pyproject.toml's requires-python (a test keeps the two equal)
# A version, not a build: which wheel pip takes depends on where it looks (--torch-index-url).
# pyproject.toml's range starts at this version, the one the tests run on.
TORCH = "torch==2.13.0"
# Extras only developers need; every other extra in pyproject.toml is installed for students too.
DEVELOPER_EXTRAS = ("test",)
STUDENT_COMMANDS = ("lab", "kernel", "site")  # the rest (test, notebooks, bench, setup) install every extra
FIRST_NOTEBOOK = "notebooks/00_overview.ipynb"
KERNEL_NAME = "gmm-pytorch"
KERNEL_DISPLAY_NAME = "Python 3 (gmm-pytorch)"
COMMANDS = ("lab", "test", "setup", "kernel", "notebooks", "bench", "clean", "site")
# `bench` runs these in turn, each with the same arguments (each accepts --quick and --repeats N; --device cuda
# goes to bench_em.py alone)
BENCH_SCRIPTS = ("bench/bench_em.py", "bench/bench_estimator.py", "bench/bench_scale.py")


# ----------------------------------------------------------------------------- where things are

def venv_python(root: Path = ROOT, windows: bool | None = None) -> Path:
    """The Python inside ``root/.venv``: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    if windows is None:
        windows = os.name == "nt"
    venv = root / ".venv"
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def stamp_path(root: Path = ROOT) -> Path:
    """What the last successful setup installed (a JSON file inside .venv)."""
    return root / ".venv" / "gmm-pytorch-setup.json"


def python_problem(version: tuple = tuple(sys.version_info[:3]), executable: str = sys.executable) -> str | None:
    """Why this Python cannot set the project up, in words a student can act on; None if it can."""
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    have = ".".join(str(v) for v in version)
    need = ".".join(str(v) for v in MIN_PYTHON)
    return (
        f"gmm-pytorch needs Python {need} or newer; this is Python {have} ({executable}).\n"
        f"Install a newer one (python.org; on a Mac also `brew install python@3.12`) and run this script with it,\n"
        f"e.g. `python3.12 run.py lab` (with make: `make lab PYTHON=python3.12`; on Windows: `py -3.12 run.py lab`)."
    )


# ----------------------------------------------------------------------------- what to install

def extras(root: Path = ROOT) -> list[str]:
    """The optional-dependency groups of pyproject.toml, in file order."""
    import tomllib  # Python 3.11+: called only after the version check

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project.get("optional-dependencies", {}))


def extras_for(command: str, root: Path = ROOT) -> list[str]:
    """Students (``lab``, ``kernel``) get no test tools; every other command gets every extra."""
    every = extras(root)
    if command in STUDENT_COMMANDS:
        return [e for e in every if e not in DEVELOPER_EXTRAS]
    return every


def pyproject_digest(root: Path = ROOT) -> str:
    return hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()


def installed(root: Path = ROOT) -> dict | None:
    """What the last setup recorded, or None when there is no .venv or no record of a finished setup."""
    if not venv_python(root).exists():
        return None
    try:
        return json.loads(stamp_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(wanted: list[str], root: Path = ROOT) -> bool:
    """True when .venv holds this pyproject.toml's packages, the pinned torch, and every extra wanted."""
    record = installed(root)
    return (
        record is not None
        and record.get("pyproject") == pyproject_digest(root)
        and record.get("torch") == TORCH
        and set(wanted) <= set(record.get("extras", []))
    )


def setup_steps(wanted: list[str], torch_index_url: str = "", root: Path = ROOT,
                base_python: str = sys.executable) -> tuple[list[list[str]], list[str]]:
    """The commands that bring .venv up to date, and the extras it will then hold.

    Nothing to do (an empty list) when it is current. Extras installed earlier stay installed (and are
    reinstalled when pyproject.toml changed), so ``lab`` after ``test`` never drops the test tools.
    """
    record = installed(root)
    if is_current(wanted, root):
        return [], list(record["extras"])
    every = extras(root)
    keep = set(wanted) | (set(record.get("extras", [])) & set(every) if record else set())
    to_install = [e for e in every if e in keep]
    python = str(venv_python(root))
    steps = []
    if not venv_python(root).exists():
        steps.append([base_python, "-m", "venv", str(root / ".venv")])
    steps.append([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    torch_source = ["--index-url", torch_index_url] if torch_index_url else []
    steps.append([python, "-m", "pip", "install", "--quiet", *torch_source, TORCH])
    target = f".[{','.join(to_install)}]" if to_install else "."
    # the pin again, so that resolving the other packages never swaps torch for another version or build
    steps.append([python, "-m", "pip", "install", "--quiet", "-e", target, TORCH])
    # the notebooks name the kernel "python3": inside .venv that must be .venv's own Python
    steps.append([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
                  "--display-name", KERNEL_DISPLAY_NAME])
    return steps, to_install


# ----------------------------------------------------------------------------- what to run last

def root_flag() -> list[str]:
    """JupyterLab refuses to run as root unless told to (containers and CI machines run as root)."""
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def notebook_paths(root: Path = ROOT) -> list[str]:
    return [f"notebooks/{p.name}" for p in sorted((root / "notebooks").glob("*.ipynb"))]


def bench_commands(args: list[str], root: Path = ROOT) -> list[list[str]]:
    """What ``bench`` runs, in turn: each benchmark script with the same arguments. ``--device cuda`` asks for
    the GPU table, which bench/bench_em.py alone makes (it hands over to bench/bench_gpu.py)."""
    if any(a == "--device" or a.startswith("--device=") for a in args):
        return [[str(venv_python(root)), BENCH_SCRIPTS[0], *args]]
    return [[str(venv_python(root)), script, *args] for script in BENCH_SCRIPTS]


def final_command(command: str, args: list[str], root: Path = ROOT) -> list[str] | None:
    """The command a target runs once .venv is ready (None for setup and clean; bench: its first script)."""
    python = str(venv_python(root))
    if command == "lab":
        # serve the project folder, so that the notebooks' ../figures/ images load, and open the overview
        return [python, "-m", "jupyterlab", *root_flag(), f"--ServerApp.root_dir={root}",
                f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}", *args]
    if command == "test":
        named_paths = [a for a in args if not a.startswith("-") and (root / a.split("::")[0]).exists()]
        paths = [] if named_paths else ["tests", "gmm_helpers", *notebook_paths(root)]
        return [python, "-m", "pytest", *paths, "--nbval-lax", "--nbval-current-env",
                "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", *args]
    if command == "site":
        # HTML from the notebooks' stored outputs (nothing re-executed), MathJax copied in: works offline
        return [python, "tools/build_site.py", *args]
    if command == "notebooks":
        return [python, "tools/run_notebooks.py", *args]
    if command == "bench":
        return bench_commands(args, root)[0]
    if command == "kernel":
        return [python, "-m", "ipykernel", "install", "--user", "--name", KERNEL_NAME,
                "--display-name", KERNEL_DISPLAY_NAME, *args]
    return None


# ----------------------------------------------------------------------------- running it

def shown(cmd: list[str]) -> str:
    return subprocess.list2cmdline(cmd) if os.name == "nt" else " ".join(_quote(c) for c in cmd)


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def hint_for_failure(step: list[str]) -> str:
    """A sentence for the likely cause when a setup step fails."""
    if step[1:3] == ["-m", "venv"]:
        return ("Python could not create a virtual environment. On Debian or Ubuntu install the venv module: "
                f"`sudo apt install python{sys.version_info[0]}.{sys.version_info[1]}-venv`.")
    if TORCH in step and "-e" not in step:
        if platform.system() == "Darwin" and platform.machine() == "x86_64":
            return (f"pip found no {TORCH} for this Intel Mac: PyTorch's last Intel-Mac wheels are 2.2.x. "
                    "See README.md, section Setup, 'macOS on an Intel Mac'.")
        return (f"pip could not install {TORCH}. Is the network reachable, and does PyTorch publish a wheel "
                f"for Python {sys.version_info[0]}.{sys.version_info[1]} on {platform.system()} {platform.machine()}? "
                "See README.md, section Setup.")
    return "See README.md, section Setup."


def run_step(step: list[str], root: Path, quiet: bool = False) -> None:
    print(f"+ {shown(step)}", flush=True)
    done = subprocess.run(step, cwd=root, stdout=subprocess.DEVNULL if quiet else None)
    if done.returncode != 0:
        print(f"run.py: this step failed (exit status {done.returncode}). {hint_for_failure(step)}", file=sys.stderr)
        raise SystemExit(done.returncode)


def setup(command: str, torch_index_url: str, root: Path, dry_run: bool) -> None:
    steps, now_installed = setup_steps(extras_for(command, root), torch_index_url, root)
    for step in steps:
        if dry_run:
            print(shown(step))
        else:
            run_step(step, root, quiet="ipykernel" in step)
    if steps and not dry_run:
        record = {"pyproject": pyproject_digest(root), "torch": TORCH, "extras": now_installed,
                  "torch_index_url": torch_index_url}
        stamp_path(root).write_text(json.dumps(record, indent=1), encoding="utf-8")


def clean(root: Path, dry_run: bool) -> None:
    targets = [root / ".venv", root / ".pytest_cache", root / ".hypothesis", *root.glob("*.egg-info")]
    for path in targets:
        if path.exists():
            print(f"remove {path}")
            if not dry_run:
                shutil.rmtree(path)


def hand_over(cmd: list[str], root: Path, use_exec: bool = os.name == "posix") -> int:
    """Run the last command and return its exit status.

    On POSIX the command replaces this process (exec), so Ctrl-C, a kill and the exit status are its own.
    On Windows it runs as a child, and this process ignores Ctrl-C (the child gets it too and answers
    it, e.g. JupyterLab asks whether to shut down) until the child has finished.
    """
    print(f"+ {shown(cmd)}", flush=True)
    if use_exec:
        os.chdir(root)
        os.execv(cmd[0], cmd)
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run(cmd, cwd=root).returncode
    finally:
        signal.signal(signal.SIGINT, previous)


def run_in_turn(cmds: list[list[str]], root: Path) -> int:
    """Run each command as a child, all of them even when one fails; the first failure's status.

    Ctrl-C (or any signal) that ends one ends the series.
    """
    status = 0
    for cmd in cmds:
        code = hand_over(cmd, root, use_exec=False)
        if code < 0 or code == 130:  # killed by a signal, or stopped with Ctrl-C
            return code if code > 0 else 128 - code
        if code and not status:
            print(f"run.py: {shown(cmd)} failed (exit status {code}); going on with the next", file=sys.stderr)
            status = code
    return status


def parse(argv: list[str]) -> tuple[str, list[str], str, bool]:
    """(command, arguments for the last command, torch index URL, dry run)."""
    args, torch_index_url, dry_run = [], "", False
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--torch-index-url" and i + 1 < len(argv):
            torch_index_url, i = argv[i + 1], i + 2
            continue
        if word.startswith("--torch-index-url="):
            torch_index_url = word.split("=", 1)[1]
        elif word == "--dry-run":
            dry_run = True
        else:
            args.append(word)
        i += 1
    if not args:
        raise SystemExit(f"run.py: which command?\n\n{__doc__}")
    command, rest = args[0], args[1:]
    if command in ("-h", "--help", "help"):
        return "help", [], torch_index_url, dry_run
    if command not in COMMANDS:
        raise SystemExit(f"run.py: unknown command {command!r}; expected one of {', '.join(COMMANDS)}\n\n{__doc__}")
    return command, rest, torch_index_url, dry_run


def main(argv: list[str], root: Path = ROOT) -> int:
    problem = python_problem()
    if problem:
        print(f"run.py: {problem}", file=sys.stderr)
        return 1
    command, args, torch_index_url, dry_run = parse(argv)
    if command == "help":
        print(__doc__)
        return 0
    if command == "clean":
        clean(root, dry_run)
        return 0
    setup(command, torch_index_url, root, dry_run)
    if command == "bench":
        cmds = bench_commands(args, root)
        if dry_run:
            print("\n".join(shown(cmd) for cmd in cmds))
            return 0
        return run_in_turn(cmds, root)
    cmd = final_command(command, args, root)
    if cmd is None:
        return 0
    if dry_run:
        print(shown(cmd))
        return 0
    if command == "kernel":
        run_step(cmd, root)
        print(f"\nRegistered the kernel {KERNEL_DISPLAY_NAME!r} for you. In JupyterLab, open "
              f"{root.name}/{FIRST_NOTEBOOK} and choose that kernel (Kernel > Change Kernel...) in each notebook.")
        return 0
    return hand_over(cmd, root)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
