"""Cheap per-row checks for log batches: plain Python, no model instances, no queries.

A 5,000-log batch is checked in a few milliseconds; the database constraints (unique client
id, valid level) back these checks up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone

from config.text import text_problem
from monitoring.jsontext import json_object_text
from monitoring.models import (
    CLIENT_ID_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    Level,
)

_LEVELS = frozenset(Level.values)


def text_error(value: object, *, max_length: int, required: bool = True) -> str | None:
    """Why `value` is not acceptable text for a column, or None."""
    if not isinstance(value, str):
        return "must be a string"
    if required and not value.strip():
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (it has {len(value)})"
    return text_problem(value)


def log_row_errors(data: Mapping[str, object]) -> tuple[tuple | None, list[tuple[str, str]]]:
    """Check one log; return its column values for the insert, or its (field, message) errors.

    Columns: client_id, timestamp, level, source, message, context (JSON text).
    """
    errors: list[tuple[str, str]] = []
    client_id = data.get("client_id")
    if problem := text_error(client_id, max_length=CLIENT_ID_MAX_LENGTH):
        errors.append(("client_id", problem))
    timestamp = data.get("timestamp")
    if not isinstance(timestamp, datetime):
        errors.append(("timestamp", "must be a date and time"))
    elif timezone.is_naive(timestamp):
        timestamp = timezone.make_aware(timestamp)
    level = data.get("level")
    if level not in _LEVELS:
        errors.append(("level", f"must be one of {', '.join(m.name.lower() for m in Level)}"))
    source = data.get("source")
    if problem := text_error(source, max_length=SOURCE_MAX_LENGTH):
        errors.append(("source", problem))
    message = data.get("message")
    if problem := text_error(message, max_length=MESSAGE_MAX_LENGTH, required=False):
        errors.append(("message", problem))
    context, problem = json_object_text(data.get("context"))
    if problem:
        errors.append(("context", problem))
    if errors:
        return None, errors
    return (client_id, timestamp, level, source, message, context), []
