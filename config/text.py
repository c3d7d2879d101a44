"""Text and JSON that PostgreSQL can store: no NUL characters, no lone surrogates.

One wording everywhere, so every app refuses such values with the same message.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q


def text_problem(value: str) -> str | None:
    """Why PostgreSQL cannot store `value` as text, as a clause ("must not …"), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone surrogate characters"
    return None


def unstorable(value: str) -> str | None:
    """The same as a sentence ("Must not …."), or None."""
    problem = text_problem(value)
    return f"{problem[0].upper()}{problem[1:]}." if problem else None


def validate_storable_text(value: str) -> None:
    problem = unstorable(value)
    if problem:
        raise ValidationError(problem, code="unstorable_text")


def validate_storable_json(value) -> None:
    """Strings and keys anywhere in a JSON value must be storable in jsonb."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            validate_storable_text(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def is_storable(value: str) -> bool:
    return text_problem(value) is None


def nothing_if_unstorable(*values: str) -> Q | None:
    """In a filter, text the database cannot hold (NUL, lone surrogates) matches nothing.

    `filter_q or Q(...)`: a Q that matches no row when any value is unstorable, else None.
    """
    return Q(pk__in=[]) if any(text_problem(v) for v in values) else None


def nothing_if_unstorable_json(value) -> Q | None:
    """The same for a JSON filter value: any unstorable string or key in it matches nothing."""
    try:
        validate_storable_json(value)
    except ValidationError:
        return Q(pk__in=[])
    return None
