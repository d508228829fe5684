"""The HR endpoints (pass rates, weaknesses, assignments, real results) and the cross-tenant matrix for
every API endpoint: another organization's token finds nothing of this one, revoked tokens are refused,
and no list costs more queries with 300 members than with 3."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hr.models import RealResult
from organizations.services import api_token_create, api_token_revoke
from tests.world import bulk_members

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def get(client, key, name, *args, **params):
    return client.get(reverse(f"api:{name}", args=args), params, **bearer(key))


def test_pass_rates_grouped_any_way(client, hr_world, keys):
    key, _ = keys
    by_department = get(client, key, "pass_rates", group_by="department").json()["results"]
    assert {(r["department"], r["attempts"], r["passed"]) for r in by_department} == {
        ("営業部", 3, 2),
        ("開発部", 1, 0),
    }
    assert "blueprint" not in by_department[0] and "month" not in by_department[0]
    [whole] = get(client, key, "pass_rates", group_by="blueprint").json()["results"]
    assert (whole["blueprint"], whole["attempts"], whole["passed"], whole["pass_rate"]) == ("cohort", 4, 2, 0.5)
    this_month = f"{timezone.localdate():%Y-%m}"
    rows = get(client, key, "pass_rates", group_by="department,month", exam="g_kentei").json()["results"]
    assert {r["month"] for r in rows} == {this_month} and len(rows) == 2
    assert get(client, key, "pass_rates", group_by="month", since="2000-01", until="2000-12").json()["results"] == []
    only_dev = get(client, key, "pass_rates", group_by="department", department=hr_world.dev.pk).json()["results"]
    assert [r["department_id"] for r in only_dev] == [hr_world.dev.pk]
    error = get(client, key, "pass_rates", group_by="salary")
    assert error.status_code == 400 and error.json()["error"]["code"] == "invalid"
    assert get(client, key, "pass_rates", since="yesterday").status_code == 400


def test_weaknesses_by_department(client, hr_world, keys):
    key, _ = keys
    rows = get(client, key, "weaknesses", exam="g_kentei").json()["results"]
    assert {r["department"] for r in rows} == {"営業部", "開発部"}
    for r in rows:
        assert r["rate"] == pytest.approx(r["correct"] / r["total"])
        assert r["gap"] == pytest.approx(r["rate"] - r["organization_rate"])
    leaves = get(client, key, "weaknesses", exam="g_kentei", level="leaf").json()["results"]
    assert {r["area_code"].count(".") for r in leaves} == {1}  # G4.2, G3.4: leaves, not top levels
    assert get(client, key, "weaknesses").status_code == 400  # which exam is required


def test_assignments_and_who_has_done_them(client, hr_world, keys):
    key, _ = keys
    [row] = get(client, key, "assignments").json()["results"]
    assert (row["id"], row["targets"], row["done"], row["done_on_time"]) == (hr_world.assignment.pk, 2, 1, 1)
    assert row["departments"] == [hr_world.dev.pk] and row["members"] == [hr_world.n1.pk]
    assert (row["drill_areas"], row["drill_count"]) == ([], None)  # a full mock's assignment
    members = get(client, key, "assignment_members", hr_world.assignment.pk).json()["results"]
    done = {m["member"]: m["done_at"] for m in members}
    assert set(done) == {hr_world.d1.pk, hr_world.n1.pk} and done[hr_world.n1.pk] is None and done[hr_world.d1.pk]


def test_real_results_sync(client, hr_world, keys):
    key, _ = keys
    rows = get(client, key, "real_results").json()["results"]
    assert {(r["member"], r["session"], r["passed"]) for r in rows} == {
        (hr_world.s1.pk, "2025#6", True),
        (hr_world.d1.pk, "2025#6", False),
    }
    assert [r["member"] for r in get(client, key, "real_results", passed="false").json()["results"]] == [hr_world.d1.pk]
    since = timezone.now()
    RealResult.objects.filter(user=hr_world.s1.user).update(updated_at=since + timezone.timedelta(seconds=1))
    changed = get(client, key, "real_results", updated_since=since.isoformat()).json()["results"]
    assert [r["member"] for r in changed] == [hr_world.s1.pk]


LISTS = ["departments", "members", "attempts", "pass_rates", "weaknesses", "assignments", "real_results"]
PARAMS = {"weaknesses": {"exam": "g_kentei"}, "pass_rates": {"group_by": "department,blueprint,month"}}


def test_another_organizations_token_finds_nothing_of_this_one(client, hr_world, keys, organization):
    _, other_key = keys
    ours = {
        "departments": {hr_world.sales.pk, hr_world.dev.pk},
        "members": {hr_world.s1.pk, hr_world.s2.pk, hr_world.d1.pk, hr_world.n1.pk},
        "assignments": {hr_world.assignment.pk},
    }
    for name in LISTS:
        response = get(client, other_key, name, **PARAMS.get(name, {}))
        assert response.status_code == 200, name
        results = response.json()["results"]
        assert not ({r.get("id") for r in results} & ours.get(name, set())), name
        text = response.content.decode()
        assert "開発部" not in text, name  # a name only this organization has
        assert hr_world.s1.user.email not in text, name
    # Every id of this organization, asked for directly or as a filter, is not found.
    # As filters they are refused like ids of nobody (400, the same answer), never an empty or a full list.
    for member in (hr_world.s1, hr_world.d1):
        assert get(client, other_key, "member", member.pk).status_code == 404
        for name in ("attempts", "real_results"):
            refused = get(client, other_key, name, member=member.pk)
            assert refused.status_code == 400 and refused.json() == get(client, other_key, name, member=10**12).json()
    assert get(client, other_key, "assignment_members", hr_world.assignment.pk).status_code == 404
    assert get(client, other_key, "attempts", department=hr_world.sales.pk).status_code == 400
    assert get(client, other_key, "pass_rates", department=hr_world.sales.pk).status_code == 400
    assert get(client, other_key, "weaknesses", exam="g_kentei", department=hr_world.dev.pk).status_code == 400
    summary = get(client, other_key, "organization").json()
    assert summary["id"] != organization.pk and summary["members"] == 2  # o1 and the other HR manager


def test_revoked_and_missing_tokens_get_401_everywhere(client, hr_world, organization):
    token, key = api_token_create(organization=organization, name="to revoke")
    api_token_revoke(token=token)
    names = [(n, ()) for n in [*LISTS, "organization"]]
    names += [("member", (hr_world.s1.pk,)), ("assignment_members", (hr_world.assignment.pk,))]
    for name, args in names:
        assert get(client, key, name, *args).status_code == 401, name
        response = client.get(reverse(f"api:{name}", args=args))
        assert response.status_code == 401 and response.json()["error"]["status"] == 401, name
    client.force_login(hr_world.admin)  # a browser session is not an API credential
    assert client.get(reverse("api:members")).status_code == 401


def test_every_list_costs_the_same_queries_for_3_and_300_members(client, hr_world, keys, organization):
    key, _ = keys
    names = [(n, ()) for n in LISTS] + [("assignment_members", (hr_world.assignment.pk,))]

    def counts():
        result = {}
        for name, args in names:
            with CaptureQueriesContext(connection) as ctx:
                params = PARAMS.get(name, {"page_size": 1000})  # lists page; aggregates take no page size
                response = client.get(reverse(f"api:{name}", args=args), params, **bearer(key))
                assert response.status_code == 200, (name, response.content)
            result[name] = len(ctx.captured_queries)
        return result

    get(client, key, "organization")  # the token's first use records last_used_at
    bulk_members(organization, 3, department=hr_world.dev, exam=hr_world.exam)
    few = counts()
    bulk_members(organization, 297, department=hr_world.dev, exam=hr_world.exam, start=3)
    assert counts() == few
    assert len(get(client, key, "assignment_members", hr_world.assignment.pk, page_size=1000).json()["results"]) == 302


def test_the_schema_has_every_endpoint_with_examples(client):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/pass-rates",
        "/api/v1/weaknesses",
        "/api/v1/assignments",
        "/api/v1/assignments/{id}/members",
        "/api/v1/real-results",
    } <= paths
    pass_rates = schema["paths"]["/api/v1/pass-rates"]["get"]
    assert "examples" in pass_rates["responses"]["200"]["content"]["application/json"]
    assert {p["name"] for p in pass_rates["parameters"]} >= {"group_by", "exam", "since", "until", "department"}


def test_a_former_organization_sees_nothing_from_after_the_person_left(
    client, hr_world, keys, organization, other_organization, cohort_blueprint
):
    """Someone leaves this organization and joins another, which has a private blueprint: what they do
    there (attempts, pass rates, real results) is not this organization's to read."""
    import random

    from exams.models import Blueprint, BlueprintQuota
    from organizations.services import membership_set_active
    from tests.factories import MembershipFactory
    from tests.world import refresh_statistics, take

    key, _ = keys
    person = hr_world.d1
    before = {a["id"] for a in get(client, key, "attempts", member=person.pk).json()["results"]}
    membership_set_active(membership=person, active=False)
    MembershipFactory(user=person.user, organization=other_organization)
    private = Blueprint.objects.create(
        exam=cohort_blueprint.exam, name="社外秘", slug="beta-secret", minutes=30, question_count=6
    )
    private.organizations.add(other_organization)
    for quota in cohort_blueprint.quotas.all():
        BlueprintQuota.objects.create(blueprint=private, area=quota.area, count=quota.count)
    take(private, user=person.user, right=6, rng=random.Random(1))
    take(cohort_blueprint, user=person.user, right=6, rng=random.Random(2))
    RealResult.objects.create(
        user=person.user, exam=hr_world.exam, session="2026#1", taken_on=timezone.localdate(), passed=True
    )
    refresh_statistics(now=timezone.now() + timezone.timedelta(minutes=5))

    after = {a["id"] for a in get(client, key, "attempts", member=person.pk).json()["results"]}
    assert after == before  # the attempts from their time here stay; nothing newer appears
    blueprints = {r["blueprint"] for r in get(client, key, "pass_rates", group_by="blueprint").json()["results"]}
    assert blueprints == {"cohort"}
    [dev] = [
        r
        for r in get(client, key, "pass_rates", group_by="department").json()["results"]
        if r["department"] == "開発部"
    ]
    assert dev["attempts"] == 1
    sessions = {r["session"] for r in get(client, key, "real_results", member=person.pk).json()["results"]}
    assert sessions == {"2025#6"}


def test_a_drill_assignment_names_its_areas(client, hr_world, keys, hr_manager):
    from exams.models import Blueprint
    from hr.services import assignment_create
    from questions.models import SyllabusArea

    key, _ = keys
    drill = Blueprint.objects.create(
        exam=hr_world.exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True
    )
    assignment_create(
        organization=hr_world.sales.organization,
        blueprint=drill,
        due_on=timezone.localdate() + timezone.timedelta(days=14),
        departments=[hr_world.sales],
        drill_areas=list(SyllabusArea.objects.filter(code__in=["G4.2", "G3"])),
        drill_count=12,
        by=hr_manager,
    )
    rows = {r["blueprint"]: r for r in get(client, key, "assignments").json()["results"]}
    assert (sorted(rows["g-drill"]["drill_areas"]), rows["g-drill"]["drill_count"]) == (["G3", "G4.2"], 12)


def test_api_answers_are_private_and_never_stored(client, hr_world, keys):
    """Tokens feed HR systems over proxies: no member data may be cached on the way."""
    key, _ = keys
    for name in ("members", "attempts", "pass_rates", "real_results"):
        response = get(client, key, name)
        assert response.status_code == 200, name
        assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}, name
