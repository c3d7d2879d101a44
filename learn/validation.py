"""Turning Django validation errors into (field, message) pairs that name the field."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from learn.models import LearnItem


def validation_messages(error: ValidationError) -> list[tuple[str | None, str]]:
    """Flatten `error` to (field or None, message); messages read on their own.

    Tag messages already start with the field and position (``tags[2]: …``); others get
    ``field: `` in front.
    """
    if not hasattr(error, "error_dict"):
        return [(None, message) for message in error.messages]
    pairs: list[tuple[str | None, str]] = []
    for field, errors in error.error_dict.items():
        name = None if field == NON_FIELD_ERRORS else field
        for message in ValidationError(errors).messages:
            if name and not message.startswith((f"{name}:", f"{name}[")):
                message = f"{name}: {message}"
            pairs.append((name, message))
    return pairs


def clean_new_item(item: LearnItem) -> None:
    """Validate an unsaved item without a query per row (for batches).

    Check and unique constraints are left to the database, which enforces them on insert;
    the field validators already cover what they check (kind, size range, tags list).
    `created_by` is the signed-in user (or none), so its existence query is skipped too.
    """
    item.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
