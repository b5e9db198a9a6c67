# qmsgap: the two commands a newcomer needs are `make run` and `make test` (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV    := .venv
BIN     := $(VENV)/bin
QMSGAP  := $(BIN)/qmsgap
DATA    := .qmsgap-data
OUT     := out
PYTEST_ARGS ?=

.PHONY: help setup run test lint typecheck pytest format bench eval clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## create .venv and install qmsgap with its dev extras (idempotent)
	@scripts/setup.sh

run: setup ## analyze the bundled sample QMS, then serve it in the web app (Ctrl-C stops)
	@QMSGAP_DATA_DIR="$${QMSGAP_DATA_DIR:-$(CURDIR)/$(DATA)}" $(QMSGAP) demo \
		--report $(OUT)/sample-report.html

test: setup ## the whole test suite: lint, type check, every test
	@$(MAKE) --no-print-directory lint typecheck pytest

lint: ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: ## mypy (strict) over the installed package
	$(BIN)/mypy -p qmsgap

pytest: ## the tests only (assumes `make setup`); a throwaway PostgreSQL serves the service tests
	scripts/test-services.sh $(BIN)/pytest $(PYTEST_ARGS)

eval: setup ## accuracy of qmsgap and two baselines on both gold sets
	$(QMSGAP) eval

bench: setup ## speed and memory benchmarks (eval/results/)
	$(QMSGAP) bench

format: ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove build output and caches (keeps .venv)
	rm -rf build *.egg-info .mypy_cache .ruff_cache .pytest_cache $(OUT)
