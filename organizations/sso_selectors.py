"""Reads about single sign-on: which IdP serves an address, and whether password login is allowed for it."""

from django.shortcuts import get_object_or_404

from accounts.models import normalize_email

from .models import ClaimedDomain, IdentityProvider
from .selectors import is_org_admin


def email_domain(email: str) -> str:
    """The domain of an address in the one spelling accounts use (accounts.models.normalize_email)."""
    _local, at, domain = normalize_email(email).rpartition("@")
    return domain if at else ""


def verified_domain_for(email: str) -> ClaimedDomain | None:
    domain = email_domain(email)
    if not domain:
        return None
    return ClaimedDomain.objects.verified().select_related("organization").filter(domain=domain).first()


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """The IdP that signs in an address: the first active one of the organization that verified its domain.
    Only verified domains route anyone anywhere, so a claim alone cannot send a company's people elsewhere."""
    claim = verified_domain_for(email)
    if claim is None:
        return None
    return (
        IdentityProvider.objects.select_related("organization")
        .filter(organization_id=claim.organization_id, is_active=True)
        .order_by("pk")
        .first()
    )


def sso_required_for(email: str) -> ClaimedDomain | None:
    """The verified domain whose organization requires SSO for this address, if any."""
    claim = verified_domain_for(email)
    return claim if claim is not None and claim.organization.sso_required else None


def is_break_glass_admin(*, user, organization_id: int) -> bool:
    """Org admins keep password login under require-SSO, so an IdP outage or a broken setup can be repaired."""
    return is_org_admin(user=user, organization_id=organization_id)


def identity_providers_of(*, organization_id: int):
    return IdentityProvider.objects.filter(organization_id=organization_id).order_by("pk")


def identity_provider_of(*, organization_id: int, idp_id: int) -> IdentityProvider:
    """One IdP of the organization; another organization's id is a 404."""
    return get_object_or_404(IdentityProvider, pk=idp_id, organization_id=organization_id)


def active_identity_provider(*, idp_id: int) -> IdentityProvider:
    return get_object_or_404(IdentityProvider.objects.select_related("organization"), pk=idp_id, is_active=True)


def claimed_domains_of(*, organization_id: int):
    return ClaimedDomain.objects.filter(organization_id=organization_id).order_by("domain")
