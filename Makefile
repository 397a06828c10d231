# The two commands of the Quickstart: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export ANNOTATE_HOME ?= $(CURDIR)/.annotate
PORT ?= 8080
PROJECT ?= demo

.PHONY: demo test test-fast lint install stop clean

$(BIN)/annotate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e ".[studio,test,postgres,cluster]"
	touch $@

install: $(BIN)/annotate

## demo: the whole pipeline on the embedded defaults (SQLite + a local Label Studio).
demo: install
	@$(BIN)/annotate studio start --port $(PORT)
	@$(BIN)/annotate ingest annotate/samples
	@$(BIN)/annotate preannotate
	@$(BIN)/annotate push --project $(PROJECT) --update-predictions
	@$(BIN)/annotate pull --project $(PROJECT)
	@if [ "$$($(BIN)/annotate status --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["annotations"])')" -gt 0 ]; then \
		rm -rf exports/$(PROJECT) && $(BIN)/annotate export --project $(PROJECT) --out exports/$(PROJECT); \
	else echo "No annotations yet: nothing to export."; fi
	@$(BIN)/annotate status --project $(PROJECT)

## stop: stop the local Label Studio that `make demo` started.
stop:
	@$(BIN)/annotate studio stop

## test: lint, validate the shipped schemas and fixtures, run the whole test suite. Needs
## PostgreSQL and Chromium (one line names the missing Debian package); without
## ANNOTATE_TEST_POSTGRES_URL it starts a throwaway PostgreSQL and stops it afterwards.
test: install lint
	@.ci/need-test-binaries
	$(BIN)/annotate validate
	$(BIN)/annotate validate tests/fixtures/validate/articles.jsonl tests/fixtures/validate/predictions-good.jsonl
	$(BIN)/annotate validate tests/fixtures/gold/news.jsonl --targets tests/fixtures/gold/targets.yaml
	@if [ -n "$$ANNOTATE_TEST_POSTGRES_URL" ]; then $(BIN)/pytest -q; else \
		url=$$(.ci/start-postgres) || exit 1; \
		trap '.ci/stop-postgres' INT TERM; \
		echo "PostgreSQL for the store tests at $$url (stopped afterwards)"; \
		rc=0; ANNOTATE_TEST_POSTGRES_URL=$$url $(BIN)/pytest -q || rc=$$?; \
		.ci/stop-postgres; exit $$rc; \
	fi

## test-fast: no PostgreSQL, Label Studio or browser needed (those tests are skipped).
test-fast: install
	$(BIN)/pytest -q -m "not slow and not studio and not browser"

lint: install
	$(BIN)/ruff check annotate tests benchmarks
	$(BIN)/ruff format --check annotate tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .annotate
