# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test run test lint typecheck bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) pyproject.toml tests/browser/package-lock.json
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci --prefix tests/browser (axe-core for the browser tests)"; \
		npm ci --prefix tests/browser --no-audit --no-fund; \
	else \
		echo "note: npm is not on PATH; the browser tests' accessibility checks will be skipped" \
		     "(install npm and run: npm ci --prefix tests/browser)"; \
	fi
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

## make run: virtual environment, install, migrate, demo data, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/precert db upgrade
	$(BIN)/precert demo --host $(HOST) --port $(PORT)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src

## make test: ruff, mypy on src/, and the whole pytest suite
test: lint typecheck
	$(BIN)/pytest

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

## make screenshots: the main portal pages, driven in Debian's Chromium, into docs/screenshots/
screenshots: $(TEST_STAMP)
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info precert.db precert.db-wal precert.db-shm
