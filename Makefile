# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Serve the API on http://127.0.0.1:5000, with the scheduler beside it, on a local SQLite
## database with demo data. Ctrl-C stops both.
run: $(STAMP)
	YOUTHAPP_ENV=development $(BIN)/youthapp db upgrade
	YOUTHAPP_ENV=development $(BIN)/youthapp demo seed
	@YOUTHAPP_ENV=development $(BIN)/youthapp scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	YOUTHAPP_ENV=development $(BIN)/youthapp run --host 127.0.0.1 --port 5000

## ruff and mypy (as `make lint`), then the whole suite on SQLite, then on PostgreSQL when
## TEST_DATABASE_URL is set.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q --db sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; \
		$(BIN)/pytest -q --db postgres; \
	else \
		echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped)"; \
	fi

## ruff, and mypy on the core and the scheduler (README, "Types").
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## The API under load (gunicorn + wrk, beside bare-WSGI, bare-Flask, raw-psycopg and pgbench
## baselines) at 1,000 and at 100,000 young people in one run, with the cross-size target,
## then reminders created and delivered per second (bench/README.md). Needs the PostgreSQL
## server on 127.0.0.1:5432 (it creates and drops its own youthapp_bench* databases),
## pgbench, and wrk (apt-get install wrk). BENCH_SIZES=1000 for the small data set alone.
BENCH_SIZES ?= 1000,100000
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.api --sizes $(BENCH_SIZES)
	$(BIN)/python -m bench.reminders

## The soak (bench/README.md, "The soak"): 200 phones and the staff against 2 gunicorn
## instances and 2 schedulers on one PostgreSQL for SOAK_SECONDS of traffic (10 minutes in
## all by default), with a scheduler killed and the API's database backends terminated on the
## way; proves no check-in lost or doubled, urgent pushes and due reminders exactly once, no
## 500s, and prints p99 latencies. Needs the PostgreSQL server on 127.0.0.1:5432.
SOAK_SECONDS ?= 300
SOAK_PHONES ?= 200
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python -m bench.soak --phones $(SOAK_PHONES) --seconds $(SOAK_SECONDS)

## The restore drill: a demo database dumped with pg_dump -Fc, restored with pg_restore into a
## fresh database, and the API served from the copy (/readyz, a sign-in, a read); both
## databases dropped afterwards (docs/DEPLOY.md, "Backups"). Needs the PostgreSQL server at
## PGHOST:PGPORT (default 127.0.0.1:5432, user postgres).
.PHONY: restore-drill
restore-drill: $(STAMP)
	bash scripts/restore_drill.sh

clean:
	rm -rf $(VENV) instance .pytest_cache
