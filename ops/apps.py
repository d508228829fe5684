from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health checks and the worker heartbeat."""

    name = "ops"
    verbose_name = "運用"
