# The entry point for people and CI. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test test-browser lint format check seed-large clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Front-end packages come from the npm registry at install time (the app serves them itself).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Set up everything (virtualenv, database, demo portfolio) and serve the app.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ with a background worker (Ctrl-C stops both)"
	@echo "Reminder emails are printed here, on the console."
	trap 'kill 0' INT TERM EXIT; \
	DJANGO_DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py run_worker & \
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite; on SQLite unless DATABASE_URL points elsewhere.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Only the end-to-end tests in Debian's Chromium (apt-get install chromium).
test-browser: install
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The static checks CI runs besides the tests: style, the import contracts between the apps
# (pyproject.toml, [tool.importlinter]), types (mypy with django-stubs, [tool.mypy]), Django's
# own checks and missing migrations.
check: lint
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# A portfolio the size of a large sales floor (5,000 accounts x 3 years); use PostgreSQL.
seed-large: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --accounts 5000 --years 3

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
