# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
DJANGO_SPEC ?= Django>=5.2,<5.3
GRAPHQL_SPEC ?= graphql-core>=3.2.3,<3.3
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# A throwaway database: `make bench` creates it, fills it with the demo data and drops it.
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/gqa_bench
BENCH_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AUDIT_DIR := tests/http_audit
DEMO_DB := example/demo.sqlite3

.PHONY: demo test test-sqlite test-postgres bench lint format install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]" "$(DJANGO_SPEC)" "$(GRAPHQL_SPEC)"
	touch $(STAMP)

install: $(STAMP)

# The peers the benchmarks compare against (graphene-django, strawberry-django).
$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]" "$(DJANGO_SPEC)" "$(GRAPHQL_SPEC)"
	touch $@

$(AUDIT_DIR)/node_modules/.installed: $(AUDIT_DIR)/package.json $(AUDIT_DIR)/package-lock.json
	cd $(AUDIT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(STAMP)
	cd example && DATABASE_URL=sqlite:///demo.sqlite3 ../$(BIN)/python manage.py migrate --noinput
	cd example && DATABASE_URL=sqlite:///demo.sqlite3 ../$(BIN)/python manage.py load_demo_data
	@echo "GraphiQL: http://$(HOST):$(PORT)/graphql/"
	cd example && DATABASE_URL=sqlite:///demo.sqlite3 DJANGO_DEBUG=1 ../$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite on SQLite, then again on PostgreSQL when it is reachable
# (REQUIRE_POSTGRES=1, as CI sets it, turns "not reachable" into a failure).
test: $(STAMP) $(AUDIT_DIR)/node_modules/.installed
	$(BIN)/python -m pytest
	@if $(BIN)/python tests/tools/postgres_reachable.py "$(PG_URL)"; then \
		echo "== PostgreSQL: $(PG_URL)"; \
		DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): skipped"; \
	fi

# Every benchmark on SQLite, then again on PostgreSQL when it is reachable (REQUIRE_POSTGRES=1
# turns "not reachable" into a failure); results in benchmarks/results/*.json, see
# docs/PERFORMANCE.md. BENCH_ARGS is passed to benchmarks/run_all.py.
bench: $(STAMP) $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.run_all --pg-url "$(BENCH_PG_URL)" $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(AUDIT_DIR)/node_modules $(DEMO_DB)
