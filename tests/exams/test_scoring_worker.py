"""Submit → Redis → a real Celery worker process → SCORED (CI runs this on PostgreSQL and Redis)."""

import time

import pytest

from exams.models import Attempt
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories import key_positions

pytestmark = [pytest.mark.real_celery, pytest.mark.django_db(transaction=True)]


def test_a_submitted_attempt_is_scored_by_the_worker_process(route_to_worker, candidate, g_blueprint):
    route_to_worker("exams.tasks.score_attempt")
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    item = attempt.items.get(position=1)
    key = key_positions(item)[0]
    answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[key], flagged=False, seq=1)

    assert attempt_submit(attempt=attempt)  # committed at once (no test transaction): on_commit queues it

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Attempt.objects.get(pk=attempt.pk).status != Attempt.Status.SCORED:
        time.sleep(0.25)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SCORED, "the worker never scored the attempt"
    assert attempt.correct_count == 1 and attempt.area_results.exists()
