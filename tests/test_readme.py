"""The README's example must run and say what it claims."""

import re
from pathlib import Path

import torch

from gmm_helpers import toy_params

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_ten_line_example_runs_and_recovers_the_running_example(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes em_fit.gif
    block = re.search(r"## Ten lines.*?```python\n(.*?)```", README, re.S).group(1)
    assert len(block.strip().splitlines()) <= 10
    exec(compile(block, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "6 iterations, converged: True"  # as the README says below the example
    assert lines[1] == "component 0: weight 0.49  mean (-2.52, -0.01)  variance (1.75, 0.83)"
    assert "It prints `6 iterations, converged: True`" in README and "`weight 0.49  mean (-2.52, -0.01)\nvariance (1.75, 0.83)`" in README
    truth = toy_params(torch.float64)
    for line, w, m, v in zip(lines[1:], truth.weights, truth.means, truth.variances, strict=True):
        numbers = [float(x) for x in re.findall(r"[-+]?\d+\.\d+", line)]
        n_k = 600 * float(w)  # within 3 standard errors of the truth: sqrt(w(1-w)/N), sqrt(v/N_k), v sqrt(2/N_k)
        assert abs(numbers[0] - w) < 3 * (float(w) * (1 - float(w)) / 600) ** 0.5
        assert all(abs(numbers[1 + d] - m[d]) < 3 * (float(v[d]) / n_k) ** 0.5 for d in range(2))
        assert all(abs(numbers[3 + d] - v[d]) < 3 * float(v[d]) * (2 / n_k) ** 0.5 for d in range(2))
    assert (tmp_path / "em_fit.gif").stat().st_size > 0


def test_readme_shows_the_animated_fit():
    assert "](figures/07_em_fit.gif)" in README
    assert (Path(__file__).resolve().parents[1] / "figures" / "07_em_fit.gif").exists()


def test_make_targets_are_the_readme_commands():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    for target in ("lab", "test"):
        assert f"make {target}" in README and re.search(rf"^{target}:", makefile, re.M)


def test_the_torchrun_command_parses_with_the_launchers_arguments():
    import shlex

    from gmm_helpers.distributed import _parser

    line = re.search(r"^torchrun (.*)$", README, re.M).group(1)
    words = shlex.split(line)
    assert words[:3] == ["--nproc_per_node=4", "-m", "gmm_helpers.distributed"]
    args = _parser().parse_args(words[3:])
    assert (args.data, args.k, args.out) == ("shards/*.npy", 16, "params.pt")
    for option in re.findall(r"`(--[a-z-]+)`", README.split("## Bigger than memory")[1].split("\n## ")[0]):
        assert option in _parser().format_help(), f"README names {option}, which the launcher does not take"
