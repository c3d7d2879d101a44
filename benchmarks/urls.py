"""The project's URLs plus the raw baselines under /bench/raw/<name> (benchmarks.settings only)."""

from django.urls import include, path

import benchmarks.raw.learn
import benchmarks.raw.monitoring
import benchmarks.raw.students  # noqa: F401
from benchmarks.raw import raw_view

urlpatterns = [
    path("bench/raw/<slug:name>", raw_view, name="bench-raw"),
    path("", include("config.urls")),
]
