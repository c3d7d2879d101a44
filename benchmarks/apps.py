from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmark harness: raw SQL baselines, a query counter and the seed command.

    Installed only by benchmarks.settings, never by config.settings.
    """

    name = "benchmarks"
    verbose_name = "Benchmarks"
