# Every target sets up two virtual environments first, when missing or requirements.txt changed:
# .venv/ for the build and the tests, and .venv-reader/, the readers' environment in which the
# build runs every snippet and lab: numpy, torch, matplotlib (and ipykernel for the labs) at the
# versions pinned in requirements.txt, and nothing of this project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READER := .venv-reader
READER_PACKAGES := numpy torch matplotlib ipykernel
SETUP := $(VENV)/.installed $(READER)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test test-fast lint bench clean

serve: $(SETUP)  ## live-reloading site on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(SETUP)  ## strict build into site/
	$(BIN)/mkdocs build --strict

test: $(SETUP) lint  ## the whole suite: lint, unit, build and browser tests
	sh scripts/ensure-system-packages.sh
	test scripts/a11y/node_modules -nt scripts/a11y/package-lock.json \
		|| npm ci --prefix scripts/a11y --silent  # axe-core for the accessibility tests
	$(BIN)/python -m pytest

test-fast: $(SETUP)  ## the suite without a site build or a browser (markers set in tests/conftest.py)
	$(BIN)/python -m pytest -m "not build and not browser"

lint: $(VENV)/.installed
	$(BIN)/ruff check snippets scripts tests
	$(BIN)/ruff format --check snippets scripts tests

bench: $(SETUP)  ## cold versus warm build times
	$(BIN)/python scripts/bench.py

clean:
	rm -rf site .cache

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(READER)/.installed: requirements.txt
	test -x $(READER)/bin/python || $(PYTHON) -m venv $(READER)
	$(READER)/bin/python -m pip install --quiet -c requirements.txt $(READER_PACKAGES)
	touch $@
