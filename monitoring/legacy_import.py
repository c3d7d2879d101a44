"""import_legacy for the Veritas monitoring backend's log table (monitoring_logs).

A log keeps its time; its client id is `monitoring_logs:<legacy id>`, so a rerun skips it and
senders' own ids never collide with it. Checked by the same rules as logIngest.
"""

from __future__ import annotations

from config.legacy.framework import Column, Refused, TableSpec, legacy_json, legacy_time
from config.legacy.sql import insert_returning
from monitoring.models import Level
from monitoring.validation import log_row_errors

LEVELS = {label: value for value, label in Level.choices} | {
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
    ORDER BY n
    ON CONFLICT (client_id) DO NOTHING
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
