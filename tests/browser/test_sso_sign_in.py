"""Single sign-on in a real Chromium: from Moshi's login page, the company form sends the person to their
organization's IdP (pysaml2's SAML IdP, or panva's oidc-provider, both on loopback), and they land on the
home page as a member of the department the IdP named. axe on the login page and the org admin's SSO pages."""

import pytest
from django.utils import timezone

from organizations.models import ClaimedDomain, IdentityProvider, Membership
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import DepartmentFactory, MembershipFactory
from tests.organizations.sso.conftest import (
    SAML_USERS,
    USERS,
    oidc_clients,
    oidc_identity_provider,
    saml_identity_provider,
)
from tests.organizations.sso.idps import OidcProvider, SamlIdp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser_saml_idp(tmp_path_factory):
    idp = SamlIdp(tmp_path_factory.mktemp("browser-saml-idp"), "browser", SAML_USERS)
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def browser_oidc_provider(live_server):
    provider = OidcProvider(oidc_clients(live_server.url), USERS)
    yield provider
    provider.stop()


@pytest.fixture
def alpha(organization):
    """The organization's verified domain and its 営業部, which the IdPs name for new.hire@alpha.example."""
    ClaimedDomain.objects.create(organization=organization, domain="alpha.example", verified_at=timezone.now())
    return DepartmentFactory(organization=organization, name="営業部")


@pytest.fixture
def saml_idp_configured(organization, alpha, browser_saml_idp, live_server):
    return saml_identity_provider(organization, browser_saml_idp, live_server.url)


@pytest.fixture
def oidc_idp_configured(organization, alpha, browser_oidc_provider):
    return oidc_identity_provider(organization, browser_oidc_provider)


def company_sign_in(browser, live_server, email):
    """Moshi's login page → 会社のアカウントでログイン with `email` → the IdP's sign-in page."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    company = page.locator("form[action='/sso/start/']")
    company.get_by_label("会社のメールアドレス").fill(email)
    company.get_by_role("button", name="会社のアカウントでログイン").click()
    page.wait_for_selector("#idp-sign-in")
    return context, page


def assert_landed_as_new_member(page, live_server, organization, department):
    page.wait_for_url(f"{live_server.url}/")
    membership = Membership.objects.get(user__email="new.hire@alpha.example")
    assert (membership.organization_id, membership.department_id, membership.employee_code) == (
        organization.pk,
        department.pk,
        "E001",
    )
    # Signed in: the home page is the member's, not the login page.
    assert page.url == f"{live_server.url}/"
    assert page.locator("form[action='/sso/start/']").count() == 0


def test_a_new_employee_signs_in_through_the_saml_idp_and_lands_in_their_department(
    browser, live_server, organization, alpha, saml_idp_configured
):
    context, page = company_sign_in(browser, live_server, "new.hire@alpha.example")
    assert page.url.startswith(saml_idp_configured.saml_entity_id.removesuffix("/metadata"))
    page.fill("input[name=email]", "new.hire@alpha.example")
    page.click("#idp-sign-in")  # the IdP's answer posts itself back to Moshi's ACS

    assert_landed_as_new_member(page, live_server, organization, alpha)
    context.close()


def test_a_new_employee_signs_in_through_the_oidc_provider_and_lands_in_their_department(
    browser, live_server, organization, alpha, oidc_idp_configured
):
    context, page = company_sign_in(browser, live_server, "new.hire@alpha.example")
    assert page.url.startswith(oidc_idp_configured.oidc_issuer + "/interaction/")
    # The provider's sign-in page has the address Moshi passed as login_hint.
    assert page.input_value("input[name=email]") == "new.hire@alpha.example"
    page.click("#idp-sign-in")

    assert_landed_as_new_member(page, live_server, organization, alpha)
    context.close()


# --- Accessibility ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_login_pages_company_form_passes_axe(browser, live_server, viewport):
    context = browser.new_context(locale="ja-JP", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("form[action='/sso/start/'] input[name=email]").is_visible()
    assert accessibility_problems(page) == []
    # The form's refusal message (an address with no SSO) is accessible too.
    page.locator("form[action='/sso/start/'] input[name=email]").fill("someone@nosso.example")
    page.locator("form[action='/sso/start/'] button").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "シングルサインオンが設定されていません" in page.content()
    assert accessibility_problems(page) == []
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_org_sso_settings_pages_pass_axe(browser, live_server, organization, alpha, viewport):
    admin = MembershipFactory(organization=organization, role="org_admin", user__email="admin@alpha.example").user
    ClaimedDomain.objects.create(organization=organization, domain="alpha.co.jp")  # one not yet verified
    entra = IdentityProvider.objects.create(
        organization=organization, name="Entra ID", protocol="oidc", oidc_issuer="https://login.example/v2.0"
    )
    context, page = log_in(browser, live_server, admin, viewport=viewport, bypass_csp=True)
    for path in ("/org/sso/", f"/org/sso/{entra.pk}/", "/org/sso/new/saml/", "/org/sso/new/oidc/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        assert accessibility_problems(page) == [], path
    context.close()
