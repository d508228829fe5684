"""The HR dashboard: figures hand-computed from the hr_world fixture, the aggregates against a direct
computation from raw rows, CSV exports, who may see it, and query counts that ignore the organization's size."""

import csv
import io
import random

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import AttemptAreaResult
from hr import reports as org_selectors
from hr.models import MemberExamStat, OrgAreaStat, OrgMonthStat
from questions.models import SyllabusArea
from tests.factories import MembershipFactory
from tests.world import bulk_members, refresh_statistics, take

pytestmark = pytest.mark.django_db
LATER = timezone.timedelta(minutes=5)


def test_department_figures_are_the_hand_computed_ones(hr_world, organization):
    total, lines = org_selectors.by_department(organization_id=organization.pk, exam_id=hr_world.exam.pk)
    by_name = {line.label: line for line in lines}
    sales, dev = by_name["営業部"], by_name["開発部"]
    assert (sales.members, sales.took_mock, sales.latest_passed) == (2, 2, 1)  # s1's latest failed, s2 passed
    assert (sales.attempts, sales.attempts_passed) == (3, 2)
    assert (sales.real_taken, sales.real_passed) == (1, 1)
    assert (dev.members, dev.took_mock, dev.latest_passed, dev.attempts) == (1, 1, 0, 1)
    assert (dev.real_taken, dev.real_passed, dev.targets, dev.done) == (1, 0, 1, 1)
    # s1, s2, d1, n1, the org admin and the HR manager; nobody from the other organization
    assert total.members == 6
    assert (total.took_mock, total.latest_passed) == (3, 1)
    assert total.latest_pass_rate == pytest.approx(1 / 3)
    assert (total.attempts, total.attempts_passed) == (4, 2)
    assert (total.real_taken, total.real_passed, total.targets, total.done) == (2, 1, 2, 1)
    assert total.completion == 0.5


def test_aggregates_equal_a_direct_count_of_area_results(hr_world, organization, cohort_blueprint):
    rng = random.Random(3)
    for right in (3, 4, 6):  # more attempts, folded incrementally on top of the fixture's
        take(cohort_blueprint, user=hr_world.s2.user, right=right, rng=rng)
    refresh_statistics(now=timezone.now() + LATER)
    for department in (hr_world.sales, hr_world.dev):
        direct = (
            AttemptAreaResult.objects.filter(attempt__user__memberships__department=department)
            .values("area_id")
            .annotate(c=Sum("correct"), t=Sum("total"))
            .order_by()
        )
        folded = (
            OrgAreaStat.objects.filter(organization=organization, department=department)
            .values("area_id")
            .annotate(c=Sum("correct"), t=Sum("total"))
            .order_by()
        )
        assert {r["area_id"]: (r["c"], r["t"]) for r in folded} == {r["area_id"]: (r["c"], r["t"]) for r in direct}
    month = OrgMonthStat.objects.filter(organization=organization, department=hr_world.sales).aggregate(
        a=Sum("attempts"), p=Sum("passed")
    )
    assert month == {"a": 6, "p": 3}  # 6, 2, 5, 3, 4, 6 right of 6: passes need 5
    stat = MemberExamStat.objects.get(user=hr_world.s2.user, exam=hr_world.exam)
    assert (stat.attempts, stat.passed_attempts, stat.best_score, stat.latest_score) == (4, 2, 1.0, 1.0)


def test_an_attempt_counts_under_the_department_the_member_was_in(hr_world, organization, cohort_blueprint):
    hr_world.s1.department = hr_world.dev
    hr_world.s1.save()
    take(cohort_blueprint, user=hr_world.s1.user, right=6, rng=random.Random(1))
    refresh_statistics(now=timezone.now() + LATER)
    months = {
        r["department"]: r["a"]
        for r in OrgMonthStat.objects.filter(organization=organization)
        .values("department")
        .annotate(a=Sum("attempts"))
        .order_by()
    }
    assert months[hr_world.sales.pk] == 3 and months[hr_world.dev.pk] == 2  # history stays where it happened


def test_heatmap_and_weaknesses_read_only_this_organization(hr_world, organization):
    heat = org_selectors.heatmap(organization_id=organization.pk, exam_id=hr_world.exam.pk, since=_this_month())
    assert [a.code for a in heat.areas] == list(
        SyllabusArea.objects.filter(exam=hr_world.exam, parent=None, in_syllabus=True).values_list("code", flat=True)
    )
    names = [row.name for row in heat.rows]
    assert names == ["営業部", "開発部"]  # the other organization's 営業部 is not merged in
    g4 = [a.code for a in heat.areas].index("G4")
    direct = AttemptAreaResult.objects.filter(
        attempt__user__memberships__department=hr_world.sales, area__code="G4"
    ).aggregate(c=Sum("correct"), t=Sum("total"))
    assert heat.rows[0].rates[g4] == pytest.approx(direct["c"] / direct["t"])
    rows = org_selectors.weaknesses(organization_id=organization.pk, exam_code=hr_world.exam.code)
    assert {r.department for r in rows} == {"営業部", "開発部"}
    for department in ("営業部", "開発部"):
        rates = [r.rate for r in rows if r.department == department]
        assert rates == sorted(rates)  # weakest first


def _this_month():
    return timezone.localdate().replace(day=1)


def test_dashboard_page_shows_this_organization_only(client, hr_world, hr_manager, other_org_hr):
    client.force_login(hr_manager)
    page = client.get(reverse("hr:org_dashboard")).content.decode()
    assert "営業部" in page and "開発部" in page
    assert hr_world.s1.user.display_name in page and hr_world.o1.user.display_name not in page
    assert "33%" in page  # latest mock pass rate: 1 of the 3 who took one
    client.force_login(other_org_hr)
    page = client.get(reverse("hr:org_dashboard")).content.decode()
    assert hr_world.o1.user.display_name in page and hr_world.s1.user.display_name not in page
    assert "開発部" not in page


@pytest.mark.parametrize(
    "url",
    [
        reverse("hr:org_dashboard"),
        reverse("hr:org_dashboard_csv", args=["members"]),
        reverse("hr:org_dashboard_csv", args=["heatmap"]),
    ],
)
def test_candidates_may_not_see_the_dashboard(client, hr_world, url):
    client.force_login(hr_world.s1.user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_member_table_sorts_and_filters_in_sql(hr_world, organization):
    def names(**kwargs):
        rows = org_selectors.member_table(organization_id=organization.pk, exam_id=hr_world.exam.pk, **kwargs)
        return [m.pk for m in rows]

    assert names(readiness="ready") == [hr_world.s2.pk]
    assert hr_world.d1.pk in names(readiness="not_yet")  # 1/6
    for member in (hr_world.s1, hr_world.s2, hr_world.d1):  # each under the level its latest chance gives
        stat = MemberExamStat.objects.get(user=member.user, organization=organization)
        assert member.pk in names(readiness=stat.readiness)
    assert hr_world.n1.pk in names(readiness="not_taken") and hr_world.s1.pk not in names(readiness="not_taken")
    assert names(sort="latest")[:1] == [hr_world.s2.pk]  # 5/6 is the best latest score
    assert names(department_id=hr_world.dev.pk) == [hr_world.d1.pk]
    assert names(query=hr_world.d1.employee_code) == [hr_world.d1.pk]
    rows = {m.pk: m for m in org_selectors.member_table(organization_id=organization.pk, exam_id=hr_world.exam.pk)}
    assert rows[hr_world.s1.pk].best_score == 1.0 and rows[hr_world.s1.pk].latest_score == pytest.approx(2 / 6)
    assert rows[hr_world.s1.pk].real_passed is True and rows[hr_world.d1.pk].real_passed is False


def test_csv_exports_open_in_excel_and_match_the_page(client, hr_world, hr_manager):
    client.force_login(hr_manager)
    for view in ("departments", "months", "heatmap", "members"):
        response = client.get(reverse("hr:org_dashboard_csv", args=[view]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith("\ufeff")  # the BOM that makes Excel read UTF-8
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        if view == "departments":
            sales = next(r for r in rows if r[0] == "営業部")
            assert sales[1:4] == ["2", "2", "100.0"] and sales[4] == "50.0"
        if view == "members":
            codes = {r[0] for r in rows[1:]}
            assert hr_world.s1.employee_code in codes and hr_world.o1.employee_code not in codes
            assert len(rows) == 1 + 6
    assert client.get(reverse("hr:org_dashboard_csv", args=["secrets"])).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example","点数")',
        '＝HYPERLINK("http://evil.example")',
        "＋1+2",
        "－3",
        "＠SUM(A1)",
        '  =cmd|" /C calc"!A0',
        "\u3000＝1+1",
        "\t=1",
        "@A1",
    ],
)
def test_csv_cells_that_look_like_formulas_stay_text(client, hr_world, hr_manager, name):
    """Excel in Japan also runs full-width ＝＋－＠ formulas, and leading spaces do not stop it."""
    hr_world.s1.user.display_name = name
    hr_world.s1.user.save()
    client.force_login(hr_manager)
    response = client.get(reverse("hr:org_dashboard_csv", args=["members"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    cell = next(r[1] for r in rows if r[0] == hr_world.s1.employee_code)
    assert cell == "'" + name


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def test_dashboard_queries_are_the_same_for_3_and_300_members(client, hr_world, organization, hr_manager):
    client.force_login(hr_manager)
    urls = [
        reverse("hr:org_dashboard"),
        reverse("hr:org_dashboard") + "?sort=latest&readiness=ready",
        *(reverse("hr:org_dashboard_csv", args=[v]) for v in ("departments", "months", "heatmap", "members")),
    ]
    bulk_members(organization, 3, department=hr_world.sales, exam=hr_world.exam)
    few = [_queries(client, url) for url in urls]
    bulk_members(organization, 297, department=hr_world.dev, exam=hr_world.exam, start=3)
    assert [_queries(client, url) for url in urls] == few


def test_a_deactivated_member_leaves_the_counts_but_not_the_history(hr_world, organization):
    hr_world.s2.is_active = False
    hr_world.s2.save()
    _total, lines = org_selectors.by_department(organization_id=organization.pk, exam_id=hr_world.exam.pk)
    sales = next(line for line in lines if line.label == "営業部")
    assert (sales.members, sales.took_mock) == (1, 1)
    assert sales.attempts == 3  # the mocks s2 took still count in the department's history


def test_members_of_two_departments_months_and_the_chart(client, hr_world, hr_manager):
    MembershipFactory(organization=hr_world.sales.organization, department=hr_world.sales)
    client.force_login(hr_manager)
    page = client.get(reverse("hr:org_dashboard"), {"months": 3, "department": hr_world.dev.pk})
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body
    assert f"{timezone.localdate():%Y-%m}" in body


@pytest.mark.parametrize("view", ["departments", "months", "heatmap", "members"])
def test_csvs_are_private_and_never_stored(client, hr_world, hr_manager, view):
    """Members' figures must not stay in a shared proxy or the browser's disk cache."""
    client.force_login(hr_manager)
    response = client.get(reverse("hr:org_dashboard_csv", args=[view]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
