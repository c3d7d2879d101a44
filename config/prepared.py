"""Statements PostgreSQL parses and plans once per connection: server-side prepared statements.

Django's PostgreSQL cursors bind parameters on the client (psycopg's ClientCursor), so every
statement is parsed and planned again; for the compiled reads that is 1-2 ms a request, more
on the partitioned log table, which plans each partition it reads. The statements every
request of one shape repeats word for word — the API-key lookup and the compiled reads — go
through `cursor()` instead: parameters bound by the server, and psycopg prepares a statement
once it has run `prepare_threshold` times (5) on the connection, keeping the `prepared_max`
(100) most recent. They still pass through Django's cursor wrapper (execute wrappers, the
queries log).

A statement that reads a table declared with `plan_with_values` (the partitioned log table)
is never prepared: PostgreSQL's generic plan of a prepared statement prunes no partition when
it is planned and misjudges the filters over a partitioned table, and on the first log page it
ran in 9.4 ms against 3.7 ms planned with the request's values.

The database entry's PREPARED_STATEMENTS (DB_PREPARED_STATEMENTS, config.database) switches
them off, as it is behind a transaction-mode pooler unless it tracks prepared statements; then
this is Django's own cursor.
"""

from __future__ import annotations

import psycopg
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _LoggedCursor(CursorDebugWrapper):
    """Django's debug cursor (the queries log of tests and DEBUG), which reads a statement back
    from a client-binding cursor: here it logs the statement with its parameters in place, as
    Django logs a server-bound statement (DatabaseOperations.compose_sql)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


# Tables whose statements are planned with their values on every run (see above).
PLANNED_WITH_VALUES: set[str] = set()


def plan_with_values(table: str) -> None:
    """Declare that statements reading `table` are planned with their values every time."""
    PLANNED_WITH_VALUES.add(table)


def cursor(using: str = "default", *, tables: frozenset[str] | set[str] = frozenset()):
    """A cursor of database `using` whose repeated statements are prepared, unless they read
    one of `tables` that is planned with its values."""
    connection = connections[using]
    if not connection.settings_dict.get("PREPARED_STATEMENTS") or tables & PLANNED_WITH_VALUES:
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    server_bound = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(server_bound, connection)
    return connection.make_cursor(server_bound)
