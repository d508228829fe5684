"""Both database paths work: the embedded SQLite default and PostgreSQL from DATABASE_URL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_suite_runs_on_the_database_the_environment_names():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL path only")
def test_postgresql_path_enforces_case_insensitive_unique_email():
    from django.db import IntegrityError, transaction

    from accounts.models import User

    User.objects.create(email="case@example.jp")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the manager's lower-casing: the database itself refuses the twin.
        User.objects.bulk_create([User(email="CASE@example.jp")])


@pytest.mark.slow
def test_sqlite_path_migrates_and_seeds_a_fresh_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MOSHI_REQUIRE_SERVICES")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "デモ株式会社" in result.stdout
