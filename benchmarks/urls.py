"""The project's URLs plus the raw baselines under /bench/raw/<name> (benchmarks.settings only)."""

from django.urls import include, path

from benchmarks.raw import chat, learn, monitoring, raw_view, students  # noqa: F401 (registers)

urlpatterns = [
    path("bench/raw/<slug:name>", raw_view, name="bench-raw"),
    path("", include("config.urls")),
]
