# make run  — the whole application on embedded defaults at http://127.0.0.1:8000
# make test — the whole test suite (set DATABASE_URL / REDIS_URL to run it on PostgreSQL and Redis)

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ found: on PATH, else under pyenv.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
REGISTRY_MODE ?= sandbox

.PHONY: run test lint bench messages check-python clean

check-python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (python3.12 not found)"; exit 1; }

$(BIN)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $@

# The compiled catalogues (.mo) are not committed: built from the .po files by Babel, no GNU gettext needed.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
$(CATALOGUES): %.mo: %.po $(BIN)/.installed
	DEBUG=1 $(BIN)/python manage.py compile_catalogues --stale

run: export DEBUG := 1
run: export ACCOUNT_EMAIL_VERIFICATION := optional
run: export REGISTRY_MODE := $(REGISTRY_MODE)
run: $(BIN)/.installed $(CATALOGUES)
	mkdir -p "$${DATA_DIR:-var}/broker/processed"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py create_demo_account
	@echo "vatcrm: http://127.0.0.1:8000  (registries: $(REGISTRY_MODE); Ctrl-C stops everything)"
	exec $(BIN)/honcho -f Procfile.dev start

# The browser tests' accessibility engine (axe-core) comes from the npm registry, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the browser tests' accessibility checks will skip"; exit 0; }; \
		npm ci --no-audit --no-fund --ignore-scripts && touch $@

test: $(BIN)/.installed $(CATALOGUES) node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

# Re-extract every translatable string into the catalogues (needs GNU gettext's xgettext and msgmerge, unlike
# everything else here); then translate the new entries (docs/i18n.md).
messages: $(BIN)/.installed
	DEBUG=1 $(BIN)/python manage.py makemessages --all --no-obsolete --add-location=file \
		--ignore=tests --ignore=benchmarks --ignore=staticfiles --ignore=var --ignore=scripts

# Figures, not assertions (docs/benchmarks.md): PostgreSQL and Redis on loopback, database vatcrm_bench, Redis db 9.
# Not part of `make test`. `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.monitoring_fanout $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.recheck_throughput $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.registry_limit $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.peers $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.verify_latency $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.metrics_scrape $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.export_speed $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.evidence_storage $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.crm_speed $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.dashboard_speed $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.import_speed $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
