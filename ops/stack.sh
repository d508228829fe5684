#!/usr/bin/env bash
# A production-like Moshi on this machine, on loopback only: gunicorn (config/gunicorn.conf.py) with
# DEBUG off, a Celery worker and beat, on the shared PostgreSQL (own database) and Redis (own db number).
# With NODES=N (N > 1), the layout of more than one web machine (docs/scaling.md): N gunicorn nodes, each its
# own master and process group on its own port (STACK_PORT+1…N), HAProxy on STACK_PORT balancing them, and
# PgBouncer in transaction pooling (STACK_PGBOUNCER_PORT) between every node, worker and beat and PostgreSQL.
#
#   ops/stack.sh up        prepare, start, and stay in the foreground; Ctrl-C stops everything
#   ops/stack.sh start     prepare and start in the background (pids in .stack/)
#   ops/stack.sh stop      stop what `start` or `up` started
#   ops/stack.sh status    which processes are running, and /healthz
#   ops/stack.sh exec CMD  run CMD with the stack's environment (e.g. the load test, manage.py shell)
#
# Environment (defaults): STACK_PORT (8100), STACK_DB (moshi_stack), STACK_REDIS_DB (5), WEB_WORKERS and
# the other GUNICORN_* variables read by config/gunicorn.conf.py, WORKER_CONCURRENCY (2); NODES (1),
# STACK_PGBOUNCER_PORT (STACK_PORT+50), CELERY_WORKERS (1: Celery worker processes, each its own pool),
# WEB_NICE (5: gunicorn's nice value, below Celery's).
# With NODES > 1, the nodes run sync workers behind HAProxy (GUNICORN_WORKER_CLASS), and WEB_WORKERS is per
# node, by default 4 × cores shared out between them.
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

# up and start take NODES from the environment (1 unless set); the other commands find the running layout.
case "${1:-up}" in
  up | start) NODES="${NODES:-1}" ;;
  *) NODES="${NODES:-$(cat "$STATE/nodes" 2>/dev/null || echo 1)}" ;;
esac
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || { echo "NODES must be a whole number ≥ 1, not '$NODES'" >&2; exit 2; }
CELERY_WORKERS="${CELERY_WORKERS:-1}"
# Web and Celery share this box's cores, where production gives Celery its own (docs/scaling.md): the web runs
# at a lower priority, so at a deadline scoring gets the CPU before thousands of result-page polls waiting for
# it. Nothing else competes with the web at the start or while candidates answer. WEB_NICE=0 to compare.
WEB_NICE="${WEB_NICE:-5}"
PGBOUNCER_PORT="${STACK_PGBOUNCER_PORT:-$((PORT + 50))}"
DIRECT_DATABASE_URL="$DATABASE_URL"
if [ "$NODES" -gt 1 ]; then
  # Every process but migrate reaches PostgreSQL through PgBouncer (migrations take session-level locks).
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$DB"
  export DATABASE_POOLER=pgbouncer
  export AXES_PROXY_COUNT=1  # HAProxy adds X-Forwarded-For: lockouts go by the candidate's address
  export GZIP_IN_APP=false  # HAProxy compresses (config/multinode.py)
  # Behind HAProxy (which receives the slow clients), sync workers: one request per process and no thread
  # switching under the GIL. Measured on this 2-core VM: /ping 2.0 ms of CPU instead of 3.0 with gthread, a
  # start 24 ms instead of 25–29, /ping capacity 523 req/s instead of 304–361 (bench/README.md).
  export GUNICORN_WORKER_CLASS="${GUNICORN_WORKER_CLASS:-sync}"
  if [ -z "${WEB_WORKERS:-}" ]; then
    # A sync worker waits for PostgreSQL idle: twice the cores in all, shared out between the nodes.
    cores=$(nproc)
    per_node=$(((4 * cores + NODES - 1) / NODES))
    export WEB_WORKERS=$((per_node < 2 ? 2 : per_node))
  fi
fi

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
  if [ "$NODES" -gt 1 ]; then
    command -v haproxy >/dev/null || { echo "NODES=$NODES needs HAProxy (apt-get install haproxy)" >&2; exit 1; }
    command -v pgbouncer >/dev/null || { echo "NODES=$NODES needs PgBouncer (apt-get install pgbouncer)" >&2; exit 1; }
  fi
  log "migrate, collectstatic, question bank and blueprints ($DIRECT_DATABASE_URL)"
  DATABASE_URL="$DIRECT_DATABASE_URL" DATABASE_POOLER="" $BIN/python manage.py migrate --noinput -v 0
  $BIN/python manage.py collectstatic --noinput -v 0
  if ! DATABASE_URL="$DIRECT_DATABASE_URL" DATABASE_POOLER="" $BIN/python manage.py shell -v 0 -c "from exams.models import Blueprint; import sys; sys.exit(0 if Blueprint.objects.filter(slug='g-kentei-full').exists() else 1)"; then
    for step in load_syllabus seed_questions seed_blueprints; do
      DATABASE_URL="$DIRECT_DATABASE_URL" DATABASE_POOLER="" $BIN/python manage.py "$step" -v 0
    done
  fi
  # Expected warnings on plain-http loopback (no SSL redirect, no HSTS) are not shown; errors are.
  $BIN/python manage.py check --deploy --fail-level ERROR >/dev/null 2>&1 || $BIN/python manage.py check --deploy --fail-level ERROR
}

healthy() { curl -fsS "$1/healthz" >/dev/null 2>&1; }

# Multi-node only: PgBouncer first (everything else connects through it), then the nodes, then HAProxy.
launch_pgbouncer() {
  local dir="$STATE/pgbouncer"
  mkdir -p "$dir"
  printf '"postgres" ""\n' >"$dir/userlist.txt"
  $BIN/python -m config.multinode pgbouncer "$PGBOUNCER_PORT" 127.0.0.1 5432 "$dir/userlist.txt" >"$dir/pgbouncer.ini"
  local as_user=()
  if [ "$(id -u)" = 0 ]; then  # PgBouncer refuses to run as root
    chown -R postgres "$dir"
    as_user=(-u postgres)
  fi
  log "PgBouncer (transaction pooling) on 127.0.0.1:$PGBOUNCER_PORT"
  setsid pgbouncer "${as_user[@]}" "$dir/pgbouncer.ini" >>"$STATE/pgbouncer.log" 2>&1 &
  echo $! >"$STATE/pgbouncer.pid"
  for _ in $(seq 40); do
    pg_isready -h 127.0.0.1 -p "$PGBOUNCER_PORT" -q && return 0
    sleep 0.25
  done
  echo "PgBouncer did not listen on $PGBOUNCER_PORT; see $STATE/pgbouncer.log" >&2
  return 1
}

launch_nodes() {
  local n node_ports=()
  for n in $(seq "$NODES"); do
    node_ports+=($((PORT + n)))
    log "web node $n: gunicorn on 127.0.0.1:$((PORT + n)), $WEB_WORKERS workers"
    GUNICORN_BIND="127.0.0.1:$((PORT + n))" GUNICORN_PIDFILE="$STATE/web$n.pid" \
      setsid nice -n "$WEB_NICE" $BIN/gunicorn config.wsgi -c config/gunicorn.conf.py >>"$STATE/web$n.log" 2>&1 &
  done
  # HAProxy queues beyond what a node serves at once (its workers × threads) instead of piling onto it.
  local threads=${GUNICORN_THREADS:-4}
  [ "${GUNICORN_WORKER_CLASS:-gthread}" = sync ] && threads=1
  $BIN/python -m config.multinode haproxy "$PORT" "${node_ports[@]}" \
    --maxconn $((WEB_WORKERS * threads)) >"$STATE/haproxy.cfg"
  haproxy -c -q -f "$STATE/haproxy.cfg"
  log "HAProxy on $MOSHI_STACK_URL balancing ${#node_ports[@]} nodes"
  setsid haproxy -db -f "$STATE/haproxy.cfg" >>"$STATE/haproxy.log" 2>&1 &
  echo $! >"$STATE/haproxy.pid"
}

launch() {
  # Each process in its own session so stopping the stack never signals the shell that started it.
  echo "$NODES" >"$STATE/nodes"
  log "Celery: $CELERY_WORKERS worker process(es) (concurrency ${WORKER_CONCURRENCY:-2} each) and beat; logs in $STATE/"
  if [ "$NODES" -gt 1 ]; then
    launch_pgbouncer || { stop; exit 1; }
    launch_nodes
  else
    log "gunicorn on $MOSHI_STACK_URL"
    setsid nice -n "$WEB_NICE" $BIN/gunicorn config.wsgi -c config/gunicorn.conf.py >>"$STATE/web.log" 2>&1 &
  fi
  local n worker_pidfile
  for n in $(seq "$CELERY_WORKERS"); do
    worker_pidfile="$STATE/worker.pid"  # the first keeps the name the load test reads
    [ "$n" = 1 ] || worker_pidfile="$STATE/worker$n.pid"
    setsid $BIN/celery -A config worker --loglevel=info --concurrency="${WORKER_CONCURRENCY:-2}" \
      --hostname="stack$n@%h" --pidfile="$worker_pidfile" >>"$STATE/worker.log" 2>&1 &
  done
  setsid $BIN/celery -A config beat --loglevel=info --schedule="$STATE/celerybeat-schedule" \
    --pidfile="$STATE/beat.pid" >>"$STATE/beat.log" 2>&1 &
  for _ in $(seq 120); do
    local answer
    if answer=$(curl -fsS "$MOSHI_STACK_URL/healthz" 2>/dev/null) && all_nodes_healthy; then
      log "up: $answer"  # the answer that passed (a second request could meet HAProxy still counting checks)
      return 0
    fi
    sleep 0.5
  done
  echo "the stack did not answer /healthz within 60 s; see $STATE/*.log" >&2
  stop
  exit 1
}

all_nodes_healthy() {
  local n
  [ "$NODES" -gt 1 ] || return 0
  for n in $(seq "$NODES"); do healthy "http://127.0.0.1:$((PORT + n))" || return 1; done
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
    tail -n 0 -F "$STATE"/web*.log "$STATE/worker.log" "$STATE/beat.log" &
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
    if [ "$NODES" -gt 1 ]; then
      for n in $(seq "$NODES"); do
        printf 'node %s (:%s): ' "$n" $((PORT + n))
        curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$((PORT + n))/healthz" || true
      done
    fi
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
