"""Sign-in through a real SAML 2.0 IdP (pysaml2's, on loopback): just-in-time membership, and every refusal
with its message and nothing created."""

import pytest

from accounts.models import User
from organizations import saml
from organizations.models import IdentityProvider, Membership, SamlAssertionSeen
from tests.factories import MembershipFactory

from .conftest import TESTSERVER, saml_idp_answer

pytestmark = pytest.mark.django_db


def nothing_created(email):
    return not User.objects.filter(email=email).exists() and not Membership.objects.filter(user__email=email).exists()


def test_first_sign_in_creates_the_account_and_membership_in_the_mapped_department(client, saml_config, sales):
    acs, fields = saml_idp_answer(client, "New.Hire@alpha.example")

    response = client.post(acs, fields)

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="new.hire@alpha.example")
    membership = Membership.objects.get(user=user)
    assert (membership.organization_id, membership.department, membership.employee_code) == (
        saml_config.organization_id,
        sales,
        "E001",
    )
    assert user.display_name == "新人 太郎" and user.email_confirmed and not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk


def test_an_existing_member_just_signs_in(client, saml_config, organization):
    member = MembershipFactory(organization=organization, user__email="new.hire@alpha.example", employee_code="X9")
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")

    client.post(acs, fields)

    assert int(client.session["_auth_user_id"]) == member.user_id
    assert Membership.objects.filter(user=member.user).count() == 1
    assert Membership.objects.get(pk=member.pk).employee_code == "X9"


def refused(response, message):
    assert response.status_code == 403
    assert message in response.content.decode()
    return True


def test_an_unsigned_assertion_is_refused(client, saml_config, saml_idp):
    saml_idp.sign_assertion = False
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")

    assert refused(client.post(acs, fields), "署名")
    assert nothing_created("new.hire@alpha.example")


def test_an_assertion_signed_with_another_key_is_refused(client, saml_config, saml_idp):
    saml_idp.sign_with_other_key = True
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")

    assert refused(client.post(acs, fields), "署名を確認できませんでした")
    assert nothing_created("new.hire@alpha.example")


def test_an_assertion_for_another_audience_is_refused(client, saml_config, saml_idp):
    saml_idp.audience = "https://other-service.example/saml"
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")

    assert refused(client.post(acs, fields), "オーディエンス")
    assert nothing_created("new.hire@alpha.example")


def test_an_answer_from_another_organizations_idp_is_refused(client, saml_config, other_saml_idp, other_organization):
    other = IdentityProvider.objects.create(
        pk=9102,
        organization=other_organization,
        name="B",
        protocol="saml",
        saml_metadata_xml=other_saml_idp.metadata(),
        saml_entity_id=other_saml_idp.entity_id,
    )
    other_saml_idp.sp_metadata = [saml.sp_metadata(other, TESTSERVER)]
    _acs_b, answer_of_b = saml_idp_answer(client, "someone@beta.example", start=client.get(f"/sso/{other.pk}/login/"))
    acs_a, answer_of_a = saml_idp_answer(client, "new.hire@alpha.example")

    # B's signed answer is posted to A's ACS, in the browser that began a sign-in at A.
    response = client.post(acs_a, {**answer_of_b, "RelayState": answer_of_a["RelayState"]})

    assert response.status_code == 403
    assert nothing_created("someone@beta.example")


def test_an_expired_assertion_is_refused(client, saml_config, saml_idp):
    saml_idp.lifetime_minutes = -10
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")

    assert refused(client.post(acs, fields), "有効期限")
    assert nothing_created("new.hire@alpha.example")


def test_a_replayed_assertion_is_refused(client, saml_config):
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")
    pending_cookie = client.cookies["moshi_sso"].value
    client.post(acs, fields)
    assert SamlAssertionSeen.objects.count() == 1
    client.logout()
    users_before = User.objects.count()

    client.cookies["moshi_sso"] = pending_cookie  # whoever captured the browser's answer and its cookie
    response = client.post(acs, fields)

    assert refused(response, "すでに使われています")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == users_before


def test_an_answer_without_this_browsers_login_is_refused(client, saml_config):
    acs, fields = saml_idp_answer(client, "new.hire@alpha.example")
    client.cookies.pop("moshi_sso")

    assert refused(client.post(acs, fields), "このブラウザから始めたログインではありません")
    assert nothing_created("new.hire@alpha.example")


def test_an_address_outside_the_claimed_domains_is_refused(client, saml_config):
    acs, fields = saml_idp_answer(client, "outsider@gmail.example", start_email="new.hire@alpha.example")

    assert refused(client.post(acs, fields), "確認済みドメインではありません")
    assert nothing_created("outsider@gmail.example")


def test_an_idp_of_another_organization_cannot_sign_in_its_people(client, saml_config):
    # Organization A's IdP asserts an address of the domain organization B verified.
    acs, fields = saml_idp_answer(client, "someone@beta.example", start_email="new.hire@alpha.example")

    assert refused(client.post(acs, fields), "別の組織のアドレス")
    assert nothing_created("someone@beta.example")


def test_sp_metadata_names_the_acs(client, saml_config):
    response = client.get(f"/sso/saml/{saml_config.pk}/metadata/")

    assert response.status_code == 200
    assert b"/sso/saml/9101/acs/" in response.content
