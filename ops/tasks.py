from celery import shared_task

from .services import heartbeat_record


@shared_task(name="ops.tasks.record_heartbeat")
def record_heartbeat(hostname: str | None = None) -> str:
    return heartbeat_record(hostname=hostname).hostname
