"""Writes about single sign-on: an org admin's IdP and domain settings, and the sign-in that an IdP vouches for
(just-in-time account and membership). Each one a transaction."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, normalize_email

from . import oidc, saml
from .models import ClaimedDomain, Department, IdentityProvider, Membership, Organization, SamlAssertionSeen
from .selectors import is_org_admin
from .services import _require_org_admin, membership_add
from .sso_selectors import email_domain, verified_domain_for

# --- Settings (org admins) -----------------------------------------------------------------------------

_ADMIN_ONLY = "シングルサインオンを設定できるのは組織の管理者だけです。"


def identity_provider_save(
    *, idp: IdentityProvider, metadata_xml: str = "", client_secret: str = "", by=None
) -> IdentityProvider:
    """Create or update an IdP from the settings form. SAML: the uploaded metadata, or else the metadata URL's,
    must describe one IdP with a signing certificate. OIDC: the issuer's discovery must answer with that
    issuer. A blank client secret on an existing IdP keeps the stored one (the page never shows it)."""
    _require_org_admin(by, idp.organization_id, _(_ADMIN_ONLY))
    if idp.protocol == IdentityProvider.Protocol.SAML:
        try:
            xml = metadata_xml or (saml.metadata_fetch(idp.saml_metadata_url) if idp.saml_metadata_url else "")
            if not xml:
                raise saml.MetadataInvalid(_("メタデータのURLを入力するか、XMLファイルをアップロードしてください。"))
            idp.saml_entity_id = saml.metadata_entity_id(xml)
        except saml.MetadataInvalid as error:
            raise ValidationError(str(error)) from None
        idp.saml_metadata_xml = xml
    else:
        if not (idp.oidc_issuer and idp.oidc_client_id):
            raise ValidationError(_("発行者 (Issuer) URL とクライアントIDを入力してください。"))
        try:
            oidc.discovery(idp.oidc_issuer, fresh=True)
        except oidc.DiscoveryFailed as error:
            raise ValidationError(str(error)) from None
        if client_secret:
            idp.oidc_client_secret = client_secret
        if not idp.oidc_client_secret:
            raise ValidationError(_("クライアントシークレットを入力してください。"))
    idp.full_clean()
    idp.save()
    return idp


def identity_provider_delete(*, idp: IdentityProvider, by=None) -> None:
    _require_org_admin(by, idp.organization_id, _(_ADMIN_ONLY))
    idp.delete()


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_claim(*, organization: Organization, domain: str, by=None) -> ClaimedDomain:
    """Claim an email domain; it does nothing until an org admin verifies it by signing in through the
    organization's IdP with an address of that domain. A domain another organization verified is not free."""
    _require_org_admin(by, organization.pk, _(_ADMIN_ONLY))
    domain = normalize_email(domain).lstrip("@").rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValidationError(_("ドメインの形式が正しくありません（例: example.co.jp）。"))
    if ClaimedDomain.objects.verified().filter(domain=domain).exclude(organization=organization).exists():
        raise ValidationError(_("このドメインは別の組織が確認済みのため、登録できません。"))
    claim, _created = ClaimedDomain.objects.get_or_create(organization=organization, domain=domain)
    return claim


def domain_remove(*, claim: ClaimedDomain, by=None) -> None:
    _require_org_admin(by, claim.organization_id, _(_ADMIN_ONLY))
    claim.delete()


def sso_required_set(*, organization: Organization, required: bool, by=None) -> None:
    _require_org_admin(by, organization.pk, _(_ADMIN_ONLY))
    if required and not (
        organization.claimed_domains.verified().exists()
        and organization.identity_providers.filter(is_active=True).exists()
    ):
        raise ValidationError(_("SSOを必須にするには、有効なIdPと確認済みのドメインが必要です。"))
    Organization.objects.filter(pk=organization.pk).update(sso_required=required)


# --- Sign-in ------------------------------------------------------------------------------------------


class SsoRefused(Exception):
    """A sign-in the IdP's answer does not allow; the message is shown to the person, nothing is created."""


@dataclass(frozen=True)
class Asserted:
    """What the IdP vouched for, from a checked SAML assertion or OIDC id_token."""

    email: str
    attributes: dict = field(default_factory=dict)
    assertion_id: str = ""  # SAML: remembered until it expires, so it cannot be used twice
    assertion_expires_at: datetime | None = None


def attribute(attributes: dict, name: str) -> str:
    """The first value of a claim or attribute (SAML attributes are lists, OIDC claims mostly strings)."""
    if not name:
        return ""
    value = attributes.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


@transaction.atomic
def sso_sign_in(*, idp: IdentityProvider, asserted: Asserted) -> User:
    """The account the IdP's answer signs in: an existing member, or a new account and membership made just
    in time. Refused, with nothing written, for an address outside the organization's verified domains, a
    domain another organization verified, a replayed assertion, or an account the organization deactivated."""
    email = normalize_email(asserted.email)
    try:
        validate_email(email)
    except ValidationError:
        raise SsoRefused(_("IdPからメールアドレスが届きませんでした。IdPの属性の設定を確認してください。")) from None
    organization = idp.organization
    domain = email_domain(email)
    claim = verified_domain_for(email)
    if claim is not None and claim.organization_id != organization.pk:
        raise SsoRefused(
            _("%(email)s は別の組織のアドレスです。この組織のIdPではログインできません。") % {"email": email}
        )
    user = User.objects.filter(email=email).first()
    if claim is None:
        _verify_domain_or_refuse(organization=organization, domain=domain, user=user, email=email)
    if asserted.assertion_id:
        try:
            with transaction.atomic():
                SamlAssertionSeen.objects.create(
                    assertion_id=asserted.assertion_id,
                    identity_provider=idp,
                    expires_at=asserted.assertion_expires_at or timezone.now(),
                )
        except IntegrityError:
            raise SsoRefused(
                _("このログイン応答はすでに使われています。ログイン画面からやり直してください。")
            ) from None
    if user is not None and not user.is_active:
        raise SsoRefused(_("このアカウントは利用停止されています。"))
    membership = Membership.objects.filter(user=user, organization=organization).first() if user else None
    if membership is not None:
        if not membership.is_active:
            raise SsoRefused(
                _("%(org)s でのアカウントは無効になっています。組織の管理者にお問い合わせください。")
                % {"org": organization.name}
            )
        return user
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=None,  # unusable: this person signs in through the IdP
            display_name=attribute(asserted.attributes, idp.name_attribute)[:100],
            email_confirmed_at=timezone.now(),  # the organization's IdP vouches for the address
        )
    elif user.email_confirmed_at is None:
        User.objects.filter(pk=user.pk).update(email_confirmed_at=timezone.now())
    membership_add(
        user=user,
        organization=organization,
        department=_mapped_department(organization, attribute(asserted.attributes, idp.department_attribute)),
        employee_code=_free_employee_code(organization, attribute(asserted.attributes, idp.employee_code_attribute)),
    )
    return user


def _verify_domain_or_refuse(*, organization: Organization, domain: str, user: User | None, email: str) -> None:
    """A claimed domain is proved by an org admin (whose address Moshi already confirmed by mail) signing in
    through the organization's own IdP with that same address: the IdP and the mailbox agree."""
    pending = ClaimedDomain.objects.select_for_update().filter(organization=organization, domain=domain).first()
    is_admin = (
        user is not None
        and user.email_confirmed_at is not None
        and is_org_admin(user=user, organization_id=organization.pk)
    )
    if pending is None or not is_admin:
        raise SsoRefused(
            _("%(email)s のドメインは %(org)s の確認済みドメインではありません。")
            % {"email": email, "org": organization.name}
        )
    try:
        with transaction.atomic():
            ClaimedDomain.objects.filter(pk=pending.pk).update(verified_at=timezone.now(), verified_by=user)
    except IntegrityError:  # another organization verified it a moment ago
        raise SsoRefused(_("このドメインは別の組織が確認済みです。")) from None


def _mapped_department(organization: Organization, name: str) -> Department | None:
    """The organization's department of exactly that name; an unknown name leaves the member without one
    (departments are made by org admins, not by whatever an IdP sends)."""
    if not name:
        return None
    return Department.objects.filter(organization=organization, name=name).first()


def _free_employee_code(organization: Organization, code: str) -> str:
    """The IdP's employee code, unless another member already has it (then left blank for the org admin)."""
    code = code[:50]
    if code and Membership.objects.filter(organization=organization, employee_code=code).exists():
        return ""
    return code


def expired_assertions_forget() -> int:
    """Replay records past their assertion's expiry protect nothing any more."""
    deleted, _rows = SamlAssertionSeen.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
