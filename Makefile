# The two set-up commands of the README: `make run` and `make test`.
# Everything they need is installed here, into .venv (Python) and node_modules (npm).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
KG_STORE ?= var/store
export KG_STORE

STAMP := $(VENV)/.installed
STORE_STAMP := $(KG_STORE).loaded
CATALOGUE := ontology/kg.ttl ontology/shapes.ttl $(wildcard data/*.ttl data/external/*)

.PHONY: install system run test lint typecheck unit store dist bench bench-remote clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# YASGUI for the query editor and KaTeX for the math of summaries, from npm into
# node_modules/ (served by the app, never a CDN).
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

install: $(STAMP) $(NODE_STAMP)

# Debian's chromium and the Thai/Japanese fonts, for the browser tests.
system:
	scripts/install-system-packages.sh

$(STORE_STAMP): $(STAMP) $(CATALOGUE)
	$(BIN)/kg load
	@mkdir -p $(dir $@) && touch $@

store: $(STORE_STAMP)

run: install store
	$(BIN)/kg serve

lint: install
	$(BIN)/ruff check src tests benchmarks hatch_build.py
	$(BIN)/ruff format --check src tests benchmarks hatch_build.py

typecheck: install
	$(BIN)/mypy

unit: install system
	$(BIN)/python -m pytest

test: lint typecheck unit

# The sdist and wheel (name rmkg) in dist/: they carry ontology/, queries/, data/, the
# compiled message catalogues and the npm assets (hatch_build.py), so npm ci runs first.
dist: install
	$(BIN)/python -m build --outdir dist

# The benchmark suite (benchmarks/README.md): `make bench SIZE=100k`; sizes 10k, 100k, 1m.
SIZE ?= 10k

bench: install
	$(BIN)/python -m benchmarks.run --size $(SIZE)

# Comparison pages on the embedded store, an Oxigraph server and Virtuoso 7 (docs/deploy.md):
# `make bench-remote` on the curated catalogue, `make bench-remote REMOTE_SIZE=10k`.
REMOTE_SIZE ?= curated

bench-remote: install system
	$(BIN)/python -m benchmarks.remote_backends --size $(REMOTE_SIZE)

clean:
	rm -rf $(VENV) var build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
