# Two commands: `make run` serves the portal, `make test` proves it.  Both start from nothing
# but Python 3.11 and make: they create .venv and install what they need.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_URI ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PORT ?= 5000
# The suite runs on every CPU (pytest-xdist), a test file per worker at a time: the browser
# tests share a served portal per worker, and module fixtures stay with their file.  The
# slowest tests are listed at the end, to keep the run short.
PYTEST_ARGS ?= -n auto --dist loadfile --durations=25
DEV := OER_ENV=development $(BIN)/flask --app oer_portal

.PHONY: run test test-postgres pytest lint install install-dev translations \
        update-translations chromium bench clean

run: install translations instance/config.py
	$(DEV) db upgrade
	$(DEV) demo load
	@echo "Serving the portal on http://127.0.0.1:$(PORT) (Ctrl+C stops it)"
	OER_SEARCH_BACKGROUND_DRAIN=true $(DEV) run --host 127.0.0.1 --port $(PORT)

test: install-dev translations chromium lint pytest

test-postgres: install-dev translations chromium
	OER_SQLALCHEMY_DATABASE_URI=$(PG_URI) $(BIN)/pytest $(PYTEST_ARGS)

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive oer_portal

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install
	$(BIN)/python -m oer_portal.core.catalogs compile

update-translations: install
	$(BIN)/python -m oer_portal.core.catalogs update

instance/config.py: | $(BIN)/python
	umask 077 && $(BIN)/python -c 'import secrets; print(f"SECRET_KEY = \"{secrets.token_hex(32)}\"")' > $@
	@echo "Wrote $@ with a new random secret key."

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
