"""Test settings: the real config.settings, with the environment a test run needs.

DEBUG stays off so tests see production behaviour; only what a test client cannot do
(HTTPS redirects, a collected static manifest) is switched off, and only when unset.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
os.environ.setdefault("DJANGO_DEBUG", "0")

from config.settings import *  # noqa: F403

# Fast password hashing for fixtures that create users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
