from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API for HR dashboards: authentication, errors, schema, pagination, one module per domain."""

    name = "api"
    verbose_name = "API"
