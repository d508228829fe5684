from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import REPORT_ROLES, ApiToken, Membership

from .models import AuditEvent


class AuditFilterForm(forms.Form):
    """The audit page's filters: who (a manager of the organization, or one of its API tokens), what, when."""

    actor = forms.ChoiceField(label=_("実行者"), required=False)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("すべて")), *AuditEvent.Action.choices])
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        people = (
            Membership.objects.filter(organization_id=organization_id, role__in=REPORT_ROLES)
            .select_related("user")
            .order_by("user__display_name", "pk")
        )
        tokens = ApiToken.objects.filter(organization_id=organization_id).order_by("name", "pk")
        self.fields["actor"].choices = [
            ("", _("すべて")),
            *((f"u{m.user_id}", m.shown_name) for m in people),
            *((f"t{t.pk}", _("APIトークン「%(name)s」") % {"name": t.name}) for t in tokens),
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("開始日は終了日より前にしてください。"))
        return data

    def query(self) -> dict:
        """Keyword arguments for selectors.audit_events_of from the valid filters."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data  # the fields that are valid; a wrong one is shown with its error, not applied
        actor = data.get("actor") or ""
        return {
            "actor_id": int(actor[1:]) if actor.startswith("u") else None,
            "token_id": int(actor[1:]) if actor.startswith("t") else None,
            "action": data.get("action") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }


class RetentionForm(forms.Form):
    days = forms.IntegerField(
        label=_("保存期間（日）"),
        required=False,
        min_value=30,
        max_value=3650,
        help_text=_("30〜3650日。空欄にすると既定の期間になります。"),
    )
