"""A faster parser for the DateTime scalar, with the very values and errors of Strawberry's.

Strawberry reads DateTime input with dateutil's isoparse, about 10 µs a value: the largest
single cost of a 5,000-log logIngest batch after the SQL. The usual shape of a time
(`2026-11-20T12:00:00`, with optional fraction and offset) is read here directly into the
same datetime, with the same tzinfo objects isoparse gives (dateutil's UTC and tzoffset);
anything else, and anything out of range, is left to isoparse, so its errors stay the same.

Every DateTime input is then held to one range, `EARLIEST` ≤ t < `LATEST` (in UTC; a time
without an offset is held to it as written): PostgreSQL stores far wider, but a value near
year 1 or 9999 cannot be read back into Python once moved to UTC or to another zone
(`9999-12-31T23:59:59-14:00` is in year 10000 in UTC), nor used in date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re

import dateutil.parser
from dateutil import tz
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

_USUAL = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d\d):(\d\d))?",
    re.ASCII,  # \d would match other scripts' digits too, which isoparse refuses
).fullmatch
_FALLBACK = object()


EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
RANGE_MESSAGE = (
    "DateTime must be from 1900-01-01T00:00:00Z up to (not including) 9999-12-31T00:00:00Z."
)


def parse_datetime(value: str) -> dt.datetime:
    """dateutil.parser.isoparse(value), faster for the usual shape."""
    match = _USUAL(value)
    if match is not None:
        year, month, day, hour, minute, second, fraction, zulu, sign, tz_h, tz_m = match.groups()
        if sign is None:
            tzinfo = tz.UTC if zulu else None
        elif tz_h == "00" and tz_m == "00":
            tzinfo = tz.UTC
        elif int(tz_h) <= 23 and int(tz_m) <= 59:
            offset = int(tz_h) * 3600 + int(tz_m) * 60
            tzinfo = tz.tzoffset(None, -offset if sign == "-" else offset)
        else:
            tzinfo = _FALLBACK
        if tzinfo is not _FALLBACK and hour != "24":
            try:
                return dt.datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour),
                    int(minute),
                    int(second),
                    int(fraction.ljust(6, "0")) if fraction else 0,
                    tzinfo,
                )
            except ValueError:  # out of range: isoparse words the error
                pass
    return dateutil.parser.isoparse(value)


def parse_datetime_in_range(value: str) -> dt.datetime:
    """parse_datetime(value), refused (ValueError) outside EARLIEST ≤ t < LATEST."""
    parsed = parse_datetime(value)
    try:
        instant = parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed
        inside = EARLIEST <= instant < LATEST
    except OverflowError:  # the offset moves it past year 1 or 9999
        inside = False
    if not inside:
        raise ValueError(RANGE_MESSAGE)
    return parsed


DateTimeScalar = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=wrap_parser(parse_datetime_in_range, "DateTime"),
    parse_literal=DateTimeDefinition.parse_literal,
    origin=dt.datetime,
)
