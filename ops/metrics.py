"""Prometheus figures for exam day: request latency by view, the exam's own request rates, open attempts, the
Celery queue and the scoring lag. Served at /metrics (ops.views.metrics), protected by METRICS_TOKEN or
METRICS_ALLOWED_IPS; docs/operations.md lists the figures and the alerts built on them.

Two kinds of figure, each correct with several gunicorn workers and several web nodes:
- Per request (the histogram and the counters) are counted in the worker that served the request. Under gunicorn
  PROMETHEUS_MULTIPROC_DIR is set (config/gunicorn.conf.py), so prometheus_client keeps each worker's values in
  a memory-mapped file there and the scrape adds up every worker's, live or dead, instead of reporting
  whichever worker happened to answer. Each node counts its own; Prometheus sums nodes.
- State (open attempts, queue length, oldest unscored submission) is read from PostgreSQL and Redis at scrape
  time, so any worker on any node gives the same answer and nothing is stored between scrapes.
"""

import os

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from .selectors import attempt_is_open, broker_client

# Up to the gunicorn timeout (30 s): an exam-day p99 lives between the first buckets and a stuck request in the last.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

request_seconds = Histogram(
    "moshi_request_duration_seconds",
    "Time from the first middleware to the response, by URL name (view) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
responses = Counter(
    "moshi_responses", "Responses by URL name (view), method and status class (2xx…5xx).", ["view", "method", "status"]
)
attempt_starts = Counter("moshi_attempt_starts", "Start requests that led into an attempt (new or resumed).")
autosaves = Counter("moshi_autosaves", "Autosaves the server acknowledged (2xx).")
attempt_submits = Counter("moshi_attempt_submits", "Submits the server accepted (the candidate's or the timer's).")

# The exam's own requests, by URL name: (method, what a success looks like) -> counter. One table, so a renamed
# URL is fixed in one place (tests/ops/test_metrics.py fails if one of these names stops resolving).
EXAM_EVENTS = {
    "exams:start": ("POST", 200, attempt_starts),  # the start answers with the exam page
    "exams:attempt_save": ("POST", 200, autosaves),
    "exams:attempt_submit": ("POST", None, attempt_submits),  # 200 JSON for exam.js, 302 for a plain form
}
UNRESOLVED = "unresolved"  # 404s and anything else no URL pattern matched: one label, not one per path


def observe(*, view: str | None, method: str, status: int, seconds: float) -> None:
    view = view or UNRESOLVED
    method = method if method in ("GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS") else "other"
    request_seconds.labels(view, method).observe(seconds)
    responses.labels(view, method, f"{status // 100}xx").inc()
    event = EXAM_EVENTS.get(view)
    if event and method == event[0] and (status == event[1] if event[1] else status < 400):
        event[2].inc()


class ExamDayState:
    """Gauges read at scrape time: two queries on the attempts table and one LLEN."""

    def collect(self):
        from exams.models import Attempt  # ops knows no exam model at import time (ops is loaded first)

        now = timezone.now()
        # One query over the (status, deadline) index: open attempts still inside their time, and the oldest
        # submission the scorer has not reached.
        state = Attempt.objects.aggregate(
            open=Count("pk", filter=attempt_is_open(now)),
            oldest_submitted=Min("submitted_at", filter=Q(status=Attempt.Status.SUBMITTED)),
        )
        yield GaugeMetricFamily(
            "moshi_open_attempts", "Attempts in progress and not past their deadline.", value=state["open"]
        )
        oldest = state["oldest_submitted"]
        yield GaugeMetricFamily(
            "moshi_oldest_unscored_submission_seconds",
            "Age of the oldest submitted attempt not yet scored (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        if settings.CELERY_BROKER_URL:
            queued = celery_queue_length()
            yield GaugeMetricFamily(
                "moshi_celery_broker_up",
                "1 when Redis answered the queue-length question.",
                value=int(queued is not None),
            )
            if queued is not None:
                yield GaugeMetricFamily(
                    "moshi_celery_queue_length", "Tasks waiting in the Celery queue in Redis.", value=queued
                )


def celery_queue_length() -> int | None:
    """LLEN of Celery's queue in Redis (where the scoring tasks wait), or None when Redis does not answer."""
    try:
        return int(broker_client().llen(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")))
    except Exception:  # a Redis outage must not turn a scrape into a 500: broker_up says 0 instead
        return None


def exposition() -> bytes:
    """The text Prometheus reads: every worker's request figures (multiprocess mode) or this process's, then
    the state read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        request_figures = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        request_figures = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(ExamDayState())
    return request_figures + generate_latest(state)
