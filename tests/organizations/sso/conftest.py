import html
import re

import pytest
import requests
from joserfc.jwk import RSAKey

from organizations import saml
from organizations.models import ClaimedDomain, IdentityProvider
from tests.factories import DepartmentFactory, MembershipFactory

from .idps import OidcProvider, SamlIdp, auto_post_form

TESTSERVER = "http://testserver"
SAML_IDP_ID, OIDC_IDP_ID = 9101, 9001
# Claims the OIDC provider sends, and the same people as SAML attributes (pysaml2's IdP sends the names it
# knows: ou, employeeNumber, displayName, as Entra ID and Okta send their own URIs).
USERS = {
    "new.hire@alpha.example": {"department": "営業部", "employee_code": "E001", "name": "新人 太郎"},
    "outsider@gmail.example": {"department": "営業部"},
    "someone@beta.example": {"department": "営業部"},
    "unverified@alpha.example": {"email_verified": False},
}
SAML_NAMES = {"department": "ou", "employee_code": "employeeNumber", "name": "displayName"}
SAML_USERS = {
    email: {SAML_NAMES[k]: v for k, v in claims.items() if k in SAML_NAMES} for email, claims in USERS.items()
}


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    idp = SamlIdp(tmp_path_factory.mktemp("saml-idp"), "a", SAML_USERS)
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def other_saml_idp(tmp_path_factory):
    """A second, unrelated IdP: its answers must not be taken for the first one's."""
    idp = SamlIdp(tmp_path_factory.mktemp("saml-idp-b"), "b", SAML_USERS)
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def oidc_signing_key():
    """The providers' RS256 key, held by the tests as well, to sign what no honest provider would."""
    return RSAKey.generate_key(2048, parameters={"kid": "test-provider-key", "alg": "RS256", "use": "sig"})


def oidc_clients(base=TESTSERVER):
    """Moshi as the provider's client at `base`, and another relying party of the same provider."""
    return [
        {"client_id": "moshi", "client_secret": "s3cret-moshi", "redirect_uris": [oidc_redirect(OIDC_IDP_ID, base)]},
        # Another relying party of the same provider: its id_tokens are addressed to it, not to Moshi.
        {"client_id": "another-app", "client_secret": "s3cret-other", "redirect_uris": [f"{base}/another-app/cb"]},
    ]


@pytest.fixture(scope="session")
def oidc_provider(oidc_signing_key):
    provider = OidcProvider(oidc_clients(), USERS, jwks={"keys": [oidc_signing_key.as_dict(private=True)]})
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def other_oidc_provider(oidc_signing_key):
    """A second provider with the same key and client: only its issuer tells its id_tokens apart."""
    provider = OidcProvider(oidc_clients(), USERS, jwks={"keys": [oidc_signing_key.as_dict(private=True)]})
    yield provider
    provider.stop()


def oidc_redirect(idp_id, base=TESTSERVER):
    return f"{base}/sso/oidc/{idp_id}/callback/"


@pytest.fixture(autouse=True)
def _fresh_idp(request):
    yield
    if "saml_idp" in request.fixturenames:
        request.getfixturevalue("saml_idp").reset()


@pytest.fixture
def sales(organization):
    return DepartmentFactory(organization=organization, name="営業部")


@pytest.fixture
def alpha_domain(organization):
    from django.utils import timezone

    return ClaimedDomain.objects.create(organization=organization, domain="alpha.example", verified_at=timezone.now())


@pytest.fixture
def beta_domain(other_organization):
    from django.utils import timezone

    return ClaimedDomain.objects.create(
        organization=other_organization, domain="beta.example", verified_at=timezone.now()
    )


def saml_identity_provider(organization, saml_idp, sp_base_url: str) -> IdentityProvider:
    """The organization's SAML IdP record for a test IdP, and the IdP told about Moshi's SP at sp_base_url."""
    idp = IdentityProvider.objects.create(
        pk=SAML_IDP_ID,
        organization=organization,
        name="Test SAML",
        protocol="saml",
        saml_metadata_xml=saml_idp.metadata(),
        saml_entity_id=saml_idp.entity_id,
        department_attribute="ou",
        employee_code_attribute="employeeNumber",
        name_attribute="displayName",
    )
    saml_idp.sp_metadata = [saml.sp_metadata(idp, sp_base_url)]
    return idp


def oidc_identity_provider(organization, oidc_provider) -> IdentityProvider:
    """The organization's OpenID Connect IdP record for a test provider (client moshi)."""
    return IdentityProvider.objects.create(
        pk=OIDC_IDP_ID,
        organization=organization,
        name="Test OIDC",
        protocol="oidc",
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="moshi",
        oidc_client_secret="s3cret-moshi",
        department_attribute="department",
        employee_code_attribute="employee_code",
    )


@pytest.fixture
def saml_config(organization, saml_idp, sales, alpha_domain, beta_domain):
    return saml_identity_provider(organization, saml_idp, TESTSERVER)


@pytest.fixture
def oidc_config(organization, oidc_provider, sales, alpha_domain, beta_domain):
    return oidc_identity_provider(organization, oidc_provider)


@pytest.fixture
def alpha_admin(organization):
    return MembershipFactory(organization=organization, role="org_admin", user__email="admin@alpha.example").user


def idp_location(response) -> str:
    """Where Moshi sends the browser to sign in at the IdP: a redirect for a link (the settings page's test
    sign-in), a page that moves on by itself for the login page's company form (its CSP's form-action)."""
    if response.status_code == 302:
        return response["Location"]
    assert response.status_code == 200, response.content
    found = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]+)">', response.content.decode())
    assert found, response.content
    return html.unescape(found.group(1))


def saml_idp_answer(client, email, *, start_email=None, start=None):
    """Start at the login page's company sign-in (or `start`, a response redirecting to the IdP), sign in at
    the SAML IdP, and return the ACS path and the IdP's auto-posted fields (not yet posted)."""
    location = idp_location(start or client.post("/sso/start/", {"email": start_email or email}))
    page = requests.get(location, timeout=10).text
    fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', page))
    base = location.split("/sso/")[0]
    answer = requests.post(f"{base}/sso/login", data={**fields, "email": email}, timeout=10)
    answer.raise_for_status()
    action, posted = auto_post_form(answer.text)
    return action.removeprefix(TESTSERVER), posted


def oidc_code_callback(client, email, *, start_email=None):
    """Start at the company sign-in (with `start_email`, when the person types one address and signs in at
    the IdP as another), sign in at the OIDC provider, and return Moshi's callback path with the code and
    state (not yet opened)."""
    return provider_sign_in(idp_location(client.post("/sso/start/", {"email": start_email or email})), email)


def provider_sign_in(location, email):
    """Follow an authorization request at the provider, sign in as `email`, and return where it sends the
    browser back: the relying party's redirect_uri with code and state (a path, for Moshi's test client)."""
    provider_base = location.split("/auth")[0]
    # The provider's cookies, carried by hand: requests files cookies of "localhost" under "localhost.local".
    cookies = {}
    for _ in range(10):
        if not location.startswith(provider_base):
            return location.removeprefix(TESTSERVER)
        hop = requests.get(location, cookies=cookies, allow_redirects=False, timeout=10)
        cookies.update(hop.cookies.get_dict())
        if hop.status_code == 200:  # the provider's sign-in page
            action = re.search(r'action="([^"]+)"', hop.text).group(1)
            hop = requests.post(
                provider_base + action, data={"email": email}, cookies=cookies, allow_redirects=False, timeout=10
            )
            cookies.update(hop.cookies.get_dict())
        assert hop.status_code in (302, 303), hop.text
        location = requests.compat.urljoin(location, hop.headers["Location"])
    raise AssertionError("the provider never redirected back")
