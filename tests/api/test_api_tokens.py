"""The HR REST API: organization tokens, tenant isolation, one error format, constant queries, the schema."""

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import ApiToken, Department, Membership
from organizations.services import api_token_create, api_token_revoke
from tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def alpha(organization):
    sales = DepartmentFactory(organization=organization, name="営業部")
    members = [MembershipFactory(organization=organization, department=sales) for _ in range(3)]
    admin = MembershipFactory(organization=organization, role="org_admin").user
    return organization, sales, members, admin


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_only_the_hash_is_stored_and_only_org_admins_issue_tokens(alpha, candidate):
    organization, _, _, admin = alpha
    token, key = api_token_create(organization=organization, name="Tableau", by=admin)
    assert key.startswith("moshi_") and key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    with pytest.raises(PermissionDenied):
        api_token_create(organization=organization, name="x", by=candidate)


def test_every_endpoint_stays_inside_the_tokens_organization(client, alpha, other_organization):
    organization, sales, members, _ = alpha
    other_member = MembershipFactory(organization=other_organization)
    other_department = DepartmentFactory(organization=other_organization, name="開発部")
    _, key = api_token_create(organization=organization, name="t")
    _, other_key = api_token_create(organization=other_organization, name="t")

    own_members = set(Membership.objects.filter(organization=organization).values_list("pk", flat=True))
    own_departments = set(Department.objects.filter(organization=organization).values_list("pk", flat=True))
    summary = client.get(reverse("api:organization"), **bearer(key)).json()
    assert (summary["id"], summary["members"], summary["departments"]) == (
        organization.pk,
        len(own_members),
        len(own_departments),
    )
    listed = {m["id"] for m in client.get(reverse("api:members"), **bearer(key)).json()["results"]}
    assert listed == own_members and {m.pk for m in members} <= listed and other_member.pk not in listed
    departments = {d["id"] for d in client.get(reverse("api:departments"), **bearer(key)).json()["results"]}
    assert departments == own_departments and sales.pk in departments and other_department.pk not in departments

    # The other organization's token: this organization's ids are not found, its lists do not contain them.
    for member in members:
        response = client.get(reverse("api:member", args=[member.pk]), **bearer(other_key))
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert {m["id"] for m in client.get(reverse("api:members"), **bearer(other_key)).json()["results"]} == {
        other_member.pk
    }


def test_missing_bad_and_revoked_tokens_get_401_and_sessions_are_not_enough(client, alpha):
    organization, _, _, admin = alpha
    token, key = api_token_create(organization=organization, name="t")
    url = reverse("api:members")
    assert client.get(url).status_code == 401
    assert client.get(url, **bearer("moshi_wrong")).json()["error"]["status"] == 401
    assert client.get(url, **bearer(key)).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    api_token_revoke(token=token, by=admin)
    assert client.get(url, **bearer(key)).status_code == 401
    client.force_login(admin)  # a manager's browser session is not an API credential
    assert client.get(url).status_code == 401


def test_each_token_is_throttled_on_its_own(client, alpha, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    organization, *_ = alpha
    _, first = api_token_create(organization=organization, name="a")
    _, second = api_token_create(organization=organization, name="b")
    rates = {"api_token": "3/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [client.get(reverse("api:organization"), **bearer(first)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get(reverse("api:organization"), **bearer(second)).status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert api_settings.DEFAULT_THROTTLE_RATES["api_token"]


def test_member_list_queries_do_not_grow_with_members(client, organization):
    from accounts.models import User

    _, key = api_token_create(organization=organization, name="t")
    department = DepartmentFactory(organization=organization, name="人事部")

    def add_members(n: int, start: int) -> None:
        users = User.objects.bulk_create(User(email=f"m{start + i}@alpha.example.jp") for i in range(n))
        Membership.objects.bulk_create(
            Membership(user=u, organization=organization, department=department) for u in users
        )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("api:members"), {"page_size": 1000}, **bearer(key)).status_code == 200
        return len(ctx.captured_queries)

    add_members(3, 0)
    client.get(reverse("api:members"), **bearer(key))  # the token's first use records last_used_at
    few = count()
    add_members(297, 3)
    assert count() == few
    assert len(client.get(reverse("api:members"), {"page_size": 1000}, **bearer(key)).json()["results"]) == 300


def test_the_schema_describes_the_api_with_bearer_auth(client):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/members", "/api/v1/organization", "/api/v1/departments"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["organizationToken"]["scheme"] == "bearer"


def test_interactive_docs_load_their_assets_from_moshi_itself(client):
    page = client.get(reverse("api_docs")).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets), assets  # no CDN
    assert "<script>" not in page and "<style>" not in page  # nothing inline for the CSP to refuse
    # Swagger UI's start-up script is served as a file, and it points at Moshi's own schema.
    [start] = [a for a in assets if a.startswith(reverse("api_docs"))]
    assert "/api/schema/" in client.get(start.replace("&amp;", "&")).content.decode()
