"""Org admins invite people (one by one or by CSV, all or nothing), manage departments and roles, and
deactivate members; invited people join through a one-time link."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from organizations.models import Department, Invitation, Membership
from organizations.selectors import membership_for
from organizations.services import (
    InvitationRow,
    InvitationsRejected,
    department_delete,
    invitation_rows_from_csv,
    members_invite,
    membership_set_active,
    membership_update,
)
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(organization):
    return MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN, department=None).user


@pytest.fixture
def sales(organization):
    return Department.objects.create(organization=organization, name="営業部")


GOOD_CSV = (
    "email,name,department,employee_code,role\n"
    "Taro@Example.jp,山田 太郎,営業部,E0012,member\n"
    "hanako@example.jp,佐藤 花子,,,hr_manager\n"
)


def test_a_csv_with_any_bad_row_invites_nobody_and_names_every_problem(organization, org_admin, sales):
    MembershipFactory(organization=organization, user__email="member@example.jp", employee_code="E0001")
    data = (
        "メールアドレス,氏名,部署,社員番号,役割\n"
        "ok@example.jp,正しい 人,営業部,E0100,メンバー\n"  # line 2: fine
        "not-an-email,誤り,営業部,,\n"  # 3
        "dup@example.jp,一人目,,E0200,\n"  # 4
        "DUP@example.jp,二人目,,E0200,\n"  # 5: same email and code as line 4
        "member@example.jp,既存,,,\n"  # 6: already a member
        "new@example.jp,部署違い,経理部,E0001,社長\n"  # 7: unknown department, code taken, unknown role
    ).encode()
    rows = invitation_rows_from_csv(data)
    with pytest.raises(InvitationsRejected) as rejected:
        members_invite(organization=organization, rows=rows, by=org_admin)
    messages = [str(e) for e in rejected.value.errors]
    assert not Invitation.objects.exists() and not mail.outbox
    assert any(m.startswith("3行目") and "形式" in m for m in messages)
    assert any(m.startswith("5行目") and "4行目と重複" in m and "dup@example.jp" in m for m in messages)
    assert any(m.startswith("5行目") and "社員番号 E0200" in m for m in messages)
    assert any(m.startswith("6行目") and "既にメンバー" in m for m in messages)
    assert {m.split(":")[0] for m in messages if m.startswith("7行目")} == {"7行目"}
    assert len([m for m in messages if m.startswith("7行目")]) == 3  # department, code, role
    assert not any(m.startswith("2行目") for m in messages)


def test_csv_in_shift_jis_from_excel_is_read(organization, org_admin, sales):
    data = "メールアドレス,氏名,部署\nsjis@example.jp,山田 太郎,営業部\n".encode("cp932")
    [row] = invitation_rows_from_csv(data)
    assert (row.email, row.display_name, row.department, row.line) == ("sjis@example.jp", "山田 太郎", "営業部", 2)
    with pytest.raises(InvitationsRejected) as rejected:
        invitation_rows_from_csv(b"name,department\nx,y\n")
    assert "email" in str(rejected.value.errors[0])


def test_invited_person_joins_once_through_the_link(
    client, organization, org_admin, sales, django_capture_on_commit_callbacks
):
    client.force_login(org_admin)
    upload = SimpleUploadedFile("people.csv", ("\ufeff" + GOOD_CSV).encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):  # the mail goes once the invitations are saved
        response = client.post(reverse("org_members"), {"csv": "1", "file": upload})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert Invitation.objects.filter(organization=organization).count() == 2
    taro_mail = next(m for m in mail.outbox if m.to == ["taro@example.jp"])
    link = re.search(r"http://testserver(/join/[^/\s]+/)", taro_mail.body).group(1)
    assert link in response.content.decode()  # the links are shown once on the page too
    assert Invitation.objects.get(email="taro@example.jp").key_hash not in taro_mail.body

    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "taro@example.jp" in page.content.decode()
    response = client.post(link, {"display_name": "", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    taro = User.objects.get(email="taro@example.jp")
    membership = membership_for(user=taro)
    assert (membership.organization, membership.department, membership.employee_code) == (organization, sales, "E0012")
    assert taro.display_name == "山田 太郎" and membership.role == Membership.Role.MEMBER
    client.logout()
    assert client.get(link).status_code == 410  # one time only
    assert client.post(link, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 410


def test_someone_with_an_account_logs_in_first_and_must_be_the_invited_person(client, organization, org_admin):
    existing = UserFactory(email="hanako@example.jp")
    [issued] = members_invite(organization=organization, rows=[InvitationRow("hanako@example.jp")], by=org_admin)
    link = reverse("join", args=[issued.key])
    assert "ログインして参加する" in client.get(link).content.decode()
    client.force_login(UserFactory(email="someone-else@example.jp"))
    client.post(link)
    assert not Membership.objects.filter(user__email="someone-else@example.jp").exists()
    client.force_login(existing)
    assert client.post(link).status_code == 302
    assert membership_for(user=existing).organization == organization


def test_inviting_again_replaces_the_pending_link(organization, org_admin):
    [first] = members_invite(organization=organization, rows=[InvitationRow("again@example.jp")], by=org_admin)
    [second] = members_invite(organization=organization, rows=[InvitationRow("again@example.jp")], by=org_admin)
    first.invitation.refresh_from_db()
    assert first.invitation.cancelled_at is not None and second.invitation.is_pending


def test_only_org_admins_invite_and_manage(client, organization, hr_manager, candidate):
    with pytest.raises(PermissionDenied):
        members_invite(organization=organization, rows=[InvitationRow("x@example.jp")], by=hr_manager)
    for user in (hr_manager, candidate):
        client.force_login(user)
        for url in (reverse("org_members"), reverse("org_departments"), reverse("api_tokens")):
            assert client.get(url).status_code == 403


def test_single_invite_form_shows_errors_and_keeps_what_was_typed(client, organization, org_admin):
    MembershipFactory(organization=organization, user__email="taken@example.jp")
    client.force_login(org_admin)
    page = client.post(
        reverse("org_members"), {"email": "taken@example.jp", "display_name": "入力した名前", "role": "member"}
    )
    body = page.content.decode()
    assert "既にメンバー" in body and "入力した名前" in body
    assert not Invitation.objects.exists()


def test_departments_and_roles(client, organization, org_admin, sales):
    member = MembershipFactory(organization=organization, department=sales)
    client.force_login(org_admin)
    client.post(reverse("org_departments"), {"name": "開発部"})
    dev = Department.objects.get(organization=organization, name="開発部")
    client.post(reverse("org_departments"), {"name": "開発本部", "rename": dev.pk})
    dev.refresh_from_db()
    assert dev.name == "開発本部"
    with pytest.raises(ValidationError):
        department_delete(department=sales, by=org_admin)  # it has a member
    client.post(
        reverse("org_member", args=[member.pk]), {"role": "hr_manager", "department": dev.pk, "employee_code": "X1"}
    )
    member.refresh_from_db()
    assert (member.role, member.department, member.employee_code) == ("hr_manager", dev, "X1")
    client.post(reverse("org_departments"), {"name": "営業部", "delete": sales.pk})
    assert not Department.objects.filter(pk=sales.pk).exists()


def test_deactivating_ends_access_but_keeps_the_member(client, organization, org_admin):
    member = MembershipFactory(organization=organization)
    client.force_login(org_admin)
    client.post(reverse("org_member", args=[member.pk]), {"active": "0"})
    member.refresh_from_db()
    assert member.is_active is False and membership_for(user=member.user) is None
    listed = client.get(reverse("org_members"), {"status": "inactive"}).content.decode()
    assert member.user.email in listed


def test_the_last_org_admin_cannot_leave(organization, org_admin):
    admin_membership = Membership.objects.get(user=org_admin)
    with pytest.raises(ValidationError):
        membership_set_active(membership=admin_membership, active=False, by=org_admin)
    with pytest.raises(ValidationError):
        membership_update(membership=admin_membership, role="member", department=None, employee_code="", by=org_admin)
    second = MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN)
    membership_set_active(membership=admin_membership, active=False, by=second.user)


def test_another_organizations_ids_are_not_found(client, organization, other_organization, org_admin):
    outsider = MembershipFactory(organization=other_organization)
    foreign_department = Department.objects.create(organization=other_organization, name="他社の部署")
    [foreign_invite] = members_invite(organization=other_organization, rows=[InvitationRow("z@example.jp")], by=None)
    client.force_login(org_admin)
    assert client.get(reverse("org_member", args=[outsider.pk])).status_code == 404
    assert client.post(reverse("org_member", args=[outsider.pk]), {"active": "0"}).status_code == 404
    assert client.post(reverse("org_departments"), {"name": "x", "delete": foreign_department.pk}).status_code == 404
    assert client.post(reverse("org_members"), {"cancel": foreign_invite.invitation.pk}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active and Department.objects.filter(pk=foreign_department.pk).exists()


def test_member_list_queries_do_not_grow_with_members(client, organization, org_admin, sales):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.world import bulk_members

    client.force_login(org_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("org_members")).status_code == 200
        return len(ctx.captured_queries)

    bulk_members(organization, 3, department=sales)
    few = count()
    bulk_members(organization, 297, department=sales, start=3)
    assert count() == few


def test_odd_input_gets_an_answer_not_a_server_error(client, organization, org_admin, sales):
    client.force_login(org_admin)
    assert client.post(reverse("org_members"), {"cancel": "abc"}).status_code == 404
    assert client.post(reverse("org_departments"), {"name": "x", "delete": "abc"}).status_code == 404
    assert client.post(reverse("org_departments"), {"name": "x", "rename": "9" * 30}).status_code == 404
    assert client.get(reverse("org_members"), {"q": "a\x00b", "department": "9" * 30}).status_code == 200
    with pytest.raises(InvitationsRejected) as rejected:
        members_invite(organization=organization, rows=invitation_rows_from_csv(b"name,email\nTaro\n"), by=org_admin)
    assert str(rejected.value.errors[0]).startswith("2行目")  # the missing email, not a crash
    long_email = "a" * 250 + "@example.jp"
    with pytest.raises(InvitationsRejected):
        members_invite(organization=organization, rows=[InvitationRow(long_email)], by=org_admin)
    assert not Invitation.objects.exists()


def test_opening_the_invitation_link_confirms_an_unconfirmed_address(client, organization, org_admin):
    """The link went to that address, so joining through it proves the address, as a sign-up link does."""
    existing = UserFactory(email="jiro@example.jp", email_confirmed_at=None)
    assert not existing.email_confirmed
    [issued] = members_invite(organization=organization, rows=[InvitationRow("jiro@example.jp")], by=org_admin)
    client.force_login(existing)
    assert client.post(reverse("join", args=[issued.key])).status_code == 302
    existing.refresh_from_db()
    assert existing.email_confirmed and membership_for(user=existing).organization == organization
