"""Validation shared by the chat models, services and filters: ids and metadata."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from config.text import validate_storable_json

# Thread and message ids: client-supplied (ChatKit's `thread_abc123def456`, a legacy session
# id, a UUID) or generated as `<prefix>_<16 hex>`. Never parsed: any string is just looked up.
OBJECT_ID_MAX_LENGTH = 100
# \Z, not $: "$" also matches before a final newline.
OBJECT_ID_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9._:\-]*\Z"
validate_object_id = RegexValidator(
    OBJECT_ID_PATTERN,
    "Use letters, digits and . _ : - only, starting with a letter or digit.",
)


def is_possible_id(raw_id: object) -> bool:
    """Whether `raw_id` could be a stored id; anything else is simply not found."""
    if not isinstance(raw_id, str) or not 0 < len(raw_id) <= OBJECT_ID_MAX_LENGTH:
        return False
    return "\x00" not in raw_id and raw_id.isprintable()


def generate_object_id(prefix: str) -> str:
    """A readable, unguessable id such as `thread_3f9c0a6d1e2b4c58`."""
    return f"{prefix}_{secrets.token_hex(8)}"


def metadata_object(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")
    validate_storable_json(value)
