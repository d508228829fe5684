import os

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


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


def services_required() -> bool:
    return os.environ.get("MOSHI_REQUIRE_SERVICES") == "1"


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
