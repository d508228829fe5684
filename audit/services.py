"""Writes of the audit log: one way in (record) and one way out (purge_expired)."""

from datetime import timedelta
from ipaddress import ip_address

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .context import client_ip
from .models import AuditEvent

Action = AuditEvent.Action
PURGE_BATCH = 5000  # rows per DELETE, so a first purge of years of events never holds one long lock


def record(
    *,
    organization_id: int,
    action: str,
    actor=None,
    token_id: int | None = None,
    target_id: int | None = None,
    details: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """One audit event: one INSERT, whatever was viewed or exported. `actor` is the person (a User, or None for
    the system and for API tokens); the client address comes from the request being served unless given."""
    address = ip if ip is not None else client_ip.get()
    try:
        address = str(ip_address(address)) if address else None
    except ValueError:
        address = None
    return AuditEvent.objects.create(
        organization_id=organization_id,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        token_id=token_id,
        target_id=target_id,
        details=_storable(details or {}),
        ip=address,
    )


def _storable(value):
    """Details carry what someone typed (a search, a query string); PostgreSQL's jsonb refuses the NUL character,
    so it is dropped rather than let an odd search fail the page that records it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def retention_days(organization) -> int:
    return organization.audit_retention_days or settings.MOSHI_AUDIT_RETENTION_DAYS


@transaction.atomic
def retention_set(*, organization, days: int | None, by) -> None:
    """The org admin's choice of how long events are kept (None: the default); the change is itself recorded."""
    from organizations.models import Organization
    from organizations.selectors import is_org_admin

    if not is_org_admin(user=by, organization_id=organization.pk):
        raise PermissionDenied
    organization.audit_retention_days = days
    organization.full_clean(validate_unique=False)
    Organization.objects.filter(pk=organization.pk).update(audit_retention_days=days)
    record(organization_id=organization.pk, action=Action.RETENTION_CHANGE, actor=by, details={"days": days})


def purge_expired(*, now=None) -> int:
    """Delete the events older than each organization's retention period. A second run deletes nothing more,
    so beat running it twice, or a worker dying mid-way and it running again, is harmless."""
    from organizations.models import Organization

    now = now or timezone.now()
    deleted = 0
    periods = set(Organization.objects.values_list("audit_retention_days", flat=True).distinct())
    for days in periods:
        cutoff = now - timedelta(days=days or settings.MOSHI_AUDIT_RETENTION_DAYS)
        expired = AuditEvent.objects.filter(organization__audit_retention_days=days, at__lt=cutoff)  # None: IS NULL
        while ids := list(expired.values_list("pk", flat=True)[:PURGE_BATCH]):
            deleted += AuditEvent.objects.filter(pk__in=ids).delete()[0]
    return deleted
