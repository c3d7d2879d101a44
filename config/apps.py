from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project-level pieces: operator commands such as dbcheck."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from config import timestamps

        timestamps.connect()
