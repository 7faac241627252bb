# Fusion: `make run` runs the product, `make test` runs the whole suite, `make bench` the benchmarks.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := engagement/web/static/vendor/.fetched
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test test-fast lint bench load model migrate venv clean assets browser demo eval

venv: $(STAMP)

# The environment is rebuilt when the pinned dependencies change.
$(STAMP): pyproject.toml scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade "pip==24.2" "setuptools==75.1.0" wheel 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install --quiet -e ".[dev]" 2>&1 | { grep -v "is ignored: it is neither" || true; }; test "$${PIPESTATUS[0]}" = 0
	@touch $(STAMP)

# The pages' browser libraries (socket.io client, Chart.js), from the npm registry,
# checked against pinned hashes and served by the engagement service itself.
assets: $(ASSETS)
$(ASSETS): scripts/fetch_assets.py | $(STAMP)
	$(PY) scripts/fetch_assets.py
	@touch $@

# schemathesis, for the API schema test, in an environment of its own (its pins conflict
# with Rasa's); the test runs its command line against a running engagement service.
FUZZ := .venv-schemathesis
$(FUZZ)/.installed: tests/tools/schemathesis.txt scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(FUZZ)/bin/python ]; then "$$python" -m venv $(FUZZ) || exit 1; fi
	env -u PYTHONPATH $(FUZZ)/bin/python -m pip install --quiet -r tests/tools/schemathesis.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }; test "$${PIPESTATUS[0]}" = 0
	@touch $@

## Debian's chromium for the browser tests, installed when missing
browser:
	@scripts/ensure-chromium.sh

## the product: Rasa server, action server and engagement service on SQLite
run: $(STAMP) $(ASSETS)
	$(PY) -m bot run

## the model, retrained only when data/, config.yml or domain.yml changed
model: $(STAMP)
	$(PY) -m bot train

migrate: $(STAMP)
	$(PY) -m bot migrate

## a small brand's last weeks in the database, to try the console (ids demo-…)
demo: $(STAMP)
	$(PY) -m bot demo

lint: $(STAMP)
	$(VENV)/bin/ruff check engagement bot actions tests bench
	$(VENV)/bin/mypy engagement bot

## the whole suite (lint, unit, integration, actions, conversations, end to end)
test: lint $(ASSETS) browser $(FUZZ)/.installed
	$(PY) -m pytest

## unit tests only: seconds, for iterating
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -q

bench: $(STAMP)
	$(PY) -m bench

## per language: held-out intent accuracy and F1 (tests/nlu), and task success of the held-out
## conversations (tests/conversations/held_out) against the product it starts; trains only
## if the data changed (EVAL="--transcripts", or "--conversations FILE…" for other files)
EVAL ?=
eval: $(STAMP)
	$(PY) -m bench.eval $(EVAL)

## N customers for T minutes against the running product (LOAD="--customers 50 --minutes 5 --rasa URL,URL")
LOAD ?=
load: $(STAMP)
	$(PY) -m bench.load $(LOAD)

clean:
	rm -rf $(VENV) $(FUZZ) models var .pytest_cache .mypy_cache .ruff_cache
