import pytest
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_an_org_admin_issues_a_token_shown_once_and_revokes_it(client, organization, other_organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    page = client.post(reverse("api_tokens"), {"name": "人事ダッシュボード"})
    assert page["Cache-Control"] == "no-store"
    key = page.content.decode().split('<code class="token-key">')[1].split("</code>")[0]
    api = reverse("api:organization")
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").json()["id"] == organization.pk
    assert key not in client.get(reverse("api_tokens")).content.decode()  # never shown again

    other, _ = api_token_create(organization=other_organization, name="他社")
    assert client.post(reverse("api_tokens"), {"revoke": other.pk}).status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None

    token = ApiToken.objects.get(organization=organization)
    client.post(reverse("api_tokens"), {"revoke": token.pk})
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_only_org_admins_see_the_token_screen(client, organization, hr_manager, candidate):
    for user in (hr_manager, candidate):
        client.force_login(user)
        assert client.get(reverse("api_tokens")).status_code == 403
        assert client.post(reverse("api_tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()
