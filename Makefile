# The two commands of the Quickstart: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export ANNOTATE_HOME ?= $(CURDIR)/.annotate

.PHONY: demo test test-fast lint install stop clean

$(BIN)/annotate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e ".[studio,test,postgres]"
	touch $@

install: $(BIN)/annotate

## demo: ingest the shipped sample articles and show what the store holds.
demo: install
	$(BIN)/annotate db upgrade
	$(BIN)/annotate ingest annotate/samples
	$(BIN)/annotate status

## test: lint, validate the shipped schemas and fixtures, run the whole test suite.
test: install lint
	$(BIN)/annotate validate
	$(BIN)/annotate validate tests/fixtures/validate/articles.jsonl tests/fixtures/validate/predictions-good.jsonl
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow and not studio and not browser"

lint: install
	$(BIN)/ruff check annotate tests benchmarks

clean:
	rm -rf $(VENV) .annotate
