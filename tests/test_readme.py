"""The README's example must run and say what it claims."""

import re
from pathlib import Path

import torch

from gmm_helpers import toy_params

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_ten_line_example_runs_and_recovers_the_toy_mixture(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes em_fit.gif
    block = re.search(r"## Ten lines.*?```python\n(.*?)```", README, re.S).group(1)
    assert len(block.strip().splitlines()) <= 10
    exec(compile(block, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert "converged: True" in lines[0]
    truth = toy_params(torch.float64).sorted()
    for line, w, m in zip(lines[1:], truth.weights, truth.means, strict=True):
        numbers = [float(x) for x in re.findall(r"[-+]?\d+\.\d+", line)]
        assert abs(numbers[0] - w) < 0.04 and max(abs(numbers[1] - m[0]), abs(numbers[2] - m[1])) < 0.2
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
