from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project-level pieces: operator commands such as dbcheck."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from config.dbtypes import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="config.dbtypes")
