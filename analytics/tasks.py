from celery import shared_task

from . import calibration, services


@shared_task(name="analytics.tasks.refresh_statistics")
def refresh_statistics() -> int:
    """Beat, every minute: fold newly scored attempts into cohort norms and item statistics."""
    return services.stats_refresh_all()


@shared_task(name="analytics.tasks.calibrate")
def calibrate() -> dict:
    """Beat, nightly: refit item parameters from first responses and each exam's standard from real results."""
    return calibration.refresh_all()
