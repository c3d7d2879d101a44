"""Batched writes: one INSERT … SELECT FROM jsonb_to_recordset(…) ON CONFLICT DO NOTHING."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.db import connection


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def as_json(rows: list[dict]) -> str:
    return json.dumps(rows, default=_default, ensure_ascii=False)


def insert_returning(statement: str, rows: list[dict], *, columns: int = 1) -> list:
    """Run `statement` (one %s: the rows as a JSON array) and return its RETURNING column
    (or tuples of its first `columns` columns)."""
    if not rows:
        return []
    rows = [{**row, "n": n} for n, row in enumerate(rows)]  # the order, for ORDER BY n
    with connection.cursor() as cursor:
        cursor.execute(statement, [as_json(rows)])
        if columns == 1:
            return [row[0] for row in cursor.fetchall()]
        return [tuple(row[:columns]) for row in cursor.fetchall()]


SEQUENCE_PAST_MAX = """
    WITH s AS (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq)
    SELECT setval(s.seq, GREATEST(m.id, COALESCE(pg_sequence_last_value(s.seq), 1)))
    FROM s, (SELECT max(id) AS id FROM {table}) AS m
"""


def move_sequence_past_max(table: str) -> None:
    """After rows that kept their legacy ids: the service's next id comes after the largest."""
    with connection.cursor() as cursor:
        cursor.execute(SEQUENCE_PAST_MAX.format(table=table), [table])
