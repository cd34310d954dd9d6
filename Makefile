# envoywatch task runner. `make demo` and `make test` work on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
BENCHSTAMP := $(VENV)/.installed-bench

.PHONY: demo test install install-test models eval bench lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[postgres,dask,pdf]'
	touch $@

$(TESTSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(BENCHSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

install: $(STAMP)

install-test: $(TESTSTAMP)

demo: $(STAMP)
	$(BIN)/envoywatch demo $(DEMO_ARGS)

test: $(TESTSTAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

models: $(STAMP)
	$(BIN)/python -m envoywatch.training all

eval: $(STAMP)
	$(BIN)/envoywatch eval all

bench: $(BENCHSTAMP)
	$(BIN)/python benchmarks/run.py

lint:
	$(BIN)/python -m ruff check src tests || true

clean:
	rm -rf $(VENV) envoywatch-demo build dist
