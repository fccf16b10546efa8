# Two commands: `make lab` opens the series in JupyterLab, `make test` runs every check.
# Every target runs run.py, the one implementation (Windows, and anyone without make, types
# `python run.py lab` / `python run.py test`). It creates .venv when it is missing and installs into it;
# a second run reinstalls nothing (until pyproject.toml changes).
#
#   make lab PYTHON=python3.12    make .venv from another Python (3.11 or newer; macOS's python3 is 3.9)
#   make test TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
#                                 take torch from PyTorch's CPU index: the pin (in run.py) fixes torch's
#                                 version, not its build, and PyPI's Linux wheel is a CUDA build of several GB
#                                 (a machine with a local wheel on pip's find-links, like CI's, downloads nothing)

PYTHON ?= python3
TORCH_INDEX_URL ?=
RUN := $(PYTHON) run.py$(if $(TORCH_INDEX_URL), --torch-index-url $(TORCH_INDEX_URL),)

.PHONY: setup lab test notebooks bench clean site

setup:
	$(RUN) setup $(ARGS)

# Serve the project folder (so the notebooks' ../figures/ images load) and open the overview.
lab:
	$(RUN) lab $(ARGS)

# Unit tests, doctests, nbval on every notebook, the benchmark's smoke test, the browser test.
test:
	$(RUN) test $(ARGS)

# Re-execute every notebook in place (fresh kernel, top to bottom) before committing a change to one.
notebooks:
	$(RUN) notebooks $(ARGS)

# Time per EM iteration: fit_em vs scikit-learn vs the broadcast form (a few minutes; see README).
# Then end to end: DiagonalGaussianMixture(K).fit(X) vs GaussianMixture(K).fit(X) (bench/bench_estimator.py),
# and EM beyond one tensor: streaming, two processes, the scaling model (bench/bench_scale.py).
# make bench ARGS="--device cuda": the GPU table (bench/bench_gpu.py) instead. ARGS go to run.py after the command.
bench:
	$(RUN) bench $(ARGS)

clean:
	$(RUN) clean $(ARGS)

# The series as a website in site/ (git-ignored), from the notebooks' stored outputs: open site/index.html.
site:
	$(RUN) site $(ARGS)
