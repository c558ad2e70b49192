# `make run` serves the blog on 127.0.0.1:$(PORT); `make test` runs the suite.
# Both set up the virtual environment first, so a fresh clone needs nothing else.

PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python

# Django 6.1 needs Python 3.12 or newer. A pyenv shim can exist for a version
# that is not active, so each candidate is asked for its version, not just found.
PYTHON_CANDIDATES := python3.13 python3.12 python3 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3)
FIND_PYTHON := for p in $(PYTHON) $(PYTHON_CANDIDATES); do \
	if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	command -v "$$p"; exit 0; fi; done; exit 1

.PHONY: run test lint bench bench-search load install clean

$(VENV)/.installed: pyproject.toml
	@base=$$($(FIND_PYTHON)) || { \
	  echo "error: Python 3.12 or newer is needed (Django 6.1 requires it)."; \
	  echo "       Install python3.12 or python3.13, or run: make PYTHON=/path/to/python3.12 ..."; \
	  exit 1; }; \
	echo "Using $$base"; \
	[ -x $(PY) ] || "$$base" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# axe-core for the accessibility checks of the browser tests (package.json). Without npm the
# install says so and those tests skip, naming the reason.
node_modules/axe-core/axe.min.js: package.json
	@if ! command -v npm >/dev/null; then \
	  echo "warning: npm is not installed: the accessibility checks will be skipped (apt-get install npm)"; \
	elif npm install --no-save --silent; then touch $@; \
	else echo "warning: npm could not install axe-core: the accessibility checks will be skipped"; fi

run: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_demo --if-empty
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=site_config.settings.test $(PY) manage.py makemigrations --check --dry-run

test: lint node_modules/axe-core/axe.min.js
	$(PY) -m pytest $(PYTEST_ARGS)

# Pages under load beside a static file, on each server (bench/run.py); BENCH_POSTS=100000
# for the large site. The search benchmark is beside it.
BENCH_POSTS ?= 2000
bench: install
	BENCH_POSTS=$(BENCH_POSTS) $(PY) bench/run.py

bench-search: install
	$(PY) bench/search.py

# The load test alone (make bench runs it last).
load: install
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) data/*.sqlite3 staticfiles node_modules
