from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from accounts.models import normalize_email
from exams.models import Blueprint
from organizations.models import Department, Membership
from questions.models import SyllabusArea

from .models import RealResult
from .services import DRILL_COUNT, MAX_DRILL_COUNT


class AssignmentForm(forms.Form):
    """A new assignment. With `drill_exam` (HR came from a weak area of that exam) it also asks which of the
    exam's syllabus areas the drill covers and how many questions it has."""

    blueprint = forms.ModelChoiceField(label=_("模擬試験"), queryset=Blueprint.objects.none())
    areas = forms.ModelMultipleChoiceField(
        label=_("出題する分野"),
        queryset=SyllabusArea.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("分野別ドリルのときに選びます。選んだ分野をすべて含むドリルを提出すると完了です。"),
    )
    drill_count = forms.IntegerField(
        label=_("ドリルの問題数"), min_value=1, max_value=MAX_DRILL_COUNT, required=False, initial=DRILL_COUNT
    )
    due_on = forms.DateField(label=_("期限（この日まで）"), widget=forms.DateInput(attrs={"type": "date"}))
    opens_on = forms.DateField(
        label=_("この日以降の受験を数える"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("空欄なら今日から。"),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("対象の部署"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    people = forms.CharField(
        label=_("対象のメンバー（個別）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("社員番号かメールアドレスを1行に1つ。"),
    )
    note = forms.CharField(label=_("メモ"), max_length=200, required=False)
    hold_keys = forms.BooleanField(
        label=_("解答・解説を期限後に公開する"),
        required=False,
        help_text=_(
            "受験したメンバーには得点と分野別の結果だけを先に示し、正解・解説・正誤は期限の翌日から表示します。"
            "期限前に受験した人から解答が広まるのを防ぎます。"
        ),
    )

    def __init__(self, *args, organization, blueprints, drill_exam=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["blueprint"].queryset = Blueprint.objects.filter(pk__in=[b.pk for b in blueprints])
        self.fields["departments"].queryset = Department.objects.filter(organization=organization).order_by("name")
        if drill_exam is None:
            del self.fields["areas"], self.fields["drill_count"]
        else:
            areas = self.fields["areas"]
            areas.queryset = SyllabusArea.objects.filter(exam=drill_exam, in_syllabus=True).order_by("order")
            areas.label_from_instance = lambda a: f"{a.code} {a.name}"
            del self.fields["hold_keys"]  # a drill's keys are never held (hr.services)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("due_on", "opens_on"):
            day = cleaned.get(name)
            if day and abs((day - today).days) > 3 * 366:
                self.add_error(name, _("3年以内の日付にしてください。"))
        return cleaned

    def clean_people(self) -> list[Membership]:
        """Each line must name one active member of this organization, by employee code or email."""
        lines = [line.strip() for line in self.cleaned_data["people"].splitlines() if line.strip()]
        members = list(
            Membership.objects.filter(organization=self.organization, is_active=True)
            .filter(Q(employee_code__in=lines) | Q(user__email__in=[normalize_email(line) for line in lines]))
            .select_related("user")
        )
        found = {m.employee_code: m for m in members if m.employee_code} | {m.user.email: m for m in members}
        missing = [line for line in lines if line not in found and normalize_email(line) not in found]
        if missing:
            raise forms.ValidationError(_("次のメンバーが見つかりません: %(v)s") % {"v": ", ".join(missing)})
        return members


class RealResultForm(forms.ModelForm):
    """The session is picked from a list: every exam's held sessions under the exam's name, and with
    static/js/real_results.js only the chosen exam's. hr.services checks the exam and session again."""

    session = forms.CharField(
        label=_("回"),
        max_length=10,
        widget=forms.Select(attrs={"data-no-sessions": _("この試験の回はまだ登録されていません")}),
        help_text=_("試験を選ぶと、その試験の回が表示されます。一覧にない回は、管理者に追加を依頼してください。"),
    )

    class Meta:
        model = RealResult
        fields = ["exam", "session", "taken_on", "passed"]
        widgets = {"taken_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for session in sessions:
            held_on = date_format(session.held_on, "DATE_FORMAT")
            groups.setdefault(session.exam.name, []).append((session.label, f"{session.label}（{held_on}）"))
        self.fields["session"].widget.choices = [("", _("回を選んでください")), *groups.items()]


class ReminderSettingsForm(forms.Form):
    """The organization's reminder settings. Saved webhook URLs are never put back in the page: a blank field keeps
    the saved one, and a checkbox removes it (hr.services.reminder_settings_update checks new ones)."""

    enabled = forms.BooleanField(
        label=_("督促メールを送る"),
        required=False,
        help_text=_("課題を完了していないメンバーに、期限前と期限切れのときに1回ずつメールを送ります。"),
    )
    due_soon_days = forms.IntegerField(label=_("期限の何日前に送るか"), min_value=1, max_value=30, initial=3)
    weekly_digest = forms.BooleanField(
        label=_("週次サマリーを人事・育成担当と管理者に送る"),
        required=False,
        help_text=_("毎週月曜日、課題ごとの完了数と期限切れのメンバーをお送りします。"),
    )
    teams_webhook_url = forms.CharField(
        label=_("Microsoft Teams の Webhook URL"),
        required=False,
        max_length=2000,
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://…"}),
    )
    clear_teams = forms.BooleanField(label=_("Teams への投稿をやめる（保存済みの URL を削除）"), required=False)
    slack_webhook_url = forms.CharField(
        label=_("Slack の Incoming Webhook URL"),
        required=False,
        max_length=2000,
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://hooks.slack.com/…"}),
    )
    clear_slack = forms.BooleanField(label=_("Slack への投稿をやめる（保存済みの URL を削除）"), required=False)

    def __init__(self, *args, saved_teams: str = "", saved_slack: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field, clear, saved in (
            ("teams_webhook_url", "clear_teams", saved_teams),
            ("slack_webhook_url", "clear_slack", saved_slack),
        ):
            if saved:
                self.fields[field].help_text = _("保存済み: %(url)s（変更するときだけ入力してください）") % {
                    "url": escape(saved)
                }
            else:
                del self.fields[clear]

    def webhook_url(self, field: str, clear: str) -> str | None:
        """What to save: None keeps the saved URL, "" removes it."""
        if self.cleaned_data.get(clear):
            return ""
        return self.cleaned_data[field].strip() or None
