# Two commands on a fresh machine: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: install run test lint typecheck pytest bench clean lock browser

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
test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy flows models notifications

pytest: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

## make lock: refresh requirements.lock after changing pyproject.toml dependencies.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf var test-output .pytest_cache .mypy_cache .ruff_cache
