"""/metrics: the figures an organizer watches on exam day move when candidates start, save and submit, and only
the monitoring system may read them."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from exams.models import Attempt
from exams.services import attempt_start
from ops import metrics
from tests.conftest import services_required
from tests.exams.conftest import g_blueprint  # noqa: F401 - a five-question blueprint

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    figures = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def value(figures, name, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_figures_move_as_candidates_start_save_and_submit(client, candidate, g_blueprint):  # noqa: F811
    before = scrape(client)
    assert value(before, "moshi_open_attempts") == 0
    assert value(before, "moshi_oldest_unscored_submission_seconds") == 0

    client.force_login(candidate)
    started = client.post(reverse("exams:start", args=[g_blueprint.slug]))
    assert started.status_code == 200
    attempt = Attempt.objects.get(user=candidate)
    saved = client.post(
        reverse("exams:attempt_save", args=[attempt.pk]),
        {"position": 1, "selected": [0], "flagged": False, "seq": 1},
        content_type="application/json",
    )
    assert saved.status_code == 200
    client.logout()
    during = scrape(client)
    assert value(during, "moshi_open_attempts") == 1
    assert value(during, "moshi_attempt_starts_total") == value(before, "moshi_attempt_starts_total") + 1
    assert value(during, "moshi_autosaves_total") == value(before, "moshi_autosaves_total") + 1
    save_latency = ("moshi_request_duration_seconds_count", {"view": "exams:attempt_save", "method": "POST"})
    assert value(during, save_latency[0], **save_latency[1]) == value(before, save_latency[0], **save_latency[1]) + 1
    assert value(during, "moshi_responses_total", view="exams:attempt_save", method="POST", status="2xx") >= 1

    # Submitted, not yet scored (the scoring task is queued on commit, which this test's transaction never
    # reaches): the attempt is no longer open and the scoring lag counts from its submission.
    client.force_login(candidate)
    assert client.post(reverse("exams:attempt_submit", args=[attempt.pk])).status_code in (200, 302)
    Attempt.objects.filter(pk=attempt.pk).update(submitted_at=timezone.now() - timedelta(seconds=90))
    client.logout()
    after = scrape(client)
    assert value(after, "moshi_open_attempts") == 0
    assert value(after, "moshi_attempt_submits_total") == value(before, "moshi_attempt_submits_total") + 1
    assert 90 <= value(after, "moshi_oldest_unscored_submission_seconds") < 120

    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.SCORED, scored_at=timezone.now())
    assert value(scrape(client), "moshi_oldest_unscored_submission_seconds") == 0


def test_an_attempt_past_its_deadline_is_not_counted_open(client, candidate, other_candidate, g_blueprint):  # noqa: F811
    attempt_start(user=candidate, blueprint=g_blueprint)
    late = attempt_start(user=other_candidate, blueprint=g_blueprint)
    Attempt.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert value(scrape(client), "moshi_open_attempts") == 1


def test_a_scrape_costs_one_query_whatever_the_number_of_attempts(
    client,
    candidate,
    other_candidate,
    g_blueprint,  # noqa: F811
    django_assert_max_num_queries,
):
    attempt_start(user=candidate, blueprint=g_blueprint)
    attempt_start(user=other_candidate, blueprint=g_blueprint)
    with django_assert_max_num_queries(1):  # open attempts and the oldest submission, in one aggregate
        scrape(client)


def test_every_exam_event_names_a_url_that_exists():
    for view_name in metrics.EXAM_EVENTS:
        reverse(view_name, kwargs={"slug": "x"} if view_name == "exams:start" else {"attempt_id": 1})


def test_unmatched_paths_share_one_label(client):
    client.get("/no-such-page-" + "x" * 40)
    figures = scrape(client)
    assert value(figures, "moshi_responses_total", view="unresolved", method="GET", status="4xx") >= 1
    assert not [key for key in figures if "no-such-page" in str(key)]


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
def test_a_redis_outage_shows_as_broker_down_not_as_a_failed_scrape(client):
    figures = scrape(client)
    assert value(figures, "moshi_celery_broker_up") == 0
    assert ("moshi_celery_queue_length", ()) not in figures


def test_the_queue_length_is_read_from_redis(client, settings):
    if not settings.REDIS_URL:
        if services_required():
            pytest.fail("MOSHI_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("no REDIS_URL: the queue length is read from Redis")
    import redis

    queue = "moshi-metrics-test-queue"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    connection = redis.Redis.from_url(settings.REDIS_URL)
    connection.delete(queue)
    connection.rpush(queue, "a", "b", "c")
    try:
        figures = scrape(client)
    finally:
        connection.delete(queue)
    assert value(figures, "moshi_celery_broker_up") == 1
    assert value(figures, "moshi_celery_queue_length") == 3


# --- Who may read it ------------------------------------------------------------------------------------------


def test_other_addresses_are_refused(client):
    assert client.get(reverse("metrics"), REMOTE_ADDR="203.0.113.9").status_code == 403


@override_settings(METRICS_TOKEN="scrape-secret-0123456789")
def test_a_scraper_with_the_token_is_let_in_from_anywhere(client):
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert (
        client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", **far).status_code == 200
    )
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 403
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Basic scrape-secret-0123456789", **far).status_code == 403
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ", **far).status_code == 403


def test_a_signed_in_candidate_from_outside_is_refused(client, candidate):
    client.force_login(candidate)
    assert client.get(reverse("metrics"), REMOTE_ADDR="198.51.100.7").status_code == 403


def test_allowed_networks_are_read_from_the_environment(settings):
    import ipaddress

    from ops.selectors import metrics_allowed

    class Request:
        headers: dict = {}
        META = {"REMOTE_ADDR": "10.1.2.3"}

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert metrics_allowed(Request())
    Request.META = {"REMOTE_ADDR": "11.1.2.3"}
    assert not metrics_allowed(Request())
    Request.META = {"REMOTE_ADDR": "not an address"}
    assert not metrics_allowed(Request())


# --- Several gunicorn workers ---------------------------------------------------------------------------------

COUNT_ONE_AUTOSAVE = """
import django
django.setup()
from ops import metrics
metrics.observe(view="exams:attempt_save", method="POST", status=200, seconds=0.02)
"""
READ_ALL = """
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
print(generate_latest(registry).decode())
"""


def test_with_a_multiprocess_directory_the_scrape_adds_up_every_worker(tmp_path):
    """What gunicorn does (config/gunicorn.conf.py): each worker process writes its own counts; the scrape,
    answered by any one worker, reports the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for _ in range(3):  # three worker processes, one autosave each
        subprocess.run([sys.executable, "-c", COUNT_ONE_AUTOSAVE], cwd=ROOT, env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", READ_ALL], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60
    ).stdout
    figures = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }
    assert figures[("moshi_autosaves_total", ())] == 3
    assert figures[("moshi_request_duration_seconds_count", (("method", "POST"), ("view", "exams:attempt_save")))] == 3
