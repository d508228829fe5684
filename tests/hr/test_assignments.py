"""Assignments (HR asks departments or people to take a blueprint by a date) and real exam results."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from hr.models import RealResult
from hr.selectors import assignment_targets, assignments_for, assignments_of
from hr.services import assignment_create, real_result_record
from organizations.models import Department, Membership
from tests.factories import MembershipFactory
from tests.world import bulk_members, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(organization):
    return Department.objects.create(organization=organization, name="営業部")


def test_completion_counts_departments_and_named_members_once(organization, hr_manager, sales, cohort_blueprint):
    rng = random.Random(1)
    on_time = MembershipFactory(organization=organization, department=sales)
    late = MembershipFactory(organization=organization, department=sales)
    pending = MembershipFactory(organization=organization, department=sales)
    named = MembershipFactory(organization=organization)  # another department, named in person
    gone = MembershipFactory(organization=organization, department=sales, is_active=False)
    before = take(cohort_blueprint, user=pending.user, right=6, rng=rng)  # taken before the assignment opens
    Attempt.objects.filter(pk=before.pk).update(started_at=timezone.now() - timedelta(days=3))
    today = timezone.localdate()
    assignment = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=today + timedelta(days=3),
        departments=[sales],
        members=[named, on_time],
        by=hr_manager,
    )
    take(cohort_blueprint, user=on_time.user, right=1, rng=rng)  # failing still completes it
    take(cohort_blueprint, user=late.user, right=6, rng=rng)
    Attempt.objects.filter(user=late.user).update(submitted_at=assignment.due_at + timedelta(hours=1))
    take(cohort_blueprint, user=gone.user, right=6, rng=rng)

    [row] = assignments_of(organization_id=organization.pk)
    assert (row.targets, row.done, row.done_on_time) == (4, 2, 1)  # on_time, late, pending, named
    status = {m.pk: m.done_at for m in assignment_targets(assignment=assignment)}
    assert set(status) == {on_time.pk, late.pk, pending.pk, named.pk}
    assert status[pending.pk] is None and status[named.pk] is None and status[late.pk] > assignment.due_at


def test_assignment_rules(organization, other_organization, hr_manager, candidate, sales, cohort_blueprint):
    today = timezone.localdate()
    foreign = Department.objects.create(organization=other_organization, name="他社")
    with pytest.raises(ValidationError):
        assignment_create(organization=organization, blueprint=cohort_blueprint, due_on=today, by=hr_manager)
    with pytest.raises(ValidationError):
        assignment_create(
            organization=organization,
            blueprint=cohort_blueprint,
            due_on=today - timedelta(days=1),
            departments=[sales],
            by=hr_manager,
        )
    with pytest.raises(ValidationError):
        assignment_create(
            organization=organization, blueprint=cohort_blueprint, due_on=today, departments=[foreign], by=hr_manager
        )
    member = MembershipFactory(organization=organization, department=sales).user
    with pytest.raises(PermissionDenied):
        assignment_create(
            organization=organization, blueprint=cohort_blueprint, due_on=today, departments=[sales], by=member
        )


def test_members_see_their_assignments_on_the_home_page(client, organization, hr_manager, sales, cohort_blueprint):
    member = MembershipFactory(organization=organization, department=sales)
    outsider = MembershipFactory(organization=organization)
    assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=5),
        departments=[sales],
        note="12月までに",
        by=hr_manager,
    )
    client.force_login(member.user)
    page = client.get(reverse("home")).content.decode()
    assert "組織からの課題" in page and "12月までに" in page and f'href="/exams/{cohort_blueprint.slug}/"' in page
    take(cohort_blueprint, user=member.user, right=3, rng=random.Random(2))
    [mine] = assignments_for(user=member.user)
    assert mine.done_at is not None and not mine.overdue
    assert "完了" in client.get(reverse("home")).content.decode()
    client.force_login(outsider.user)
    assert "組織からの課題" not in client.get(reverse("home")).content.decode()


def test_hr_creates_and_reads_assignments_in_the_app(client, organization, hr_manager, sales, cohort_blueprint):
    person = MembershipFactory(organization=organization, employee_code="E777")
    client.force_login(hr_manager)
    due = timezone.localdate() + timedelta(days=10)
    response = client.post(
        reverse("hr:assignment_new"),
        {
            "blueprint": cohort_blueprint.pk,
            "due_on": due.isoformat(),
            "departments": [sales.pk],
            "people": "E777\n",
        },
    )
    [row] = assignments_of(organization_id=organization.pk)
    assert response.status_code == 302 and response["Location"] == reverse("hr:assignment_detail", args=[row.pk])
    assert row.due_on == due and list(row.members.all()) == [person] and list(row.departments.all()) == [sales]
    detail = client.get(reverse("hr:assignment_detail", args=[row.pk])).content.decode()
    assert person.user.display_name in detail and "未完了" in detail
    bad = client.post(
        reverse("hr:assignment_new"),
        {
            "blueprint": cohort_blueprint.pk,
            "due_on": due.isoformat(),
            "people": "nobody@example.jp",
        },
    )
    assert "nobody@example.jp" in bad.content.decode() and len(assignments_of(organization_id=organization.pk)) == 1


def test_assignment_views_are_for_hr_of_the_same_organization(
    client, organization, other_org_hr, hr_manager, sales, cohort_blueprint
):
    assignment = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate(),
        departments=[sales],
        by=hr_manager,
    )
    client.force_login(other_org_hr)
    assert client.get(reverse("hr:assignment_detail", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("hr:assignments"), {"delete": assignment.pk}).status_code == 404
    assert assignment.__class__.objects.filter(pk=assignment.pk).exists()
    listed = client.get(reverse("hr:assignments")).content.decode()
    assert reverse("hr:assignment_detail", args=[assignment.pk]) not in listed
    member = MembershipFactory(organization=organization, department=sales).user
    client.force_login(member)
    assert client.get(reverse("hr:assignments")).status_code == 403
    assert client.get(reverse("hr:assignment_detail", args=[assignment.pk])).status_code == 403


def test_assignment_list_queries_do_not_grow_with_members(client, organization, hr_manager, sales, cohort_blueprint):
    assignment = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate(),
        departments=[sales],
        by=hr_manager,
    )
    client.force_login(hr_manager)
    urls = [reverse("hr:assignments"), reverse("hr:assignment_detail", args=[assignment.pk])]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    bulk_members(organization, 3, department=sales, exam=cohort_blueprint.exam)
    few = counts()
    bulk_members(organization, 297, department=sales, exam=cohort_blueprint.exam, start=3)
    assert counts() == few


def test_members_record_their_real_results_and_hr_records_for_them(
    client, organization, other_organization, hr_manager, other_org_hr, cohort_blueprint
):
    exam = cohort_blueprint.exam
    member = MembershipFactory(organization=organization)
    client.force_login(member.user)
    form = {"exam": exam.pk, "session": "2025#6", "taken_on": "2025-11-08", "passed": "on"}
    assert client.post(reverse("hr:real_results"), form).status_code == 302
    assert client.post(reverse("hr:real_results"), {**form, "passed": ""}).status_code == 302  # a correction
    [result] = RealResult.objects.filter(user=member.user)
    assert (result.session, result.passed, result.recorded_by) == ("2025#6", False, member.user)
    bad = client.post(reverse("hr:real_results"), {**form, "session": "第6回"}).content.decode()
    assert "2025#6" in bad and RealResult.objects.count() == 1

    client.force_login(hr_manager)
    url = reverse("hr:real_results") + f"?member={member.pk}"
    assert client.post(url, {**form, "session": "2026#1", "taken_on": "2026-01-10"}).status_code == 302
    assert RealResult.objects.get(session="2026#1").user == member.user
    client.force_login(other_org_hr)
    assert client.get(url).status_code == 404  # another organization's member
    assert client.post(url, {**form, "session": "2026#2"}).status_code == 404
    with pytest.raises(PermissionDenied):
        real_result_record(
            user=member.user, exam=exam, session="2026#3", taken_on=timezone.localdate(), passed=True, by=other_org_hr
        )
    with pytest.raises(ValidationError):
        real_result_record(
            user=member.user,
            exam=exam,
            session="2026#3",
            taken_on=timezone.localdate() + timedelta(days=2),
            passed=True,
            by=member.user,
        )
    client.force_login(MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user)
    assert client.get(url).status_code == 403  # a colleague is not HR


def test_a_member_without_a_department_sees_only_assignments_naming_them(
    organization, hr_manager, sales, cohort_blueprint
):
    loner = MembershipFactory(organization=organization, department=None)
    named = MembershipFactory(organization=organization, department=None)
    assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate(),
        members=[named],
        by=hr_manager,
    )
    assert assignments_for(user=loner.user) == []
    assert len(assignments_for(user=named.user)) == 1


def test_an_unconfirmed_address_cannot_record_real_results_until_its_link_is_opened(client, cohort_blueprint):
    """Issue 1/8 item 9: someone signed up with an address they may not own records nothing that HR reads."""
    from accounts.services import email_confirmation_token
    from tests.factories import UserFactory

    person = UserFactory(email_confirmed_at=None)
    client.force_login(person)
    form = {"exam": cohort_blueprint.exam.pk, "session": "2025#6", "taken_on": "2025-11-08", "passed": "on"}
    refused = client.post(reverse("hr:real_results"), form)
    assert refused.status_code == 200 and "メールアドレスの確認" in refused.content.decode()
    assert not RealResult.objects.exists()

    client.get(reverse("email_confirm", args=[email_confirmation_token(person)]))
    assert client.post(reverse("hr:real_results"), form).status_code == 302
    assert RealResult.objects.filter(user=person).count() == 1
