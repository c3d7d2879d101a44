"""Validating new items in batches, and reading Django validation errors field by field."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from learn.models import LearnItem


def field_errors(error: ValidationError) -> list[tuple[str | None, str]]:
    """Flatten `error` to (model field or None, message) pairs, in field order."""
    if not hasattr(error, "error_dict"):
        return [(None, message) for message in error.messages]
    return [
        (None if field == NON_FIELD_ERRORS else field, message)
        for field, errors in error.error_dict.items()
        for message in ValidationError(errors).messages
    ]


def described(field: str | None, message: str) -> str:
    """The message with its field in front, unless it already names it (``tags[2]: …``)."""
    if field is None or message.startswith((f"{field}:", f"{field}[")):
        return message
    return f"{field}: {message}"


def clean_new_item(item: LearnItem) -> None:
    """Validate an unsaved item without a query per row (for batches).

    Check and unique constraints are left to the database, which enforces them on insert;
    the field validators already cover what they check (kind, size range, tags list).
    `created_by` is the signed-in user (or none), so its existence query is skipped too.
    """
    item.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
