"""Writes about organizations and their people; each one a transaction."""

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, normalize_email
from accounts.services import user_signup
from audit.services import Action, record

from .models import ApiToken, Department, Invitation, Membership, Organization, ScimGroup, ScimUser, secret_hash
from .selectors import is_org_admin


@transaction.atomic
def membership_add(
    *,
    user: User,
    organization: Organization,
    role: str = Membership.Role.MEMBER,
    department: Department | None = None,
    employee_code: str = "",
) -> Membership:
    membership = Membership(
        user=user, organization=organization, role=role, department=department, employee_code=employee_code
    )
    membership.full_clean()
    membership.save()
    return membership


TOKEN_PREFIX = "moshi_"  # noqa: S105 - a public prefix, not a secret


def _require_org_admin(user, organization_id: int, message: str) -> None:
    """None is the system itself (commands, tests); a person must be an active org admin of the organization."""
    if user is not None and not is_org_admin(user=user, organization_id=organization_id):
        raise PermissionDenied(message)


def api_token_create(
    *, organization: Organization, name: str, scopes=(ApiToken.Scope.HR_READ,), by=None
) -> tuple[ApiToken, str]:
    """A new API token for the organization, opening the APIs its scopes name. Returns it with the key, which
    is never stored or shown again."""
    _require_org_admin(by, organization.pk, "APIトークンを発行できるのは組織の管理者だけです。")
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiToken.Scope.values):
        raise ValidationError(
            _("権限を1つ以上選んでください（使えるもの: %(scopes)s）。") % {"scopes": ", ".join(ApiToken.Scope.values)}
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization,
        name=name,
        scopes=scopes,
        prefix=key[: len(TOKEN_PREFIX) + 6],
        key_hash=secret_hash(key),
        created_by=by,
    )
    return token, key


def api_token_revoke(*, token: ApiToken, by=None) -> None:
    _require_org_admin(by, token.organization_id, "APIトークンを失効できるのは組織の管理者だけです。")
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


# --- Departments, members and invitations (org admins) -------------------------------------------------

INVITATION_VALID_FOR = timedelta(days=14)
MAX_IMPORT_ROWS = 5000


def department_create(*, organization: Organization, name: str, by=None) -> Department:
    _require_org_admin(by, organization.pk, _("部署を管理できるのは組織の管理者だけです。"))
    department = Department(organization=organization, name=name.strip())
    department.full_clean()
    department.save()
    return department


def department_rename(*, department: Department, name: str, by=None) -> Department:
    _require_org_admin(by, department.organization_id, _("部署を管理できるのは組織の管理者だけです。"))
    department.name = name.strip()
    department.full_clean()
    department.save(update_fields=["name"])
    return department


def department_delete(*, department: Department, by=None) -> None:
    """Only an empty department goes: members (active or not) keep their history under it."""
    _require_org_admin(by, department.organization_id, _("部署を管理できるのは組織の管理者だけです。"))
    if department.memberships.exists() or department.children.exists():
        raise ValidationError(_("所属するメンバーか下位部署がある部署は削除できません。先に異動させてください。"))
    department.delete()


@dataclass(frozen=True)
class InvitationRow:
    """One person to invite, as typed in the form or read from a CSV line."""

    email: str
    display_name: str = ""
    department: str = ""  # the department's name, as people write it
    employee_code: str = ""
    role: str = Membership.Role.MEMBER
    line: int = 0


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return (
            _("%(line)d行目: %(message)s") % {"line": self.line, "message": self.message} if self.line else self.message
        )


class InvitationsRejected(Exception):
    """Nothing was written; every problem found, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    key: str  # for the one-time link; never stored, shown or mailed once


def members_invite(*, organization: Organization, rows: list[InvitationRow], by=None) -> list[IssuedInvitation]:
    """Invite people, all or none: every row is checked first (email, duplicates, department, employee
    code, role), and nothing is written unless all are valid. A pending invitation to the same email is
    replaced, so sending a corrected file again is safe."""
    _require_org_admin(by, organization.pk, _("メンバーを招待できるのは組織の管理者だけです。"))
    with transaction.atomic():
        departments = {d.name: d for d in Department.objects.filter(organization=organization)}
        errors = _invitation_errors(organization, rows, departments)
        if errors:
            raise InvitationsRejected(errors)
        emails = [normalize_email(r.email) for r in rows]
        now = timezone.now()
        Invitation.objects.filter(
            organization=organization, email__in=emails, accepted_at=None, cancelled_at=None
        ).update(cancelled_at=now)
        issued = []
        for row in rows:
            key = secrets.token_urlsafe(24)
            invitation = Invitation(
                organization=organization,
                email=normalize_email(row.email),
                display_name=row.display_name,
                department=departments.get(row.department),
                employee_code=row.employee_code,
                role=row.role,
                key_hash=secret_hash(key),
                invited_by=by,
                expires_at=now + INVITATION_VALID_FOR,
            )
            issued.append(IssuedInvitation(invitation, key))
        Invitation.objects.bulk_create([i.invitation for i in issued])
        record(
            organization_id=organization.pk,
            action=Action.INVITATION_CREATE,
            actor=by,
            details={"count": len(issued), "roles": sorted({row.role for row in rows})},
        )
    return issued


def _invitation_errors(organization, rows: list[InvitationRow], departments: dict) -> list[RowError]:
    if not rows:
        return [RowError(0, _("招待する人がいません。"))]
    if len(rows) > MAX_IMPORT_ROWS:
        return [RowError(0, _("一度に招待できるのは %(n)d 人までです。") % {"n": MAX_IMPORT_ROWS})]
    emails = [normalize_email(r.email) for r in rows]
    members = dict(
        Membership.objects.filter(organization=organization, user__email__in=emails).values_list(
            "user__email", "is_active"
        )
    )
    codes_taken = set(
        Membership.objects.filter(organization=organization)
        .exclude(employee_code="")
        .values_list("employee_code", flat=True)
    ) | set(  # pending invitations hold their codes too (unless this file replaces them)
        Invitation.objects.filter(organization=organization, accepted_at=None, cancelled_at=None)
        .exclude(employee_code="")
        .exclude(email__in=emails)
        .values_list("employee_code", flat=True)
    )
    roles = {value for value, _label in Membership.Role.choices}
    errors, seen_emails, seen_codes = [], {}, {}
    for row, email in zip(rows, emails, strict=True):
        problems = []
        try:
            validate_email(email)
            if len(email) > Invitation._meta.get_field("email").max_length:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(_("メールアドレス「%(v)s」の形式が正しくありません。") % {"v": row.email})
        if email in seen_emails:
            problems.append(
                _("メールアドレス %(v)s が %(other)d行目と重複しています。") % {"v": email, "other": seen_emails[email]}
            )
        seen_emails.setdefault(email, row.line)
        if members.get(email) is True:
            problems.append(_("%(v)s は既にメンバーです。") % {"v": email})
        elif members.get(email) is False:
            problems.append(
                _("%(v)s は無効化されたメンバーです。メンバー一覧から有効に戻してください。") % {"v": email}
            )
        if row.department and row.department not in departments:
            problems.append(_("部署「%(v)s」がありません。先に部署を作成してください。") % {"v": row.department})
        if row.employee_code:
            if row.employee_code in codes_taken:
                problems.append(_("社員番号 %(v)s は既に使われています。") % {"v": row.employee_code})
            elif row.employee_code in seen_codes:
                problems.append(
                    _("社員番号 %(v)s が %(other)d行目と重複しています。")
                    % {"v": row.employee_code, "other": seen_codes[row.employee_code]}
                )
            seen_codes.setdefault(row.employee_code, row.line)
        if row.role not in roles:
            problems.append(_("役割「%(v)s」は使えません（member / hr_manager / org_admin）。") % {"v": row.role})
        if len(row.display_name) > 100 or len(row.employee_code) > 50:
            problems.append(_("氏名は100文字、社員番号は50文字までです。"))
        errors += [RowError(row.line, p) for p in problems]
    return errors


# CSV headers, in English or as a Japanese HR spreadsheet would have them.
CSV_COLUMNS = {
    "email": "email",
    "メールアドレス": "email",
    "メール": "email",
    "name": "display_name",
    "氏名": "display_name",
    "名前": "display_name",
    "department": "department",
    "部署": "department",
    "employee_code": "employee_code",
    "社員番号": "employee_code",
    "role": "role",
    "役割": "role",
}
ROLE_WORDS = {
    "": "member",
    "メンバー": "member",
    "人事・育成担当": "hr_manager",
    "人事": "hr_manager",
    "組織管理者": "org_admin",
    "管理者": "org_admin",
}


def invitation_rows_from_csv(data: bytes) -> list[InvitationRow]:
    """Rows of an uploaded CSV: UTF-8 (with or without BOM) or Shift_JIS as Excel saves it in Japan.
    Line numbers count the header as line 1, as spreadsheets show them."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            raise InvitationsRejected(
                [RowError(0, _("文字コードを読めません。UTF-8 か Shift_JIS の CSV にしてください。"))]
            ) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InvitationsRejected([RowError(0, _("CSV が空です。"))])
    fields = [CSV_COLUMNS.get(h.strip().lower(), CSV_COLUMNS.get(h.strip())) for h in header]
    if "email" not in fields:
        raise InvitationsRejected(
            [
                RowError(
                    1,
                    _(
                        "見出し行に email（メールアドレス）の列が必要です。"
                        "使える列: email, name, department, employee_code, role"
                    ),
                )
            ]
        )
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        data = {"email": ""} | {f: v.strip() for f, v in zip(fields, values, strict=False) if f}
        role = data.pop("role", "")
        rows.append(InvitationRow(line=line, role=ROLE_WORDS.get(role, role), **data))
    return rows


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, by=None) -> None:
    _require_org_admin(by, invitation.organization_id, _("招待を取り消せるのは組織の管理者だけです。"))
    if Invitation.objects.filter(pk=invitation.pk, accepted_at=None, cancelled_at=None).update(
        cancelled_at=timezone.now()
    ):
        record(
            organization_id=invitation.organization_id,
            action=Action.INVITATION_CANCEL,
            actor=by,
            details={"invitation": invitation.pk},
        )


class InvitationUnusable(Exception):
    pass


def invitation_accept(*, key: str, user: User) -> Membership:
    """The invited person joins: once, before the link expires, signed in with the invited address."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(key_hash=secret_hash(key), accepted_at=None, cancelled_at=None, expires_at__gt=timezone.now())
            .first()
        )
        if invitation is None:
            raise InvitationUnusable(_("この招待リンクは使用済みか、取り消されたか、期限切れです。"))
        if invitation.email != normalize_email(user.email):
            raise InvitationUnusable(
                _("この招待は %(email)s 宛てです。そのアドレスでログインしてから開いてください。")
                % {"email": invitation.email}
            )
        membership, _created = Membership.objects.update_or_create(
            user=user,
            organization_id=invitation.organization_id,
            defaults={
                "role": invitation.role,
                "department": invitation.department,
                "employee_code": invitation.employee_code,
                "is_active": True,
            },
        )
        if invitation.display_name and not user.display_name:
            User.objects.filter(pk=user.pk).update(display_name=invitation.display_name)
        # The link was mailed to this address: opening it proves the address, as a sign-up link does.
        User.objects.filter(pk=user.pk, email_confirmed_at=None).update(email_confirmed_at=timezone.now())
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    return membership


@transaction.atomic
def invitee_signup(*, key: str, display_name: str, password: str, preferred_language: str = "ja") -> User:
    """A new person signs up from an invitation link: the account takes the invited address (the link
    proves it) and joins in the same transaction."""
    invitation = (
        Invitation.objects.select_for_update()  # a double click waits here, then finds the link used
        .filter(key_hash=secret_hash(key), accepted_at=None, cancelled_at=None, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None or User.objects.filter(email=invitation.email).exists():
        raise InvitationUnusable(_("この招待リンクは使用済みか、取り消されたか、期限切れです。"))
    user = user_signup(
        email=invitation.email,
        password=password,
        display_name=display_name or invitation.display_name,
        preferred_language=preferred_language,
        confirmed=True,
    )
    invitation_accept(key=key, user=user)
    return user


def _require_not_last_admin(membership: Membership) -> None:
    others = Membership.objects.filter(
        organization_id=membership.organization_id, role=Membership.Role.ORG_ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    if membership.role == Membership.Role.ORG_ADMIN and membership.is_active and not others.exists():
        raise ValidationError(
            _("組織の管理者が一人もいなくなるため、変更できません。先に別の管理者を指名してください。")
        )


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, department: Department | None, employee_code: str, by=None
) -> Membership:
    _require_org_admin(by, membership.organization_id, _("役割や部署を変更できるのは組織の管理者だけです。"))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role != Membership.Role.ORG_ADMIN:
        _require_not_last_admin(membership)
    before = {"role": membership.role, "department": membership.department_id, "code": membership.employee_code}
    membership.role, membership.department, membership.employee_code = role, department, employee_code.strip()
    membership.full_clean()
    membership.save(update_fields=["role", "department", "employee_code"])
    changes = {
        # Roles and department ids as they were and are; only whether the employee code changed, since the
        # log outlives a removal of the member's personal data.
        key: [before[key], after]
        for key, after in (("role", membership.role), ("department", membership.department_id))
        if before[key] != after
    }
    if before["code"] != membership.employee_code:
        changes["employee_code_changed"] = True
    if changes:
        record(
            organization_id=membership.organization_id,
            action=Action.MEMBER_UPDATE,
            actor=by,
            target_id=membership.pk,
            details=changes,
        )
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, active: bool, by=None) -> Membership:
    """Deactivating ends access to the organization (its blueprints, reports); the member's attempts and
    results stay, and so do the organization's figures that include them."""
    _require_org_admin(by, membership.organization_id, _("メンバーを無効化できるのは組織の管理者だけです。"))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not active:
        _require_not_last_admin(membership)
    if membership.is_active == active:
        return membership  # a second click changes nothing, and records nothing
    membership.is_active = active
    membership.left_at = None if active else timezone.now()
    membership.save(update_fields=["is_active", "left_at"])
    record(
        organization_id=membership.organization_id,
        action=Action.MEMBER_REACTIVATE if active else Action.MEMBER_DEACTIVATE,
        actor=by,
        target_id=membership.pk,
    )
    return membership


# --- Provisioning from the organization's identity provider (SCIM) ----------------------------------------
# The identity provider creates, updates and deactivates members and moves them between departments; every
# change goes through the membership services above (membership_add, membership_update,
# membership_set_active) and the department services, as an org admin's would.


class ProvisioningConflict(Exception):
    """The identity provider asked for something another member or department already holds (SCIM 409)."""


@dataclass(frozen=True)
class ProvisionedProfile:
    """A member as the identity provider describes them (a SCIM User), parsed. None: not sent, left as is."""

    user_name: str
    email: str  # normalized
    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    external_id: str = ""
    employee_code: str | None = None
    department: str | None = None  # the department's name
    active: bool = True


def _provisioned_department(organization: Organization, name: str | None, current: Department | None):
    """The department a provider names (by name, created when new; blank: none); None keeps `current`."""
    if name is None:
        return current
    name = name.strip()
    if not name:
        return None
    department = Department.objects.filter(organization=organization, name=name).first()
    if department is None:
        department = department_create(organization=organization, name=name)
    ScimGroup.objects.filter(department=department, deleted_at__isnull=False).update(deleted_at=None)
    return department


def _require_free_employee_code(organization_id: int, code: str, membership_id: int | None) -> None:
    holders = Membership.objects.filter(organization_id=organization_id, employee_code=code)
    if code and holders.exclude(pk=membership_id).exists():
        raise ProvisioningConflict(_("社員番号 %(v)s は既に別のメンバーが使っています。") % {"v": code})


def _require_free_user_name(organization_id: int, user_name: str, membership_id: int | None) -> None:
    taken = ScimUser.objects.filter(
        organization_id=organization_id, user_name_key=normalize_email(user_name), deleted_at=None
    ).exclude(membership_id=membership_id)
    if taken.exists():
        raise ProvisioningConflict(_("userName %(v)s は既に別のメンバーが使っています。") % {"v": user_name})


@transaction.atomic
def member_provision(*, organization: Organization, profile: ProvisionedProfile) -> Membership:
    """The identity provider adds a person: their account (found by address, or created without a password,
    the address vouched for by the company as an invitation link vouches for it) and a membership here. A
    person who has an account already, even one in another organization, joins as they would by invitation;
    nothing of their other memberships is read or shown. A former member of this organization comes back."""
    _require_free_user_name(organization.pk, profile.user_name, None)
    user = User.objects.filter(email=profile.email).first()
    account_created = user is None
    if account_created:
        user = user_signup(email=profile.email, password=None, display_name=profile.display_name, confirmed=True)
    membership = Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    if membership is not None and membership.is_active:
        raise ProvisioningConflict(
            _("%(email)s は既にこの組織のメンバーです。userName か emails で検索して紐付けてください。")
            % {"email": profile.email}
        )
    department = _provisioned_department(organization, profile.department, None)
    _require_free_employee_code(organization.pk, profile.employee_code or "", membership and membership.pk)
    if membership is None:
        membership = membership_add(
            user=user, organization=organization, department=department, employee_code=profile.employee_code or ""
        )
    else:
        # Back after leaving: reactivated as an org admin's 有効にする does (membership_set_active), so the
        # organization's history of the earlier membership stays in its figures.
        membership = membership_update(
            membership=membership,
            role=Membership.Role.MEMBER,
            department=department,
            employee_code=profile.employee_code or "",
        )
        membership = membership_set_active(membership=membership, active=True)
    ScimUser.objects.filter(membership=membership).delete()  # a deleted record of a past provisioning
    ScimUser.objects.create(
        membership=membership, organization=organization, account_created=account_created, **_scim_fields(profile)
    )
    if not profile.active:
        membership = membership_set_active(membership=membership, active=False)
    return membership


def _scim_fields(profile: ProvisionedProfile) -> dict:
    return {
        "user_name": profile.user_name,
        "user_name_key": normalize_email(profile.user_name),
        "external_id": profile.external_id,
        "given_name": profile.given_name,
        "family_name": profile.family_name,
    }


@transaction.atomic
def member_reprovision(*, membership: Membership, profile: ProvisionedProfile) -> Membership:
    """The identity provider's update of one member (SCIM PUT, or PATCH applied to the member as it stands).
    The account's address and name are the provider's to change only if provisioning created the account;
    otherwise they are the person's, and only this organization's record (userName, employee code,
    department, active) changes."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    scim = ScimUser.objects.filter(membership=membership).first()
    _require_free_user_name(membership.organization_id, profile.user_name, membership.pk)
    user = membership.user
    if profile.email != user.email:
        if scim is None or not scim.account_created:
            raise ValidationError(
                _(
                    "このアカウントは本人が作成したもので、メールアドレスは本人だけが変更できます"
                    "（Moshi のアカウント: %(email)s）。"
                )
                % {"email": user.email},
                code="mutability",
            )
        if User.objects.filter(email=profile.email).exclude(pk=user.pk).exists():
            raise ProvisioningConflict(_("%(email)s は別のアカウントが使っています。") % {"email": profile.email})
        User.objects.filter(pk=user.pk).update(email=profile.email)
    if scim is not None and scim.account_created and profile.display_name != user.display_name:
        User.objects.filter(pk=user.pk).update(display_name=profile.display_name)
    code = membership.employee_code if profile.employee_code is None else profile.employee_code.strip()
    department = _provisioned_department(membership.organization, profile.department, membership.department)
    if (code, department) != (membership.employee_code, membership.department):
        _require_free_employee_code(membership.organization_id, code, membership.pk)
        membership = membership_update(
            membership=membership, role=membership.role, department=department, employee_code=code
        )
    if profile.active != membership.is_active:
        membership = membership_set_active(membership=membership, active=profile.active)
    ScimUser.objects.update_or_create(
        membership=membership,
        defaults={"organization_id": membership.organization_id, **_scim_fields(profile)},
    )
    return membership


@transaction.atomic
def member_deprovision(*, membership: Membership) -> None:
    """The identity provider deletes a member: deactivated (left_at set, attempts and history kept, never
    deleted), and gone from SCIM's sight from now on."""
    if membership.is_active:
        membership_set_active(membership=membership, active=False)
    now = timezone.now()
    if not ScimUser.objects.filter(membership=membership).update(deleted_at=now):
        email = membership.user.email
        ScimUser.objects.create(
            membership=membership,
            organization_id=membership.organization_id,
            user_name=email,
            user_name_key=email,
            deleted_at=now,
        )


@transaction.atomic
def department_provision(*, organization: Organization, name: str, external_id: str = "") -> Department:
    """The identity provider adds a group: a department of that name (one it deleted before comes back)."""
    department = Department.objects.filter(organization=organization, name=name.strip()).first()
    if (
        department is not None
        and not ScimGroup.objects.filter(department=department, deleted_at__isnull=False).exists()
    ):
        raise ProvisioningConflict(
            _("部署「%(name)s」は既にあります。displayName で検索して紐付けてください。") % {"name": department.name}
        )
    department = department or department_create(organization=organization, name=name)
    ScimGroup.objects.update_or_create(department=department, defaults={"external_id": external_id, "deleted_at": None})
    return department


@transaction.atomic
def department_reprovision(
    *, department: Department, name: str, external_id: str, add: set[int], remove: set[int]
) -> Department:
    """The identity provider renames a group or changes who is in it. A member is in one department at a
    time, so joining this group moves them out of their last; leaving it leaves them with none. Member ids
    must be this organization's (checked by the caller's selector)."""
    if name.strip() != department.name:
        if Department.objects.filter(organization_id=department.organization_id, name=name.strip()).exists():
            raise ProvisioningConflict(_("部署「%(name)s」は既にあります。") % {"name": name})
        department = department_rename(department=department, name=name)
    members_move(organization_id=department.organization_id, membership_ids=add, department=department)
    members_move(
        organization_id=department.organization_id, membership_ids=remove - add, department=None, only_from=department
    )
    ScimGroup.objects.update_or_create(department=department, defaults={"external_id": external_id})
    return department


def members_move(
    *, organization_id: int, membership_ids, department: Department | None, only_from: Department | None = None
) -> int:
    """Move several members of the organization into a department (None: no department) in one UPDATE: what a
    group's member list means. `only_from` moves only those still in that department."""
    members = Membership.objects.filter(organization_id=organization_id, pk__in=list(membership_ids))
    if only_from is not None:
        members = members.filter(department=only_from)
    return members.update(department=department)


@transaction.atomic
def department_deprovision(*, department: Department) -> None:
    """The identity provider deletes a group: its active members are left without a department; the
    department goes if nothing else holds it, and otherwise stays for deactivated members' history, out of
    SCIM's sight."""
    Membership.objects.filter(department=department, is_active=True).update(department=None)
    if not department.memberships.exists() and not department.children.exists():
        department_delete(department=department)
        return
    ScimGroup.objects.update_or_create(department=department, defaults={"deleted_at": timezone.now()})
