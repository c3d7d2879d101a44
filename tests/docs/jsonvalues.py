"""Documented JSON against real answers: `…` wildcards, regenerating a response, and a
readable, stable layout for the blocks written back."""

from __future__ import annotations

import datetime as dt
import json
import re

ANY = "…"
WIDTH = 100
_MISSING = object()


def _pattern(text: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in text.split(ANY)), re.DOTALL)


def matches(expected, actual) -> bool:
    """True when `actual` is `expected`, where "…" is any value and "…" inside a string any text."""
    if expected == ANY:
        return True
    if isinstance(expected, str) and ANY in expected:
        return isinstance(actual, str) and _pattern(expected).fullmatch(actual) is not None
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


def _is_now(value: str, window: tuple[dt.datetime, dt.datetime]) -> bool:
    """An ISO time within the run, or today's (or yesterday's/tomorrow's) date."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return abs((day - window[0].date()).days) <= 1
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    slack = dt.timedelta(minutes=5)
    return window[0] - slack <= moment <= window[1] + slack


def _wildcard(value, other, window):
    """`value` when it is the same in two runs and not "now", else a wildcard for it."""
    if isinstance(value, str) and _is_now(value, window):
        return ANY
    if value == other and type(value) is type(other):
        return value
    if isinstance(value, str) and isinstance(other, str):
        common = 0
        while common < min(len(value), len(other)) and value[common] == other[common]:
            common += 1
        prefix = value[:common]
        while prefix and prefix[-1].isalnum():
            prefix = prefix[:-1]
        rest, other_rest = value[len(prefix) :], other[len(prefix) :]
        tail = 0
        while tail < min(len(rest), len(other_rest)) and rest[-1 - tail] == other_rest[-1 - tail]:
            tail += 1
        suffix = rest[len(rest) - tail :]
        while suffix and suffix[0].isalnum():
            suffix = suffix[1:]
        return prefix + ANY + suffix
    return ANY


def regenerate(documented, actual, again, window):
    """The response to write: the real answer, with "…" where it differs between two fresh runs
    (ids, secrets, measured times) or is the current time, and the documented wildcards kept
    where they still match."""
    if isinstance(documented, str) and ANY in documented and matches(documented, actual):
        return documented
    if isinstance(actual, dict):
        other = again if isinstance(again, dict) else {}
        old = documented if isinstance(documented, dict) else {}
        return {
            k: regenerate(old.get(k, _MISSING), v, other.get(k, _MISSING), window)
            for k, v in actual.items()
        }
    if isinstance(actual, list):
        other = again if isinstance(again, list) and len(again) == len(actual) else actual
        old = documented if isinstance(documented, list) else []
        old = old if len(old) == len(actual) else [_MISSING] * len(actual)
        return [regenerate(d, a, b, window) for d, a, b in zip(old, actual, other, strict=True)]
    if again is _MISSING:
        again = actual
    return _wildcard(actual, again, window)


def layout(value, indent: int = 0, lead: int = 0) -> str:
    """JSON on one line when it fits in WIDTH (after `indent` spaces and `lead` characters of
    key), else one member per line, indented by two; lists of scalars fill their lines."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + lead + len(flat) + 1 <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    close = "\n" + " " * indent + ("}" if isinstance(value, dict) else "]")
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = json.dumps(k, ensure_ascii=False) + ": "
            items.append(inner + key + layout(v, indent + 2, len(key)))
        return "{\n" + ",\n".join(items) + close
    if not any(isinstance(v, dict | list) for v in value):
        rows, row = [], ""
        for v in value:  # scalars fill the lines
            item = json.dumps(v, ensure_ascii=False)
            if row and len(inner) + len(row) + len(item) + 3 > WIDTH:
                rows.append(row + ",")
                row = ""
            row = f"{row}, {item}" if row else item
        return "[\n" + "\n".join(inner + r for r in [*rows, row]) + close
    return "[\n" + ",\n".join(inner + layout(v, indent + 2) for v in value) + close
