# Moshi: `make run` serves the app with demo data; `make test` runs the whole test suite.
# Both set themselves up first (a .venv with the pinned requirements, migrations).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: setup setup-dev run test test-fast lint format collectstatic clean stack stack-start stack-stop loadtest faults fuzz

# requirements.txt is what production runs (the Dockerfile installs only it); requirements-dev.txt adds tests and
# tools. Both are pinned by pip-compile from their .in files, which list the direct dependencies.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# axe-core, which the browser tests inject into pages to check accessibility (pinned in package-lock.json).
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/.installed

setup-dev: $(BIN)/.installed-dev node_modules/.installed

# With REDIS_URL set, a Celery worker (with beat) runs beside the server and stops with it.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/celery -A config worker --beat --loglevel=info --concurrency=2 \
			--schedule=$(VENV)/celerybeat-schedule & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

# The whole suite, the proof CI runs: browser tests, fault drills, subprocess and fuzz tests included.
test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The inner loop: the same suite without the browser tests, the fault drills, the real Celery worker and the slow
# subprocess, whole-bank and fuzzing tests.
test-fast: setup-dev
	$(BIN)/python -m pytest -m "not browser and not faults and not slow and not real_celery" $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A production-like stack on loopback (gunicorn with DEBUG off, Celery worker and beat, the local PostgreSQL
# and Redis): ops/stack.sh. `make stack` stays in the foreground (Ctrl-C stops it); stack-start runs it in the background.
# NODES=3: three gunicorn nodes behind HAProxy, through PgBouncer in transaction pooling (docs/scaling.md).
NODES ?= 1
stack: setup
	NODES=$(NODES) ops/stack.sh up

stack-start: setup
	NODES=$(NODES) ops/stack.sh start

stack-stop:
	ops/stack.sh stop

# Exam day under load against the running stack: LOADTEST_CANDIDATES (2000), LOADTEST_ARGS for more flags.
loadtest: setup-dev
	ops/stack.sh exec $(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# Fault drills at length on their own private PostgreSQL, Redis, gunicorn and Celery (kills a gunicorn worker, the
# Celery worker mid-scoring; stops Redis, restarts PostgreSQL; leaves an exam to the sweeper; kills a whole web node
# of three behind HAProxy and PgBouncer): about 10 minutes.
# `make test` runs the same drills short.
faults: setup-dev
	MOSHI_FAULTS=long $(BIN)/python -m pytest tests/faults -s -m faults $(PYTEST_ARGS)

# The HR API fuzzed from its OpenAPI schema, deeper than in `make test` (MOSHI_FUZZ_EXAMPLES per operation).
# The throttle is lifted so the fuzzer's own request rate is not what it reports.
fuzz: setup-dev
	MOSHI_FUZZ_EXAMPLES=$${MOSHI_FUZZ_EXAMPLES:-300} API_TOKEN_RATE=1000000/min \
		$(BIN)/python -m pytest tests/api/test_api_fuzz.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
