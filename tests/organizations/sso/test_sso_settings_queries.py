"""The org admin's SSO settings page reads with the same number of queries however many IdPs and domains the
organization has (and another organization's IdPs never show)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import ClaimedDomain, IdentityProvider
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def add_idps_and_domains(organization, count, start=0):
    for n in range(start, start + count):
        IdentityProvider.objects.create(
            organization=organization, name=f"SAML {n}", protocol="saml", saml_entity_id=f"https://idp{n}.example/"
        )
        IdentityProvider.objects.create(
            organization=organization,
            name=f"OIDC {n}",
            protocol="oidc",
            oidc_issuer=f"https://login{n}.example",
            oidc_client_id="moshi",
            is_active=n % 2 == 0,
        )
        ClaimedDomain.objects.create(
            organization=organization, domain=f"d{n}.example", verified_at=timezone.now() if n % 2 else None
        )


def settings_page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/org/sso/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_settings_page_is_constant_in_queries_for_idps_and_domains(
    client, organization, other_organization, django_assert_max_num_queries
):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    add_idps_and_domains(organization, 1)
    add_idps_and_domains(other_organization, 3, start=100)
    few, page = settings_page_queries(client)
    assert "SAML 0" in page and "d0.example" in page and "SAML 100" not in page and "d100.example" not in page

    add_idps_and_domains(organization, 10, start=1)
    many, page = settings_page_queries(client)

    assert "OIDC 10" in page and "d10.example" in page and "SAML 100" not in page
    assert many == few, (few, many)
    # session, user, the admin's membership (the nav's too), IdPs, domains
    with django_assert_max_num_queries(5):
        client.get("/org/sso/")
