"""The org admin's SSO settings (who may see and change them) and require-SSO on the password logins."""

import pytest
from django.utils import timezone

from organizations.models import ClaimedDomain, IdentityProvider, Organization
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_alpha(organization):
    return ClaimedDomain.objects.create(organization=organization, domain="alpha.example", verified_at=timezone.now())


@pytest.fixture
def alpha_idp(organization):
    return IdentityProvider.objects.create(
        organization=organization,
        name="Entra",
        protocol="oidc",
        oidc_issuer="https://login.example/alpha/v2.0",
        oidc_client_id="client",
        oidc_client_secret="never-shown-secret",
    )


@pytest.fixture
def alpha_admin(organization):
    return MembershipFactory(organization=organization, role="org_admin", user__email="admin@alpha.example").user


@pytest.fixture
def alpha_member(organization):
    return MembershipFactory(organization=organization, user__email="member@alpha.example").user


@pytest.fixture
def sso_required(organization, verified_alpha, alpha_idp):
    Organization.objects.filter(pk=organization.pk).update(sso_required=True)


def test_org_admin_sees_the_settings_without_the_client_secret(client, alpha_admin, alpha_idp):
    client.force_login(alpha_admin)

    listing = client.get("/org/sso/")
    edit = client.get(f"/org/sso/{alpha_idp.pk}/")

    assert listing.status_code == 200 and edit.status_code == 200
    assert f"/sso/oidc/{alpha_idp.pk}/callback/" in listing.content.decode()
    assert "never-shown-secret" not in listing.content.decode() + edit.content.decode()


def test_another_organizations_admin_gets_404_for_the_idp(client, alpha_idp, other_organization):
    other_admin = MembershipFactory(organization=other_organization, role="org_admin").user
    client.force_login(other_admin)

    assert client.get(f"/org/sso/{alpha_idp.pk}/").status_code == 404
    assert client.post(f"/org/sso/{alpha_idp.pk}/", {"delete": "1"}).status_code == 404
    assert IdentityProvider.objects.filter(pk=alpha_idp.pk).exists()


def test_a_member_and_hr_cannot_open_the_settings(client, alpha_member, hr_manager, alpha_idp):
    for person in (alpha_member, hr_manager):
        client.force_login(person)
        assert client.get("/org/sso/").status_code == 403
        assert client.get(f"/org/sso/{alpha_idp.pk}/").status_code == 403


def test_anonymous_is_sent_to_login(client, alpha_idp):
    assert client.get("/org/sso/")["Location"].startswith("/accounts/login/")


def test_a_domain_verified_by_another_organization_cannot_be_claimed(client, alpha_admin, other_organization):
    ClaimedDomain.objects.create(organization=other_organization, domain="beta.example", verified_at=timezone.now())
    client.force_login(alpha_admin)

    response = client.post("/org/sso/", {"domain": "BETA.example"}, follow=True)

    assert "別の組織が確認済み" in response.content.decode()
    assert not ClaimedDomain.objects.filter(organization__slug="alpha").exists()


def test_a_claimed_domain_starts_unverified(client, alpha_admin):
    client.force_login(alpha_admin)

    client.post("/org/sso/", {"domain": "alpha.example"})

    claim = ClaimedDomain.objects.get(organization__slug="alpha")
    assert (claim.domain, claim.verified_at) == ("alpha.example", None)


def test_require_sso_needs_a_verified_domain_and_an_idp(client, alpha_admin, organization):
    client.force_login(alpha_admin)

    response = client.post("/org/sso/", {"sso_required": "on"}, follow=True)

    assert "確認済みのドメインが必要" in response.content.decode()
    assert not Organization.objects.get(pk=organization.pk).sso_required


def login(client, email, password=PASSWORD, path="/accounts/login/"):
    return client.post(path, {"username": email, "password": password})


def test_password_login_is_refused_with_a_link_to_the_company_sign_in(client, alpha_member, sso_required):
    response = login(client, "Member@alpha.example")

    text = response.content.decode()
    assert response.status_code == 200 and "パスワードでのログインは使えません" in text
    assert 'href="/accounts/login/#company-login"' in text
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_gets_the_same_answer(client, alpha_member, sso_required):
    response = login(client, "member@alpha.example", password="wrong-password-1")

    assert "パスワードでのログインは使えません" in response.content.decode()


def test_the_admin_login_refuses_it_too(client, organization, sso_required):
    staff = MembershipFactory(organization=organization, user__email="author@alpha.example", user__is_staff=True).user

    response = login(client, staff.email, path="/admin/login/?next=/admin/")

    assert response.status_code == 200 and "パスワードでのログインは使えません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_org_admins_keep_password_login_as_break_glass(client, alpha_admin, sso_required):
    response = login(client, alpha_admin.email)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == alpha_admin.pk


def test_without_require_sso_password_login_works(client, alpha_member, verified_alpha, alpha_idp):
    assert login(client, alpha_member.email).status_code == 302


def test_company_login_with_an_unknown_domain_says_so(client, alpha_idp):
    response = client.post("/sso/start/", {"email": "someone@unknown.example"}, follow=True)

    assert "シングルサインオンが設定されていません" in response.content.decode()


def test_a_claimed_but_unverified_domain_routes_nowhere(client, organization, alpha_idp):
    ClaimedDomain.objects.create(organization=organization, domain="alpha.example")

    response = client.post("/sso/start/", {"email": "member@alpha.example"})

    assert response["Location"] == "/accounts/login/"
