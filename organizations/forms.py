from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import NewPasswordForm

from .models import Department, Membership


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    display_name = forms.CharField(label=_("氏名"), max_length=100, required=False)
    department = forms.ModelChoiceField(label=_("部署"), queryset=None, required=False)
    employee_code = forms.CharField(label=_("社員番号"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("役割"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(organization=organization).order_by("name")


class InviteCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV ファイル"),
        help_text=_(
            "見出し行: email, name, department, employee_code, role"
            "（または メールアドレス, 氏名, 部署, 社員番号, 役割）。UTF-8 か Shift_JIS。"
        ),
    )


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "department", "employee_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            organization_id=self.instance.organization_id
        ).order_by("name")


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("部署名"), max_length=200)


class JoinForm(NewPasswordForm):
    """A new person's account, from an invitation: the address is the invited one."""

    display_name = forms.CharField(label=_("表示名"), max_length=100, required=False)
    field_order = ["display_name", "password1", "password2"]

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def account_email(self, cleaned) -> str:
        return self.email
