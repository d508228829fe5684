"""A task really travels: test process -> Redis -> a Celery worker process -> the database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from ops.models import WorkerHeartbeat
from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.real_celery, pytest.mark.django_db(transaction=True)]


def database_url_of_this_test_run() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def celery_worker_process():
    """A real `celery worker` on its own queue, pointed at this test run's database."""
    if not settings.REDIS_URL:
        if services_required():
            pytest.fail("MOSHI_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("no REDIS_URL: the real-broker round trip needs Redis")
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("the in-memory SQLite test database cannot be shared with a worker process")
    queue = f"moshi-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url_of_this_test_run(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def test_task_sent_through_redis_is_run_by_a_worker_process(celery_worker_process):
    from ops.tasks import record_heartbeat

    hostname = f"roundtrip-{uuid.uuid4().hex[:6]}"
    record_heartbeat.apply_async(args=[hostname], queue=celery_worker_process)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.filter(hostname=hostname).exists():
        time.sleep(0.25)
    assert WorkerHeartbeat.objects.filter(hostname=hostname).exists(), "the worker never ran the task"
