"""config.scalars reads DateTime input exactly as Strawberry's isoparse-based scalar does."""

import random

import dateutil.parser
import pytest

from config.scalars import parse_datetime

TEXTS = [
    "2026-11-20T12:00:00",
    "2026-11-20T12:00:00Z",
    "2026-11-20T12:00:00+00:00",
    "2026-11-20T12:00:00-00:00",
    "2026-11-20T12:00:00.5",
    "2026-11-20T12:00:00.000001+05:30",
    "2026-11-20T12:00:00.123456-09:45",
    "2026-11-20T23:59:59.999999+23:59",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
    "2024-02-29T00:00:00",
    # other shapes: left to isoparse
    "2026-11-20",
    "2026-11-20T12",
    "2026-11-20T12:00",
    "2026-11-20 12:00:00",
    "2026-11-20T12:00:00z",
    "2026-11-20T12:00:00.1234567",
    "2026-11-20T12:00:00,5",
    "2026-11-20T12:00:00+0530",
    "2026-11-20T12:00:00+05",
    "2026-11-20T24:00:00",
    "20261120T120000",
]
INVALID = [
    "2026-02-30T12:00:00",
    "2025-02-29T00:00:00",
    "2026-13-01T00:00:00",
    "2026-11-20T25:00:00",
    "2026-11-20T12:60:00",
    "2026-11-20T12:00:61",
    "2026-11-20T24:00:01",
    "2026-11-20T12:00:00+24:00",
    "2026-11-20T12:00:00+05:60",
    "2026-11-20T12:00:00.",
    "2026-11-20T12:00:00Zjunk",
    "0000-01-01T00:00:00",
    "yesterday",
    "",
    "\uff12\uff10\uff12\uff16-11-20T12:00:00",  # full-width digits
]


def outcome(parse, text):
    try:
        value = parse(text)
    except ValueError as error:
        return ("error", str(error))
    return ("value", repr(value), type(value.tzinfo), value.utcoffset())


@pytest.mark.parametrize("text", TEXTS + INVALID)
def test_parse_datetime_gives_the_value_or_error_of_isoparse(text):
    assert outcome(parse_datetime, text) == outcome(dateutil.parser.isoparse, text)


def test_parse_datetime_agrees_with_isoparse_on_random_times():
    # given
    rng = random.Random(7)
    texts = []
    for _ in range(3000):
        text = (
            f"{rng.randint(1, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"T{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
        )
        text += rng.choice(["", "." + str(rng.randint(0, 999999)).zfill(rng.randint(1, 6))])
        text += rng.choice(
            ["", "Z", f"{rng.choice('+-')}{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}"]
        )
        texts.append(text)

    # then
    assert [outcome(parse_datetime, t) for t in texts] == [
        outcome(dateutil.parser.isoparse, t) for t in texts
    ]
