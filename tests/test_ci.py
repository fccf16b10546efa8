""".ci/run, the CI entry point: under CI a missing browser fails the run instead of skipping its test."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_ci_without_chromium(tmp_path, ci: str | None):
    """.ci/run on a PATH with no chromium, an apt-get that fails, and a make that only says it ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname",):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "apt-get").write_text("#!/bin/sh\nexit 100\n")
    (bin_dir / "make").write_text("#!/bin/sh\necho \"make $*\"\n")
    for script in ("apt-get", "make"):
        (bin_dir / script).chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([shutil.which("bash"), str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True)


def test_under_ci_a_missing_chromium_fails_the_run(tmp_path):
    run = run_ci_without_chromium(tmp_path, "true")
    assert run.returncode == 1
    assert "error: could not install chromium" in run.stderr and "make" not in run.stdout


def test_outside_ci_it_warns_and_runs_the_tests(tmp_path):
    run = run_ci_without_chromium(tmp_path, None)
    assert run.returncode == 0, run.stderr
    assert "warning: could not install chromium" in run.stderr and run.stdout.strip() == "make test"
