"""Writes about people and organizations; each one a transaction."""

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

from .models import ApiToken, Department, Invitation, Membership, Organization, User, secret_hash


@transaction.atomic
def user_signup(*, email: str, password: str, display_name: str = "", preferred_language: str = "ja") -> User:
    """An individual candidate with no organization."""
    return User.objects.create_user(
        email=email, password=password, display_name=display_name, preferred_language=preferred_language
    )


def user_set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)


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
    if (
        user is not None
        and not Membership.objects.filter(
            user=user, organization_id=organization_id, role=Membership.Role.ORG_ADMIN, is_active=True
        ).exists()
    ):
        raise PermissionDenied(message)


def api_token_create(*, organization: Organization, name: str, by=None) -> tuple[ApiToken, str]:
    """A new API token for the organization. Returns it with the key, which is never stored or shown again."""
    _require_org_admin(by, organization.pk, "APIトークンを発行できるのは組織の管理者だけです。")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, name=name, prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=secret_hash(key),
        created_by=by,
    )  # fmt: skip
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
        emails = [r.email.lower() for r in rows]
        now = timezone.now()
        Invitation.objects.filter(
            organization=organization, email__in=emails, accepted_at=None, cancelled_at=None
        ).update(cancelled_at=now)
        issued = []
        for row in rows:
            key = secrets.token_urlsafe(24)
            invitation = Invitation(
                organization=organization, email=row.email.lower(), display_name=row.display_name,
                department=departments.get(row.department), employee_code=row.employee_code, role=row.role,
                key_hash=secret_hash(key), invited_by=by, expires_at=now + INVITATION_VALID_FOR,
            )  # fmt: skip
            issued.append(IssuedInvitation(invitation, key))
        Invitation.objects.bulk_create([i.invitation for i in issued])
    return issued


def _invitation_errors(organization, rows: list[InvitationRow], departments: dict) -> list[RowError]:
    if not rows:
        return [RowError(0, _("招待する人がいません。"))]
    if len(rows) > MAX_IMPORT_ROWS:
        return [RowError(0, _("一度に招待できるのは %(n)d 人までです。") % {"n": MAX_IMPORT_ROWS})]
    emails = [r.email.strip().lower() for r in rows]
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
    "email": "email", "メールアドレス": "email", "メール": "email",
    "name": "display_name", "氏名": "display_name", "名前": "display_name",
    "department": "department", "部署": "department",
    "employee_code": "employee_code", "社員番号": "employee_code",
    "role": "role", "役割": "role",
}  # fmt: skip
ROLE_WORDS = {
    "": "member", "メンバー": "member", "人事・育成担当": "hr_manager", "人事": "hr_manager",
    "組織管理者": "org_admin", "管理者": "org_admin",
}  # fmt: skip


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


def invitation_cancel(*, invitation: Invitation, by=None) -> None:
    _require_org_admin(by, invitation.organization_id, _("招待を取り消せるのは組織の管理者だけです。"))
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, cancelled_at=None).update(cancelled_at=timezone.now())


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
        if invitation.email != user.email.lower():
            raise InvitationUnusable(
                _("この招待は %(email)s 宛てです。そのアドレスでログインしてから開いてください。")
                % {"email": invitation.email}
            )
        membership, _created = Membership.objects.update_or_create(
            user=user, organization_id=invitation.organization_id,
            defaults={"role": invitation.role, "department": invitation.department,
                      "employee_code": invitation.employee_code, "is_active": True},
        )  # fmt: skip
        if invitation.display_name and not user.display_name:
            User.objects.filter(pk=user.pk).update(display_name=invitation.display_name)
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
    if invitation is None or User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationUnusable(_("この招待リンクは使用済みか、取り消されたか、期限切れです。"))
    user = user_signup(
        email=invitation.email, password=password, display_name=display_name or invitation.display_name,
        preferred_language=preferred_language,
    )  # fmt: skip
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
    membership.role, membership.department, membership.employee_code = role, department, employee_code.strip()
    membership.full_clean()
    membership.save(update_fields=["role", "department", "employee_code"])
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, active: bool, by=None) -> Membership:
    """Deactivating ends access to the organization (its blueprints, reports); the member's attempts and
    results stay, and so do the organization's figures that include them."""
    _require_org_admin(by, membership.organization_id, _("メンバーを無効化できるのは組織の管理者だけです。"))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not active:
        _require_not_last_admin(membership)
    membership.is_active = active
    membership.left_at = None if active else timezone.now()
    membership.save(update_fields=["is_active", "left_at"])
    return membership
