from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConfigConfig(AppConfig):
    """Project-level pieces: operator commands such as dbcheck, the database's time limits."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from config.timeouts import apply_after_migrate

        post_migrate.connect(apply_after_migrate, dispatch_uid="config.timeouts")
