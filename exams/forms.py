from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Membership
from questions.models import Question

from .models import Blueprint, RealResult


class StartForm(forms.Form):
    """What a candidate decides before the first question: the framework (E資格, final) or a drill's
    areas and size. Fields a blueprint does not need are removed."""

    framework = forms.ChoiceField(
        label=_("フレームワーク（開始後は変更できません）"),
        choices=[(Question.Framework.PYTORCH, "PyTorch"), (Question.Framework.TENSORFLOW, "TensorFlow")],
        widget=forms.RadioSelect,
    )
    areas = forms.MultipleChoiceField(label=_("出題する分野"), widget=forms.CheckboxSelectMultiple)
    count = forms.IntegerField(label=_("問題数"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, blueprint: Blueprint, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not blueprint.requires_framework:
            del self.fields["framework"]
        if blueprint.is_drill:
            self.fields["areas"].choices = [(a.code, f"{'　' if a.parent_id else ''}{a.code} {a.name}") for a in areas]
        else:
            del self.fields["areas"], self.fields["count"]


class AssignmentForm(forms.Form):
    blueprint = forms.ModelChoiceField(label=_("模擬試験"), queryset=Blueprint.objects.none())
    due_on = forms.DateField(label=_("期限（この日まで）"), widget=forms.DateInput(attrs={"type": "date"}))
    opens_on = forms.DateField(
        label=_("この日以降の受験を数える"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("空欄なら今日から。"),
    )  # fmt: skip
    departments = forms.ModelMultipleChoiceField(
        label=_("対象の部署"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    people = forms.CharField(
        label=_("対象のメンバー（個別）"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("社員番号かメールアドレスを1行に1つ。"),
    )  # fmt: skip
    note = forms.CharField(label=_("メモ"), max_length=200, required=False)

    def __init__(self, *args, organization, blueprints, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["blueprint"].queryset = Blueprint.objects.filter(pk__in=[b.pk for b in blueprints])
        self.fields["departments"].queryset = Department.objects.filter(organization=organization).order_by("name")

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
        members = Membership.objects.filter(organization=self.organization, is_active=True).filter(
            Q(employee_code__in=lines) | Q(user__email__in=[line.lower() for line in lines])
        )
        found = {m.employee_code: m for m in members if m.employee_code} | {m.user.email: m for m in members}
        missing = [line for line in lines if line not in found and line.lower() not in found]
        if missing:
            raise forms.ValidationError(_("次のメンバーが見つかりません: %(v)s") % {"v": ", ".join(missing)})
        return list({m.pk: m for m in members.select_related("user")}.values())


class RealResultForm(forms.ModelForm):
    class Meta:
        model = RealResult
        fields = ["exam", "session", "taken_on", "passed"]
        widgets = {
            "taken_on": forms.DateInput(attrs={"type": "date"}),
            "session": forms.TextInput(attrs={"placeholder": "2025#6"}),
        }
