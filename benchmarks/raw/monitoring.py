"""Raw baselines of the monitoring scenarios."""

from __future__ import annotations

import json

from django.db import connection

from benchmarks.raw import endpoint, fetch_json
from benchmarks.sql import cursor, decode_cursor, iso, iso_json

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVEL_NAME = "CASE l.level " + " ".join(f"WHEN {v} THEN '{k}'" for k, v in LEVELS.items()) + " END"
# The API's cursor of a log (config.connections.keyset.cursor_of) in the list's order.
LOG_ORDER = "-timestamp,-id"
CURSOR = cursor(LOG_ORDER, iso_json("l.timestamp"), "l.id::text")

LOG_PAGE_SQL = f"""
WITH page AS (
  SELECT * FROM monitoring_monitoringlog AS l
  WHERE ({{where}})
  ORDER BY l.timestamp DESC, l.id DESC
  LIMIT %(first)s + 1
), numbered AS (
  SELECT l.*, row_number() OVER (ORDER BY l.timestamp DESC, l.id DESC) AS n, {CURSOR} AS cursor
  FROM page AS l
)
SELECT json_build_object('data', json_build_object('logs', json_build_object(
  'edges', COALESCE((
    SELECT json_agg(json_build_object(
      'cursor', l.cursor,
      'node', json_build_object(
        'id', l.id::text,
        'clientId', l.client_id,
        'timestamp', {iso("l.timestamp")},
        'receivedAt', {iso("l.received_at")},
        'level', {LEVEL_NAME},
        'source', l.source,
        'message', l.message,
        'context', l.context
      )) ORDER BY l.n)
    FROM numbered AS l WHERE l.n <= %(first)s
  ), '[]'::json),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) > %(first)s FROM page),
    'endCursor', (SELECT l.cursor FROM numbered AS l WHERE l.n <= %(first)s ORDER BY l.n DESC
                  LIMIT 1)
  )
)))::text
"""


@endpoint("logs-page", perm="monitoring.view_monitoringlog")
def logs_page(variables: dict, **_auth) -> str:
    """The `logs` query with the filters the scenarios use: source, level, time range, after."""
    filters = variables.get("filters") or {}
    where, params = ["true"], {"first": variables["first"]}
    if "source" in filters:
        where.append("l.source = %(source)s")
        params["source"] = filters["source"]
    if "level" in filters:
        where.append("l.level = %(level)s")
        params["level"] = LEVELS[filters["level"]]
    if "timestampFrom" in filters:
        where.append("l.timestamp >= %(from)s::timestamptz")
        params["from"] = filters["timestampFrom"]
    if "timestampBefore" in filters:
        where.append("l.timestamp < %(before)s::timestamptz")
        params["before"] = filters["timestampBefore"]
    if variables.get("after"):
        params["at"], params["pk"] = decode_cursor(variables["after"], LOG_ORDER)
        where.append(
            "l.timestamp <= %(at)s::timestamptz "
            "AND (l.timestamp < %(at)s::timestamptz OR l.id < %(pk)s)"
        )
    return fetch_json(LOG_PAGE_SQL.format(where=" AND ".join(where)), params)


@endpoint("logs-cursor", perm="monitoring.view_monitoringlog")
def logs_cursor(variables: dict, **_auth) -> str:
    """The cursor to ask for page `page` of `first` logs (newest first), or of the last page
    when there are fewer: {"page": n, "cursor": "..."}."""
    first = variables["first"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_monitoringlog")
        total = cursor.fetchone()[0]
        page = max(2, min(variables["page"], -(-total // first)))
        # The cursor of that one row only (not of every row skipped: 1M at the default scale).
        cursor.execute(
            f"SELECT {CURSOR} FROM (SELECT timestamp, id FROM monitoring_monitoringlog "
            "ORDER BY timestamp DESC, id DESC OFFSET %s LIMIT 1) AS l",
            [(page - 1) * first - 1],
        )
        row = cursor.fetchone()
    return json.dumps({"page": page, "cursor": row[0] if row else None, "total": total})


COPY_SQL = (
    "COPY monitoring_monitoringlog "
    "(client_id, timestamp, received_at, level, source, message, context) FROM STDIN"
)


@endpoint("log-ingest-copy", perm="monitoring.add_monitoringlog")
def log_ingest_copy(variables: dict, **_auth) -> bytes:
    """The same logs as logIngest, written with COPY (no validation, no duplicate check)."""
    logs = variables["logs"]
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        received = cursor.execute("SELECT now()").fetchone()[0]
        with cursor.copy(COPY_SQL) as copy:
            for log in logs:
                copy.write_row(
                    (
                        log["clientId"],
                        log["timestamp"],
                        received,
                        LEVELS[log["level"]],
                        log["source"],
                        log["message"],
                        json.dumps(log.get("context") or {}),
                    )
                )
    answer = {
        "__typename": "LogIngestResult",
        "received": len(logs),
        "inserted": len(logs),
        "duplicates": 0,
        "errors": [],
    }
    return json.dumps({"data": {"logIngest": answer}})
