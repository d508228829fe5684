"""`manage.py migrate` will not change the schema under candidates sitting an exam, unless forced; with nothing to
apply, or no attempts table yet, it is Django's migrate."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connection
from django.utils import timezone

from exams.models import Attempt
from exams.services import attempt_start
from ops.selectors import open_attempt_count
from tests.exams.conftest import g_blueprint  # noqa: F401 - a five-question blueprint

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# A migration that is certainly applied in the test database, to step back from and forward to again.
OPS_FIRST = ("ops", "0001_initial")


def migrate(*args, **options) -> str:
    out = StringIO()
    call_command("migrate", *args, stdout=out, verbosity=1, **options)
    return out.getvalue()


@pytest.fixture
def open_attempts(candidate, other_candidate, g_blueprint):  # noqa: F811
    attempt_start(user=candidate, blueprint=g_blueprint)
    late = attempt_start(user=other_candidate, blueprint=g_blueprint)
    Attempt.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(minutes=1))  # the sweeper's now


def test_with_nothing_to_apply_migrate_runs_even_while_attempts_are_open(open_attempts):
    assert "No migrations to apply" in migrate()


def test_with_migrations_to_apply_and_attempts_open_it_refuses_and_says_how_many(open_attempts, monkeypatch):
    monkeypatch.delenv("MOSHI_MIGRATE_FORCE", raising=False)
    with pytest.raises(CommandError, match=r"^1 exam attempt\(s\) are open .*--force"):
        migrate("ops", "zero")  # unapplying is a schema change too
    assert "ops_workerheartbeat" in connection.introspection.table_names()  # nothing was touched


@pytest.fixture
def django_migrates(monkeypatch):
    """Django's own migrate, replaced by a note of its call: a schema change cannot run inside the test's
    transaction (SQLite refuses), and what is tested here is whether the guard lets it through."""
    calls = []
    monkeypatch.setattr(DjangoMigrateCommand, "handle", lambda self, *args, **options: calls.append(options) or "")
    return calls


def test_force_lets_it_run(open_attempts, monkeypatch, django_migrates):
    monkeypatch.delenv("MOSHI_MIGRATE_FORCE", raising=False)
    migrate("ops", "zero", force=True)
    assert [call["migration_name"] for call in django_migrates] == ["zero"]


@pytest.mark.parametrize("value", ["1", "true"])
def test_the_environment_can_force_it(open_attempts, monkeypatch, django_migrates, value):
    monkeypatch.setenv("MOSHI_MIGRATE_FORCE", value)
    migrate("ops", "zero")
    assert len(django_migrates) == 1


def test_plan_and_check_change_nothing_and_are_never_refused(open_attempts):
    assert "ops.0001_initial" in migrate("ops", "zero", plan=True)
    assert "ops_workerheartbeat" in connection.introspection.table_names()


def test_attempts_past_their_deadline_or_submitted_do_not_hold_it(candidate, g_blueprint, django_migrates):  # noqa: F811
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    assert open_attempt_count() == 1
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.SUBMITTED, submitted_at=timezone.now())
    assert open_attempt_count() == 0
    migrate("ops", "zero")
    assert len(django_migrates) == 1


# A fresh database (no attempts table yet) migrating from nothing under the guard, then seeded as `make run` does:
# tests/project/test_database.py::test_sqlite_path_migrates_and_seeds_a_fresh_file.
