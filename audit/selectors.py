"""Reads of the audit log, always for one organization: another organization's events are never reachable."""

from datetime import date, timedelta

from common.dates import start_of_day

from .models import AuditEvent


def audit_events_of(
    *,
    organization_id: int,
    actor_id: int | None = None,
    token_id: int | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
):
    """The organization's events, newest first, with who acted and on whom (one query a page). `since` and
    `until` are days in Asia/Tokyo, both included."""
    events = AuditEvent.objects.filter(organization_id=organization_id).select_related("actor", "token", "target__user")
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if token_id is not None:
        events = events.filter(token_id=token_id)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=start_of_day(since))
    if until is not None:
        events = events.filter(at__lt=start_of_day(until + timedelta(days=1)))
    return events.order_by("-at", "-pk")
