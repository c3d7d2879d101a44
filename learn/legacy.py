"""Reading lines of the legacy `.aicmo/learn_store.jsonl` file.

A line is one JSON object: {"kind", "filename", "size_bytes", "notes", "tags", "created_at"};
everything but `kind` may be missing or null. A naive `created_at` is taken as UTC.

Duplicates are recognised by a fingerprint: the SHA-256 of the canonical JSON of the line's
validated content (kind, filename, size_bytes, notes, sorted tags, created_at in UTC or null).
Two lines that say the same thing are one item, however their keys are ordered or spaced.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from learn.models import LearnItem
from learn.validation import clean_new_item, described, field_errors

LEGACY_FIELDS = ("kind", "filename", "size_bytes", "notes", "tags", "created_at")


class LegacyLineError(ValueError):
    """The line cannot be imported; the message says why."""


def fingerprint(item: LearnItem, *, created_at_given: bool) -> str:
    content = {
        "kind": item.kind,
        "filename": item.filename,
        "size_bytes": item.size_bytes,
        "notes": item.notes,
        "tags": sorted(item.tags),
        "created_at": item.created_at.isoformat() if created_at_given else None,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_types(data: dict) -> list[str]:
    problems = []
    unknown = sorted(set(data) - set(LEGACY_FIELDS))
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    kind = data.get("kind")
    if kind is None:
        problems.append("kind: is required")
    elif kind not in LearnItem.Kind.values:
        problems.append(f'kind: must be "good" or "bad", got {json.dumps(kind)}')
    for name in ("filename", "notes"):
        if data.get(name) is not None and not isinstance(data[name], str):
            problems.append(f"{name}: must be a string or null")
    size = data.get("size_bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        problems.append("size_bytes: must be a whole number or null")
    if data.get("created_at") is not None and _created_at(data) is None:
        problems.append("created_at: must be an ISO 8601 date-time such as 2025-11-22T05:26:30Z")
    return problems


def _created_at(data: dict) -> datetime | None:
    """The line's created_at in UTC (naive means UTC), or None when absent or unusable."""
    value = data.get("created_at")
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00
        return None


def parse_line(raw: bytes) -> LearnItem:
    """Return an unsaved, validated, fingerprinted item or raise LegacyLineError."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LegacyLineError("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise LegacyLineError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise LegacyLineError(f"must be a JSON object, got {type(data).__name__}")
    problems = _check_types(data)
    if problems:
        raise LegacyLineError("; ".join(problems))

    created_at = _created_at(data)
    item = LearnItem(
        kind=data["kind"],
        filename=data.get("filename"),
        size_bytes=data.get("size_bytes"),
        notes=data.get("notes"),
        tags=data.get("tags"),
        created_at=created_at or timezone.now(),
    )
    try:
        clean_new_item(item)
    except ValidationError as exc:
        messages = (described(name, text).rstrip(".") for name, text in field_errors(exc))
        raise LegacyLineError("; ".join(messages)) from None
    item.import_fingerprint = fingerprint(item, created_at_given=created_at is not None)
    return item
