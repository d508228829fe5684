from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .models import Department, Membership, User


class NewPasswordForm(forms.Form):
    """A new password typed twice and checked against the validators (for the account's email)."""

    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def account_email(self, cleaned) -> str:
        return cleaned.get("email", "")

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("パスワードが一致しません。"))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.account_email(cleaned)))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class SignUpForm(NewPasswordForm):
    email = forms.EmailField(label=_("メールアドレス"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(label=_("表示名"), max_length=100, required=False)
    preferred_language = forms.ChoiceField(label=_("表示言語"), choices=settings.LANGUAGES, initial="ja")
    field_order = ["email", "display_name", "preferred_language", "password1", "password2"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("このメールアドレスは既に登録されています。ログインしてください。"))
        return email


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
