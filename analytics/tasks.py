from celery import shared_task

from . import services


@shared_task(name="analytics.tasks.refresh_statistics")
def refresh_statistics() -> int:
    """Beat, every minute: fold newly scored attempts into cohort norms and item statistics."""
    return services.stats_refresh_all()
