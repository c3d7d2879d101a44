"""Turning GraphQL input values into service arguments, the same way in every app."""

from __future__ import annotations

import enum
from datetime import datetime

from django.utils import timezone
from strawberry import UNSET


def aware(value: datetime) -> datetime:
    """A time given without an offset is read in the server's time zone."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def input_data(value: object) -> dict[str, object]:
    """The fields of an input that were given, as model field values.

    Fields left out (UNSET) are omitted, enums become their value and times without an
    offset are read in the server's time zone.
    """
    data = {}
    for field in value.__strawberry_definition__.fields:
        given = getattr(value, field.python_name)
        if given is UNSET:
            continue
        if isinstance(given, enum.Enum):
            given = given.value
        elif isinstance(given, datetime):
            given = aware(given)
        data[field.python_name] = given
    return data
