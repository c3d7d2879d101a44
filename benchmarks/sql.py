"""SQL fragments that print values exactly as the GraphQL answer does."""

from __future__ import annotations

import base64
import json


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


def cursor(signature: str, *values: str) -> str:
    """A row's cursor as `config.connections.keyset.cursor_of` makes it: URL-safe base64,
    without padding, of the compact JSON array `[signature, *values]`.

    `signature` is the list's order (e.g. "-timestamp,-id"); each value is an SQL expression
    of the JSON text of one sort key (`json_text`, or `x::text` for an integer).
    """
    text = " || ',' || ".join([f"'[\"{signature}\"'", *values]) + " || ']'"
    return f"rtrim(translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def json_text(expr: str) -> str:
    """A text value as a JSON string (escaped as json.dumps escapes it, for the ids and codes
    the lists sort by)."""
    return f"to_json({expr})::text"


def iso_json(expr: str) -> str:
    """A timestamptz as the JSON string of its `iso` text."""
    return f"to_json({iso(expr)})::text"


def decode_cursor(value: str, signature: str) -> list:
    """The sort-key values of a cursor made by `cursor` (or by the API) for the order
    `signature`; ValueError when it is not one."""
    text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    values = json.loads(text)
    if not isinstance(values, list) or not values or values[0] != signature:
        raise ValueError(f"Not a cursor of the order {signature!r}: {value!r}")
    return values[1:]
