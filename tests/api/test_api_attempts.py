import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from exams.services import attempt_start
from organizations.services import api_token_create
from tests.factories import MembershipFactory
from tests.world import take

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
    open_attempt = attempt_start(
        user=bob.user,
        blueprint=cohort_blueprint.__class__.objects.create(
            exam=cohort_blueprint.exam, name="other", slug="other", minutes=10, question_count=0
        ),
    )
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
    # Another organization's member id is refused as no member of this one (not an empty list that could
    # be mistaken for "no attempts"), with the same answer as an id of nobody: nothing is revealed.
    foreign = client.get(url, {"member": outsider.pk}, **bearer(key))
    nobody = client.get(url, {"member": 10**12}, **bearer(key))
    assert foreign.status_code == nobody.status_code == 400 and foreign.json() == nobody.json()
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


def test_a_sync_by_updated_since_sees_the_score_without_anyone_touching_updated_at(
    client, organization, cohort_blueprint, django_capture_on_commit_callbacks
):
    """Issue 2/8: submit and scoring were bare UPDATEs that left updated_at at the start, so a dashboard
    syncing with updated_since never saw a score (the old test set updated_at by hand)."""
    from exams.services import answer_save, attempt_submit

    member = MembershipFactory(organization=organization)
    _, key = api_token_create(organization=organization, name="t")
    attempt = attempt_start(user=member.user, blueprint=cohort_blueprint)
    answer_save(user=member.user, attempt_id=attempt.pk, position=1, selected=[0], flagged=False, seq=1)
    last_pull = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):  # submit queues scoring; it runs after commit
        attempt_submit(attempt=attempt)
    rows = client.get(reverse("api:attempts"), {"updated_since": last_pull.isoformat()}, **bearer(key)).json()
    [row] = rows["results"]
    assert row["id"] == attempt.pk and row["status"] == "scored" and row["score"] is not None
    attempt.refresh_from_db()
    assert attempt.updated_at >= attempt.scored_at >= attempt.submitted_at > attempt.started_at
