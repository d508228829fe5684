from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdentityProvider

MAPPING_FIELDS = ["email_attribute", "name_attribute", "department_attribute", "employee_code_attribute"]


class SamlIdentityProviderForm(forms.ModelForm):
    metadata_file = forms.FileField(
        label=_("メタデータXMLファイル"),
        required=False,
        help_text=_("URLの代わりに、IdPからダウンロードしたメタデータXMLをアップロードできます。"),
    )

    class Meta:
        model = IdentityProvider
        fields = ["name", "is_active", "saml_metadata_url", *MAPPING_FIELDS]

    def metadata_xml(self) -> str:
        upload = self.cleaned_data.get("metadata_file")
        return upload.read(2_000_000).decode("utf-8", errors="replace") if upload else ""


class OidcIdentityProviderForm(forms.ModelForm):
    # Write-only: the stored secret is never put back into the page; blank keeps it.
    client_secret = forms.CharField(
        label=_("クライアントシークレット"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("保存済みのシークレットは表示しません。変更するときだけ入力してください。"),
    )

    class Meta:
        model = IdentityProvider
        fields = ["name", "is_active", "oidc_issuer", "oidc_client_id", *MAPPING_FIELDS]


class DomainForm(forms.Form):
    domain = forms.CharField(label=_("メールのドメイン"), max_length=253)


class CompanyLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("会社のメールアドレス"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
