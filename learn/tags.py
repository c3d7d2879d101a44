"""Tags: a JSON list of distinct, trimmed, non-empty strings, stored as jsonb.

Tags are trimmed on the way in; everything else that is wrong with a list is refused with a
message naming the position, e.g. ``tags[2]: must be at most 64 characters``. Commas are
refused so the admin's comma-separated field always round-trips to the same list.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from config.text import text_problem

TAG_MAX_LENGTH = 64
TAGS_MAX_COUNT = 50


def normalize_tags(value: object, *, field: str = "tags") -> list[str]:
    """Return `value` as a clean tag list (None means no tags) or raise ValidationError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{field}: must be a list of strings", code="invalid")
    errors: list[ValidationError] = []
    if len(value) > TAGS_MAX_COUNT:
        errors.append(
            ValidationError(
                f"{field}: at most {TAGS_MAX_COUNT} tags, got {len(value)}", code="max_count"
            )
        )
    tags: list[str] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(raw, str):
            errors.append(ValidationError(f"{where}: must be a string", code="invalid"))
            continue
        tag = raw.strip()
        if not tag:
            errors.append(ValidationError(f"{where}: must not be empty", code="blank"))
        elif len(tag) > TAG_MAX_LENGTH:
            errors.append(
                ValidationError(
                    f"{where}: must be at most {TAG_MAX_LENGTH} characters", code="max_length"
                )
            )
        elif problem := text_problem(tag):
            errors.append(ValidationError(f"{where}: {problem}", code="unstorable_text"))
        elif "," in tag:
            errors.append(ValidationError(f"{where}: must not contain a comma", code="comma"))
        elif tag in first_index:
            errors.append(
                ValidationError(
                    f"{where}: duplicate of {field}[{first_index[tag]}] ({tag!r})",
                    code="duplicate",
                )
            )
        else:
            first_index[tag] = index
            tags.append(tag)
    if errors:
        raise ValidationError(errors)
    return tags


class TagListFormField(forms.CharField):
    """Tags edited as one line of comma-separated text: ``email, conversion``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Comma-separated, e.g. email, conversion.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(tag) for tag in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]

    def has_changed(self, initial, data) -> bool:
        # `initial` is the stored list, or its text when it comes back from a hidden input.
        before = self.to_python(initial) if isinstance(initial, str) else list(initial or [])
        return before != self.to_python(data)


class TagsField(models.JSONField):
    """A jsonb list of tags (LearnItem.clean_fields trims and validates it: normalize_tags)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        # Skip JSONField's JSON textarea: the admin edits tags as comma-separated text.
        return models.Field.formfield(self, **{"form_class": TagListFormField, **kwargs})
