"""Moshi's one settings module: everything that differs between machines comes from the environment.

With nothing set it runs on a SQLite file with Celery tasks executed in-process, so a fresh
checkout just works; DATABASE_URL and REDIS_URL switch to PostgreSQL, Redis and a real worker.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real deployments set variables directly

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Strict boolean: django-environ reads any unknown word as False, which hides typos like DEBUG=ture."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


DEBUG = env_bool("DEBUG", default=True)
REQUIRE_SERVICES = env_bool("MOSHI_REQUIRE_SERVICES", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-moshi-development-only"  # noqa: S105 - development default, DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlparse(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entries need a scheme (https://…): {_origin!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "drf_spectacular",
    "import_export",
    "accounts.apps.AxesConfig",  # django-axes, named in Japanese in the admin
    "csp",
    "common",
    "accounts",
    "organizations",
    "ops",
    "questions",
    "exams",
    "hr",
    "analytics",
    "study",
    "audit",
    "privacy",
    "api",
]

MIDDLEWARE = [
    # First: every later middleware's and view's log lines carry the request id, and the timing covers them all.
    "ops.request_id.RequestIdMiddleware",
    "ops.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The exam page carries all its questions in one response; gzip keeps it small. Django's GZipMiddleware
    # pads its output against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The client's address for audit events that services record without seeing the request.
    "audit.context.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]
# Behind a proxy that compresses (docker-compose's, the multi-node stack's), GZIP_IN_APP=false: gzip of the
# 430 KB exam page costs the Python worker ~9 ms of CPU per start, most of what a start may cost (bench/README.md).
if not env_bool("GZIP_IN_APP", default=True):
    MIDDLEWARE.remove("django.middleware.gzip.GZipMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.membership",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:/// URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast instead of hanging a request when the database is unreachable.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
else:
    # SQLite under concurrent requests: wait for a lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20})

# DATABASE_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction pooling (several web nodes, see
# docs/scaling.md), so two transactions of one Django connection may run on different server connections and
# nothing may outlive a transaction on the server. Django's only such thing is the server-side cursor that
# .iterator() opens WITH HOLD outside a transaction; it is turned off. Kept as they are: CONN_MAX_AGE (the
# connection kept is the cheap one to PgBouncer, which holds the server connections), the time zone Django
# sets once per connection (PgBouncer tracks TimeZone and sets it on whichever server connection it lends),
# and psycopg2, which prepares no statements on the server.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="").strip().lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(f"DATABASE_POOLER must be empty or pgbouncer, not {DATABASE_POOLER!r}")
if DATABASE_POOLER and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_POOLER=pgbouncer needs a postgres:// DATABASE_URL (PgBouncer's address)")
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# A PostgreSQL streaming replica for the HR API's and HR dashboard's reads (common.replica): the views that opt
# in read there; the exam and every write stay on the primary. Unset: everything reads the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    replica = env.db_url_config(DATABASE_REPLICA_URL)
    if replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be the same kind of database as DATABASE_URL")
    replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **replica.get("OPTIONS", {})}
    for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"):
        if key in DATABASES["default"]:
            replica[key] = DATABASES["default"][key]
    replica["TEST"] = {"MIRROR": "default"}  # tests read the primary's test database through this alias
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss"):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis:// or rediss://, not {REDIS_URL!r}")

if REDIS_URL:
    # django-redis, because it can carry on without Redis: with IGNORE_EXCEPTIONS a Redis outage makes the
    # cache miss (sessions fall back to the database, throttles let requests through) instead of failing
    # every signed-in request, so candidates keep saving and submitting while Redis restarts.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Session reads hit the cache; writes also go to the database so a Redis restart logs no one out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # no broker: run tasks in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300  # no task may run longer than 5 minutes ...
CELERY_TASK_SOFT_TIME_LIMIT = 240
# ... so an unacknowledged task is redelivered only after every task could have finished.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,  # publishing while Redis is down fails in seconds, not minutes
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A worker connected to the broker that takes no work while its queue holds messages this long stops, so its
# supervisor starts a fresh one (ops.watchdog); 0 turns the watch off. Beat queues work every minute.
WORKER_STALL_SECONDS = env_int("WORKER_STALL_SECONDS", 180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Tokyo"
# Periodic work. Apps add their entries here (deadline sweeper, statistics refresh).
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "ops.tasks.record_heartbeat", "schedule": 60.0},
    "sweep-overdue-attempts": {"task": "exams.tasks.sweep_overdue_attempts", "schedule": 60.0},
    "refresh-statistics": {"task": "analytics.tasks.refresh_statistics", "schedule": 60.0},
    "refresh-organization-statistics": {"task": "hr.tasks.refresh_organization_statistics", "schedule": 60.0},
    "refresh-study-cards": {"task": "study.tasks.refresh_cards", "schedule": 60.0},
    # Reminders (督促) in office hours, Tokyo; each run sends only what no run has sent (hr.reminders), and
    # retries what failed last time (a webhook that answered 500).
    "send-reminders": {"task": "hr.tasks.send_reminders", "schedule": crontab(minute="0,30", hour="9-18")},
    # Nightly, when few people sit mocks: item parameters and pass standards (analytics.calibration).
    "calibrate": {"task": "analytics.tasks.calibrate", "schedule": crontab(hour=3, minute=30)},
    # Nightly: audit events past their organization's retention period (audit.services.purge_expired).
    "purge-audit-events": {"task": "audit.tasks.purge_audit_events", "schedule": crontab(hour=4, minute=10)},
    # SAML replay records past their assertion's expiry (organizations.sso_services.expired_assertions_forget).
    "forget-expired-saml-assertions": {
        "task": "organizations.tasks.forget_expired_saml_assertions",
        "schedule": crontab(minute=17),
    },
}

# --- Accounts and authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out login is refused before checking the password
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lock out a username from one IP only: a whole company behind one NAT address must not lock
# each other out, and one attacker cannot lock a user out from everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)  # how many trusted proxies add X-Forwarded-For
AXES_VERBOSE = False

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Moshi <no-reply@moshi.example>")
if not DEBUG:
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)

# --- Privacy (docs/privacy.md) -------------------------------------------------------------
# How long audit events are kept when an organization has not chosen its own period (30–3650 days).
MOSHI_AUDIT_RETENTION_DAYS = env_int("MOSHI_AUDIT_RETENTION_DAYS", 365, minimum=30)

# --- Reminders (docs/organizations.md, 督促) ------------------------------------------------
# Where mails sent without a request (reminders) link to. Invitations build theirs from the request instead.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
if not SITE_URL:
    _host = next((h for h in ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")), "")
    SITE_URL = "http://127.0.0.1:8000" if DEBUG else (f"https://{_host}" if _host else "")
if SITE_URL and urlparse(SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(f"SITE_URL must start with https:// (or http://), not {SITE_URL!r}")
# Teams / Slack webhooks must be https to a public address of their service. Only tests turn this on (a local
# HTTP server); it is deliberately not read from the environment.
REMINDER_WEBHOOKS_ALLOW_LOCAL = False

# --- Language and time -------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per language (config/formats/<lang>/formats.py); templates name them (|date:"DATE_FORMAT").
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise: no CDN, compressed, cache-busting names) ---------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"api_token": env.str("API_TOKEN_RATE", default="600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Moshi API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Read-only data of your organization for HR dashboards. See docs/api.md for syncing.",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_errors",
    ],
}

# --- Production hardening ------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Asked over plain HTTP inside the network by the proxy's health check, the container's and the scraper.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from Moshi itself, no inline script or
# style anywhere (the exam page, reports, the admin and Swagger UI are built that way), no framing, no
# plugins. An author's HTML is sanitized at publish time as well; this is the second wall.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

# --- Logs ----------------------------------------------------------------------------------
# One line per record on stderr, each with the request id (ops.request_id). LOG_FORMAT=json (the default with
# DEBUG off) writes one JSON object per line for the log collector; text is for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
            "json_ensure_ascii": False,  # Japanese stays readable in the log viewer
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# The worker logs through the handler above too, so its lines are JSON and carry the id of the request that
# queued the task (Celery would otherwise replace the root logger's handlers with its own format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics (ops.metrics, /metrics) ---------------------------------------------------------
# Prometheus scrapes with `Authorization: Bearer <METRICS_TOKEN>`, or from an address in METRICS_ALLOWED_IPS
# (addresses or networks; loopback by default). Behind the proxy every request comes from the proxy, so the
# proxy refuses /metrics from outside (ops/Caddyfile) and the scraper reaches web:8000 directly with the token.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(value.strip(), strict=False) for value in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from None
