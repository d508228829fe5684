"""DATABASE_REPLICA_URL adds the `replica` alias; without it the router sends everything to the primary."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

from accounts.models import User
from common.replica import REPLICA, replica_reads

ROOT = Path(__file__).resolve().parents[2]
PRINT_DATABASES = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: {'engine': v['ENGINE'], 'host': v['HOST'], 'mirror': v.get('TEST', {}).get('MIRROR')} "
    "for k, v in s.DATABASES.items()}))"
)


def databases(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    return subprocess.run(
        [sys.executable, "-c", PRINT_DATABASES],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_replica_everything_reads_the_primary():
    assert REPLICA not in connections.settings  # this suite's settings: no DATABASE_REPLICA_URL
    with replica_reads():
        assert User.objects.all().db == DEFAULT_DB_ALIAS


def test_the_replica_url_adds_a_replica_alias_that_tests_mirror():
    done = databases(
        DATABASE_URL="postgres://moshi@primary:5432/moshi", DATABASE_REPLICA_URL="postgres://moshi@replica:5432/moshi"
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["default"]["host"] == "primary"
    assert found["replica"] == {"engine": "django.db.backends.postgresql", "host": "replica", "mirror": "default"}
    assert set(json.loads(databases().stdout)) == {"default"}


def test_a_replica_of_another_kind_of_database_is_refused():
    done = databases(DATABASE_URL="postgres://moshi@primary:5432/moshi", DATABASE_REPLICA_URL="sqlite:///x.sqlite3")
    assert done.returncode != 0 and "DATABASE_REPLICA_URL must be the same kind" in done.stderr
