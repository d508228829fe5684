from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health checks, the worker heartbeat, metrics, request ids in logs, the migration guard."""

    name = "ops"
    verbose_name = "運用"

    def ready(self) -> None:
        # Celery signals: the request id carried to tasks; a worker that stops taking work stops itself.
        from . import request_id, watchdog  # noqa: F401
