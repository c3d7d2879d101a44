"""Daily range partitions of the log table: naming, creating ahead, dropping for retention.

The log table is partitioned by `timestamp` in whole UTC days (`monitoring_monitoringlog_p20261202`
holds [2026-12-02, 2026-12-03) UTC), plus a default partition for any time no day partition
covers, so an insert never fails. The hourly counts (LogHourCount) are UTC hours, so a day
partition owns exactly the count rows of its 24 hours.
"""

from __future__ import annotations

import re
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import OperationalError, connection, transaction

TABLE = "monitoring_monitoringlog"
DEFAULT = f"{TABLE}_default"
KEYS = "monitoring_logkey"
LINKS = "monitoring_monitoringresult_logs"
COUNTS = "monitoring_loghourcount"
NAME = re.compile(rf"^{TABLE}_p(\d{{8}})$")
# Keys of a dropped partition are released this many per transaction.
KEY_BATCH = 50_000

COLUMNS = "id, client_id, timestamp, received_at, level, source, message, context"
# Creating and detaching a partition take a brief ACCESS EXCLUSIVE lock on the log table.
# Queued behind a long query it would hold up every query queued after it, so it waits at most
# this long, then gives way and tries again a little later.
LOCK_TIMEOUT = "2s"
LOCK_ATTEMPTS = 5
LOCK_RETRY_SECONDS = 1.0


def under_short_lock(work) -> None:
    """Run `work(cursor)` in a transaction whose locks wait at most LOCK_TIMEOUT, retrying."""
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
                work(cursor)
                return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "55P03" or attempt == LOCK_ATTEMPTS:
                raise
            clock.sleep(LOCK_RETRY_SECONDS)


def name(day: date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def today() -> date:
    return datetime.now(UTC).date()


def _day_of(table: str) -> date | None:
    match = NAME.match(table)
    return datetime.strptime(match.group(1), "%Y%m%d").date() if match else None


def is_partitioned(cursor) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
    return cursor.fetchone()[0] == "p"


def attached_days(cursor, parent: str = TABLE) -> list[date]:
    """The days that have a partition, oldest first."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [parent],
    )
    return sorted(day for (relname,) in cursor.fetchall() if (day := _day_of(relname)))


def detached_tables(cursor) -> list[str]:
    """Day partitions detached by an interrupted retention run, still to be dropped."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE %s "
        "AND c.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)",
        [f"{TABLE}\\_p%"],
    )
    return sorted(relname for (relname,) in cursor.fetchall() if _day_of(relname))


def create_partition(cursor, day: date, parent: str = TABLE) -> None:
    """Create the partition of `day`. Logs of that day already in the default partition move
    into it first (a direct move between partitions: the hour counts, keys and events, kept by
    statement triggers on the parent, are not touched, as the logs stay stored)."""
    start, end = bounds(day)
    table = name(day)
    bound = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    default = f"{parent}_default"
    cursor.execute(
        f'SELECT 1 FROM {default} WHERE "timestamp" >= %s AND "timestamp" < %s LIMIT 1',  # noqa: S608
        [start, end],
    )
    if cursor.fetchone() is None:
        cursor.execute(f"CREATE TABLE {table} PARTITION OF {parent} {bound}")
        return
    cursor.execute(f"CREATE TABLE {table} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {default} "  # noqa: S608
        f'WHERE "timestamp" >= %s AND "timestamp" < %s RETURNING {COLUMNS}) '
        f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM moved",
        [start, end],
    )
    cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {table} {bound}")


def create_default_partition(cursor, parent: str = TABLE) -> None:
    cursor.execute(f"CREATE TABLE {parent}_default PARTITION OF {parent} DEFAULT")


def partitions_ensure(*, start: date, end: date) -> list[date]:
    """Create the missing day partitions of [start, end), one transaction each; returns the
    days created."""
    created = []
    with connection.cursor() as cursor:
        have = set(attached_days(cursor))
    day = start
    while day < end:
        if day not in have:
            under_short_lock(lambda cursor, day=day: create_partition(cursor, day))
            created.append(day)
        day += timedelta(days=1)
    return created


@dataclass(frozen=True)
class Dropped:
    day: date
    logs: int


def _release(cursor_factory, table: str) -> int:
    """Forget a detached partition: its logs' links to results and idempotency keys (in
    batches), then the table. Returns how many logs it held."""
    with transaction.atomic(), cursor_factory() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        logs = cursor.fetchone()[0]
        cursor.execute(
            f"DELETE FROM {LINKS} l WHERE EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {table} p WHERE p.id = l.monitoringlog_id)"
        )
    after = 0
    while True:
        with transaction.atomic(), cursor_factory() as cursor:
            # An array of the batch's ids: one probe each of the key index (a join would
            # read the whole key table).
            cursor.execute(
                f"WITH b AS MATERIALIZED (SELECT id, client_id FROM {table} "  # noqa: S608
                f"WHERE id > %s ORDER BY id LIMIT %s), "
                f"d AS (DELETE FROM {KEYS} k "
                "WHERE k.client_id = ANY(ARRAY(SELECT client_id FROM b))) "
                "SELECT max(id), count(*) FROM b",
                [after, KEY_BATCH],
            )
            last, n = cursor.fetchone()
        if n < KEY_BATCH:
            break
        after = last
    with transaction.atomic(), cursor_factory() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return logs


def _detach(cursor, day: date) -> None:
    start, end = bounds(day)
    cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name(day)}")
    cursor.execute(f"DELETE FROM {COUNTS} WHERE hour >= %s AND hour < %s", [start, end])  # noqa: S608


def partitions_drop_before(*, cutoff: datetime) -> list[Dropped]:
    """Drop every day partition wholly older than `cutoff`: DETACH (with its hour counts, in
    one short transaction), then its keys and links, then DROP. Finishes partitions an
    interrupted run detached."""
    dropped = []
    with connection.cursor() as cursor:
        leftovers = detached_tables(cursor)
        days = [day for day in attached_days(cursor) if bounds(day)[1] <= cutoff]
    for table in leftovers:
        dropped.append(Dropped(day=_day_of(table), logs=_release(connection.cursor, table)))
    for day in days:
        under_short_lock(lambda cursor, day=day: _detach(cursor, day))
        dropped.append(Dropped(day=day, logs=_release(connection.cursor, name(day))))
    return dropped
