"""Gunicorn settings shared by docker-compose.yml (web) and the local production-like stack (ops/stack.sh).

Every value can be overridden from the environment, so one file serves a 2-core VM and a bigger host.
The choices and the figures behind them are in bench/README.md ("Exam day under load").
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Moshi's requests are CPU-bound in Python (template rendering, the ORM) with short waits on PostgreSQL and
# Redis, so processes, not threads, add throughput; 2 × cores + 1 keeps a core busy while a worker waits.
workers = _int("WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# gthread with a few threads keeps HTTP keep-alive connections open (the sync worker closes every
# connection after one response) and lets a worker overlap a database wait with another request (a start
# spends ~30% of its time waiting on PostgreSQL). Measured against sync and other counts in bench/README.md.
threads = _int("GUNICORN_THREADS", 4)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# The listen queue must hold an exam-start crowd arriving at once; the kernel caps it at somaxconn.
backlog = _int("GUNICORN_BACKLOG", 2048)
# A worker that leaks is replaced before it grows large; jitter keeps workers from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
# Each response's request id (ops.request_id) in the access log, to match the app's and the proxy's lines.
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
)

# /metrics adds up every worker's request figures (ops.metrics): prometheus_client keeps them in files in this
# directory, one set per worker process. Set before any worker imports prometheus_client; one directory per
# master, emptied at start so a previous run's counts are not added to this one's.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moshi-prometheus-")


def on_starting(server):
    import pathlib

    directory = pathlib.Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


# Python's cyclic garbage collector now and then walks every object the process holds (Django, the bank's pool
# and fragments: ~70 ms a time, ~2.5 ms a request on average at a start wave). Once warm, a worker freezes
# what it has built (gc.freeze), so those walks skip it. A higher collection threshold was tried and not kept:
# no measurable CPU, +65 MB of RSS per 300 starts (bench/README.md, "Issue 20").
FREEZE_AFTER_REQUESTS = (10, 100, 1000)
_frozen_after: set[int] = set()


def post_request(worker, req, environ, resp):
    # Once past each count, not at it: gthread counts a request when it starts, so with its threads busy the
    # 10th request may finish when the count is already 13.
    due = [n for n in FREEZE_AFTER_REQUESTS if worker.nr >= n and n not in _frozen_after]
    if due:
        _frozen_after.update(due)
        gc.collect()
        gc.freeze()


def child_exit(server, worker):
    # A dead worker's counters stay in the sum (a counter never goes down); its live gauges are dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
