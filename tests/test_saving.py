"""A fitted model saves with torch.save and loads with torch.load's default weights_only=True."""

import io
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gmm_helpers import EMResult, GMMParams, fit_em, log_likelihood, running_example, toy_params

ROOT = Path(__file__).resolve().parents[1]


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, **load_kwargs)


def assert_same_params(a: GMMParams, b: GMMParams):
    assert type(a) is GMMParams and type(b) is GMMParams
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and torch.equal(x, y)


def test_params_round_trip_in_both_dtypes(dtype):
    truth = toy_params(dtype)
    loaded = round_trip(truth)  # no weights_only argument: torch's default, which is True
    assert_same_params(loaded, truth)
    assert loaded.K == 3 and loaded.D == 2
    assert_same_params(round_trip(truth, weights_only=True), truth)


def test_a_fit_round_trips_through_a_file_and_scores_the_data_as_before(tmp_path):
    X, labels, truth = running_example(torch.float64)
    start = truth._replace(means=truth.means + 0.5)
    fit = fit_em(X, start)
    torch.save(fit, tmp_path / "fit.pt")
    loaded = torch.load(tmp_path / "fit.pt")
    assert type(loaded) is EMResult
    assert_same_params(loaded.params, fit.params)
    assert torch.equal(loaded.log_likelihoods, fit.log_likelihoods)
    assert len(loaded.history) == len(fit.history) == fit.n_iter + 1
    for a, b in zip(loaded.history, fit.history, strict=True):
        assert_same_params(a, b)
    assert (loaded.n_iter, loaded.converged) == (fit.n_iter, fit.converged)
    # the loaded parameters are the fitted model: they give the data the log-likelihood EM recorded
    torch.testing.assert_close(log_likelihood(X, loaded.params), fit.log_likelihoods[-1], rtol=1e-12, atol=0)


def test_weights_only_still_refuses_other_types():
    # the allow-list grew by two named tuples of tensors, not by "anything"
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        round_trip(Unlisted(1))


class Unlisted:
    def __init__(self, x):
        self.x = x


def load_in_a_fresh_process(path: Path, prelude: str) -> subprocess.CompletedProcess:
    code = f"{prelude}import torch; r = torch.load({str(path)!r}); print(type(r).__name__, r.params.K, r.n_iter)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_another_process_loads_it_after_importing_gmm_helpers_and_refuses_it_before(tmp_path):
    X, labels, truth = running_example()
    fit = fit_em(X, truth)
    torch.save(fit, tmp_path / "fit.pt")
    loaded = load_in_a_fresh_process(tmp_path / "fit.pt", "import gmm_helpers; ")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["EMResult", "3", str(fit.n_iter)]
    refused = load_in_a_fresh_process(tmp_path / "fit.pt", "")
    assert refused.returncode != 0
    assert "UnpicklingError" in refused.stderr and "gmm_helpers.em.EMResult" in refused.stderr


def test_the_readme_example_runs_and_says_what_it_claims(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Saving a fitted model\n\n```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # the example writes gmm.pt
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "GMMParams True"
    assert (tmp_path / "gmm.pt").stat().st_size > 0
    # the prose: a process that has not imported gmm_helpers names the type it refuses
    code = f"import torch; torch.load({str(tmp_path / 'gmm.pt')!r})"
    refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "UnpicklingError" in refused.stderr and "gmm_helpers.params.GMMParams" in refused.stderr
