"""Converting the log table between a plain table and the partitioned one, in batches.

Forward: a partitioned copy is built beside the table (day partitions for the stored days, a
default partition), filled by id range in one short transaction per batch (each batch also
stores its idempotency keys), indexed, then the rows that arrived meanwhile are copied under a
lock that holds off writers (not readers), the names are swapped, the triggers move over and
the old table is dropped. No row is lost: every id up to the last one is copied, the last
batch under the lock. Backward (to undo the migration) is the same walk into a plain table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, timedelta

from django.db import transaction

from monitoring import partitions
from monitoring.partitions import COLUMNS, KEYS, TABLE

NEW = f"{TABLE}_new"
OLD = f"{TABLE}_old"
SEQUENCE = f"{TABLE}_id_seq"
BATCH = 50_000
# Day partitions are made for the days that have logs back to this far (older logs go to the
# default partition, which retention empties by rows) and for this many days ahead.
BACK_DAYS = 400
AHEAD_DAYS = 7

# The UTC days that have logs, from a day on: one probe of the time index per day.
STORED_DAYS_SQL = f"""
    WITH RECURSIVE d(day) AS (
        SELECT date_trunc('day', min("timestamp"), 'UTC') FROM {TABLE} WHERE "timestamp" >= %s
        UNION ALL
        SELECT (SELECT date_trunc('day', min("timestamp"), 'UTC') FROM {TABLE}
                WHERE "timestamp" >= d.day + interval '1 day')
        FROM d WHERE d.day IS NOT NULL
    )
    SELECT day FROM d WHERE day IS NOT NULL
"""  # noqa: S608

# Index name -> definition; the names are the model's (Meta.indexes).
INDEXES = {
    "monitoring_log_time": '("timestamp" DESC, id DESC)',
    "monitoring_log_source_time": '(source, "timestamp" DESC, id DESC)',
    "monitoring_log_level_time": '(level, "timestamp" DESC, id DESC)',
    "monitoring_log_client_id": "(client_id)",
}


def _triggers(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of the user triggers on `table`."""
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
        [table],
    )
    return cursor.fetchall()


def _move_triggers(cursor, source: str, target: str) -> None:
    """Recreate `source`'s triggers on `target` (which takes its name right after)."""
    for trigger, definition in _triggers(cursor, source):
        cursor.execute(f"DROP TRIGGER {trigger} ON {source}")
        cursor.execute(re.sub(rf" ON (public\.)?{source} ", f" ON {target} ", definition, count=1))


def _copy(atomic_cursor: Callable, *, source: str, target: str, keys: bool, batch: int, on_batch):
    """Copy `source` into `target` by id ranges, one transaction each; returns the last id
    copied (the caller copies the rest under a lock)."""
    with atomic_cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {source}")  # noqa: S608
        low, high = cursor.fetchone()
    if low is None:
        return 0
    after = low - 1
    while after < high:
        with atomic_cursor() as cursor:
            _copy_range(
                cursor, source=source, target=target, keys=keys, after=after, upto=after + batch
            )
            if on_batch:
                on_batch(cursor.rowcount)
        after += batch
    return high


def _copy_range(cursor, *, source, target, keys, after, upto=None):
    where = "id > %s" + (" AND id <= %s" if upto is not None else "")
    params = [after] + ([upto] if upto is not None else [])
    select = f"SELECT {COLUMNS} FROM {source} WHERE {where}"  # noqa: S608
    if keys:
        cursor.execute(
            f"WITH moved AS (INSERT INTO {target} ({COLUMNS}) {select} RETURNING client_id) "  # noqa: S608
            f"INSERT INTO {KEYS} (client_id) SELECT client_id FROM moved",
            params,
        )
    else:
        cursor.execute(f"INSERT INTO {target} ({COLUMNS}) {select}", params)


def _sequence_after(cursor, table: str) -> int:
    """The next id to hand out: past the largest id and past the table's sequence."""
    cursor.execute(
        f"SELECT GREATEST((SELECT max(id) FROM {table}), "  # noqa: S608
        f"(SELECT last_value FROM {SEQUENCE}), 1)"
    )
    return cursor.fetchone()[0]


def to_partitioned(connection, *, batch: int | None = None, on_batch=None) -> None:
    """Convert the plain log table into the partitioned one (nothing if it already is),
    `batch` (BATCH) rows per transaction; `on_batch(rows)` after each."""
    batch = batch or BATCH

    def atomic_cursor():
        return _AtomicCursor(connection)

    with atomic_cursor() as cursor:
        if partitions.is_partitioned(cursor):
            return
        cursor.execute(f"DROP TABLE IF EXISTS {NEW}")
        cursor.execute(
            f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            'PARTITION BY RANGE ("timestamp")'
        )
        cursor.execute(f"CREATE SEQUENCE {NEW}_id_seq OWNED BY {NEW}.id")
        cursor.execute(f"ALTER TABLE {NEW} ALTER id SET DEFAULT nextval('{NEW}_id_seq')")
        partitions.create_default_partition(cursor, parent=NEW)
        today = partitions.today()
        cursor.execute(STORED_DAYS_SQL, [today - timedelta(days=BACK_DAYS)])
        stored = {day.astimezone(UTC).date() for (day,) in cursor.fetchall()}
        ahead = {today + timedelta(days=n) for n in range(AHEAD_DAYS + 1)}
        for day in sorted(stored | ahead):
            partitions.create_partition(cursor, day, parent=NEW)
    copied = _copy(
        atomic_cursor, source=TABLE, target=NEW, keys=True, batch=batch, on_batch=on_batch
    )
    with atomic_cursor() as cursor:
        cursor.execute(f'ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_pkey PRIMARY KEY (id, "timestamp")')
        for index, columns in INDEXES.items():
            cursor.execute(f"CREATE INDEX {index}_new ON {NEW} {columns}")
    with atomic_cursor() as cursor:
        # Writers wait from here to the swap; readers go on reading the old table.
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        _copy_range(cursor, source=TABLE, target=NEW, keys=True, after=copied)
        cursor.execute(f"SELECT setval('{NEW}_id_seq', %s)", [_sequence_after(cursor, TABLE)])
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {NEW} RENAME TO {TABLE}")
        _move_triggers(cursor, OLD, TABLE)
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"ALTER SEQUENCE {NEW}_id_seq RENAME TO {SEQUENCE}")
        cursor.execute(f"ALTER TABLE {NEW}_default RENAME TO {TABLE}_default")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {NEW}_pkey TO {TABLE}_pkey")
        for index in INDEXES:
            cursor.execute(f"ALTER INDEX {index}_new RENAME TO {index}")


def to_plain(connection, *, batch: int | None = None) -> None:
    """Convert the partitioned log table back into a plain one (nothing if it already is)."""
    batch = batch or BATCH

    def atomic_cursor():
        return _AtomicCursor(connection)

    with atomic_cursor() as cursor:
        if not partitions.is_partitioned(cursor):
            return
        cursor.execute(f"DROP TABLE IF EXISTS {NEW}")
        cursor.execute(
            f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"ALTER TABLE {NEW} ALTER id DROP DEFAULT")
        cursor.execute(f"ALTER TABLE {NEW} ALTER id ADD GENERATED BY DEFAULT AS IDENTITY")
    copied = _copy(atomic_cursor, source=TABLE, target=NEW, keys=False, batch=batch, on_batch=None)
    with atomic_cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        _copy_range(cursor, source=TABLE, target=NEW, keys=False, after=copied)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{NEW}', 'id'), %s)",
            [_sequence_after(cursor, TABLE)],
        )
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {NEW} RENAME TO {TABLE}")
        _move_triggers(cursor, OLD, TABLE)
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"ALTER SEQUENCE {NEW}_id_seq RENAME TO {SEQUENCE}")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT monitoring_log_client_id_uniq UNIQUE (client_id)"
        )
        for index, columns in INDEXES.items():
            if index != "monitoring_log_client_id":
                cursor.execute(f"CREATE INDEX {index} ON {TABLE} {columns}")


class _AtomicCursor:
    """A cursor inside its own transaction (the migration runs outside one, batch by batch)."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.atomic = transaction.atomic(using=self.connection.alias)
        self.atomic.__enter__()
        self.cursor = self.connection.cursor()
        return self.cursor

    def __exit__(self, *exc):
        self.cursor.close()
        return self.atomic.__exit__(*exc)
