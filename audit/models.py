"""The audit log: who in an organization viewed or exported its members' data, or changed its people.

The app sits beside `organizations`: it names that app's models as strings and imports nothing of the others,
so organizations, hr and the API can all call audit.services.record (docs/privacy.md, "監査ログ")."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        DASHBOARD_VIEW = "dashboard.view", _("ダッシュボードの閲覧")
        CSV_EXPORT = "csv.export", _("CSVの出力")
        API_REQUEST = "api.request", _("APIの利用")
        MEMBERS_VIEW = "members.view", _("メンバー一覧の閲覧")
        MEMBER_VIEW = "member.view", _("メンバー情報の閲覧")
        ASSIGNMENT_VIEW = "assignment.view", _("課題の達成状況の閲覧")
        REAL_RESULTS_VIEW = "real_results.view", _("本番結果の閲覧")
        INVITATION_CREATE = "invitation.create", _("招待の作成")
        INVITATION_CANCEL = "invitation.cancel", _("招待の取り消し")
        MEMBER_UPDATE = "member.update", _("役割・部署の変更")
        MEMBER_DEACTIVATE = "member.deactivate", _("メンバーの無効化")
        MEMBER_REACTIVATE = "member.reactivate", _("メンバーの再有効化")
        MEMBER_DATA_REMOVE = "member.data_remove", _("個人情報の削除（組織の依頼）")
        ACCOUNT_DELETE = "account.delete", _("退会（本人による削除）")
        AUDIT_EXPORT = "audit.export", _("監査ログの出力")
        RETENTION_CHANGE = "audit.retention", _("監査ログの保存期間の変更")

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    # Who acted: a person, or an organization's API token (then actor is empty). Accounts are never deleted,
    # only emptied (privacy.services), so a deleted person stays an actor shown as 退会者.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.ForeignKey(
        "organizations.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=30, choices=Action.choices)
    target = models.ForeignKey(
        "organizations.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What was asked for (filters, the CSV's view, the endpoint, a role's before and after): never a name or an
    # email, which would outlive the person's deletion here.
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("監査イベント")
        verbose_name_plural = _("監査ログ")
        indexes = [
            models.Index(fields=["organization", "-at"]),
            models.Index(fields=["organization", "action", "-at"]),
            models.Index(fields=["at"]),  # the retention purge
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
