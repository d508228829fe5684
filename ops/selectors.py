"""What /healthz reports (is the database usable, can work reach a Celery worker) and who may read /metrics."""

import hmac
import ipaddress

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.models import Max, Q
from django.utils import timezone

from .models import WorkerHeartbeat

OK, DOWN, EAGER = "ok", "down", "eager"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to talk to the database means "down"
        return DOWN
    return OK


def broker_client(timeout: float = 1):
    """A connection to Celery's Redis that gives up quickly: health checks, metrics and the worker's watchdog
    ask it small questions and must not hang on an outage."""
    import redis

    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout, protocol=2
    )


def broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return EAGER
    try:
        broker_client().ping()
    except Exception:  # refused, timed out, or not speaking Redis: work cannot be queued
        return DOWN
    return OK


def last_worker_heartbeat():
    return WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]


def health_report() -> tuple[dict, bool]:
    database = database_state()
    broker = broker_state()
    report = {"database": database, "broker": broker}
    if database == OK:
        last = last_worker_heartbeat()
        report["worker_last_seen"] = last.isoformat() if last else None
    usable = database == OK and broker in (OK, EAGER)
    report["status"] = OK if usable else DOWN
    return report, usable


def metrics_allowed(request) -> bool:
    """Who may read /metrics: a scraper presenting METRICS_TOKEN as a bearer token, or one connecting from
    METRICS_ALLOWED_IPS (loopback by default). The figures name no person, but exam-day load is nobody else's
    business, and a scrape costs queries."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def attempt_is_open(now) -> Q:
    """An attempt a candidate is sitting now: open and before its deadline (what the migration guard waits for
    and /metrics counts; the sweeper submits the rest)."""
    from exams.models import Attempt

    return Q(status=Attempt.Status.OPEN, deadline__gt=now)


def open_attempt_count(*, using: str = "default") -> int:
    """Attempts in progress and before their deadline, or 0 where there is no attempts table yet (a fresh or test
    database being migrated). Raw columns only, so it works whatever migrations are still to come."""
    from exams.models import Attempt  # ops is loaded before exams

    table = Attempt._meta.db_table
    if table not in connections[using].introspection.table_names():
        return 0
    try:
        return Attempt.objects.using(using).filter(attempt_is_open(timezone.now())).count()
    except DatabaseError:  # the table is there but older than these columns
        return 0
