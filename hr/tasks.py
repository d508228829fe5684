from celery import shared_task

from . import aggregates, reminders


@shared_task(name="hr.tasks.refresh_organization_statistics")
def refresh_organization_statistics() -> int:
    """Beat, every minute: fold newly scored attempts into the organizations' figures for HR."""
    return aggregates.org_stats_refresh_all()


@shared_task(name="hr.tasks.send_reminders")
def send_reminders() -> int:
    """Beat, every half hour in office hours: one task per organization with reminders on, so a large organization
    neither delays the others nor runs into the task time limit for them. Returns how many were queued."""
    organization_ids = reminders.organizations_to_remind()
    for organization_id in organization_ids:
        send_organization_reminders.delay(organization_id)
    return len(organization_ids)


@shared_task(name="hr.tasks.send_organization_reminders")
def send_organization_reminders(organization_id: int) -> dict[str, int]:
    """Due-soon and overdue mails, channel posts and the weekly digest of one organization. Idempotent: a second
    run, or one racing this one, sends nothing already sent (hr.reminders)."""
    return dict(reminders.organization_reminders_send(organization_id=organization_id))
