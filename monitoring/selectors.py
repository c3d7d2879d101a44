"""Reads of the monitoring store: keyset pages of logs, health, statistics — all in SQL."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.errors import invalid
from config.text import nothing_if_unstorable
from monitoring.models import ERROR_LEVEL, MonitoringLog, SystemHealth

STATS_MAX_BUCKETS = 2000
BUCKET_STEPS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}


# --- logs: keyset pagination -------------------------------------------------------------

NOT_A_CURSOR = "logs: 'after' is not a cursor of this list."


def encode_cursor(log: MonitoringLog) -> str:
    """Opaque cursor of a log's place in the newest-first order: (timestamp, id)."""
    raw = f"{log.timestamp.isoformat()}|{log.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        when, pk = datetime.fromisoformat(stamp), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(NOT_A_CURSOR, field="after") from None
    if timezone.is_naive(when):
        raise invalid(NOT_A_CURSOR, field="after")
    return when, pk


def after_q(cursor: str) -> Q:
    """Logs after the cursor in newest-first order: (timestamp, id) < (t, id).

    Written as `timestamp <= t AND (timestamp < t OR id < id)` so the plain `timestamp <= t`
    bounds the index scan (the OR only filters the rows sharing `t`).
    """
    when, pk = decode_cursor(cursor)
    return Q(timestamp__lte=when) & (Q(timestamp__lt=when) | Q(id__lt=pk))


@dataclass
class LogPage:
    logs: list[MonitoringLog]
    has_next_page: bool


def log_page(*, filters: Q, first: int, after: str | None) -> LogPage:
    """One page of logs matching `filters`, newest first, after the cursor `after`."""
    queryset = MonitoringLog.objects.filter(filters)
    if after:
        queryset = queryset.filter(after_q(after))
    rows = list(queryset.newest_first()[: first + 1])
    return LogPage(logs=rows[:first], has_next_page=len(rows) > first)


# --- health --------------------------------------------------------------------------------

# The components are found by a loose index scan (one index probe per component, instead of
# reading the whole history as DISTINCT ON would), then per component: its latest check, the
# latest check with another status (one probe per status), and the first check after that one,
# which is when the current status began.
HEALTH_LATEST_SQL = """
    WITH RECURSIVE components(component) AS (
        (SELECT component FROM monitoring_systemhealth ORDER BY component LIMIT 1)
        UNION ALL
        SELECT (SELECT h.component FROM monitoring_systemhealth h
                WHERE h.component > c.component ORDER BY h.component LIMIT 1)
        FROM components c WHERE c.component IS NOT NULL
    )
    SELECT latest.*,
        (SELECT min(h.checked_at) FROM monitoring_systemhealth h
         WHERE h.component = latest.component
           AND (changed.at IS NULL OR h.checked_at > changed.at)) AS since
    FROM components c
    CROSS JOIN LATERAL (
        SELECT * FROM monitoring_systemhealth h
        WHERE h.component = c.component
        ORDER BY h.checked_at DESC, h.id DESC LIMIT 1
    ) latest
    LEFT JOIN LATERAL (
        SELECT max(other.at) AS at
        FROM (VALUES ('up'), ('degraded'), ('down')) AS s(status)
        CROSS JOIN LATERAL (
            SELECT max(h.checked_at) AS at FROM monitoring_systemhealth h
            WHERE h.component = latest.component AND h.status = s.status
        ) other
        WHERE s.status <> latest.status
    ) changed ON true
    WHERE c.component IS NOT NULL
    ORDER BY c.component
"""


def health_latest() -> list[SystemHealth]:
    """The latest check of every component, by component, each with `since` set."""
    return list(SystemHealth.objects.raw(HEALTH_LATEST_SQL))


def health_history(*, component: str, start: datetime, end: datetime) -> QuerySet[SystemHealth]:
    if nothing := nothing_if_unstorable(component):
        return SystemHealth.objects.filter(nothing)
    return SystemHealth.objects.filter(
        component=component, checked_at__gte=start, checked_at__lt=end
    ).order_by("-checked_at", "-id")


# --- statistics ----------------------------------------------------------------------------

COUNT_BY_LEVEL_SQL = """
    SELECT level, count(*) FROM monitoring_monitoringlog
    WHERE timestamp >= %s AND timestamp < %s
    GROUP BY level
"""

COUNT_BY_SOURCE_SQL = """
    SELECT source, count(*) AS n FROM monitoring_monitoringlog
    WHERE timestamp >= %s AND timestamp < %s {errors}
    GROUP BY source
    ORDER BY n DESC, source COLLATE "C"
    LIMIT %s
"""

# Buckets are cut in the server's time zone (an hour or a day as a person there reads it);
# every bucket of the range is listed, also those without logs.
ERROR_RATE_SQL = """
    WITH counts AS (
        SELECT date_trunc(%(unit)s, timestamp, %(tz)s) AS bucket,
               count(*) AS total,
               count(*) FILTER (WHERE level >= %(error)s) AS errors
        FROM monitoring_monitoringlog
        WHERE timestamp >= %(start)s AND timestamp < %(end)s
        GROUP BY 1
    )
    SELECT s.bucket, COALESCE(c.total, 0), COALESCE(c.errors, 0)
    FROM {series} AS s(bucket)
    LEFT JOIN counts c ON c.bucket = s.bucket
    WHERE s.bucket < %(end)s
    ORDER BY s.bucket
"""
# generate_series(…, time zone) is PostgreSQL 16+; these give the same buckets on 14 and later.
# An hour is 3,600 s everywhere (the session runs in UTC), so minutes and hours step in absolute
# time; a day steps in the zone's wall clock (23 or 25 hours across a DST change), then is read
# back as an instant.
_ABSOLUTE = """generate_series(
        date_trunc(%(unit)s, %(start)s::timestamptz, %(tz)s), %(end)s::timestamptz,
        %(step)s::interval)"""
_WALL_CLOCK = """(SELECT local AT TIME ZONE %(tz)s FROM generate_series(
        date_trunc(%(unit)s, %(start)s::timestamptz, %(tz)s) AT TIME ZONE %(tz)s,
        %(end)s::timestamptz AT TIME ZONE %(tz)s, %(step)s::interval) AS l(local))"""
ERROR_RATE_SERIES = {"minute": _ABSOLUTE, "hour": _ABSOLUTE, "day": _WALL_CLOCK}


def log_counts_by_level(*, start: datetime, end: datetime) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(COUNT_BY_LEVEL_SQL, [start, end])
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class SourceCount:
    source: str
    count: int


def log_counts_by_source(
    *, start: datetime, end: datetime, limit: int, errors_only: bool = False
) -> list[SourceCount]:
    """Sources by their number of logs (of level error or above if `errors_only`) in the range,
    most first, ties by name."""
    sql = COUNT_BY_SOURCE_SQL.format(
        errors=f"AND level >= {int(ERROR_LEVEL)}" if errors_only else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, limit])
        return [SourceCount(source=source, count=count) for source, count in cursor.fetchall()]


@dataclass(frozen=True)
class Bucket:
    start: datetime
    total: int
    errors: int

    @property
    def rate(self) -> float | None:
        return self.errors / self.total if self.total else None


def bucket_count(*, start: datetime, end: datetime, unit: str) -> int:
    step = BUCKET_STEPS[unit]
    return (end - start) // step + 1


def log_error_rate(*, start: datetime, end: datetime, unit: str) -> list[Bucket]:
    """Logs and errors (level error or above) per `unit` bucket of [start, end)."""
    params = {
        "unit": unit,
        "tz": timezone.get_current_timezone_name(),
        "error": int(ERROR_LEVEL),
        "start": start,
        "end": end,
        "step": f"1 {unit}",
    }
    with connection.cursor() as cursor:
        cursor.execute(ERROR_RATE_SQL.format(series=ERROR_RATE_SERIES[unit]), params)
        return [Bucket(start=b, total=t, errors=e) for b, t, e in cursor.fetchall()]


# ERROR_RATE_SQL per source: every bucket of the range for each of the given sources.
ERROR_RATE_BY_SOURCE_SQL = """
    WITH counts AS (
        SELECT source, date_trunc(%(unit)s, timestamp, %(tz)s) AS bucket,
               count(*) AS total,
               count(*) FILTER (WHERE level >= %(error)s) AS errors
        FROM monitoring_monitoringlog
        WHERE timestamp >= %(start)s AND timestamp < %(end)s AND source = ANY(%(sources)s)
        GROUP BY 1, 2
    )
    SELECT src.source, s.bucket, COALESCE(c.total, 0), COALESCE(c.errors, 0)
    FROM unnest(%(sources)s::text[]) AS src(source)
    CROSS JOIN {series} AS s(bucket)
    LEFT JOIN counts c ON c.bucket = s.bucket AND c.source = src.source
    WHERE s.bucket < %(end)s
    ORDER BY s.bucket
"""


def log_error_rate_by_source(
    *, start: datetime, end: datetime, unit: str, sources: list[str]
) -> dict[str, list[Bucket]]:
    """log_error_rate for each of `sources` (in their order): logs and errors per bucket."""
    params = {
        "unit": unit,
        "tz": timezone.get_current_timezone_name(),
        "error": int(ERROR_LEVEL),
        "start": start,
        "end": end,
        "step": f"1 {unit}",
        "sources": list(sources),
    }
    result: dict[str, list[Bucket]] = {source: [] for source in sources}
    if not sources:
        return result
    with connection.cursor() as cursor:
        cursor.execute(ERROR_RATE_BY_SOURCE_SQL.format(series=ERROR_RATE_SERIES[unit]), params)
        for source, b, t, e in cursor.fetchall():
            result[source].append(Bucket(start=b, total=t, errors=e))
    return result


def health_history_of(
    *, components: list[str], start: datetime, end: datetime
) -> QuerySet[SystemHealth]:
    """health_history of several components in one query, oldest first per component."""
    return SystemHealth.objects.filter(
        component__in=components, checked_at__gte=start, checked_at__lt=end
    ).order_by("component", "checked_at", "id")
