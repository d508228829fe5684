from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import User, normalize_email


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
        # Whether the address has an account is not said here (that would tell anyone): the mail says it.
        return normalize_email(self.cleaned_data["email"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, finding the account the way login does (one normalized spelling)."""

    def get_users(self, email):
        users = User.objects.filter(email=normalize_email(email), is_active=True)
        return (u for u in users if u.has_usable_password())


SSO_REQUIRED_MESSAGE = _(
    "%(org)s ではパスワードでのログインは使えません。会社のアカウント（シングルサインオン）でログインしてください。"
)


class SsoRequiredMixin:
    """Password login refused for an address whose organization requires SSO (organizations.sso_selectors),
    with a link to the company sign-in. The same answer whether or not the password was right, so the page
    tells nothing about it; only the organization's own org admins get through (the documented break-glass)."""

    def clean(self):
        from organizations.sso_selectors import is_break_glass_admin, sso_required_for

        claim = sso_required_for(self.data.get("username", ""))
        if claim is None:
            return super().clean()
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            cleaned = None
        user = self.get_user() if cleaned is not None else None
        if user is None or not is_break_glass_admin(user=user, organization_id=claim.organization_id):
            self.user_cache = None
            raise forms.ValidationError(
                format_html(
                    '{} <a href="{}#company-login">{}</a>',
                    SSO_REQUIRED_MESSAGE % {"org": claim.organization.name},
                    reverse("login"),
                    _("会社のアカウントでログイン"),
                ),
                code="sso_required",
            )
        return cleaned


class CompanyAwareLoginForm(SsoRequiredMixin, auth_forms.AuthenticationForm):
    pass


class CompanyAwareAdminLoginForm(SsoRequiredMixin, AdminAuthenticationForm):
    pass
