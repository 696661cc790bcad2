# Two commands on a fresh machine: `make demo` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# the tools of the environment (dbt, dagster, dagster-dbt) come first on PATH
export PATH := $(abspath $(VENV))/bin:$(PATH)
export DAGSTER_HOME := $(abspath dagster_home)
# telemetry off everywhere, also for tools started outside the project's own settings
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export RUNTIME__DLTHUB_TELEMETRY := false
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1

.PHONY: help setup demo test lint format ui sandbox truth bench bench-sandbox bench-overhead clean postgres-server reports reports-setup browser mf

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(UV) || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null; \
		$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	# --inexact keeps uv (and pip) in the environment although the lock does not list them;
	# --compile-bytecode writes the packages' .pyc files now: where PYTHONDONTWRITEBYTECODE is
	# set, Python would otherwise compile dbt, Dagster and dlt from source in every process
	# (seconds each, for every dbt command, run and check)
	$(UV) sync --frozen --inexact --all-groups --compile-bytecode
	@touch $@

DBT_FILES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)
MANIFEST := dbt_project/target/manifest.json
DBT_REGISTRY := dbt_project/macros/generated/source_registry.sql

# dbt's copy of the source registry (warehouse/sources.yml), regenerated when the registry changes
$(DBT_REGISTRY): $(VENV)/.installed warehouse/sources.yml warehouse/sources.py
	$(PY) -m warehouse.sources
	@touch $@

# dagster-dbt reads the manifest: prepared here, once per change, not on every definitions load
$(MANIFEST): $(VENV)/.installed $(DBT_REGISTRY) $(DBT_FILES)
	$(VENV)/bin/dagster-dbt project prepare-and-package --file orchestration/dbt_project.py
	@touch $@

setup: $(VENV)/.installed $(MANIFEST)  ## create .venv, install the locked dependencies, prepare dbt

demo: setup reports-setup  ## start the sandbox, run the whole pipeline on it, build the reports
	$(PY) scripts/demo.py

test: setup postgres-server reports-setup browser  ## run the whole test suite (what CI runs)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# the Postgres portability test starts a throwaway server from Debian's binaries: installed here
# when missing (as root in CI, else through sudo), unless TEST_POSTGRES_URL names a server to use
postgres-server:  ## install Debian's PostgreSQL server when missing (for the portability test)
	@if [ -n "$$TEST_POSTGRES_URL" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	else echo "no PostgreSQL server binaries: installing Debian's postgresql package"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	fi

# the Evidence site (reports/): Node.js packages from the npm registry; `npm install`, not
# `npm ci`, because the lock lists other platforms' optional DuckDB bindings the registry lacks
reports/node_modules/.package-lock.json: reports/package.json reports/package-lock.json
	cd reports && npm install --no-audit --no-fund
	@touch $@

reports-setup: reports/node_modules/.package-lock.json  ## install the Evidence site's Node.js packages

reports: setup reports-setup  ## build the report site on the published certified file (reports/build)
	$(PY) -c "from warehouse.settings import certified_path; from orchestration.defs.reports import build_site; b = build_site(certified_path()); print(f'built {b.pages} in {b.build_seconds:.0f} s: serve {b.site}')"

# MetricFlow reads the published file, like the reports (scripts/mf.py): the semantic manifest is
# parsed for the profile's `published` target in dbt_project/target/published/, never over
# Dagster's manifest in dbt_project/target/
mf: setup  ## MetricFlow on the published certified file: make mf ARGS="query --metrics cpl --group-by metric_time__month,channel"
	$(PY) scripts/mf.py $(ARGS)

# the report tests open every page in Debian's chromium: installed here when missing
browser:  ## install Debian's chromium when missing (for the report tests)
	@if [ -x /usr/bin/chromium ]; then :; \
	else echo "no /usr/bin/chromium: installing Debian's chromium package"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi

lint: setup  ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup  ## format the Python code
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

ui: setup  ## the Dagster UI on 127.0.0.1:3000 with the sandbox running
	$(PY) scripts/ui.py

sandbox: setup  ## serve the sandbox APIs on 127.0.0.1 (SEED, SCALE, FAULTS)
	$(PY) -m sandbox serve --seed $${SEED:-7} --scale $${SCALE:-1000} --faults "$${FAULTS:-}"

truth: setup  ## write the simulator's ground truth for a world to data/truth
	$(PY) -m sandbox.truth --seed $${SEED:-7} --scale $${SCALE:-1000} --out data/truth

bench: setup  ## the daily run against a full refresh, and a run with nothing new (the floor), at 10k and 100k people; writes benchmarks/RESULTS.md (slow)
	$(PY) benchmarks/daily_bench.py --scales $${SCALES:-10000,100000} --repeats $${REPEATS:-3}

bench-sandbox: setup  ## world generation and serving at 10k, 100k, 1M people (slow)
	$(PY) benchmarks/sandbox_bench.py --scales $${SCALES:-10000,100000,1000000}

bench-overhead: setup  ## dbt against the same SQL run directly in DuckDB, on a kept load (KEEP=, COPIES=, REPEATS=): benchmarks/OVERHEAD_RESULTS.md (slow)
	$(PY) benchmarks/overhead_bench.py --keep $${KEEP:?set KEEP to a folder made by benchmarks/dbt_bench.py --keep} --copies $${COPIES:-1} --repeats $${REPEATS:-3}

clean:  ## remove generated data (keeps .venv)
	rm -rf data artifacts dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs
