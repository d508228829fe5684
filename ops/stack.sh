#!/usr/bin/env bash
# A production-like Moshi on this machine, on loopback only: gunicorn (config/gunicorn.conf.py) with
# DEBUG off, a Celery worker and beat, on the shared PostgreSQL (own database) and Redis (own db number).
#
#   ops/stack.sh up        prepare, start, and stay in the foreground; Ctrl-C stops everything
#   ops/stack.sh start     prepare and start in the background (pids in .stack/)
#   ops/stack.sh stop      stop what `start` or `up` started
#   ops/stack.sh status    which processes are running, and /healthz
#   ops/stack.sh exec CMD  run CMD with the stack's environment (e.g. the load test, manage.py shell)
#
# Environment (defaults): STACK_PORT (8100), STACK_DB (moshi_stack), STACK_REDIS_DB (5), WEB_WORKERS and
# the other GUNICORN_* variables read by config/gunicorn.conf.py, WORKER_CONCURRENCY (2).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
STATE=.stack
PORT="${STACK_PORT:-8100}"
DB="${STACK_DB:-moshi_stack}"
PG="${STACK_PG:-postgres://postgres@127.0.0.1:5432}"
REDIS_DB="${STACK_REDIS_DB:-5}"
mkdir -p "$STATE"

if [ ! -s "$STATE/secret_key" ]; then
  # Kept between runs so sessions (and the load test's saved logins) outlive a restart of the stack.
  $BIN/python -c "import secrets; print(secrets.token_urlsafe(50))" >"$STATE/secret_key"
fi

export DEBUG=false
SECRET_KEY="$(cat "$STATE/secret_key")"
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="$PG/$DB"
export REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
# Plain HTTP on loopback: no redirect to https, and no HSTS a browser would remember for localhost.
export SECURE_SSL_REDIRECT=false
export SECURE_HSTS_SECONDS=0
export GUNICORN_BIND="127.0.0.1:$PORT"
export GUNICORN_PIDFILE="$STATE/gunicorn.pid"
export MOSHI_STACK_URL="http://127.0.0.1:$PORT"

log() { printf '== %s\n' "$*"; }

pids() { cat "$STATE"/*.pid 2>/dev/null || true; }

running() {
  local pid
  for pid in $(pids); do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

prepare() {
  pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
  if ! psql "$PG/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    log "creating database $DB"
    createdb -h 127.0.0.1 -U postgres "$DB"
  fi
  log "migrate, collectstatic, question bank and blueprints ($DATABASE_URL)"
  $BIN/python manage.py migrate --noinput -v 0
  $BIN/python manage.py collectstatic --noinput -v 0
  if ! $BIN/python manage.py shell -v 0 -c "from exams.models import Blueprint; import sys; sys.exit(0 if Blueprint.objects.filter(slug='g-kentei-full').exists() else 1)"; then
    for step in load_syllabus seed_questions seed_blueprints; do $BIN/python manage.py "$step" -v 0; done
  fi
  # Expected warnings on plain-http loopback (no SSL redirect, no HSTS) are not shown; errors are.
  $BIN/python manage.py check --deploy --fail-level ERROR >/dev/null 2>&1 || $BIN/python manage.py check --deploy --fail-level ERROR
}

launch() {
  # Each process in its own session so stopping the stack never signals the shell that started it.
  log "gunicorn on $MOSHI_STACK_URL, Celery worker (concurrency ${WORKER_CONCURRENCY:-2}) and beat; logs in $STATE/"
  setsid $BIN/gunicorn config.wsgi -c config/gunicorn.conf.py >>"$STATE/web.log" 2>&1 &
  setsid $BIN/celery -A config worker --loglevel=info --concurrency="${WORKER_CONCURRENCY:-2}" \
    --hostname="stack@%h" --pidfile="$STATE/worker.pid" >>"$STATE/worker.log" 2>&1 &
  setsid $BIN/celery -A config beat --loglevel=info --schedule="$STATE/celerybeat-schedule" \
    --pidfile="$STATE/beat.pid" >>"$STATE/beat.log" 2>&1 &
  for _ in $(seq 60); do
    if curl -fsS "$MOSHI_STACK_URL/healthz" >/dev/null 2>&1; then
      log "up: $(curl -fsS "$MOSHI_STACK_URL/healthz")"
      return 0
    fi
    sleep 0.5
  done
  echo "the stack did not answer /healthz within 30 s; see $STATE/*.log" >&2
  stop
  exit 1
}

stop() {
  local pid
  for pid in $(pids); do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 40); do running || break; sleep 0.5; done
  for pid in $(pids); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$STATE"/*.pid
}

case "${1:-up}" in
  up)
    running && { echo "the stack is already running (ops/stack.sh stop first)" >&2; exit 1; }
    prepare
    tailpid=""
    trap 'log stopping; [ -z "$tailpid" ] || kill "$tailpid" 2>/dev/null; stop' EXIT
    trap 'exit 0' INT TERM
    launch
    log "Ctrl-C stops the stack"
    tail -n 0 -F "$STATE/web.log" "$STATE/worker.log" "$STATE/beat.log" &
    tailpid=$!
    wait
    ;;
  start)
    running && { echo "the stack is already running"; exit 0; }
    prepare
    launch
    ;;
  stop)
    stop
    log "stopped"
    ;;
  status)
    for f in "$STATE"/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      if kill -0 "$pid" 2>/dev/null; then echo "$(basename "$f" .pid): $pid running"; else echo "$(basename "$f" .pid): $pid gone"; fi
    done
    curl -sS "$MOSHI_STACK_URL/healthz" || true
    echo
    ;;
  exec)
    # Run a command with the stack's environment (its database, Redis, SECRET_KEY and URL).
    shift
    exec "$@"
    ;;
  *)
    echo "usage: ops/stack.sh up|start|stop|status|exec COMMAND…" >&2
    exit 2
    ;;
esac
