from django.apps import AppConfig


class LearnConfig(AppConfig):
    """The team's store of good and bad examples with JSON tags."""

    name = "learn"
    verbose_name = "Learn"
