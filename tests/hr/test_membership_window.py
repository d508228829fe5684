"""What an organization may see of a person is decided once (exams.selectors.of_members on
accounts.membership_window): while they were its member, from the join date, never another organization's
private blueprint. The API, the dashboard, its member table and every CSV agree (issue 1/8 item 5: the
dashboard showed a new member's history from their previous organization; issue 2/8: one owner per rule)."""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from hr import reports as org_selectors
from hr.models import RealResult
from organizations.models import Membership
from organizations.services import api_token_create, membership_set_active
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.world import refresh_statistics, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def mover(organization, other_organization, cohort_blueprint):
    """A person at A (organization) for a year, with mocks and a real result there, who moves to B
    (other_organization) and takes mocks at B."""
    rng = random.Random(5)
    person = UserFactory(email="mover@example.jp")
    at_a = MembershipFactory(user=person, organization=organization)
    Membership.objects.filter(pk=at_a.pk).update(joined_at=timezone.now() - timedelta(days=365))
    a_attempts = [take(cohort_blueprint, user=person, right=right, rng=rng) for right in (6, 6)]  # passed at A
    a_result = RealResult.objects.create(
        user=person, exam=cohort_blueprint.exam, session="2025#6", taken_on=timezone.localdate(), passed=True
    )
    membership_set_active(membership=at_a, active=False)
    at_b = MembershipFactory(
        user=person,
        organization=other_organization,
        department=DepartmentFactory(organization=other_organization, name="企画部"),
    )
    b_attempt = take(cohort_blueprint, user=person, right=1, rng=rng)  # failed at B
    refresh_statistics(now=timezone.now() + timedelta(minutes=5))
    return {"person": person, "a": a_attempts, "a_result": a_result, "b": b_attempt, "at_b": at_b, "at_a": at_a}


def api(client, organization, name, **params):
    _, key = api_token_create(organization=organization, name="test")
    response = client.get(reverse(f"api:{name}"), params, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    return response.json()["results"]


def member_csv(client, hr):
    client.force_login(hr)
    body = b"".join(client.get(reverse("hr:org_dashboard_csv", args=["members"])).streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_new_organization_sees_only_what_the_person_did_as_its_member(
    client, mover, other_organization, other_org_hr, cohort_blueprint
):
    b = other_organization
    # API: B's attempts and real results are B-era only.
    assert {a["id"] for a in api(client, b, "attempts")} >= {mover["b"].pk}
    assert not {a["id"] for a in api(client, b, "attempts")} & {a.pk for a in mover["a"]}
    assert [r for r in api(client, b, "real_results") if r["member"] == mover["at_b"].pk] == []

    # Dashboard member table (and its CSV): one mock, failed; no real result from A.
    [row] = [
        m
        for m in org_selectors.member_table(organization_id=b.pk, exam_id=cohort_blueprint.exam_id)
        if m.user_id == mover["person"].pk
    ]
    assert (row.attempts, row.real_passed) == (1, None)
    assert row.latest_score == row.best_score == pytest.approx(1 / 6)
    [line] = [r for r in member_csv(client, other_org_hr) if r[2] == "mover@example.jp"]
    assert line[4] == "1" and line[-2] == ""  # attempts; latest real result

    # Department figures: B-era mock only, no real result.
    _total, lines = org_selectors.by_department(organization_id=b.pk, exam_id=cohort_blueprint.exam_id)
    [planning] = [x for x in lines if x.label == "企画部"]
    assert (planning.attempts, planning.took_mock, planning.latest_passed, planning.real_taken) == (1, 1, 0, 0)


def test_the_former_organization_keeps_its_era_and_nothing_after(client, mover, organization, hr_manager):
    a = organization
    assert {x["id"] for x in api(client, a, "attempts")} == {x.pk for x in mover["a"]}
    assert [r["session"] for r in api(client, a, "real_results")] == ["2025#6"]
    # The dashboard lists current members only: the mover is not in A's member table or CSV any more ...
    assert "mover@example.jp" not in {r[2] for r in member_csv(client, hr_manager)}
    # ... while A's month figures keep the two mocks taken there.
    assert sum(r["attempts"] for r in api(client, a, "pass_rates", group_by="month")) == 2


def test_api_and_dashboard_agree_on_what_counts(client, mover, other_organization, cohort_blueprint):
    b = other_organization
    api_attempts = [x for x in api(client, b, "attempts") if x["member"] == mover["at_b"].pk]
    [row] = [
        m
        for m in org_selectors.member_table(organization_id=b.pk, exam_id=cohort_blueprint.exam_id)
        if m.user_id == mover["person"].pk
    ]
    assert len(api_attempts) == row.attempts
    latest = max(api_attempts, key=lambda x: x["started_at"])
    assert latest["score"] == pytest.approx(row.latest_score)
    assert Attempt.objects.filter(user=mover["person"]).count() == 3  # the other two exist, B just cannot see them
