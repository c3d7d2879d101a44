"""Validation shared by the chat models, services and filters: ids and metadata."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from config.text import validate_storable_json

# Thread and message ids: client-supplied (ChatKit's `thread_abc123def456`, a legacy session
# id such as `my session 1` or `user/123/session`, a UUID) or generated as `<prefix>_<16 hex>`.
# Never parsed: any string is just looked up. Any id a legacy VARCHAR(100) held stays valid:
# 1 to 100 printable characters (letters of any script, spaces, punctuation); NUL, control
# and format characters, lone surrogates and other invisible characters are refused.
OBJECT_ID_MAX_LENGTH = 100
OBJECT_ID_MESSAGE = (
    "Use 1 to 100 printable characters (no control characters, no surrounding spaces)."
)

# Names chosen by this service's clients (preference keys, snapshot client ids) keep the
# narrow rule.
KEY_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9._:\-]*\Z"  # \Z: "$" would let a final newline in
validate_key = RegexValidator(
    KEY_PATTERN,
    "Use letters, digits and . _ : - only, starting with a letter or digit.",
)


def is_possible_id(raw_id: object) -> bool:
    """Whether `raw_id` could be a stored id; anything else is simply not found."""
    if not isinstance(raw_id, str) or not 0 < len(raw_id) <= OBJECT_ID_MAX_LENGTH:
        return False
    return raw_id.isprintable() and raw_id == raw_id.strip()


def validate_object_id(value: object) -> None:
    """Thread and message ids: what `is_possible_id` accepts (the lookup and the write agree)."""
    if not is_possible_id(value):
        raise ValidationError(OBJECT_ID_MESSAGE, code="invalid")


def generate_object_id(prefix: str) -> str:
    """A readable, unguessable id such as `thread_3f9c0a6d1e2b4c58`."""
    return f"{prefix}_{secrets.token_hex(8)}"


def metadata_object(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")
    validate_storable_json(value)
