# The two commands: `make dev` (a running dev chain) and `make test` (the whole suite).
VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
NPM ?= npm
# npm packages, each from its committed package-lock.json (npm ci), stamped like .venv.
ETHERS_TEST := tests/rpc/ethers
ANVIL := bench/anvil

.PHONY: install dev test bench soak vectors clean

install: $(VENV)/.installed $(ETHERS_TEST)/node_modules/.installed $(VENV)/.chromium

$(VENV)/.installed: requirements.lock pyproject.toml
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# ethers v6 for tests/rpc/test_ethers.py (which skips only where there is no node).
$(ETHERS_TEST)/node_modules/.installed: $(ETHERS_TEST)/package-lock.json $(ETHERS_TEST)/package.json
	@if command -v node >/dev/null && command -v $(NPM) >/dev/null; then \
		$(NPM) ci --prefix $(ETHERS_TEST) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "make install: no node/npm on PATH, so the ethers end-to-end test will be skipped"; fi

# anvil, the baseline of bench/rpc_throughput.py: the registry package @foundry-rs/anvil-linux-amd64
# ships the binary (the @foundry-rs/anvil wrapper cannot be locked for `npm ci` here: its other
# platforms' packages are not on the registry this project reaches). Install scripts are not run.
$(ANVIL)/node_modules/.installed: $(ANVIL)/package-lock.json $(ANVIL)/package.json
	$(NPM) ci --prefix $(ANVIL) --no-audit --no-fund --loglevel=error --ignore-scripts
	touch $@

# Debian's chromium for the real-browser tests (tests/rpc/test_browser.py), through apt where we are root;
# elsewhere those tests skip (and fail under CI=true, so CI cannot pass without them).
$(VENV)/.chromium: $(VENV)/.installed
	@if command -v chromium >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "make install: no chromium and no root apt-get, so the browser tests will be skipped"; fi
	touch $@

dev: install
	$(VENV)/bin/flockchain dev $(ARGS)

# --durations: the slowest tests end every run's log (CI's included), where a test that slowed is seen first.
test: install
	$(PYTHON) -m pytest -n 2 --dist loadfile --durations=20 $(PYTEST_ARGS)

bench: install $(ANVIL)/node_modules/.installed
	$(PYTHON) -m bench

# Long runs, not in the suite: the FL Alliance targets through the real chain, every attack over 5 seeds
# (hours on 2 cores; `.venv/bin/python -m bench.fl_targets --quick` is one seed of two scenarios).
soak: install
	$(PYTHON) -m bench.fl_targets

# Regenerate the consensus vectors and the JSON-RPC vectors (after a deliberate change of either).
vectors: install
	$(PYTHON) -m tests.conformance.generate
	$(PYTHON) -m tests.rpc.generate_vectors

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis $(ETHERS_TEST)/node_modules $(ANVIL)/node_modules
