"""Statement, lock and idle-in-transaction limits that hold through a transaction-mode pooler.

A session `SET` does not survive PgBouncer in transaction mode (the next transaction may run
on another server connection), and a libpq `options` startup parameter is refused by PgBouncer
unless listed in `ignore_startup_parameters`, which then drops it. Defaults stored for the role
in this database (`ALTER ROLE … IN DATABASE … SET`) are applied by PostgreSQL itself to every
server connection, whichever pooler opened it, at no cost per request. They are written after
every `migrate` (post_migrate) and by `manage.py dbtimeouts`.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

LIMITS = {
    "statement_timeout": "DB_STATEMENT_TIMEOUT",
    "lock_timeout": "DB_LOCK_TIMEOUT",
    "idle_in_transaction_session_timeout": "DB_IDLE_IN_TRANSACTION_TIMEOUT",
}


def wanted_limits() -> dict[str, int]:
    """{parameter: milliseconds} from the settings (0 means no limit)."""
    return {parameter: int(getattr(settings, name)) for parameter, name in LIMITS.items()}


def apply_role_limits(using: str = "default") -> dict[str, int]:
    """Store the limits as the current role's defaults in the current database."""
    connection = connections[using]
    limits = wanted_limits()
    with connection.cursor() as cursor:
        database = connection.ops.quote_name(connection.settings_dict["NAME"])
        for parameter, milliseconds in limits.items():
            cursor.execute(
                f"ALTER ROLE CURRENT_USER IN DATABASE {database} "
                f"SET {parameter} = {int(milliseconds)}"
            )
    return limits


def apply_after_migrate(sender, using="default", **kwargs) -> None:
    # post_migrate is sent once per app with models; one of them is enough.
    if sender.label == "contenttypes":
        apply_role_limits(using)


@contextmanager
def command_limits(using: str = "default"):
    """A transaction whose statements get the operator commands' larger limit (SET LOCAL, so it
    ends with the transaction and never leaks to a pooled connection)."""
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)",
                [str(int(settings.DB_COMMAND_STATEMENT_TIMEOUT))],
            )
        yield


# Commands that serve requests keep the web limits; every other manage.py command is an
# operator's (migrate, imports, purges, exports, risk computation, the bench seed).
SERVING_COMMANDS = {"runserver", "shell_plus"}


def is_operator_command(argv: list[str]) -> bool:
    return len(argv) > 1 and Path(argv[0]).name == "manage.py" and argv[1] not in SERVING_COMMANDS


def lift_for_commands(sender, connection, **kwargs) -> None:
    """Give an operator command's session the command limit instead of the web one.

    Only on a direct connection: behind a transaction-mode pooler a session SET would stay on
    the server connection for later clients, so there the command keeps the web limit and long
    work should use the direct (non-pooler) URL, as Neon advises for migrations anyway.
    """
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return
    limit = str(int(settings.DB_COMMAND_STATEMENT_TIMEOUT))
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [limit])
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [limit])
