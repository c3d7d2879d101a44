# Everything a developer or CI needs; a fresh machine needs only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install run migrate test lint check-migrations check-schema pytest pytest-compiled pytest-standard schema docs dbcheck bench scaleout reliability graphiql-assets clean

help:
	@echo "make run      - set up, migrate and serve GraphQL + admin on http://127.0.0.1:$(PORT)"
	@echo "make test     - lint, migration check, schema-drift check and the whole pytest suite,"
	@echo "               twice at once: compiled reads, and GRAPHQL_COMPILE=0 (the standard path)"
	@echo "make schema   - re-export schema.graphql from the code"
	@echo "make docs     - rewrite the documented GraphQL responses from real runs (docs/README.md)"
	@echo "make dbcheck  - check the database connection"
	@echo "make bench    - benchmark GraphQL against raw SQL (BENCH_SCALE=small for a quick run)"
	@echo "make scaleout - req/s with 1 or 2 app servers behind nginx, with or without a read replica"
	@echo "make reliability - faults, hostile input, fuzzing and authorization against the real server"
	@echo "make graphiql-assets - refetch GraphiQL's vendored builds from npm and check their SHA-256 sums"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt changed.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput

run: migrate
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py bootstrap_local
	@echo "GraphQL (GraphiQL in the browser): http://127.0.0.1:$(PORT)/graphql/"
	@echo "Admin:                              http://127.0.0.1:$(PORT)/admin/"
	@echo "Health:                             http://127.0.0.1:$(PORT)/healthz"
	@echo "Subscriptions (graphql-transport-ws): ws://127.0.0.1:$(PORT)/graphql/"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python -m uvicorn config.asgi:application --http config.serving:HttpProtocol \
		--host 127.0.0.1 --port $(PORT) --reload --reload-dir chat --reload-dir config \
		--reload-dir learn --reload-dir monitoring --reload-dir students

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

schema: install
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=schema-export DJANGO_ALLOWED_HOSTS=localhost \
		$(BIN)/python manage.py export_schema config.schema --path schema.graphql

# The browser tests drive Debian's chromium; installed here when missing and we are root.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "install chromium (apt-get install chromium) for the browser tests"; exit 1; fi

# The suite twice, side by side: as configured (reads compiled into one SQL statement, the hot
# statements prepared) and with GRAPHQL_COMPILE=0 DB_PREPARED_STATEMENTS=0 (Strawberry's standard
# path and Django's own cursors alone, which must stay correct on their own). Each
# pass has PYTEST_WORKERS pytest-xdist workers, each on an embedded PostgreSQL and test database of
# its own (tests/settings.py); its output is printed when it ends. Either pass alone:
# make pytest-compiled, make pytest-standard.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
PYTEST_PASS = $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

pytest: install /usr/bin/chromium
	@$(MAKE) --no-print-directory -j2 --output-sync=target pytest-compiled pytest-standard

pytest-compiled: install /usr/bin/chromium
	DJANGO_TEST_DB_NAME=test_compiled $(PYTEST_PASS)

pytest-standard: install /usr/bin/chromium
	GRAPHQL_COMPILE=0 DB_PREPARED_STATEMENTS=0 DJANGO_TEST_DB_NAME=test_standard $(PYTEST_PASS)

test: lint pytest

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Runs every documented example twice on a fresh database and writes the responses back.
docs: install
	DOCS_UPDATE=1 $(BIN)/python -m pytest tests/docs -q -p no:cacheprovider

dbcheck: install
	$(BIN)/python manage.py dbcheck

# Seeds its own database (.data/bench-postgres, or BENCH_DATABASE_URL, which it wipes), serves
# with gunicorn and prints a table; options in benchmarks/run.py and docs/benchmarks.md.
bench: install
	$(BIN)/python -m benchmarks.run

# req/s of the read scenarios with 1 or 2 app servers behind nginx, with or without a streaming
# replica; needs Debian's PostgreSQL 15 and nginx (below). Options in benchmarks/scaleout.py.
scaleout: install /usr/lib/postgresql/15/bin/postgres /usr/sbin/nginx
	$(BIN)/python -m benchmarks.scaleout

# schemathesis gets its own virtualenv so its dependencies never touch the app's pinned ones.
RELIABILITY_VENV := .data/reliability-venv
$(RELIABILITY_VENV)/.installed: reliability/requirements.txt
	$(PYTHON) -m venv $(RELIABILITY_VENV)
	$(RELIABILITY_VENV)/bin/python -m pip install --quiet -r reliability/requirements.txt
	touch $@

# The replica case runs Debian's PostgreSQL 15 (a primary and a streaming standby) and the
# scale-out case nginx; both installed here when missing and we are root. The package's own
# cluster is not created: the suite makes its clusters in temporary folders.
/usr/lib/postgresql/15/bin/postgres:
	@if [ "$$(id -u)" = 0 ]; then mkdir -p /etc/postgresql-common/createcluster.d && \
		echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends postgresql-15; \
	else echo "install PostgreSQL 15 (apt-get install postgresql-15) for the replica case"; exit 1; fi

/usr/sbin/nginx:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends nginx; \
	else echo "install nginx (apt-get install nginx) for the scale-out case"; exit 1; fi

# CASES="restart fuzz" runs only those (see `python -m reliability --help`).
reliability: install $(RELIABILITY_VENV)/.installed /usr/lib/postgresql/15/bin/postgres /usr/sbin/nginx
	RELIABILITY_SCHEMATHESIS=$(RELIABILITY_VENV)/bin/st $(BIN)/python -m reliability $(CASES)

# GraphiQL, React and the explorer plugin as pinned in config/graphiql_assets.py (needs npm);
# nothing is written unless every file matches its recorded SHA-256 sum.
graphiql-assets: install
	$(BIN)/python -m config.graphiql_assets

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
