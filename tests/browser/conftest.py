import pytest
from django.db import connection

from tests.exams.conftest import g_blueprint  # noqa: F401  (the short exam these tests take)


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker, live_server):
    """pytest-django's live server, started after the test database so it stops before the database is dropped.

    While Playwright's sync API runs, Django keys connections by context, so ORM calls in a browser test's body
    open a connection the test's teardown cannot reach; close those before the test database is dropped."""
    yield live_server
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
