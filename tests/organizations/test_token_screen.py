import re

import pytest
from django.urls import reverse

from organizations.models import ApiToken
from organizations.services import api_token_create
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def shown_key(page) -> str:
    return re.search(r'<code class="token-key" id="new-token-key">([^<]+)</code>', page.content.decode()).group(1)


def test_an_org_admin_issues_a_token_shown_once_and_revokes_it(client, organization, other_organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    page = client.post(reverse("api_tokens"), {"name": "人事ダッシュボード", "scopes": ["hr_read"]})
    assert page["Cache-Control"] == "no-store"
    key = shown_key(page)
    api = reverse("api:organization")
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").json()["id"] == organization.pk
    assert key not in client.get(reverse("api_tokens")).content.decode()  # never shown again

    other, _ = api_token_create(organization=other_organization, name="他社")
    assert client.post(reverse("api_tokens"), {"revoke": other.pk}).status_code == 404
    assert client.get(reverse("api_token_revoke", args=[other.pk])).status_code == 404
    assert client.post(reverse("api_token_revoke", args=[other.pk]), {"confirm": "yes"}).status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None

    token = ApiToken.objects.get(organization=organization)
    client.post(reverse("api_token_revoke", args=[token.pk]), {"confirm": "yes"})
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_revoking_needs_a_confirmation_and_a_post_without_it_revokes_nothing(client, organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    token, _key = api_token_create(organization=organization, name="人事ダッシュボード", by=admin)
    confirm_url = reverse("api_token_revoke", args=[token.pk])

    # The list's old one-click form (a page left open from before) now leads to the confirmation.
    old_form = client.post(reverse("api_tokens"), {"revoke": token.pk})
    assert (old_form.status_code, old_form["Location"]) == (302, confirm_url)
    # A POST to the confirmation page that is not its confirm button shows the question again.
    assert client.post(confirm_url, {}).status_code == 200
    assert client.post(confirm_url, {"confirm": "no"}).status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None

    page = client.get(confirm_url).content.decode()
    assert "トークン「人事ダッシュボード」を失効させますか？" in page
    assert 'name="confirm" value="yes"' in page and f'href="{reverse("api_tokens")}"' in page  # confirm or cancel
    assert client.post(confirm_url, {"confirm": "yes"})["Location"] == reverse("api_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    again = client.get(confirm_url, follow=True).content.decode()
    assert "すでに失効しています" in again


def test_the_token_list_offers_each_revocation_as_a_link_and_a_dialog(client, organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    token, _key = api_token_create(organization=organization, name="BI", by=admin)
    page = client.get(reverse("api_tokens")).content.decode()
    assert f'href="{reverse("api_token_revoke", args=[token.pk])}" data-dialog="revoke-{token.pk}"' in page
    assert f'<dialog id="revoke-{token.pk}"' in page
    assert 'name="revoke"' not in page  # no one-click revocation left


def test_only_org_admins_see_the_token_screen(client, organization, hr_manager, candidate):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    token, _key = api_token_create(organization=organization, name="BI", by=admin)
    for user in (hr_manager, candidate):
        client.force_login(user)
        assert client.get(reverse("api_tokens")).status_code == 403
        assert client.post(reverse("api_tokens"), {"name": "x"}).status_code == 403
        assert client.get(reverse("api_token_revoke", args=[token.pk])).status_code == 403
        assert client.post(reverse("api_token_revoke", args=[token.pk]), {"confirm": "yes"}).status_code == 403
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("BI", None)]


def test_the_admin_chooses_scopes_and_a_token_opens_only_the_apis_it_was_given(client, organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    form = client.get(reverse("api_tokens")).content.decode()
    assert 'name="scopes" value="hr_read" checked' in form and 'name="scopes" value="scim"' in form

    scim_key = shown_key(client.post(reverse("api_tokens"), {"name": "Entra ID", "scopes": ["scim"]}))
    assert ApiToken.objects.get(name="Entra ID").scopes == ["scim"]
    assert client.get(reverse("api:organization"), HTTP_AUTHORIZATION=f"Bearer {scim_key}").status_code == 403
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_key}").status_code == 200

    refused = client.post(reverse("api_tokens"), {"name": "権限なし"}, follow=True).content.decode()
    assert "権限を1つ以上選んでください" in refused and not ApiToken.objects.filter(name="権限なし").exists()
    page = client.get(reverse("api_tokens")).content.decode()
    assert "メンバーの自動プロビジョニング（SCIM /scim/v2/）" in page  # the list says what each token opens
