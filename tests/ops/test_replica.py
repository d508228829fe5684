"""The HR API and the HR dashboard read from the replica alias; the exam, every write and any read inside a write
transaction use the primary. The replica here mirrors the test database (TEST MIRROR), as a streaming replica
mirrors the primary, and each alias's queries are captured to see which one was asked."""

import random

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from common.replica import REPLICA, replica_reads
from exams.models import Attempt
from exams.services import attempt_start
from organizations.services import api_token_create
from tests.factories import MembershipFactory
from tests.world import take

# Committed data, so a second connection (the replica alias) sees it; the primary is flushed afterwards and the
# mirror, sharing its rows, is not.
pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def replica_alias(django_db_setup):
    """A `replica` alias mirroring the test database, as DATABASE_REPLICA_URL adds one in production; module
    scoped so it exists before pytest-django sets up each test with it in `databases`, and only for this module
    (elsewhere a transactional HR test would meet an alias it did not ask for)."""
    mirror = {**connections[DEFAULT_DB_ALIAS].settings_dict, "TEST": {"MIRROR": DEFAULT_DB_ALIAS}}
    connections.settings[REPLICA] = mirror
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(replica_alias):
    return replica_alias


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def test_the_hr_api_reads_its_data_from_the_replica(client, replica, organization, cohort_blueprint):
    rng = random.Random(1)
    member = MembershipFactory(organization=organization)
    take(cohort_blueprint, user=member.user, right=5, rng=rng)
    _, key = api_token_create(organization=organization, name="dashboard")

    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.get(reverse("api:attempts"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert "exams_attempt" in tables(on_replica.captured_queries)
    # The primary answered who is asking (the token, so a revoked one stops at once) and nothing about attempts.
    assert "exams_attempt" not in tables(on_primary.captured_queries)
    assert "apitoken" in tables(on_primary.captured_queries).lower()


def test_another_organizations_token_sees_nothing_through_the_replica(
    client, replica, organization, other_organization, cohort_blueprint
):
    member = MembershipFactory(organization=organization)
    take(cohort_blueprint, user=member.user, right=5, rng=random.Random(2))
    _, other_key = api_token_create(organization=other_organization, name="other")
    response = client.get(reverse("api:attempts"), HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert response.status_code == 200 and response.json()["results"] == []
    assert client.get(reverse("api:attempts")).status_code == 401


def test_the_hr_dashboard_reads_its_figures_from_the_replica(client, replica, hr_manager, cohort_blueprint):
    client.force_login(hr_manager)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("hr:org_dashboard")).status_code == 200
    assert on_replica.captured_queries, "the dashboard read nothing from the replica"


def test_the_exam_never_touches_the_replica(client, replica, candidate, cohort_blueprint):
    client.force_login(candidate)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.post(reverse("exams:start", args=[cohort_blueprint.slug])).status_code == 200
        attempt = Attempt.objects.get(user=candidate)
        assert client.get(reverse("exams:attempt", args=[attempt.pk])).status_code == 200
        saved = client.post(
            reverse("exams:attempt_save", args=[attempt.pk]),
            {"position": 1, "selected": [0], "flagged": False, "seq": 1},
            content_type="application/json",
        )
        assert saved.status_code == 200
    assert on_replica.captured_queries == []


def test_writes_and_reads_inside_a_write_transaction_use_the_primary(replica, candidate, cohort_blueprint):
    with CaptureQueriesContext(replica) as on_replica, replica_reads():
        with transaction.atomic():
            attempt = attempt_start(user=candidate, blueprint=cohort_blueprint)  # reads and writes, one transaction
            assert Attempt.objects.filter(pk=attempt.pk).exists()
        User.objects.filter(pk=candidate.pk).update(display_name="書き込みは主へ")
    assert on_replica.captured_queries == []
    with CaptureQueriesContext(replica) as on_replica, replica_reads():
        assert User.objects.get(pk=candidate.pk).display_name == "書き込みは主へ"  # outside a transaction: replica
    assert len(on_replica.captured_queries) == 1
