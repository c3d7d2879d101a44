"""Test settings: the real config.settings, with the environment a test run needs.

DEBUG stays off so tests see production behaviour; only what a test client cannot do
(HTTPS redirects, a collected static manifest) is switched off, and only when unset.
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
os.environ.setdefault("DJANGO_DEBUG", "0")

# Each pytest-xdist worker runs its own embedded PostgreSQL (beside the configured data folder,
# named after the run's test database and the worker): a realtime subscription starts from the
# server-wide snapshot horizon, which another worker's open test transaction would hold back.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _base = os.environ.get("EMBEDDED_PG_DIR") or str(
        Path(__file__).resolve().parents[1] / ".data" / "postgres"
    )
    _run = os.environ.get("DJANGO_TEST_DB_NAME") or "test"
    os.environ["EMBEDDED_PG_DIR"] = f"{_base}-{_run}-{_worker}"

from config.settings import *  # noqa: E402, F403

# Fast password hashing for fixtures that create users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Statements of config.prepared are prepared from their first run, so every test exercises the
# prepared form (in production after DB_PREPARE_THRESHOLD runs).
if DATABASES["default"].get("PREPARED_STATEMENTS"):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 0  # noqa: F405

# A second alias on the test database (Django's TEST MIRROR), for the replica router's tests:
# they list it in DATABASE_REPLICAS; everywhere else no read is routed to it.
DATABASES["replica1"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "OPTIONS": dict(DATABASES["default"]["OPTIONS"]),  # noqa: F405
    "TEST": {"MIRROR": "default"},
}
DATABASE_REPLICAS = []
