import sys

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConfigConfig(AppConfig):
    """Project-level pieces: operator commands such as dbcheck, the database's time limits."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from config.dbtypes import on_connection_created
        from config.timeouts import apply_after_migrate, is_operator_command, lift_for_commands

        connection_created.connect(on_connection_created, dispatch_uid="config.dbtypes")
        if is_operator_command(sys.argv):
            connection_created.connect(lift_for_commands, dispatch_uid="config.timeouts.commands")
        post_migrate.connect(apply_after_migrate, dispatch_uid="config.timeouts")
