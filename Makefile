# Two commands on a fresh machine: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: install run test test-fast lint typecheck pytest bench clean lock browser up down

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## make run: the whole demo campaign on the embedded default (SQLite + local SMTP server).
run: install
	$(BIN)/tonvinh demo

## make test: lint, types and the whole suite (SQLite; PostgreSQL too when TONVINH_TEST_POSTGRES_URL is set).
test: install browser lint typecheck pytest

## make test-fast: the domain rules and the services alone (SQLite), for the edit-test loop.
test-fast: install
	$(BIN)/pytest -q -n 2 -m "not slow" tests/rules tests/service_layer

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy flows models notifications deploy documents services cli portal

## Three workers on 2 cores: many tests wait on servers they started (Prefect, uvicorn, SMTP,
## chromium), so a third overlaps the waits; a test file stays on one worker (module fixtures).
pytest: install browser
	$(BIN)/pytest -q -n 3 --dist loadfile $(PYTEST_ARGS)

## make lock: refresh requirements.lock after changing pyproject.toml dependencies.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

## make browser: Debian's chromium for the Prefect UI test (Playwright drives it; nothing downloaded).
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the UI test…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "make browser: $(CHROMIUM) is missing; run 'sudo apt-get install chromium' (the UI test skips without it)"; fi

## make up: a local Prefect server + deployments + worker + reminder scheduler (see deploy/README.md).
up: install
	$(BIN)/python -m deploy.stack up

## make down: stop exactly what `make up` started (pid files under var/run/).
down:
	$(BIN)/python -m deploy.stack down

## make bench: the issue-5 benchmarks, results in BENCHMARKS.md (needs PostgreSQL at
## TONVINH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
## `make bench QUICK=1`: scaled down (no campaign), under three minutes; `python -m tests.bench.predict`
## then compares its ratios with the full run's.
bench: install
	QUICK=$(QUICK) $(BIN)/python -m tests.bench.run

clean:
	rm -rf var test-output .pytest_cache .mypy_cache .ruff_cache
