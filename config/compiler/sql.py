"""SQL expressions that print a value as the standard path answers it (Strawberry's scalars,
the API's enums and cursors), for statements that build the response's JSON in PostgreSQL."""

from __future__ import annotations

import json

from django.db import models

from config.dbtypes import DISTANT_FUTURE, DISTANT_PAST

# A JSON value no column can produce (PostgreSQL text holds no NUL character, and `to_json`
# escapes a backslash as two): a compiled statement puts it where the standard path would
# answer with an error (a stored value outside its type), and such an answer is thrown away
# for the standard path's own.
SENTINEL = '"\\u0000!"'
SENTINEL_SQL = f"'{SENTINEL}'::json"

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # GraphQL's Int


def literal(text: str) -> str:
    """A string constant (only ever names from the schema or the code, never input), with
    `%` doubled: every statement is run with parameters."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def json_string(text: str) -> str:
    """`text` as a JSON string literal."""
    return json.dumps(text, ensure_ascii=False)


def iso(expr: str) -> str:
    """A timestamptz as Python's datetime.isoformat() in UTC (Strawberry's DateTime):
    microseconds only when not zero, the offset as +00:00; a time Python cannot hold reads as
    the stand-in the standard path's loader gives it (config.dbtypes)."""
    utc = f"({expr} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN {expr} < '0001-01-01 00:00:00+00' THEN {literal(DISTANT_PAST.isoformat())} "
        f"WHEN {expr} >= '10000-01-01 00:00:00+00' THEN {literal(DISTANT_FUTURE.isoformat())} "
        f"ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN date_trunc('second', {expr}) = {expr} THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00' END"
    )


def day(expr: str) -> str:
    """A date as date.isoformat(), with the loader's stand-ins for days Python cannot hold."""
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN {expr} < '0001-01-01' THEN {literal(DISTANT_PAST.date().isoformat())} "
        f"WHEN {expr} >= '10000-01-01' THEN {literal(DISTANT_FUTURE.date().isoformat())} "
        f"ELSE to_char({expr}, 'YYYY-MM-DD') END"
    )


def cursor(signature: str, values: list[str]) -> str:
    """A row's cursor as config.connections.keyset.cursor_of makes it: URL-safe base64 without
    padding of the compact JSON array `[signature, *values]`; each value is an expression of
    the JSON text of one sort key (`cursor_value`)."""
    text = " || ',' || ".join([literal(f'["{signature}"'), *values]) + " || ']'"
    return f"rtrim(translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "SmallAutoField",
        "IntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
    }
)
BIG_INTEGER_TYPES = frozenset({"BigAutoField", "BigIntegerField", "PositiveBigIntegerField"})
TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


def internal_type(field: models.Field) -> str:
    if field.is_relation:
        field = field.target_field
    return field.get_internal_type()


def cursor_value(field: models.Field, expr: str) -> str | None:
    """The JSON text of a sort key's value in a cursor (keyset._plain, then compact JSON);
    None for a column type cursors are not built for here."""
    kind = internal_type(field)
    if kind in INTEGER_TYPES or kind in BIG_INTEGER_TYPES:
        json = f"({expr})::text"
    elif kind in TEXT_TYPES:
        json = f"to_json({expr})::text"
    elif kind == "DateTimeField":
        json = f"to_json({iso(expr)})::text"
    elif kind == "DateField":
        json = f"to_json({day(expr)})::text"
    elif kind == "UUIDField":
        json = f"to_json(({expr})::text)::text"
    elif kind == "BooleanField":
        json = f"({expr})::text"
    else:
        return None
    return f"COALESCE({json}, 'null')"
