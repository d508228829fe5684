"""Removing a person's personal data: by the person (account_delete) or by their organization on request
(member_personal_data_remove). Both keep the rows that statistics are made of (attempts, answers, results),
linked to an emptied account or membership, so item statistics, cohort standing and organizations' figures
stay what they were (docs/privacy.md)."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import Action, record
from exams.models import Exposure, QuestionNote
from organizations.models import Invitation, Membership
from organizations.selectors import is_org_admin
from study.models import ExamPlan, StudyCard, StudySession

from .selectors import sole_admin_of


def _removed_address(kind: str, pk: int) -> str:
    # A unique address that is no one's and can never receive mail (.invalid is reserved, RFC 2606).
    return f"{kind}-{pk}@anonymized.invalid"


def _anonymize_membership(membership: Membership, *, actor, action: str) -> bool:
    """The organization's records of the person lose what identifies them: the employee code here, the
    invitations' address and name; pages then show 退会者 (Membership.shown_name). Department, role, dates and
    is_active stay, so its figures and assignments count as before. False if already done."""
    if not Membership.objects.filter(pk=membership.pk, anonymized_at=None).update(
        anonymized_at=timezone.now(), employee_code=""
    ):
        return False
    Invitation.objects.filter(
        Q(email=membership.user.email) | Q(accepted_by_id=membership.user_id),
        organization_id=membership.organization_id,
    ).update(
        email=Concat(Value("invitation-"), Cast("pk", CharField()), Value("@anonymized.invalid")),
        display_name="",
        employee_code="",
    )
    record(organization_id=membership.organization_id, action=action, actor=actor, target_id=membership.pk)
    return True


@transaction.atomic
def member_personal_data_remove(*, membership: Membership, by) -> Membership:
    """An org admin removes a member's personal data from the organization's records, on the person's request
    (個人情報の削除依頼). The person's own account is theirs and stays. Recorded in the audit log."""
    if not is_org_admin(user=by, organization_id=membership.organization_id):
        raise PermissionDenied(_("個人情報を削除できるのは組織の管理者だけです。"))
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == Membership.Role.ORG_ADMIN and membership.is_active:
        raise ValidationError(
            _("有効な組織の管理者の個人情報は削除できません。先に役割を変更するか、無効にしてください。")
        )
    _anonymize_membership(membership, actor=by, action=Action.MEMBER_DATA_REMOVE)
    membership.refresh_from_db()
    return membership


@transaction.atomic
def account_delete(*, user: User) -> None:
    """The person deletes their account (the view has checked their password). Personal data goes: address,
    name, password, notes and bookmarks, study cards and sessions, the exam plan, login-throttle records, and
    every organization's record of them (each organization's audit log records it). Attempts, their answers and
    results, study answers and real results stay, owned by the emptied account, so every statistic holds.

    The sole org admin of an organization must hand it over first: it would be left with no one to run it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return
    sole = sole_admin_of(user=user)
    if sole:
        raise ValidationError(
            _(
                "「%(orgs)s」の管理者はあなただけです。退会する前に、組織のメンバー画面で別の人を組織の管理者にしてください。"
            )
            % {"orgs": "」「".join(o.name for o in sole)}
        )
    for membership in Membership.objects.filter(user=user).select_related("user"):
        _anonymize_membership(membership, actor=user, action=Action.ACCOUNT_DELETE)
    QuestionNote.objects.filter(user=user).delete()
    StudyCard.objects.filter(user=user).delete()
    StudySession.objects.filter(user=user).delete()  # study answers keep their rows (session set to null)
    ExamPlan.objects.filter(user=user).delete()
    Exposure.objects.filter(user=user).delete()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=user.email).delete()
    user.email = _removed_address("deleted", user.pk)
    user.display_name = ""
    user.set_unusable_password()  # also ends every session: their auth hash no longer matches
    user.is_active = user.is_staff = user.is_superuser = False
    user.email_confirmed_at = None
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
