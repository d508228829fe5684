"""Single sign-on: the org admin's settings page, and the sign-in through an organization's IdP (SAML 2.0 and
OpenID Connect). What the IdP answered is checked in saml.py / oidc.py; who it signs in, in sso_services."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.views import sign_in
from common.http import int_or_404

from . import oidc, saml, selectors, sso_selectors, sso_services
from .models import ClaimedDomain, IdentityProvider
from .sso_forms import CompanyLoginForm, DomainForm, OidcIdentityProviderForm, SamlIdentityProviderForm

# --- Settings (org admins of that organization only) ---------------------------------------------------


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _oidc_redirect_uri(request, idp) -> str:
    """Where the OpenID provider sends the person back: shown to the admin, sent at sign-in, checked after."""
    return _base_url(request) + reverse("oidc_callback", args=[idp.pk])


@login_required
def org_sso(request):
    """Org admin: the organization's IdPs, its claimed domains and the require-SSO switch."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    domain_form = DomainForm()
    if request.method == "POST":
        try:
            if "remove_domain" in request.POST:
                claim = ClaimedDomain.objects.filter(
                    organization=organization, pk=int_or_404(request.POST["remove_domain"])
                ).first()
                if claim is not None:
                    sso_services.domain_remove(claim=claim, by=request.user)
                return redirect("org_sso")
            if "sso_required" in request.POST:
                required = request.POST["sso_required"] == "on"
                sso_services.sso_required_set(organization=organization, required=required, by=request.user)
                messages.success(request, _("SSOの必須設定を保存しました。"))
                return redirect("org_sso")
            domain_form = DomainForm(request.POST)
            if domain_form.is_valid():
                sso_services.domain_claim(
                    organization=organization, domain=domain_form.cleaned_data["domain"], by=request.user
                )
                messages.success(request, _("ドメインを登録しました。IdPでのログインで確認してください。"))
                return redirect("org_sso")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    base = _base_url(request)
    providers = [
        {
            "idp": idp,
            "metadata_url": saml.sp_entity_id(idp, base),
            "acs_url": saml.acs_url(idp, base),
            "redirect_uri": _oidc_redirect_uri(request, idp),
        }
        for idp in sso_selectors.identity_providers_of(organization_id=organization.pk)
    ]
    context = {
        "user_membership": membership,
        "organization": organization,
        "providers": providers,
        "domains": sso_selectors.claimed_domains_of(organization_id=organization.pk),
        "domain_form": domain_form,
    }
    return render(request, "organizations/org_sso.html", context)


@login_required
def org_sso_idp(request, idp_id=None, protocol=None):
    """Org admin: add or edit one IdP. Another organization's IdP is a 404."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    if idp_id is not None:
        idp = sso_selectors.identity_provider_of(organization_id=organization.pk, idp_id=int_or_404(idp_id))
    elif protocol in IdentityProvider.Protocol.values:
        idp = IdentityProvider(organization=organization, protocol=protocol)
    else:
        return redirect("org_sso")
    form_class = (
        SamlIdentityProviderForm if idp.protocol == IdentityProvider.Protocol.SAML else OidcIdentityProviderForm
    )
    if request.method == "POST" and "delete" in request.POST and idp.pk:
        sso_services.identity_provider_delete(idp=idp, by=request.user)
        messages.success(request, _("IdP「%(name)s」を削除しました。") % {"name": idp.name})
        return redirect("org_sso")
    form = form_class(request.POST or None, request.FILES or None, instance=idp)
    if request.method == "POST" and form.is_valid():
        try:
            sso_services.identity_provider_save(
                idp=form.instance,
                metadata_xml=form.metadata_xml() if isinstance(form, SamlIdentityProviderForm) else "",
                client_secret=form.cleaned_data.get("client_secret", ""),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("IdP「%(name)s」を保存しました。") % {"name": form.instance.name})
            return redirect("org_sso")
    context = {
        "user_membership": membership,
        "organization": organization,
        "idp": idp,
        "form": form,
        "has_secret": bool(idp.oidc_client_secret),
    }
    return render(request, "organizations/org_sso_idp.html", context)


# --- Sign-in ------------------------------------------------------------------------------------------

PENDING_COOKIE = "moshi_sso"
PENDING_SALT = "moshi.organizations.sso-pending"
PENDING_MAX_AGE = 600  # seconds from leaving for the IdP to coming back


def _safe_next(request, value: str) -> str:
    """Only a path on this site; anything else (another host, a scheme) lands on home."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        if value.startswith("/") and not value.startswith("//"):
            return value
    return reverse("home")


@require_POST
def sso_discover(request):
    """The login page's 「会社のアカウントでログイン」: the address's verified domain names the IdP."""
    form = CompanyLoginForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        idp = sso_selectors.identity_provider_for_email(email)
        if idp is not None:
            return _start(request, idp, login_hint=email, next_url=request.POST.get("next", ""))
        messages.error(
            request,
            _("このアドレスの会社ではシングルサインオンが設定されていません。パスワードでログインしてください。"),
        )
    else:
        messages.error(request, _("会社のメールアドレスを入力してください。"))
    return redirect("login")


def sso_login(request, idp_id):
    """Start a sign-in at one IdP (the settings page links here, so an org admin can verify a domain)."""
    idp = sso_selectors.active_identity_provider(idp_id=int_or_404(idp_id))
    return _start(request, idp, login_hint="", next_url=request.GET.get("next", ""))


def _start(request, idp: IdentityProvider, *, login_hint: str, next_url: str):
    """Redirect to the IdP's own URL (from its metadata or discovery) and remember, in a signed cookie bound
    to this browser, what the answer must match."""
    pending = {"idp": idp.pk, "next": _safe_next(request, next_url)}
    try:
        if idp.protocol == IdentityProvider.Protocol.SAML:
            relay_state = secrets.token_urlsafe(24)
            request_id, location = saml.login_redirect(idp, _base_url(request), relay_state)
            pending.update(request_id=request_id, relay_state=relay_state)
        else:
            redirect_uri = _oidc_redirect_uri(request, idp)
            start = oidc.authorization_start(idp, redirect_uri, login_hint=login_hint)
            pending.update(state=start.state, nonce=start.nonce, code_verifier=start.code_verifier)
            location = start.url
    except (oidc.DiscoveryFailed, saml.MetadataInvalid, oidc.OidcRefused):
        return _refused(request, _("IdPに接続できませんでした。しばらくしてからもう一度お試しください。"))
    if request.method == "POST":
        # The login page's CSP allows forms to post only to Moshi ("form-action 'self'"), and Chromium applies
        # that to the redirects that follow a form post too; a page that moves on by itself (meta refresh, no
        # script) is a new navigation, so the IdP's origin need not be listed on the login page.
        response = render(request, "organizations/sso_redirect.html", {"location": location, "idp": idp})
    else:
        response = redirect(location)
    # SAML answers with a cross-site POST, which carries only SameSite=None cookies (and those need HTTPS).
    secure = request.is_secure()
    response.set_cookie(
        PENDING_COOKIE,
        signing.dumps(pending, salt=PENDING_SALT),
        max_age=PENDING_MAX_AGE,
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
    )
    return response


def _pending(request, idp_id: int) -> dict:
    try:
        pending = signing.loads(request.COOKIES.get(PENDING_COOKIE, ""), salt=PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:
        return {}
    return pending if pending.get("idp") == idp_id else {}


def _refused(request, message: str):
    response = render(request, "organizations/sso_refused.html", {"message": message}, status=403)
    response.delete_cookie(PENDING_COOKIE)
    return response


def _finish(request, idp: IdentityProvider, asserted: sso_services.Asserted, next_url: str):
    try:
        user = sso_services.sso_sign_in(idp=idp, asserted=asserted)
    except sso_services.SsoRefused as refusal:
        return _refused(request, str(refusal))
    response = sign_in(request, user, redirect_to=next_url)
    request.session["sso_identity_provider"] = idp.pk
    response.delete_cookie(PENDING_COOKIE)
    return response


@csrf_exempt  # the IdP posts here from its own site; the signed assertion and the pending cookie are the checks
@require_POST
def saml_acs(request, idp_id):
    idp = sso_selectors.active_identity_provider(idp_id=int_or_404(idp_id))
    if idp.protocol != IdentityProvider.Protocol.SAML:
        return _refused(request, _("このIdPはSAMLではありません。"))
    pending = _pending(request, idp.pk)
    if not pending or request.POST.get("RelayState") != pending.get("relay_state"):
        return _refused(
            request, _("このブラウザから始めたログインではありません。ログイン画面からやり直してください。")
        )
    try:
        identity = saml.parse_response(
            idp, _base_url(request), request.POST.get("SAMLResponse", ""), pending.get("request_id")
        )
    except saml.SamlRefused as refusal:
        return _refused(request, str(refusal))
    email = sso_services.attribute(identity.attributes, idp.email_attribute) or (
        identity.name_id if "@" in identity.name_id else ""
    )
    asserted = sso_services.Asserted(
        email=email,
        attributes=identity.attributes,
        assertion_id=identity.assertion_id,
        assertion_expires_at=identity.expires_at,
    )
    return _finish(request, idp, asserted, pending["next"])


def saml_metadata(request, idp_id):
    """The SP metadata an org admin gives the IdP (entity id and ACS URL)."""
    idp = sso_selectors.active_identity_provider(idp_id=int_or_404(idp_id))
    if idp.protocol != IdentityProvider.Protocol.SAML or not idp.saml_metadata_xml:
        return HttpResponse(status=404)
    return HttpResponse(saml.sp_metadata(idp, _base_url(request)), content_type="application/samlmetadata+xml")


def oidc_callback(request, idp_id):
    idp = sso_selectors.active_identity_provider(idp_id=int_or_404(idp_id))
    if idp.protocol != IdentityProvider.Protocol.OIDC:
        return _refused(request, _("このIdPは OpenID Connect ではありません。"))
    pending = _pending(request, idp.pk)
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(state, pending.get("state", "")):
        return _refused(request, _("ログインの確認値 (state) が一致しません。ログイン画面からやり直してください。"))
    if request.GET.get("error") or not request.GET.get("code"):
        return _refused(request, _("IdPでのログインが完了しませんでした。"))
    redirect_uri = _oidc_redirect_uri(request, idp)
    try:
        claims = oidc.callback_claims(
            idp, redirect_uri, code=request.GET["code"], code_verifier=pending["code_verifier"], nonce=pending["nonce"]
        )
    except (oidc.OidcRefused, oidc.DiscoveryFailed) as refusal:
        return _refused(request, str(refusal))
    if claims.get("email_verified") is False:
        return _refused(request, _("IdPでメールアドレスが確認されていません。"))
    asserted = sso_services.Asserted(email=sso_services.attribute(claims, idp.email_attribute), attributes=claims)
    return _finish(request, idp, asserted, pending["next"])
