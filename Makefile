# The two commands of the README: `make run` and `make test`. Everything else supports them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: run test install install-test serve migrate seed lint fuzz bench load clean translations

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.install-stamp: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	$(BIN)/pybabel -q compile -d tracker/translations -f
	touch $@

$(VENV)/.install-test-stamp: pyproject.toml $(VENV)/.install-stamp
	$(PIP) install -e ".[test,dev]"
	touch $@

install: $(VENV)/.install-stamp

install-test: $(VENV)/.install-test-stamp

## make run: install, migrate the SQLite default, load demo data once, serve on :8000
run: install migrate seed serve

migrate: install
	$(BIN)/flask --app wsgi db upgrade

seed: install
	$(BIN)/flask --app wsgi seed-demo

serve: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## make test: the whole suite on SQLite and on PostgreSQL
test: install-test
	$(BIN)/pybabel -q compile -d tracker/translations -f
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tests/run.sh

## make lint: ruff over the code, tests and benches; mypy over tracker/models and tracker/services
lint: install-test
	$(BIN)/ruff check tracker tests bench
	$(BIN)/mypy

fuzz: install-test
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(BIN)/pytest -q tests -k fuzz

bench: install-test
	$(BIN)/python bench/run_all.py

## make load: 50 clients, a SIGKILLed worker and a PostgreSQL restart (disturbs the server!)
load: install-test
	cd bench && ../$(BIN)/python load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache

## make translations: extract the bokmål msgids and update the English catalogue
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o tracker/translations/messages.pot .
	$(BIN)/pybabel -q update -i tracker/translations/messages.pot -d tracker/translations -N
	$(BIN)/pybabel -q compile -d tracker/translations -f
