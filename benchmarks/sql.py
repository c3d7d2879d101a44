"""SQL fragments that print values exactly as the GraphQL answer does."""

from __future__ import annotations


def iso(expr: str) -> str:
    """A timestamptz as Python's datetime.isoformat() in UTC (Strawberry's DateTime).

    Microseconds appear only when not zero, and the offset reads +00:00.
    """
    utc = f"({expr} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE "
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN date_trunc('second', {expr}) = {expr} THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00' END"
    )


def ref(expr: str) -> str:
    """A nullable foreign key as a GraphQL ID (text) or null."""
    return f"({expr})::text"
