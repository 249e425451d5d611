# hvlab: `make lab` opens the workshop, `make test` runs every test (notebooks included).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JUPYTER_ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: env lab test test-fast bench figures dashboard test-binder clean data docs lint validate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e ".[dev]"
	touch $(STAMP)

env: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(JUPYTER_ROOT_FLAG) notebooks/00-start-here.ipynb

test: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n 2 --dist loadfile tests notebooks --nbmake
	$(MAKE) docs

# the layer contracts of pyproject.toml (docs/architecture.md)
lint: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 tests

# the documentation site (Sphinx; executes the notebooks; warnings are errors) -> docs/_build/html
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

# the models against published Hyper-V measurements: table, median error, figure
validate: $(STAMP)
	$(PY) validation/validate.py --plot validation/validation.png

# sample performance logs in data/, made by the models (deterministic)
data: $(STAMP)
	$(PY) data/make_samples.py
	$(PY) data/make_cluster.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

# PNGs of every explorer's default state, to check the look by eye
figures: $(STAMP)
	$(PY) benchmarks/figures.py

# the live-migration notebook as a dashboard (code hidden), http://localhost:8866
dashboard: $(STAMP)
	$(VENV)/bin/voila --no-browser --port=8866 notebooks/01-live-migration.ipynb

# slow: builds the Binder environment (binder/requirements.txt) in a fresh venv and uses it
test-binder: $(STAMP)
	HVLAB_TEST_BINDER=1 $(PY) -m pytest tests/test_binder.py -v

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
