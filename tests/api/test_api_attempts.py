import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_create
from exams.models import Attempt
from exams.services import attempt_start
from tests.analytics.conftest import take
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_attempts_are_scoped_filtered_and_syncable(client, organization, other_organization, cohort_blueprint):
    rng = random.Random(1)
    alice = MembershipFactory(organization=organization)
    bob = MembershipFactory(organization=organization)
    outsider = MembershipFactory(organization=other_organization)
    alice_attempts = [take(cohort_blueprint, user=alice.user, right=r, rng=rng) for r in (6, 1)]
    bob_attempt = take(cohort_blueprint, user=bob.user, right=5, rng=rng)
    outsider_attempt = take(cohort_blueprint, user=outsider.user, right=6, rng=rng)
    open_attempt = attempt_start(user=bob.user, blueprint=cohort_blueprint.__class__.objects.create(
        exam=cohort_blueprint.exam, name="other", slug="other", minutes=10, question_count=0
    ))  # fmt: skip
    _, key = api_token_create(organization=organization, name="t")
    url = reverse("api:attempts")

    def ids(**params):
        response = client.get(url, params, **bearer(key))
        assert response.status_code == 200, response.content
        return {a["id"] for a in response.json()["results"]}

    everything = ids()
    assert everything == {a.pk for a in alice_attempts} | {bob_attempt.pk}
    assert outsider_attempt.pk not in everything and open_attempt.pk not in everything
    assert ids(member=alice.pk) == {a.pk for a in alice_attempts}
    assert ids(member=outsider.pk) == set()  # another organization's member id finds nothing
    assert ids(passed="true") == {a.pk for a in [*alice_attempts, bob_attempt] if a.passed}
    assert ids(blueprint="cohort") == everything

    # Incremental sync: only what changed since the last pull.
    since = timezone.now()
    Attempt.objects.filter(pk=bob_attempt.pk).update(updated_at=since + timedelta(seconds=1))
    assert ids(updated_since=since.isoformat()) == {bob_attempt.pk}
    row = next(a for a in client.get(url, **bearer(key)).json()["results"] if a["id"] == bob_attempt.pk)
    assert row["member"] == bob.pk and row["department"] == bob.department_id and row["exam"] == "g_kentei"


def test_attempt_list_queries_do_not_grow_with_attempts(client, organization, cohort_blueprint):
    rng = random.Random(2)
    member = MembershipFactory(organization=organization)
    _, key = api_token_create(organization=organization, name="t")
    url = reverse("api:attempts")
    for _ in range(3):
        take(cohort_blueprint, user=member.user, right=rng.randint(0, 6), rng=rng)
    client.get(url, **bearer(key))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, **bearer(key))
        return len(ctx.captured_queries)

    few = count()
    for _ in range(27):
        take(cohort_blueprint, user=MembershipFactory(organization=organization).user, right=3, rng=rng)
    assert count() == few
