from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health checks, the worker heartbeat, metrics, request ids in logs, the migration guard."""

    name = "ops"
    verbose_name = "運用"

    def ready(self) -> None:
        from . import request_id  # noqa: F401 - connects the Celery signals that carry the id to tasks
