# The README's commands. `make run` starts the application with demo data; `make test` runs
# every check. Both create the virtual environment and install the pinned dependencies.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest's workers: one per core by default.
WORKERS ?= auto

.PHONY: run test lint bench lock install install-dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PTI needs Python 3.11 or newer (found " + sys.version.split()[0] + "): set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

## make run: set up, migrate, load the demo data, serve at http://$(HOST):$(PORT) with a worker
run: export DJANGO_DEBUG ?= true
# The demo accounts log in with their password alone (`make run PTI_OTP_REQUIRED_ROLES=pilot`
# to try the second factor); a server keeps the default, pilot,manager,admin.
run: export PTI_OTP_REQUIRED_ROLES ?= none
run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "PTI : http://$(HOST):$(PORT)/ (Ctrl+C arrête le serveur et le worker)"
	@# The worker does the long work in the background (pti/runs.py); it stops with the server.
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py db_worker --no-startup-delay --no-reload & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# A development checkout: manage.py by hand then works as under `make run`. Never on a server
# (the tests ignore it: pti/settings_test.py).
.env:
	@printf '# Poste de développement (écrit par make) : ne pas copier sur un serveur.\nDJANGO_DEBUG=true\n' > $@
	@echo "Écrit .env (DJANGO_DEBUG=true) : python manage.py marche aussi à la main."

## make test: lint, migrations check, the whole test suite (browser tests included)
test: install-dev lint .env
	DJANGO_SETTINGS_MODULE=pti.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make bench: the speed measurements, outside the default suite
bench: install-dev
	$(BIN)/pytest -m benchmark_suite -p no:xdist $(PYTEST_ARGS) tests/benchmarks

## make lock: re-pin requirements*.txt after a change to pyproject.toml
lock: install-dev
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
