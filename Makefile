# Two commands: `make lab` opens the series in JupyterLab, `make test` runs every check.
# Both create .venv when it is missing and install into it; a second run reinstalls nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch==2.13.0 pins a version, not a build: which wheel pip takes depends on where it looks. From
# PyPI on Linux it is a CUDA build (several GB); the CPU-only build comes from PyTorch's CPU index:
#   make test TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# (a machine with a local wheel of 2.13.0 on pip's find-links, like CI's, takes that and downloads nothing).
TORCH  := torch==2.13.0
TORCH_INDEX_URL ?=
TORCH_SOURCE := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL),)
# JupyterLab refuses to run as root unless told to; these machines run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test notebooks bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SOURCE) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[notebooks,test,sklearn]" "$(TORCH)"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gmm-pytorch)" > /dev/null
	touch $(STAMP)

# Serve the project folder (so the notebooks' ../figures/ images load) and open the overview.
lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/00_overview.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest tests gmm_helpers $(wildcard notebooks/*.ipynb) \
		--nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# Re-execute every notebook in place (fresh kernel, top to bottom) before committing a change to one.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py

# Time per EM iteration: fit_em vs scikit-learn vs the broadcast form (a few minutes; see README).
bench: $(STAMP)
	$(BIN)/python bench/bench_em.py
	$(BIN)/python bench/bench_estimator.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
