"""Expected passes at the next real exam, per department and for the organization: on the dashboard, in its
CSV and over the API, from each member's latest full mock, for this organization only."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from common import irt
from exams.models import Attempt
from hr import reports
from hr.models import MemberExamStat
from organizations.services import api_token_create
from tests.world import bulk_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(hr_world, organization, other_organization):
    """An API key of each organization of hr_world: (this one's, the other's)."""
    return (
        api_token_create(organization=organization, name="a")[1],
        api_token_create(organization=other_organization, name="b")[1],
    )


def latest_prediction(membership) -> tuple[float, float, float]:
    attempt = Attempt.objects.filter(user=membership.user).order_by("-started_at").first()
    return attempt.pass_probability, attempt.pass_low, attempt.pass_high


def expected_of(*members) -> tuple[float, float, float]:
    p, low, high = zip(*(latest_prediction(m) for m in members), strict=True)
    return irt.expected_passes(
        len(p), sum(p), sum(x * (1 - x) for x in p), sum(h - lo for lo, h in zip(low, high, strict=True))
    )


def test_each_department_expects_the_sum_of_its_sitters_chances(hr_world):
    w = hr_world
    total, lines = reports.by_department(organization_id=w.sales.organization_id, exam_id=w.exam.pk)
    by_key = {line.key: line for line in lines}
    # s1 passed the real exam already and does not sit again; n1 took no mock; o1 is another organization's.
    assert (by_key[w.sales.pk].sitting, by_key[w.dev.pk].sitting, total.sitting) == (1, 1, 2)
    assert by_key[w.sales.pk].expected_passes == pytest.approx(expected_of(w.s2))
    assert by_key[w.dev.pk].expected_passes == pytest.approx(expected_of(w.d1))
    assert total.expected_passes == pytest.approx(expected_of(w.s2, w.d1))


def test_a_member_whose_latest_mock_is_old_is_not_expected_to_sit(hr_world):
    w = hr_world
    MemberExamStat.objects.filter(user=w.s2.user).update(
        latest_at=timezone.now() - reports.SITTING_WINDOW - timezone.timedelta(days=1)
    )
    total, _ = reports.by_department(organization_id=w.sales.organization_id, exam_id=w.exam.pk)
    assert total.sitting == 1
    assert total.expected_passes == pytest.approx(expected_of(w.d1))


def test_the_dashboard_and_its_csv_show_expected_passes_and_each_members_chance(client, hr_world, hr_manager):
    w = hr_world
    client.force_login(hr_manager)
    page = client.get(reverse("hr:org_dashboard")).content.decode()
    assert "次回本番の合格見込み" in page and "本番の合格可能性" in page
    expected, low, high = expected_of(w.s2, w.d1)
    assert f"{expected:.1f} 人" in page
    p, _, _ = latest_prediction(w.s2)
    assert f"{p * 100:.0f}%" in page

    header, *lines = csv_rows(client, "departments")
    column = header.index("次回本番の合格見込み")
    organization = lines[-1]
    assert organization[column - 1 : column + 3] == ["2", f"{expected:.1f}", f"{low:.1f}", f"{high:.1f}"]

    header, *lines = csv_rows(client, "members")
    [s2] = [line for line in lines if line[header.index("メールアドレス")] == w.s2.user.email]
    assert s2[header.index("本番の合格可能性(%)")] == f"{p * 100:.1f}"


def csv_rows(client, view: str) -> list[list[str]]:
    response = client.get(reverse("hr:org_dashboard_csv", args=[view]))
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_members_sort_by_their_chance_of_passing(hr_world):
    w = hr_world
    members = reports.member_table(organization_id=w.sales.organization_id, exam_id=w.exam.pk, sort="chance")
    chances = [m.pass_probability for m in members if m.pass_probability is not None]
    assert chances == sorted(chances, reverse=True) and len(chances) == 3  # s1, s2, d1


def test_the_api_gives_expected_passes_for_this_organization_only(client, keys, hr_world):
    w = hr_world
    mine, theirs = keys
    response = client.get(reverse("api:expected_passes"), HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["department_id"] for r in rows} >= {w.sales.pk, w.dev.pk, 0, None}
    assert {r["department_id"]: r["sitting"] for r in rows if r["sitting"]} == {w.sales.pk: 1, w.dev.pk: 1, None: 2}
    [organization] = [r for r in rows if r["department_id"] is None]
    assert (organization["sitting"], organization["expected_passes"]) == (2, pytest.approx(expected_of(w.s2, w.d1)[0]))

    other = client.get(reverse("api:expected_passes"), HTTP_AUTHORIZATION=f"Bearer {theirs}").json()["results"]
    assert w.sales.pk not in {r["department_id"] for r in other}
    assert [r["sitting"] for r in other if r["department_id"] is None] == [0]  # o1 passed for real


def test_the_api_refuses_unknown_parameters_and_exams(client, keys):
    mine, _ = keys
    for query in ({"department": 1}, {"exam": "toeic"}):
        response = client.get(reverse("api:expected_passes"), query, HTTP_AUTHORIZATION=f"Bearer {mine}")
        assert response.status_code == 400


def test_attempts_over_the_api_carry_their_scaled_score_and_chance(client, keys, hr_world):
    mine, _ = keys
    rows = client.get(reverse("api:attempts"), HTTP_AUTHORIZATION=f"Bearer {mine}").json()["results"]
    attempt = Attempt.objects.get(pk=rows[0]["id"])
    assert rows[0]["scaled_score"] == attempt.scaled_score is not None
    assert rows[0]["pass_probability"] == pytest.approx(attempt.pass_probability)
    assert rows[0]["pass_low"] <= rows[0]["pass_probability"] <= rows[0]["pass_high"]


@pytest.mark.parametrize("members", [3, 300])
def test_expected_passes_cost_the_same_queries_for_3_and_300_members(
    client, organization, cohort_blueprint, members, django_assert_max_num_queries
):
    bulk_members(organization, members, exam=cohort_blueprint.exam)
    _, key = api_token_create(organization=organization, name="count")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api:expected_passes"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.json()["results"][-1]["sitting"] == (members + 1) // 2  # the others passed for real
