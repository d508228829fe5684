"""What /healthz reports: is the database usable, and can work reach a Celery worker."""

from django.conf import settings
from django.db import connection
from django.db.models import Max

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


def broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return EAGER
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1, protocol=2
        )
        client.ping()
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
