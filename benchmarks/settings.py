"""Production settings plus the benchmark harness (raw baseline views, query counter).

Selected only by the harness (DJANGO_SETTINGS_MODULE=benchmarks.settings with
BENCHMARK_VIEWS=1); config.settings, which production uses, never mounts any of it.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before anything else (the database included) is set up.
if os.environ.get("BENCHMARK_VIEWS", "").strip().lower() not in {"1", "true", "yes", "on"}:
    raise ImproperlyConfigured(
        "benchmarks.settings mounts the raw SQL baseline views of the benchmark harness: "
        "set BENCHMARK_VIEWS=1 to use it (make bench does)."
    )

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
# Outermost, so every query of the request is counted (authentication included).
MIDDLEWARE = ["benchmarks.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "benchmarks.urls"
