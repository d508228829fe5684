"""The dashboard's 「弱い分野」 (issue 17): per department its weakest syllabus leaves beside the organization's rate,
never an area resting on a handful of answers, in one query whatever the number of departments; and the
heatmap cells that offer a drill."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hr import reports
from hr.models import OrgAreaStat
from organizations.models import Department
from questions.models import SyllabusArea

pytestmark = pytest.mark.django_db


def stat(organization, department, code: str, correct: int, total: int):
    """This month's figures for a leaf and, as the fold writes them, its top-level area (each test's only leaf
    there)."""
    leaf = SyllabusArea.objects.get(code=code)
    for area_id in (leaf.pk, leaf.parent_id):
        OrgAreaStat.objects.create(
            organization=organization,
            department=department,
            area_id=area_id,
            month=timezone.localdate().replace(day=1),
            correct=correct,
            total=total,
        )


@pytest.fixture
def weak_world(organization, other_organization):
    sales = Department.objects.create(organization=organization, name="営業部")
    dev = Department.objects.create(organization=organization, name="開発部")
    for code, correct, total in [
        ("G4.2", 16, 30),
        ("G3.4", 18, 30),
        ("G9.3", 2, 8),
        ("G2.1", 29, 30),
        ("G5.1", 25, 30),
    ]:
        stat(organization, sales, code, correct, total)
    for code, correct, total in [("G4.2", 24, 30), ("G3.4", 12, 30)]:
        stat(organization, dev, code, correct, total)
    beta = Department.objects.create(organization=other_organization, name="営業部")
    stat(other_organization, beta, "G4.2", 0, 100)  # another organization's weakness: never read here
    return sales, dev


def test_each_department_gets_its_weakest_leaves_on_enough_answers(weak_world, organization):
    sales, dev = weak_world
    lines = reports.weak_areas(organization_id=organization.pk, exam_code="g_kentei")
    assert [(d.department_id, d.department) for d in lines] == [(sales.pk, "営業部"), (dev.pk, "開発部")]
    by_department = {d.department_id: d for d in lines}
    # G9.3 is the lowest (2 of 8) but rests on fewer than MIN_ANSWERS answers: left out, and counted as such.
    assert by_department[sales.pk].area_codes == ["G4.2", "G3.4", "G5.1"] and by_department[sales.pk].thin == 1
    assert by_department[dev.pk].area_codes == ["G3.4", "G4.2"] and by_department[dev.pk].thin == 0
    g42 = by_department[sales.pk].areas[0]
    assert (g42.correct, g42.total) == (16, 30) and g42.area == "活性化関数"
    assert g42.organization_rate == pytest.approx(40 / 60)  # both departments, not the other organization's 0/100
    only_dev = reports.weak_areas(organization_id=organization.pk, exam_code="g_kentei", department_id=dev.pk)
    assert [d.department_id for d in only_dev] == [dev.pk]


def test_the_weak_areas_are_one_query_for_2_or_12_departments(weak_world, organization, django_assert_num_queries):
    with django_assert_num_queries(1):  # the department × leaf sums, the organization's rates added up in Python
        assert len(reports.weak_areas(organization_id=organization.pk, exam_code="g_kentei")) == 2
    for i in range(10):
        department = Department.objects.create(organization=organization, name=f"部署{i:02d}")
        stat(organization, department, "G4.2", i, 20)
        stat(organization, department, "G3.4", 20 - i, 20)
    with django_assert_num_queries(1):
        assert len(reports.weak_areas(organization_id=organization.pk, exam_code="g_kentei")) == 12


def test_the_dashboard_lists_them_with_a_link_to_assign_a_drill_in_constant_queries(
    client, weak_world, organization, hr_manager
):
    sales, _dev = weak_world
    client.force_login(hr_manager)

    def dashboard():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("hr:org_dashboard"))
        return response.content.decode(), len(ctx.captured_queries)

    page, few = dashboard()
    section = page[page.index('id="weak-title"') : page.index('id="members-title"')]
    assert section.index("G4.2") < section.index("G3.4") < section.index("G5.1") and "G9.3" not in section
    assert "解答 30 件" in section and "53%" in section
    link = f"{reverse('hr:assignment_new')}?exam=g_kentei&amp;department={sales.pk}&amp;areas=G4.2"
    assert f'href="{link}"' in section
    for i in range(10):
        department = Department.objects.create(organization=organization, name=f"部署{i:02d}")
        stat(organization, department, "G4.2", i, 20)
    page, many = dashboard()
    assert many == few and page.count('class="weak-action"') == 3 + 2 + 10


def test_heatmap_cells_below_the_pass_line_on_enough_answers_offer_a_drill(weak_world, organization):
    sales, dev = weak_world
    stat(organization, dev, "G9.1", 1, 4)  # 25%, but on 4 answers
    heat = reports.heatmap(
        organization_id=organization.pk,
        exam_id=SyllabusArea.objects.get(code="G4").exam_id,
        since=timezone.localdate().replace(day=1),
    )
    rows = {row.department_id: {c.area.code: c for c in row.cells} for row in heat.rows}
    assert rows[sales.pk]["G4"].weak and rows[sales.pk]["G4"].rate == pytest.approx(16 / 30)
    assert not rows[sales.pk]["G2"].weak  # 29 of 30: above the line
    assert not rows[dev.pk]["G9"].weak and rows[dev.pk]["G9"].total == 4  # 25% on 4 answers: too thin
    assert not any(c.weak for c in heat.organization)  # the organization's row is no department to assign
