"""Every write to the monitoring store: log batches, analysis results, health checks, pruning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.inputs import aware, database_id
from config.text import is_storable
from monitoring import partitions
from monitoring.models import MonitoringLog, MonitoringResult, SystemHealth
from monitoring.validation import log_row_errors

INGEST_MAX_LOGS = 5000
RESULT_MAX_LOGS = 1000

# One statement per batch whatever its size: the rows arrive as one JSON array of rows
# (written by orjson, read by PostgreSQL's JSON parser: both several times faster than
# quoting six arrays of text), the ones whose client id is already stored are skipped (one
# probe each of the LogKey primary key, which a trigger fills from the inserted rows), and the
# new ones are counted in the database (one row back instead of one per log). ORDER BY n keeps
# the batch's order (ids follow it) whichever join the planner picks for the NOT EXISTS.
INGEST_SQL = """
    WITH inserted AS (
        INSERT INTO monitoring_monitoringlog
            (client_id, timestamp, level, source, message, context, received_at)
        SELECT item->>0, (item->>1)::timestamptz, (item->>2)::smallint, item->>3, item->>4,
               (item->>5)::jsonb, %s
        FROM json_array_elements(%s::json) WITH ORDINALITY AS batch(item, n)
        WHERE NOT EXISTS (SELECT 1 FROM monitoring_logkey k WHERE k.client_id = item->>0)
        ORDER BY n
        RETURNING 1
    )
    SELECT count(*) FROM inserted
"""
# A concurrent batch storing some of the same client ids makes the statement fail on the key
# (after waiting for that batch to commit); run again, it sees those ids stored and skips them.
KEY_CONSTRAINT = "monitoring_logkey_pkey"
INSERT_ATTEMPTS = 10


def insert_new_logs(sql: str, params: list[object]) -> list[tuple]:
    """Run a statement inserting logs whose client ids are not stored yet (NOT EXISTS on
    monitoring_logkey); when a concurrent writer stored one of them first, run it again."""
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except IntegrityError as exc:
            diag = getattr(exc.__cause__, "diag", None)
            if attempt == INSERT_ATTEMPTS or getattr(diag, "constraint_name", None) != (
                KEY_CONSTRAINT
            ):
                raise
    raise AssertionError("unreachable")


@dataclass
class LogError:
    index: int
    field: str  # model field name
    message: str


@dataclass
class IngestOutcome:
    received: int = 0
    inserted: int = 0
    errors: list[LogError] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.received - self.inserted if not self.errors else 0


def logs_ingest(*, logs: Sequence[Mapping[str, object]]) -> IngestOutcome:
    """Store up to INGEST_MAX_LOGS logs in one statement, skipping client ids already stored.

    Every log is checked first; when any is invalid nothing is written and the errors are
    returned by index. A log repeated within the batch counts as a duplicate (the first wins).
    The one statement runs in its own transaction (insert_new_logs).
    """
    if len(logs) > INGEST_MAX_LOGS:
        raise ValidationError({"logs": f"at most {INGEST_MAX_LOGS} logs per call, got {len(logs)}"})
    outcome = IngestOutcome(received=len(logs))
    rows = []
    for index, data in enumerate(logs):
        row, errors = log_row_errors(data)
        if errors:
            outcome.errors.extend(LogError(index, name, message) for name, message in errors)
        elif not outcome.errors:
            rows.append(row)
    if outcome.errors or not rows:
        return outcome
    # The same order of client ids in every batch: two batches sharing ids wait for each
    # other instead of deadlocking.
    # The sort is stable: of a client id repeated in the batch, the first is kept.
    rows.sort(key=lambda row: row[0])
    rows = [row for n, row in enumerate(rows) if n == 0 or rows[n - 1][0] != row[0]]
    # Times keep their offset and microseconds (RFC 3339); texts were checked storable.
    batch = orjson.dumps(rows).decode()
    ((outcome.inserted,),) = insert_new_logs(INGEST_SQL, [timezone.now(), batch])
    return outcome


def _log_ids(raw_ids: Sequence[object]) -> list[int]:
    """Database ids of stored logs, in the given order; unknown ids are refused by position."""
    ids = [database_id(raw) for raw in raw_ids]
    # Locked until the links are stored: the links have no foreign key (the log table is
    # partitioned), so this is what keeps retention from deleting a log being linked.
    found = set(
        MonitoringLog.objects.filter(pk__in=[i for i in ids if i])
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )
    missing = [
        f"logIds[{index}]: no log with id {str(raw)!r}"
        for index, (raw, pk) in enumerate(zip(raw_ids, ids, strict=True))
        if pk not in found
    ]
    if missing:
        raise ValidationError({"log_ids": missing})
    return list(dict.fromkeys(ids))


@transaction.atomic
def result_record(
    *,
    target: str,
    check_name: str,
    status: str,
    score: float | None = None,
    details: Mapping[str, object] | None = None,
    created_at: datetime | None = None,
    log_ids: Sequence[object] = (),
) -> MonitoringResult:
    """Record the outcome of a check, optionally linked to the logs it is about."""
    if len(log_ids) > RESULT_MAX_LOGS:
        raise ValidationError({"log_ids": f"at most {RESULT_MAX_LOGS} logs, got {len(log_ids)}"})
    result = MonitoringResult(
        target=target,
        check_name=check_name,
        status=status,
        score=score,
        details={} if details is None else details,
        created_at=aware(created_at) if created_at else timezone.now(),
    )
    result.full_clean()
    ids = _log_ids(log_ids)
    result.save()
    if ids:
        result.logs.add(*ids)
    return result


@transaction.atomic
def health_report(
    *,
    component: str,
    status: str,
    latency_ms: float | None = None,
    details: Mapping[str, object] | None = None,
    checked_at: datetime | None = None,
) -> SystemHealth:
    """Record one health check of a component (history is kept)."""
    check = SystemHealth(
        component=component,
        status=status,
        latency_ms=latency_ms,
        details={} if details is None else details,
        checked_at=aware(checked_at) if checked_at else timezone.now(),
    )
    check.full_clean()
    check.save()
    return check


@dataclass(frozen=True)
class PrunePolicy:
    """Which logs retention removes: older than `cutoff` (by timestamp), or arrived at or
    before `last_doomed_id` (all but the newest rows by arrival). Either may be None."""

    cutoff: datetime | None
    last_doomed_id: int | None

    def where(self) -> tuple[str, list[object]]:
        parts, params = [], []
        if self.cutoff is not None:
            parts.append("timestamp < %s")
            params.append(self.cutoff)
        if self.last_doomed_id is not None:
            parts.append("id <= %s")
            params.append(self.last_doomed_id)
        return " OR ".join(parts) or "false", params


def logs_prune_policy(
    *, keep_days: int | None, keep_rows: int | None, now: datetime | None = None
) -> PrunePolicy:
    """The logs to remove to keep `keep_days` days and/or the newest `keep_rows` logs."""
    cutoff = None
    if keep_days is not None:
        cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    last_doomed_id = None
    if keep_rows is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM monitoring_monitoringlog ORDER BY id DESC OFFSET %s LIMIT 1",
                [keep_rows],
            )
            row = cursor.fetchone()
        last_doomed_id = row[0] if row else None
    return PrunePolicy(cutoff=cutoff, last_doomed_id=last_doomed_id)


def logs_prune_count(*, policy: PrunePolicy) -> int:
    """How many stored logs the policy removes."""
    where, params = policy.where()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM monitoring_monitoringlog WHERE {where}", params)  # noqa: S608
        return cursor.fetchone()[0]


# One short transaction per batch (the delete trigger removes the batch's links to results
# and its keys). The policy is repeated outside so that the planner leaves out the partitions
# it cannot touch (after the drops, of a time cutoff only the straddling day and the default
# partition remain) instead of probing every partition's index for each id.
PRUNE_BATCH_SQL = """
    DELETE FROM monitoring_monitoringlog
    WHERE ({where}) AND id IN (SELECT id FROM monitoring_monitoringlog WHERE {where} LIMIT %s)
"""


def logs_prune(*, policy: PrunePolicy, batch_size: int = 5000, on_batch=None) -> int:
    """Delete the logs the policy removes; returns how many. Day partitions wholly older than
    the cutoff are dropped; the rest (the day straddling the cutoff, old logs in the default
    partition, all of `--keep-rows`) is deleted `batch_size` per transaction.

    `on_batch(deleted)` is called after each dropped partition and each committed batch.
    """
    total = 0
    if policy.cutoff is not None:
        for dropped in partitions.partitions_drop_before(cutoff=policy.cutoff):
            total += dropped.logs
            if on_batch:
                on_batch(dropped.logs)
    where, params = policy.where()
    sql = PRUNE_BATCH_SQL.format(where=where)
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*params, *params, batch_size])
            deleted = cursor.rowcount
        total += deleted
        if on_batch:
            on_batch(deleted)
        if deleted < batch_size:
            return total


# A delete by time range removes at most this many rows per call, DELETE_BATCH per statement,
# so one request holds its locks and the database briefly whatever the range; `has_more` says
# to call again.
DELETE_MAX_ROWS = 50_000
DELETE_BATCH = 5_000


@dataclass(frozen=True)
class DeleteOutcome:
    deleted: int
    has_more: bool


def _check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationError({"range": "'to' must be after 'from'."})


def _delete_in_batches(queryset, *, max_rows: int) -> DeleteOutcome:
    """Delete the queryset's rows by id, DELETE_BATCH per statement, at most `max_rows`."""
    deleted = 0
    while deleted < max_rows:
        size = min(DELETE_BATCH, max_rows - deleted)
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return DeleteOutcome(deleted=deleted, has_more=False)
        queryset.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < size:
            return DeleteOutcome(deleted=deleted, has_more=False)
    return DeleteOutcome(deleted=deleted, has_more=queryset.exists())


@transaction.atomic
def monitoring_results_delete(
    *, start: datetime, end: datetime, max_rows: int = DELETE_MAX_ROWS
) -> DeleteOutcome:
    """Delete the results recorded in [start, end) (their links to logs go with them), at most
    `max_rows` of them."""
    _check_range(start, end)
    results = MonitoringResult.objects.filter(created_at__gte=start, created_at__lt=end)
    return _delete_in_batches(results, max_rows=max_rows)


@transaction.atomic
def health_history_delete(
    *,
    start: datetime,
    end: datetime,
    component: str | None = None,
    max_rows: int = DELETE_MAX_ROWS,
) -> DeleteOutcome:
    """Delete the health checks that ran in [start, end), of one component or of all, at most
    `max_rows` of them. The latest status of a component is whatever check remains."""
    _check_range(start, end)
    checks = SystemHealth.objects.filter(checked_at__gte=start, checked_at__lt=end)
    if component is not None:
        if not is_storable(component):
            return DeleteOutcome(deleted=0, has_more=False)
        checks = checks.filter(component=component)
    return _delete_in_batches(checks, max_rows=max_rows)
