# Every target sets up .venv first when it is missing or requirements.txt changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test lint bench clean

serve: $(VENV)/.installed  ## live-reloading site on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(VENV)/.installed  ## strict build into site/
	$(BIN)/mkdocs build --strict

test: $(VENV)/.installed lint  ## the whole suite: lint, unit, build and browser tests
	sh scripts/ensure-system-packages.sh
	test scripts/a11y/node_modules -nt scripts/a11y/package-lock.json \
		|| npm ci --prefix scripts/a11y --silent  # axe-core for the accessibility tests
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check snippets scripts tests
	$(BIN)/ruff format --check snippets scripts tests

bench: $(VENV)/.installed  ## cold versus warm build times
	$(BIN)/python scripts/bench.py

clean:
	rm -rf site .cache

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@
