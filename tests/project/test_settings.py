"""Settings come from the environment; a bad value stops start-up with a message that names it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'cache': s.CACHES['default']['BACKEND'], 'debug': s.DEBUG, "
    "'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'secure_cookie': s.SESSION_COOKIE_SECURE, "
    "'session': s.SESSION_ENGINE, 'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE}))"
)
CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")


def load_settings(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and not k.startswith("SECURE_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def settings_json(**overrides: str) -> dict:
    result = load_settings(**overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_sqlite_eager_celery_and_japanese():
    s = settings_json()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"].endswith("db.sqlite3")
    assert s["eager"] is True
    assert s["cache"].endswith("LocMemCache")
    assert (s["lang"], s["tz"]) == ("ja", "Asia/Tokyo")


def test_database_and_redis_urls_switch_to_postgres_redis_and_a_real_broker():
    s = settings_json(DATABASE_URL="postgres://u:p@db.example:5432/moshi", REDIS_URL="redis://cache:6379/0")
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["name"] == "moshi"
    assert s["eager"] is False
    assert s["cache"].endswith("RedisCache")
    assert s["session"] == "django.contrib.sessions.backends.cached_db"


def database_options(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and k != "DATABASE_POOLER"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    code = (
        "import django, json; django.setup(); from django.db import connections; "
        "d = connections['default'].settings_dict; print(json.dumps({k: d.get(k) for k in "
        "('DISABLE_SERVER_SIDE_CURSORS', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', 'PORT')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_behind_pgbouncer_in_transaction_pooling_no_server_side_cursor_is_opened():
    direct = database_options(DATABASE_URL="postgres://u@db.example:5432/moshi")
    pooled = database_options(DATABASE_URL="postgres://u@pgbouncer:6432/moshi", DATABASE_POOLER="pgbouncer")
    assert not direct["DISABLE_SERVER_SIDE_CURSORS"]
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    # The kept connection is the one to PgBouncer: persistent connections and their health check stay on.
    assert pooled["CONN_MAX_AGE"] == direct["CONN_MAX_AGE"] == 60
    assert pooled["CONN_HEALTH_CHECKS"] is True
    assert pooled["PORT"] == 6432


def test_production_requires_a_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_hardening_reads_hsts_from_the_environment():
    s = settings_json(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="moshi.example", SECURE_HSTS_SECONDS="600")
    assert s["debug"] is False
    assert s["hsts"] == 600
    assert s["secure_cookie"] is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "ture"}, "DEBUG must be one of"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must be a postgres:// or sqlite:/// URL"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL must start with redis://"),
        ({"CSRF_TRUSTED_ORIGINS": "moshi.example"}, "CSRF_TRUSTED_ORIGINS entries need a scheme"),
        ({"AXES_FAILURE_LIMIT": "five"}, "AXES_FAILURE_LIMIT must be a whole number"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be at least 1"),
        ({"WORKER_STALL_SECONDS": "-5"}, "WORKER_STALL_SECONDS must be at least 0"),
        ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER must be empty or pgbouncer"),
        ({"DATABASE_POOLER": "pgbouncer"}, "DATABASE_POOLER=pgbouncer needs a postgres:// DATABASE_URL"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(overrides, message):
    result = load_settings(**overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(
        DEBUG="false", SECRET_KEY="k" * 60 + "-Moshi!9", ALLOWED_HOSTS="moshi.example", SECURE_HSTS_PRELOAD="true"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
