from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every app shares (request parsing, charts, display filters). It imports none of Moshi's apps."""

    name = "common"
