"""HR sends a department's weak area to a drill (issue 17): the assignment form pre-filled from the dashboard, the
rules of a drill assignment, who may set one (another organization's department is an attack, refused), and the
member who starts the drill on exactly those areas from their home page and so completes it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptItem
from hr.models import Assignment
from hr.selectors import assignment_targets, assignments_for
from hr.services import assignment_create
from organizations.models import Department, Membership
from questions.models import SyllabusArea
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(organization):
    return Department.objects.create(organization=organization, name="営業部")


def new(**query) -> str:
    url = reverse("hr:assignment_new")
    return (
        url
        + "?"
        + "&".join(
            f"{k}={v}" for k, values in query.items() for v in ([values] if isinstance(values, (str, int)) else values)
        )
    )


def test_the_form_comes_pre_filled_with_the_department_the_drill_the_areas_and_a_due_date(
    client, hr_manager, sales, g_drill
):
    client.force_login(hr_manager)
    response = client.get(new(exam="g_kentei", department=sales.pk, areas=["G4.2", "G9.3"]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["blueprint"] == g_drill.pk and form.initial["departments"] == [sales]
    assert form.initial["areas"] == ["G4.2", "G9.3"] and form.initial["drill_count"] == 20
    assert form.initial["due_on"] == timezone.localdate() + timedelta(days=14)
    page = response.content.decode()
    assert f'<option value="{g_drill.pk}" selected>' in page
    assert 'value="G4.2"' in page and 'name="exam" value="g_kentei"' in page
    for code in ("G4.2", "G9.3"):  # checked, and shown before the other areas, which wait behind "more"
        box = page.index(f'value="{code}"')
        assert "checked" in page[box : page.index(">", box)] and box < page.index("<details")
    assert "checked" in page[page.index(f'name="departments" value="{sales.pk}"') :].split(">")[0]


@pytest.mark.parametrize(
    "query",
    [
        {"exam": "g_kentei", "areas": "E3.1"},  # an area of another exam
        {"exam": "g_kentei", "areas": "NOPE"},
        {"exam": "no_such_exam"},
        {"department": "x"},
    ],
)
def test_a_pre_fill_that_is_not_this_exams_or_makes_no_sense_is_a_404(client, hr_manager, g_drill, query):
    client.force_login(hr_manager)
    assert client.get(new(**query)).status_code == 404


def test_hr_sets_a_drill_on_a_weak_area_and_the_member_completes_it_from_home(
    client, organization, hr_manager, sales, g_drill
):
    member = MembershipFactory(organization=organization, department=sales)
    client.force_login(hr_manager)
    due = timezone.localdate() + timedelta(days=14)
    response = client.post(
        reverse("hr:assignment_new"),
        {
            "exam": "g_kentei",
            "blueprint": g_drill.pk,
            "areas": ["G4.2"],
            "drill_count": 3,
            "departments": [sales.pk],
            "due_on": due.isoformat(),
        },
    )
    assignment = Assignment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("hr:assignment_detail", args=[assignment.pk])
    assert [a.code for a in assignment.drill_areas.all()] == ["G4.2"] and assignment.drill_count == 3
    detail = client.get(response["Location"]).content.decode()
    assert "G4.2" in detail and "活性化関数" in detail

    # The member's home offers the drill on exactly that area, posted to the drill's start page.
    client.force_login(member.user)
    home = client.get(reverse("home")).content.decode()
    start = reverse("exams:start", args=[g_drill.slug])
    form = home[home.index(f'action="{start}"') : home.index("</form>", home.index(f'action="{start}"'))]
    assert 'name="areas" value="G4.2"' in form and form.count('name="areas"') == 1 and 'name="count" value="3"' in form
    response = client.post(start, {"areas": ["G4.2"], "count": 3})
    attempt = Attempt.objects.get(user=member.user)
    assert response.status_code == 200 and attempt.blueprint == g_drill
    assert set(AttemptItem.objects.filter(attempt=attempt).values_list("area__code", flat=True)) == {"G4.2"}
    assert assignments_for(user=member.user)[0].done_at is None  # not submitted yet
    client.post(reverse("exams:attempt_submit", args=[attempt.pk]))
    [mine] = assignments_for(user=member.user)
    assert mine.done_at is not None
    assert [m.done_at is not None for m in assignment_targets(assignment=assignment)] == [True]
    assert "この分野のドリルを始める" not in client.get(reverse("home")).content.decode()


def test_a_drill_assignment_needs_areas_of_its_exam_and_holds_no_keys(
    organization, hr_manager, sales, g_drill, cohort_blueprint
):
    common = {"organization": organization, "due_on": timezone.localdate(), "departments": [sales], "by": hr_manager}
    g42, e31 = SyllabusArea.objects.get(code="G4.2"), SyllabusArea.objects.get(code="E3.1")
    for refused in (
        {"blueprint": g_drill},  # which areas?
        {"blueprint": g_drill, "drill_areas": [e31]},  # an E資格 area on the G検定 drill
        {"blueprint": g_drill, "drill_areas": [g42], "drill_count": 101},
        {"blueprint": g_drill, "drill_areas": [g42], "hold_keys": True},  # would hide everyone's practice keys
        {"blueprint": cohort_blueprint, "drill_areas": [g42]},  # areas on a full mock
    ):
        with pytest.raises(ValidationError):
            assignment_create(**common, **refused)
    assignment = assignment_create(**common, blueprint=g_drill, drill_areas=[g42])
    assert assignment.drill_count == 10
    # A count left in the form when HR switches to a full mock is no drill.
    assert assignment_create(**common, blueprint=cohort_blueprint, drill_count=10).drill_count is None


def test_another_organizations_department_is_refused_over_http(
    client, organization, other_organization, hr_manager, other_org_hr, sales, g_drill
):
    """The attack: HR of one organization posts (or pre-fills) a department of another, to push a drill onto
    its people or learn its names."""
    foreign = Department.objects.create(organization=other_organization, name="他社の営業部")
    MembershipFactory(organization=other_organization, department=foreign)
    client.force_login(hr_manager)
    assert client.get(new(exam="g_kentei", department=foreign.pk, areas="G4.2")).status_code == 404
    response = client.post(
        reverse("hr:assignment_new"),
        {
            "exam": "g_kentei",
            "blueprint": g_drill.pk,
            "areas": ["G4.2"],
            "departments": [foreign.pk],
            "due_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400 and not Assignment.objects.exists()
    assert "他社の営業部" not in response.content.decode()
    # The other organization's HR cannot see this organization's department either.
    client.force_login(other_org_hr)
    assert client.get(new(exam="g_kentei", department=sales.pk, areas="G4.2")).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_hr_managers_and_admins_may_set_assignments(client, organization, sales, g_drill, method):
    url = new(exam="g_kentei", department=sales.pk, areas="G4.2")
    data = {"blueprint": g_drill.pk, "areas": ["G4.2"], "departments": [sales.pk], "due_on": "2030-01-01"}
    member = MembershipFactory(organization=organization, department=sales, role=Membership.Role.MEMBER)
    client.force_login(member.user)
    assert getattr(client, method)(url, data if method == "post" else None).status_code == 403
    client.logout()
    assert getattr(client, method)(url, data if method == "post" else None).status_code == 302  # to log in
    admin = MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN)
    client.force_login(admin.user)
    assert client.get(url).status_code == 200
    assert not Assignment.objects.exists()


def test_the_assignment_pages_read_a_fixed_number_of_queries_whatever_the_drill_assignments(
    client, organization, hr_manager, sales, g_drill
):
    areas = list(SyllabusArea.objects.filter(code__in=["G4.2", "G9.3", "G3.4"]))
    member = MembershipFactory(organization=organization, department=sales)

    def assign(n):
        for _ in range(n):
            assignment_create(
                organization=organization,
                blueprint=g_drill,
                due_on=timezone.localdate(),
                departments=[sales],
                drill_areas=areas,
                by=hr_manager,
            )

    def count(user, url):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assign(1)
    few = (count(hr_manager, reverse("hr:assignments")), count(member.user, reverse("home")))
    assign(4)
    assert (count(hr_manager, reverse("hr:assignments")), count(member.user, reverse("home"))) == few
