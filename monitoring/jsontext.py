"""JSON objects that PostgreSQL's jsonb can store, checked without a query."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError

# jsonb cannot hold the NUL character; json.dumps writes it as \u0000 (an escaped backslash
# before "u0000" is text, hence the even run of backslashes in front).
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def json_object_text(value: object) -> tuple[str | None, str | None]:
    """(JSON text to store, None), or (None, why it cannot be stored). None stores {}."""
    if value is None:
        return "{}", None
    if not isinstance(value, Mapping):
        return None, "must be a JSON object"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return None, "must not contain NaN or Infinity"
    except TypeError:
        return None, "must be plain JSON"
    if _JSON_NUL.search(text):
        return None, "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None, "must not contain lone surrogate characters"
    return text, None


def validate_json_object(value: object) -> None:
    _, problem = json_object_text(value)
    if problem:
        raise ValidationError(f"{problem[0].upper()}{problem[1:]}.", code="invalid_json")
