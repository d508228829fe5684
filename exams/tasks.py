from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(name="exams.tasks.score_attempt", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def score_attempt(attempt_id: int) -> bool:
    return services.attempt_score(attempt_id=attempt_id)


@shared_task(name="exams.tasks.sweep_overdue_attempts")
def sweep_overdue_attempts() -> list[int]:
    return list(services.sweep_overdue_attempts())
