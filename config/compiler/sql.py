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
SENTINEL_SQL = f"'{SENTINEL}'"
NULL = "'null'"

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # GraphQL's Int


def literal(text: str) -> str:
    """A string constant (only ever names from the schema or the code, never input), with
    `%` doubled: every statement is run with parameters."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """The compact JSON text of an object: `pairs` of a key (a GraphQL name: nothing to
    escape) and an expression of its value's JSON text (never SQL NULL)."""
    if not pairs:
        return "'{}'"
    pieces = []
    for index, (key, value) in enumerate(pairs):
        pieces.append(literal(("{" if index == 0 else ",") + f'"{key}":'))
        pieces.append(value)
    pieces.append("'}'")
    return "(" + " || ".join(pieces) + ")"


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


def float_text(expr: str) -> str:
    """A double as orjson prints it (how the answer is encoded): the shortest digits that read
    back as the same double, in fixed notation from 1e-5 to below 1e16 (with ".0" when
    integral), otherwise as `1.5e-7` / `1e+16`. PostgreSQL prints the same shortest digits
    (extra_float_digits ≥ 1, the default) but switches to exponents outside 1e-4 to 1e15 and
    pads them (`1e-07`); the two cases between (exponent -5 and 15) are rewritten. NaN and the
    infinities are not numbers in JSON: the standard path refuses them (SENTINEL)."""
    text = f"({expr})::text"
    mantissa = f"split_part({text}, 'e', 1)"
    exponent = f"split_part({text}, 'e', 2)::int"
    digits = f"replace(ltrim({mantissa}, '-'), '.', '')"
    sign = f"CASE WHEN {expr} < 0 THEN '-' ELSE '' END"
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN {expr} IN ('NaN', 'Infinity', '-Infinity') THEN {SENTINEL_SQL} "
        f"WHEN strpos({text}, 'e') = 0 THEN "
        f"CASE WHEN strpos({text}, '.') = 0 THEN {text} || '.0' ELSE {text} END "
        f"WHEN {exponent} = 15 THEN {sign} || substr(rpad({digits}, 16, '0'), 1, 16) || '.' "
        f"|| COALESCE(NULLIF(substr({digits}, 17), ''), '0') "
        f"WHEN {exponent} = -5 THEN {sign} || '0.0000' || {digits} "
        f"ELSE {mantissa} || 'e' || CASE WHEN {exponent} < 0 THEN '-' ELSE '+' END "
        f"|| abs({exponent})::text END"
    )


# A number in a JSON value whose text orjson would not print back the same: a decimal other
# than the shortest text of its double (`0.0000001`, `1.50`), for the exact check below.
_DECIMAL = "'[0-9]\\.[0-9]'"
_NUMBERS = "'$.** ? (@.type() == \"number\")'"
# An integer of more digits than Python reads (sys.get_int_max_str_digits(), 4300): the
# standard path's loader refuses it. Only a text longer than that can hold one.
_INT_MAX_DIGITS = 4300
_UNREADABLE = (
    f"'$.** ? (@.type() == \"number\" && (@ >= 1e{_INT_MAX_DIGITS} || @ <= -1e{_INT_MAX_DIGITS}))'"
)


def json_text(expr: str) -> str:
    """A jsonb value as the compact JSON text orjson prints for what the json module reads
    from it (the standard path): jsonb's text without the spaces after its `,` and `:` (never
    inside strings). `json_strip_nulls` re-prints JSON compactly with jsonb's own escaping, in
    C; it also drops object members that are null, so a value whose text holds `: null` (such
    a member, or those characters inside a string) is compacted by a regular expression
    instead, several times slower. A value holding a decimal whose text is not orjson's goes
    to the standard path (SENTINEL), as does one holding an integer of more digits than
    Python reads; a value without a `.` holds no decimal and is spared that check, one of at
    most 4300 characters the other. (An integer beyond 64 bits prints as its digits either
    way: PostgreSQL prints numbers in full, and the view prints such an integer of the
    standard path's as its digits, config.views.GraphQLView.encode_json.)"""
    text = f"({expr})::text"
    exact = (
        f"(SELECT bool_and(strpos(n::text, '.') = 0 OR {float_text('n::text::float8')} = n::text) "
        f"FROM jsonb_path_query({expr}, {_NUMBERS}) AS n)"
    )
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN strpos({text}, '.') > 0 AND {text} ~ {_DECIMAL} AND NOT {exact} "
        f"THEN {SENTINEL_SQL} "
        f"WHEN octet_length({text}) > {_INT_MAX_DIGITS} "
        f"AND jsonb_path_exists({expr}, {_UNREADABLE}) THEN {SENTINEL_SQL} "
        f"WHEN strpos({text}, ': null') = 0 THEN json_strip_nulls(({expr})::json)::text "
        f"ELSE regexp_replace({text}, '(\"(?:[^\"\\\\]|\\\\.)*\")|([,:]) ', '\\1\\2', 'g') END"
    )


def string_list_text(expr: str) -> str:
    """A jsonb array of strings and nulls as compact JSON text: `json_strip_nulls` drops
    only object members, so it compacts such an array whatever its strings hold, and no
    number can need the checks of `json_text`."""
    return f"json_strip_nulls(({expr})::json)::text"


def cursor(signature: str, values: list[str]) -> str:
    """A row's cursor as config.connections.keyset.cursor_of makes it: URL-safe base64 without
    padding of the compact JSON array `[signature, *values]`; each value is an expression of
    the JSON text of one sort key (`cursor_value`)."""
    text = " || ',' || ".join([literal(f'["{signature}"'), *values]) + " || ']'"
    base64 = f"encode(convert_to({text}, 'UTF8'), 'base64')"
    # (`replace` three times costs less than one `translate`, which maps character by
    # character: encode's line breaks dropped, then '+/' made URL-safe)
    url_safe = f"replace(replace(replace({base64}, E'\\n', ''), '+', '-'), '/', '_')"
    return f"rtrim({url_safe}, '=')"


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
    elif kind == "DateTimeField":  # (ISO dates and UUIDs hold nothing JSON escapes)
        json = f"'\"' || {iso(expr)} || '\"'"
    elif kind == "DateField":
        json = f"'\"' || {day(expr)} || '\"'"
    elif kind == "UUIDField":
        json = f"'\"' || ({expr})::text || '\"'"
    elif kind == "BooleanField":
        json = f"({expr})::text"
    else:
        return None
    return f"COALESCE({json}, 'null')"
