"""import_legacy for the Veritas monitoring backend: monitoring_logs, monitoring_results and
system_health.

A log keeps its time; its client id is `monitoring_logs:<legacy id>`, so a rerun skips it and
senders' own ids never collide with it. Checked by the same rules as logIngest.
"""

from __future__ import annotations

from config.legacy.framework import (
    Column,
    Refused,
    TableSpec,
    checked_values,
    legacy_choice,
    legacy_json,
    legacy_number,
    legacy_time,
)
from config.legacy.sql import insert_returning, move_sequence_past_max
from monitoring.models import Level, MonitoringResult, SystemHealth
from monitoring.validation import log_row_errors

LEVELS = {member.name.lower(): member.value for member in Level} | {
    "warn": Level.WARNING,
    "fatal": Level.CRITICAL,
}

LOG_INSERT = """
    INSERT INTO monitoring_monitoringlog
        (client_id, timestamp, level, source, message, context, received_at)
    SELECT r.client_id, r.timestamp, r.level, r.source, r.message, r.context::jsonb,
           r.received_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(client_id text, timestamp timestamptz,
        level smallint, source text, message text, context text, received_at timestamptz,
        n int)
    WHERE NOT EXISTS (SELECT 1 FROM monitoring_logkey k WHERE k.client_id = r.client_id)
    ORDER BY n
    RETURNING client_id
"""


def level_value(raw):
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        return LEVELS.get(raw.strip().lower(), raw)
    return raw


def convert_log(row, ctx):
    timestamp = legacy_time(row, "timestamp", required=True)
    received_at = legacy_time(row, "created_at") or timestamp
    values, errors = log_row_errors(
        {
            "client_id": f"monitoring_logs:{row['id']}",
            "timestamp": timestamp,
            "level": level_value(row["level"]),
            "source": row["source"],
            "message": row.get("message") or "",
            "context": legacy_json(row, "context"),
        }
    )
    if errors:
        raise Refused("; ".join(f"{name}: {message}" for name, message in errors))
    client_id, timestamp, level, source, message, context = values
    return {
        "client_id": client_id,
        "timestamp": timestamp,
        "level": level,
        "source": source,
        "message": message,
        "context": context,
        "received_at": received_at,
    }


def insert_logs(rows, ctx) -> dict:
    returned = set(insert_returning(LOG_INSERT, [row for _, row in rows]))
    return {key: "imported" if row["client_id"] in returned else "present" for key, row in rows}


MONITORING = (
    TableSpec(
        system="veritas-monitoring",
        table="monitoring_logs",
        key="id",
        columns=(
            Column("id", required=True),
            Column("timestamp", required=True),
            Column("level", required=True),
            Column("source", required=True),
            Column("message"),
            Column("context", aliases=("metadata", "details", "extra")),
            Column("created_at"),
        ),
        convert=convert_log,
        insert=insert_logs,
        time_column="timestamp",
        target="monitoring.MonitoringLog",
    ),
)


# monitoring_results and system_health keep their legacy ids (our ids are the same bigint
# kind), so a rerun skips what is there; the id sequence then moves past the largest id.

RESULT_STATUSES = {s: s for s in MonitoringResult.Status.values} | {
    "success": "ok",
    "pass": "ok",
    "passed": "ok",
    "healthy": "ok",
    "warn": "warning",
    "error": "critical",
    "fail": "critical",
    "failed": "critical",
}
HEALTH_STATUSES = {s: s for s in SystemHealth.Status.values} | {
    "healthy": "up",
    "ok": "up",
    "warning": "degraded",
    "unhealthy": "down",
    "error": "down",
}

RESULT_FIELDS = ("id", "target", "check_name", "status", "score", "details", "created_at")
HEALTH_FIELDS = ("id", "component", "status", "latency_ms", "details", "checked_at")

RESULT_INSERT = """
    INSERT INTO monitoring_monitoringresult
        (id, target, check_name, status, score, details, created_at)
    SELECT r.id, r.target, r.check_name, r.status, r.score, r.details, r.created_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, target text, check_name text,
        status text, score double precision, details jsonb, created_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT (id) DO NOTHING
    RETURNING id
"""

HEALTH_INSERT = """
    INSERT INTO monitoring_systemhealth (id, component, status, latency_ms, details, checked_at)
    SELECT r.id, r.component, r.status, r.latency_ms, r.details, r.checked_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, component text, status text,
        latency_ms double precision, details jsonb, checked_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT (id) DO NOTHING
    RETURNING id
"""


def convert_result(row, ctx):
    result = MonitoringResult(
        id=row["id"],
        target=row["target"],
        check_name=row["check_name"],
        status=legacy_choice(row, "status", RESULT_STATUSES),
        score=legacy_number(row, "score"),
        details=legacy_json(row, "details", default={}),
        created_at=legacy_time(row, "created_at", required=True),
    )
    return checked_values(result, RESULT_FIELDS, validate_constraints=False)


def convert_health(row, ctx):
    check = SystemHealth(
        id=row["id"],
        component=row["component"],
        status=legacy_choice(row, "status", HEALTH_STATUSES),
        latency_ms=legacy_number(row, "latency_ms"),
        details=legacy_json(row, "details", default={}),
        checked_at=legacy_time(row, "checked_at", required=True),
    )
    return checked_values(check, HEALTH_FIELDS, validate_constraints=False)


def _inserter(statement: str, table: str):
    def insert(rows, ctx) -> dict:
        returned = set(insert_returning(statement, [row for _, row in rows]))
        if returned and not ctx.dry_run:  # a sequence does not roll back with a dry run
            move_sequence_past_max(table)
        return {key: "imported" if row["id"] in returned else "present" for key, row in rows}

    return insert


MONITORING += (
    TableSpec(
        system="veritas-monitoring",
        table="monitoring_results",
        key="id",
        columns=(
            Column("id", required=True),
            Column("target", required=True, aliases=("service", "resource", "name")),
            Column("check_name", required=True, aliases=("check_type", "analysis_type", "check")),
            Column("status", required=True, aliases=("result", "state")),
            Column("score"),
            Column("details", aliases=("metadata", "context", "data")),
            Column("created_at", required=True, aliases=("timestamp", "analyzed_at")),
        ),
        convert=convert_result,
        insert=_inserter(RESULT_INSERT, "monitoring_monitoringresult"),
        time_column="created_at",
        target="monitoring.MonitoringResult",
    ),
    TableSpec(
        system="veritas-monitoring",
        table="system_health",
        key="id",
        columns=(
            Column("id", required=True),
            Column("component", required=True, aliases=("service", "service_name", "name")),
            Column("status", required=True, aliases=("state",)),
            Column("latency_ms", aliases=("response_time_ms", "response_time")),
            Column("details", aliases=("metadata", "context", "data")),
            Column("checked_at", required=True, aliases=("timestamp", "created_at")),
        ),
        convert=convert_health,
        insert=_inserter(HEALTH_INSERT, "monitoring_systemhealth"),
        time_column="checked_at",
        target="monitoring.SystemHealth",
    ),
)
