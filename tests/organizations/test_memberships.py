import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organizations.models import Membership
from organizations.services import membership_add
from tests.factories import DepartmentFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_roles_decide_who_sees_reports_and_who_manages_people():
    member = MembershipFactory(role=Membership.Role.MEMBER)
    hr = MembershipFactory(role=Membership.Role.HR_MANAGER)
    admin = MembershipFactory(role=Membership.Role.ORG_ADMIN)
    assert (member.can_see_reports, hr.can_see_reports, admin.can_see_reports) == (False, True, True)
    assert (member.can_manage_people, hr.can_manage_people, admin.can_manage_people) == (False, False, True)


def test_employee_code_is_unique_within_an_organization_but_not_across():
    org, other = OrganizationFactory(), OrganizationFactory()
    MembershipFactory(organization=org, employee_code="A100")
    MembershipFactory(organization=other, employee_code="A100")  # another company may reuse it
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(organization=org, employee_code="A100")


def test_blank_employee_codes_do_not_collide():
    org = OrganizationFactory()
    MembershipFactory(organization=org, employee_code="")
    MembershipFactory(organization=org, employee_code="")
    assert Membership.objects.filter(organization=org).count() == 2


def test_a_user_belongs_to_an_organization_once():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user, organization=membership.organization)


def test_department_must_belong_to_the_same_organization():
    org, other = OrganizationFactory(), OrganizationFactory()
    foreign_department = DepartmentFactory(organization=other)
    with pytest.raises(ValidationError) as excinfo:
        membership_add(user=UserFactory(), organization=org, department=foreign_department)
    assert "department" in excinfo.value.message_dict
    assert not Membership.objects.exists()


def test_department_tree_refuses_cycles_and_foreign_parents():
    org = OrganizationFactory()
    top = DepartmentFactory(organization=org, name="本部")
    child = DepartmentFactory(organization=org, name="課", parent=top)
    top.parent = child
    with pytest.raises(ValidationError):
        top.full_clean()
    stranger = DepartmentFactory(name="他社")
    child.parent = stranger
    with pytest.raises(ValidationError):
        child.full_clean()


def test_author_groups_exist_after_migrations():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"Question authors", "Question reviewers"}
