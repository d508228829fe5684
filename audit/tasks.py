from celery import shared_task

from . import services


@shared_task(name="audit.tasks.purge_audit_events")
def purge_audit_events() -> int:
    """Nightly: events past their organization's retention period go (idempotent)."""
    return services.purge_expired()
