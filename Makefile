# The two commands: `make dev` (a running dev chain) and `make test` (the whole suite).
VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: install dev test bench vectors clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

dev: install
	$(VENV)/bin/flockchain dev $(ARGS)

test: install
	$(PYTHON) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: install
	$(PYTHON) -m bench

vectors: install
	$(PYTHON) -m tests.conformance.generate

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
