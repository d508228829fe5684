"""Sign-in through a real OpenID Connect provider (panva's oidc-provider under node, on loopback): code flow
with PKCE, state and nonce; just-in-time membership; and the refusals, each with a clear message and nothing
created.

The id_tokens the refusal tests hand Moshi are real ones wherever a real provider can issue them: to another
client of the same provider (audience), by a second provider sharing the key (issuer), from another sign-in
(nonce). Only the expired one is signed by the test, with the provider's own key."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from joserfc import jwt

from accounts.models import User
from organizations import oidc
from organizations.models import Membership
from organizations.sso_views import PENDING_COOKIE
from tests.factories import MembershipFactory

from .conftest import OIDC_IDP_ID, TESTSERVER, idp_location, oidc_code_callback, oidc_redirect, provider_sign_in

pytestmark = pytest.mark.django_db


def nothing_created(email):
    return not User.objects.filter(email=email).exists() and not Membership.objects.filter(user__email=email).exists()


def refused(response, message):
    assert response.status_code == 403
    assert message in response.content.decode()
    return True


MOSHI_CLIENT = ("moshi", "s3cret-moshi")
ANOTHER_APP = ("another-app", "s3cret-other")


def real_id_token(provider, email, *, nonce, client=MOSHI_CLIENT, redirect_uri=None):
    """An id_token the provider really issues to `client` (id, secret) for `email`, carrying `nonce`."""
    client_id, secret = client
    redirect_uri = redirect_uri or oidc_redirect(OIDC_IDP_ID)
    document = oidc.discovery(provider.issuer, fresh=True)
    verifier = generate_token(64)
    with OAuth2Session(
        client_id, secret, scope=oidc.SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256"
    ) as session:
        url, _state = session.create_authorization_url(
            document["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        back = provider_sign_in(url, email)
        code = parse_qs(urlsplit(back).query)["code"][0]
        token = session.fetch_token(
            document["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier
        )
    return token["id_token"]


def moshi_nonce(callback_start_location):
    return parse_qs(urlsplit(callback_start_location).query)["nonce"][0]


@pytest.fixture
def token_endpoint_gives(monkeypatch):
    """The provider's token endpoint still exchanges Moshi's code (PKCE checked), but its answer carries the
    given id_token instead of the one it issued: what a compromised or confused network path would do."""

    def install(id_token):
        real_fetch_token = OAuth2Session.fetch_token

        def fetch_token(self, *args, **kwargs):
            return {**real_fetch_token(self, *args, **kwargs), "id_token": id_token}

        monkeypatch.setattr(OAuth2Session, "fetch_token", fetch_token)

    return install


def start(client, email):
    """Moshi's redirect to the provider, and the nonce it put in it."""
    location = idp_location(client.post("/sso/start/", {"email": email}))
    return location, moshi_nonce(location)


# --- Signing in ---------------------------------------------------------------------------------------------


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(client, oidc_config, oidc_provider):
    location, _nonce = start(client, "new.hire@alpha.example")

    query = parse_qs(urlsplit(location).query)
    assert location.startswith(oidc_provider.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["login_hint"] == ["new.hire@alpha.example"] and query["client_id"] == ["moshi"]
    assert "code_verifier" not in location


def test_first_sign_in_creates_the_account_and_membership_in_the_mapped_department(client, oidc_config, sales):
    callback = oidc_code_callback(client, "new.hire@alpha.example")

    response = client.get(callback)

    assert response.status_code == 302 and response["Location"] == "/"
    membership = Membership.objects.get(user__email="new.hire@alpha.example")
    assert (membership.organization_id, membership.department, membership.employee_code) == (
        oidc_config.organization_id,
        sales,
        "E001",
    )
    user = membership.user
    assert user.email_confirmed and not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.session["sso_identity_provider"] == oidc_config.pk
    # The home page opens for the new member.
    assert client.get("/").status_code == 200


def test_an_existing_member_just_signs_in(client, oidc_config, organization):
    member = MembershipFactory(organization=organization, user__email="new.hire@alpha.example", employee_code="X9")
    callback = oidc_code_callback(client, "new.hire@alpha.example")

    response = client.get(callback)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.user_id
    assert Membership.objects.filter(user=member.user).count() == 1
    assert Membership.objects.get(pk=member.pk).employee_code == "X9"


def test_a_code_is_used_once(client, oidc_config):
    callback = oidc_code_callback(client, "new.hire@alpha.example")
    pending = client.cookies[PENDING_COOKIE].value
    client.get(callback)
    client.logout()
    # The same answer again, with this browser's sign-in cookie put back: the provider refuses the code.
    client.cookies[PENDING_COOKIE] = pending

    response = client.get(callback)

    assert refused(response, "認可コードの確認に失敗しました")
    assert "_auth_user_id" not in client.session


# --- Refusals: the answer must belong to this browser's sign-in ---------------------------------------------


def test_a_mismatched_state_is_refused(client, oidc_config):
    callback = oidc_code_callback(client, "new.hire@alpha.example")

    response = client.get(callback.replace("state=", "state=forged"))

    assert refused(response, "state")
    assert nothing_created("new.hire@alpha.example")
    assert "_auth_user_id" not in client.session


def test_an_answer_in_a_browser_that_did_not_start_the_sign_in_is_refused(client, oidc_config):
    callback = oidc_code_callback(client, "new.hire@alpha.example")

    response = Client().get(callback)

    assert refused(response, "state")
    assert nothing_created("new.hire@alpha.example")


def test_an_id_token_from_another_sign_in_is_refused_by_its_nonce(
    client, oidc_config, oidc_provider, token_endpoint_gives
):
    other_sign_in = real_id_token(oidc_provider, "new.hire@alpha.example", nonce=generate_token(32))
    location, _nonce = start(client, "new.hire@alpha.example")
    callback = provider_sign_in(location, "new.hire@alpha.example")
    token_endpoint_gives(other_sign_in)

    response = client.get(callback)

    assert refused(response, "nonce")
    assert nothing_created("new.hire@alpha.example")


# --- Refusals: the id_token must be the configured provider's, for Moshi, still valid ---------------------


def test_an_id_token_for_another_client_is_refused_by_its_audience(
    client, oidc_config, oidc_provider, token_endpoint_gives
):
    location, nonce = start(client, "new.hire@alpha.example")
    for_another_app = real_id_token(
        oidc_provider,
        "new.hire@alpha.example",
        nonce=nonce,
        client=ANOTHER_APP,
        redirect_uri=f"{TESTSERVER}/another-app/cb",
    )
    callback = provider_sign_in(location, "new.hire@alpha.example")
    token_endpoint_gives(for_another_app)

    response = client.get(callback)

    assert refused(response, "オーディエンスが違います")
    assert nothing_created("new.hire@alpha.example")


def test_an_id_token_from_another_issuer_is_refused(client, oidc_config, other_oidc_provider, token_endpoint_gives):
    location, nonce = start(client, "new.hire@alpha.example")
    # Same signing key, same client id and secret: only the iss claim says which provider issued it.
    from_another_issuer = real_id_token(other_oidc_provider, "new.hire@alpha.example", nonce=nonce)
    callback = provider_sign_in(location, "new.hire@alpha.example")
    token_endpoint_gives(from_another_issuer)

    response = client.get(callback)

    assert refused(response, "発行者が違います")
    assert nothing_created("new.hire@alpha.example")


def test_an_expired_id_token_is_refused(client, oidc_config, oidc_provider, oidc_signing_key, token_endpoint_gives):
    location, nonce = start(client, "new.hire@alpha.example")
    now = int(time.time())
    claims = {
        "iss": oidc_provider.issuer,
        "aud": "moshi",
        "sub": "new.hire@alpha.example",
        "email": "new.hire@alpha.example",
        "nonce": nonce,
        "iat": now - 7200,
        "exp": now - 3600,  # an hour ago, well past the minute of clock skew allowed
    }
    expired = jwt.encode({"alg": "RS256", "kid": oidc_signing_key.kid}, claims, oidc_signing_key)
    callback = provider_sign_in(location, "new.hire@alpha.example")
    token_endpoint_gives(expired)

    response = client.get(callback)

    assert refused(response, "有効期限が切れています")
    assert nothing_created("new.hire@alpha.example")


def test_an_id_token_with_a_wrong_signature_is_refused(client, oidc_config, oidc_provider, token_endpoint_gives):
    location, nonce = start(client, "new.hire@alpha.example")
    genuine = real_id_token(oidc_provider, "new.hire@alpha.example", nonce=nonce)
    header, payload, signature = genuine.split(".")
    tampered = f"{header}.{payload}.{signature[:-8]}{'AAAAAAAA' if not signature.endswith('AAAAAAAA') else 'BBBBBBBB'}"
    callback = provider_sign_in(location, "new.hire@alpha.example")
    token_endpoint_gives(tampered)

    response = client.get(callback)

    assert refused(response, "署名")
    assert nothing_created("new.hire@alpha.example")


# --- Refusals: who the provider vouches for must belong to this organization -------------------------------


def test_an_address_outside_the_claimed_domains_is_refused(client, oidc_config):
    # Discovery does not route this address to any IdP ...
    response = client.post("/sso/start/", {"email": "outsider@gmail.example"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    # ... so the person types the company address, then signs in at the IdP as another.
    callback = oidc_code_callback(client, "outsider@gmail.example", start_email="new.hire@alpha.example")

    response = client.get(callback)

    assert refused(response, "確認済みドメインではありません")
    assert nothing_created("outsider@gmail.example")


def test_an_idp_of_another_organization_cannot_sign_in_its_people(client, oidc_config, other_organization):
    callback = oidc_code_callback(client, "someone@beta.example", start_email="new.hire@alpha.example")

    response = client.get(callback)

    assert refused(response, "別の組織のアドレス")
    assert nothing_created("someone@beta.example")
    assert not Membership.objects.filter(organization=other_organization, user__email="someone@beta.example").exists()


def test_an_address_the_provider_has_not_verified_is_refused(client, oidc_config):
    callback = oidc_code_callback(client, "unverified@alpha.example")

    response = client.get(callback)

    assert refused(response, "メールアドレスが確認されていません")
    assert nothing_created("unverified@alpha.example")
