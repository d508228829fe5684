import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from config.celery import app as celery_app
from exams import pool as exam_pool
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# Shared worlds (a small scored form, two organizations with data) for every test folder.
pytest_plugins = ["tests.world"]


def pytest_configure(config):
    # CI sets MOSHI_REQUIRE_SERVICES=1: then a missing PostgreSQL or Redis fails the run instead of
    # letting the suite quietly fall back to SQLite and eager Celery.
    if os.environ.get("MOSHI_REQUIRE_SERVICES") == "1":
        problems = []
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            problems.append("DATABASE_URL does not point at PostgreSQL")
        if not settings.REDIS_URL:
            problems.append("REDIS_URL is not set")
        if problems:
            raise pytest.UsageError("MOSHI_REQUIRE_SERVICES=1 but " + "; ".join(problems))


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Tests hash passwords with MD5: PBKDF2 at 1,000,000 rounds took 43% of the suite's time, and no test
    measures what a login costs (bench/loadtest.py does, against the real settings)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def services_required() -> bool:
    return os.environ.get("MOSHI_REQUIRE_SERVICES") == "1"


@pytest.fixture
def postgresql_only():
    """For tests of PostgreSQL's own behaviour (set-based SQL, concurrent writers on separate connections): SQLite
    serializes writers by locking the whole database, so there they would test SQLite, not Moshi."""
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("this test needs PostgreSQL; MOSHI_REQUIRE_SERVICES=1 needs DATABASE_URL on it")
        pytest.skip("needs PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process in tests, except those marked real_celery, which use the real broker."""
    if request.node.get_closest_marker("real_celery"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_exam_pools():
    """Each test builds its own bank, and SQLite reuses ids after a rolled-back test, so two tests' banks can
    share a fingerprint; each test starts without the pools an earlier one left in this process
    (tests/exams/test_pool.py checks the fingerprint itself)."""
    exam_pool.forget()
    yield


@pytest.fixture
def organization():
    return OrganizationFactory(name="株式会社アルファ", slug="alpha")


@pytest.fixture
def other_organization():
    return OrganizationFactory(name="株式会社ベータ", slug="beta")


@pytest.fixture
def candidate(db):
    return UserFactory(email="candidate@example.jp")


@pytest.fixture
def other_candidate(db):
    return UserFactory(email="other@example.jp")


@pytest.fixture
def hr_manager(organization):
    return MembershipFactory(organization=organization, role="hr_manager", user__email="hr@alpha.example.jp").user


@pytest.fixture
def other_org_hr(other_organization):
    return MembershipFactory(organization=other_organization, role="hr_manager", user__email="hr@beta.example.jp").user


# A real `celery worker` process for tests marked real_celery: CI's proof that tasks travel through Redis.
ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def route_to_worker(celery_worker_process):
    """Send the named tasks to the test worker's own queue, so no other worker on this Redis takes them."""
    amqp = celery_app.amqp
    previous = celery_app.conf.task_routes

    def route(*task_names):
        celery_app.conf.task_routes = {name: {"queue": celery_worker_process} for name in task_names}
        amqp.flush_routes()
        amqp.router = amqp.Router()

    yield route
    celery_app.conf.task_routes = previous
    amqp.flush_routes()
    amqp.router = amqp.Router()
