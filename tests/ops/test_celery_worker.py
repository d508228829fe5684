"""A task really travels: test process -> Redis -> a Celery worker process -> the database."""

import time
import uuid

import pytest

from ops.models import WorkerHeartbeat

pytestmark = [pytest.mark.real_celery, pytest.mark.django_db(transaction=True)]


def test_task_sent_through_redis_is_run_by_a_worker_process(celery_worker_process):
    from ops.tasks import record_heartbeat

    hostname = f"roundtrip-{uuid.uuid4().hex[:6]}"
    record_heartbeat.apply_async(args=[hostname], queue=celery_worker_process)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.filter(hostname=hostname).exists():
        time.sleep(0.25)
    assert WorkerHeartbeat.objects.filter(hostname=hostname).exists(), "the worker never ran the task"
