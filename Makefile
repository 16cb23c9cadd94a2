# coop-sandbox: the two commands are `make up` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test test-all test-browser lint typecheck layers check clean venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coop-sandbox needs Python >= 3.11 (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[load,proxy,test,dev]'
	@touch $(STAMP)

venv: $(STAMP)

## Start every party on the default world (SQLite) and print the URLs; Ctrl-C stops all.
up: $(STAMP)
	$(BIN)/coop-sandbox up

## The whole fast suite: unit, integration, BDD features and the browser flows (skipped, saying
## why, without a Chromium), with reports under reports/.
REPORTS := --junitxml=reports/junit.xml --cucumberjson=reports/cucumber.json

test: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m pytest $(REPORTS)

## Only the browser flows (Chromium from the OS: apt-get install -y chromium); screenshots under reports/browser/.
test-browser: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m pytest tests/browser

## Everything, including the slow groups.
test-all: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m pytest $(REPORTS) -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## The party shape's layers (import-linter contracts in pyproject.toml); `make test` checks them too.
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

check: lint typecheck layers test

clean:
	rm -rf $(VENV) var reports .mypy_cache .ruff_cache .import_linter_cache
