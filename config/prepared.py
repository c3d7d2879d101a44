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
is prepared too, but planned with its values on every run: PostgreSQL's generic plan of it
cannot know which partitions and how many rows the filters select, and for some values it is
several times slower (the first log page over all time: 55.6 ms against 12.5 ms planned with
the values), so the statement runs with `plan_cache_mode = force_custom_plan`, set and reset
around it in the same round trip (a pipeline: one implicit transaction, which a failure undoes
with the setting, and which a transaction-mode pooler keeps on one server). Preparing still
spares the parsing and analysis of its long text on every run (1.2 ms on log page 10,000,
0.6 ms on the first page). Taking the generic plan when the time range names few partitions
was measured and refused: it picks each partition's index from which filters are present, not
their values, and over days whose logs are mostly of other sources it was 100 times slower
(docs/benchmarks.md, "The log page's plan chosen by its time range").

Only the filters make the values matter. A statement that reads such a table without any
(`unfiltered`: the rows in the list's order from a cursor on, the page after log 10,000) has
one good plan for every cursor: an ordered merge of the partitions' indexes, the partitions
past the cursor pruned when it starts. PostgreSQL would still plan it with its values every
time (its estimate of a plan for all partitions exceeds that of one pruned by the values), so
it runs with `plan_cache_mode = force_generic_plan`, set and reset the same way: planned once
per connection (log page 10,000: 1.05 ms a statement against 1.60 ms planned every time).

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
RESET_PLANS = "RESET plan_cache_mode"


class _PlanMode(psycopg.Cursor):
    """A server-bound cursor whose prepared statements run with the plan cache mode of
    `SET_PLANS`, set for the statement alone, in the statement's round trip."""

    SET_PLANS: str  # the subclass's

    def execute(self, query, params=None, *, prepare=None, binary=None):
        # One implicit transaction until the pipeline's sync: a failing statement undoes the
        # SET with it (tests/foundation/test_prepared.py).
        connection = self.connection
        with connection.pipeline():
            connection.execute(self.SET_PLANS)
            super().execute(query, params, prepare=prepare, binary=binary)
            connection.execute(RESET_PLANS)
        return self


class _PlannedWithValues(_PlanMode):
    SET_PLANS = "SET plan_cache_mode = force_custom_plan"


class _PlannedOnce(_PlanMode):
    SET_PLANS = "SET plan_cache_mode = force_generic_plan"


def plan_with_values(table: str) -> None:
    """Declare that statements reading `table` are planned with their values every time."""
    PLANNED_WITH_VALUES.add(table)


def cursor(
    using: str = "default",
    *,
    tables: frozenset[str] | set[str] = frozenset(),
    unfiltered: frozenset[str] | set[str] = frozenset(),
):
    """A cursor of database `using` whose repeated statements are prepared: planned with
    their values every time when they read one of `tables` declared so, unless the statement
    reads each of those only `unfiltered` (no condition but a cursor's): then planned once."""
    connection = connections[using]
    if not connection.settings_dict.get("PREPARED_STATEMENTS"):
        return connection.cursor()
    # As Django's own cursors do: a kept connection is checked before the request's first
    # statement (CONN_HEALTH_CHECKS), and replaced when it was dropped since the last request.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    declared = tables & PLANNED_WITH_VALUES
    if declared - unfiltered:
        kind = _PlannedWithValues
    elif declared:
        kind = _PlannedOnce
    else:
        kind = psycopg.Cursor
    server_bound = kind(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(server_bound, connection)
    return connection.make_cursor(server_bound)
