"""Settings for every environment; what differs between machines comes from the environment.

Every variable is listed with its default in `.env.example` and the README.
"""

import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from config import database

BASE_DIR = Path(__file__).resolve().parent.parent

# A local `.env` fills in what the real environment does not set (never overrides it).
# DJANGO_ENV_FILE names another file; an empty value reads none.
_env_file = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_dotenv(_env_file, override=False)


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_decimal(name: str) -> Decimal | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {value!r}") from None


# DJANGO_DEBUG unset: on for manage.py run from a git work tree (a development checkout), so the
# documented commands work as written; off for anything else (gunicorn, a deployed copy without
# .git), where a secret key and allowed hosts are then required.
DEVELOPMENT_CHECKOUT = (BASE_DIR / ".git").exists() and Path(sys.argv[0]).name == "manage.py"
DEBUG = env_flag("DJANGO_DEBUG", DEVELOPMENT_CHECKOUT)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-with-debug-off"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
        "(comma-separated host names, e.g. api.example.com)"
    )
# Origins allowed to POST with the admin session cookie from another host (https://app.example.com).
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "strawberry_django",
    "config",
    "config.realtime",
    "chat",
    "learn",
    "monitoring",
    "students",
]

MIDDLEWARE = [
    # First: the bound covers the session and API-key lookups too.
    "config.deadline.DatabaseDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: an API key replaces the session user on the GraphQL path.
    "config.auth.ApiKeyMiddleware",
    # After authentication (done on the primary): the API's reads may go to a replica.
    "config.replicas.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL only: DATABASE_URL (or DB_URL), else an embedded server under .data/postgres.
try:
    _default_db, DATABASE_DESCRIPTION = database.resolve(BASE_DIR)
except database.DatabaseConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
DATABASES = {"default": _default_db}
# Read replicas (docs/operations.md): DATABASE_REPLICA_URL, comma-separated, adds the aliases
# replica1, replica2, …; the router sends the API's reads there unless they must see the primary.
try:
    DATABASES.update(database.replica_configs(os.environ))
except database.DatabaseConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
# A replica lagging more than this many seconds behind the primary is skipped.
DATABASE_REPLICA_MAX_LAG = float(os.environ.get("DATABASE_REPLICA_MAX_LAG", "").strip() or 5)
# How often each process re-measures a replica's lag, and retries one that failed (seconds).
DATABASE_REPLICA_CHECK_SECONDS = float(
    os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", "").strip() or 1
)
DATABASE_REPLICA_RETRY_SECONDS = float(
    os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "").strip() or 5
)
# Server-side limits, set as the role's defaults in this database (config.timeouts) so that they
# hold through a transaction-mode pooler, where a session SET would not survive. Milliseconds.
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 5000)
DB_LOCK_TIMEOUT = env_int("DB_LOCK_TIMEOUT", 2000)
DB_IDLE_IN_TRANSACTION_TIMEOUT = env_int("DB_IDLE_IN_TRANSACTION_TIMEOUT", 10000)
# Operator commands (imports, purges, risk computation, exports) run with this limit instead.
DB_COMMAND_STATEMENT_TIMEOUT = env_int("DB_COMMAND_STATEMENT_TIMEOUT", 30 * 60 * 1000)
# Seconds a request may wait for the database in all before its connection is cut (503): the
# bound that holds when a pooler waits for a server that is down. Above the statement timeout.
DB_REQUEST_TIMEOUT = database.request_timeout(os.environ)
# Seconds /healthz waits for the database before answering 503.
DB_HEALTH_TIMEOUT = database.seconds(os.environ, "DB_HEALTH_TIMEOUT", 2.0)
EMBEDDED_DATABASE = database.configured_url(os.environ) is None
if EMBEDDED_DATABASE:
    database.announce(DATABASE_DESCRIPTION)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files from `collectstatic` in production; plain files while developing.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_flag("DJANGO_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

# --- Security (https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/) ---
# Behind a TLS-terminating proxy (Render, Fly, a load balancer) that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The health check is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- GraphQL ---
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 10)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 15)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)
# Introspection and "Did you mean …?" hints help developers and attackers alike: on in DEBUG only.
GRAPHQL_INTROSPECTION = env_flag("GRAPHQL_INTROSPECTION", DEBUG)
GRAPHQL_FIELD_SUGGESTIONS = env_flag("GRAPHQL_FIELD_SUGGESTIONS", DEBUG)
# GraphiQL for browsers at /graphql/, from the project's static files (config/graphiql_assets.py):
# in DEBUG only; it needs introspection to know the schema.
GRAPHIQL_ENABLED = DEBUG
GRAPHQL_PAGE_SIZE = env_int("GRAPHQL_PAGE_SIZE", 100)
# The largest `offset` of a list: skipping rows costs reading them; further, page by cursor.
GRAPHQL_MAX_OFFSET = env_int("GRAPHQL_MAX_OFFSET", 10_000)
# Reads whose whole selection the compiler understands run as one SQL statement that returns
# the response's JSON (config/compiler); off, every request takes Strawberry's standard path.
# `make test` runs the suite both ways.
GRAPHQL_COMPILE = env_flag("GRAPHQL_COMPILE", True)
# Nested pages' SQL the compiler keeps, one per shape of page (config.compiler.render).
GRAPHQL_COMPILE_TEMPLATES = 2000
# Largest request body read; batch ingests of 5,000 logs need more than the 2.5 MB default.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
# Anonymous callers can only read `viewer`: their bodies are refused above this before parsing.
GRAPHQL_ANONYMOUS_MAX_BYTES = env_int("GRAPHQL_ANONYMOUS_MAX_BYTES", 64 * 1024)
# Deepest nesting of lists/objects in a JSON value (a variable such as metadata or tags).
GRAPHQL_MAX_JSON_DEPTH = env_int("GRAPHQL_MAX_JSON_DEPTH", 32)

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": True,
    "PAGINATION_DEFAULT_LIMIT": GRAPHQL_PAGE_SIZE,
    "PAGINATION_MAX_LIMIT": GRAPHQL_PAGE_SIZE,
}

# --- Chat usage caps (per user per day; empty means no cap) and audit privacy ---
DAILY_TOKEN_CAP = env_int("DAILY_TOKEN_CAP", 0) or None
DAILY_COST_CAP = env_decimal("DAILY_COST_CAP")
LLM_STORE_PROMPT_TEXT = env_flag("LLM_STORE_PROMPT_TEXT", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Strawberry logs every GraphQL error with its traceback; ours are logged in config.errors.
        "strawberry.execution": {"level": "CRITICAL"},
        # The embedded server's start/stop chatter; the one line that matters is printed above.
        "pgserver": {"level": "WARNING"},
    },
}
# CSRF refusals answer in GraphQL's JSON shape.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
