# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate seed lint format worker beat diagram schema check-deploy clean prod-like

# Sets everything up and serves the site with demo data on http://127.0.0.1:8000
run: venv migrate seed
	$(PY) manage.py runserver $(HOST):$(PORT)

# Sets everything up and runs the whole test suite.
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "ordersite needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

seed: venv
	$(PY) manage.py seed_demo

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# With REDIS_URL set: a Celery worker and the beat scheduler.
worker: venv
	$(VENV)/bin/celery -A ordersite worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A ordersite beat --loglevel=INFO

# The production process layout on this machine: production settings, gunicorn
# with two web processes, two Celery workers and one beat (Procfile, via honcho),
# against the PostgreSQL and Redis in DATABASE_URL and REDIS_URL. Plain HTTP on
# 127.0.0.1:$(PORT), emails written as files (prod-like.env says where).
PROD_LIKE = $(VENV)/bin/honcho -e prod-like.env
prod-like: venv
	@test -n "$$DATABASE_URL" && test -n "$$REDIS_URL" || { echo "prod-like needs DATABASE_URL (PostgreSQL) and REDIS_URL"; exit 1; }
	$(PROD_LIKE) run $(PY) manage.py migrate --noinput
	$(PROD_LIKE) run $(PY) manage.py collectstatic --noinput -v0
	GUNICORN_BIND=127.0.0.1:$(PORT) WEB_CONCURRENCY=$${WEB_CONCURRENCY:-2} $(PROD_LIKE) start -c web=1,worker=2,beat=1

# Regenerates the diagrams in docs/ from the code: the lifecycle and who imports whom.
diagram: venv
	$(PY) manage.py lifecycle_diagram
	$(PY) tests/test_architecture.py

# Regenerates the committed OpenAPI schema of the integration API from the code.
schema: venv
	$(PY) manage.py spectacular --file docs/api/openapi.yaml --validate

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
