"""Every write to the learn store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from config.errors import NotFound
from learn.models import LearnItem
from learn.validation import clean_new_item, field_errors

IMPORT_MAX_ITEMS = 1000
EDITABLE_FIELDS = frozenset({"kind", "filename", "size_bytes", "notes", "tags"})

# One statement per batch whatever its size: the rows arrive as one array per column.
INSERT_NEW_SQL = """
    INSERT INTO learn_learnitem
        (kind, filename, size_bytes, notes, tags, created_at, created_by_id, import_fingerprint)
    SELECT * FROM unnest(
        %s::varchar[], %s::varchar[], %s::bigint[], %s::text[],
        %s::jsonb[], %s::timestamptz[], %s::integer[], %s::varchar[]
    )
    ON CONFLICT (import_fingerprint) DO NOTHING
    RETURNING id
"""


def _locked_item(item_id: object) -> LearnItem:
    item = (
        LearnItem.objects.by_id(item_id)
        .select_related("created_by")
        .select_for_update(of=("self",))
        .first()
    )
    if item is None:
        raise NotFound(f"No learn item with id {str(item_id)!r}.")
    return item


@transaction.atomic
def learn_item_create(
    *,
    created_by: AbstractBaseUser | None,
    kind: str,
    filename: str | None = None,
    size_bytes: int | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    created_at: datetime | None = None,
) -> LearnItem:
    """Save one example; tags are trimmed and validated."""
    item = LearnItem(
        kind=kind,
        filename=filename,
        size_bytes=size_bytes,
        notes=notes,
        tags=list(tags) if tags is not None else None,
        created_by=created_by,
        created_at=created_at or timezone.now(),
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def learn_item_update(*, item_id: object, changes: Mapping[str, object]) -> LearnItem:
    """Change the given fields of an item (others stay as they are)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    item = _locked_item(item_id)
    if not changes:
        return item
    for name, value in changes.items():
        setattr(item, name, value)
    item.full_clean()
    item.save(update_fields=list(changes))
    return item


@transaction.atomic
def learn_item_delete(*, item_id: object) -> LearnItem:
    """Delete an item; the returned copy keeps its id so clients can drop it from caches."""
    item = _locked_item(item_id)
    pk = item.pk
    item.delete()
    item.id = pk
    return item


@dataclass
class ItemError:
    index: int
    field: str | None  # model field name
    message: str


@dataclass
class ImportOutcome:
    items: list[LearnItem] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)


@transaction.atomic
def learn_items_import(
    *, created_by: AbstractBaseUser | None, items: Sequence[Mapping[str, object]], partial: bool
) -> ImportOutcome:
    """Validate up to IMPORT_MAX_ITEMS items and insert them in one statement.

    Invalid items are reported by index. Nothing is written when any item is invalid,
    unless `partial`, in which case the valid ones are written.
    """
    if len(items) > IMPORT_MAX_ITEMS:
        raise ValidationError(
            {"items": f"at most {IMPORT_MAX_ITEMS} items per import, got {len(items)}"}
        )
    now = timezone.now()
    outcome = ImportOutcome()
    valid: list[LearnItem] = []
    for index, data in enumerate(items):
        item = LearnItem(created_by=created_by, **data)
        item.created_at = data.get("created_at") or now
        try:
            clean_new_item(item)
        except ValidationError as exc:
            outcome.errors.extend(
                ItemError(index=index, field=name, message=message)
                for name, message in field_errors(exc)
            )
        else:
            valid.append(item)
    if outcome.errors and not partial:
        return outcome
    outcome.items = LearnItem.objects.bulk_create(valid)
    return outcome


@transaction.atomic
def learn_items_insert_new(*, items: Sequence[LearnItem]) -> int:
    """Insert fingerprinted items, skipping any whose fingerprint is already stored.

    One `INSERT … ON CONFLICT (import_fingerprint) DO NOTHING RETURNING id` statement, so the
    unique constraint decides (also against a concurrent run) and the count is exact.
    Items must have been validated (see validation.clean_new_item). Returns how many were new.
    """
    if not items:
        return 0
    if any(not item.import_fingerprint for item in items):
        raise ValueError("every item needs an import_fingerprint")
    columns = zip(
        *(
            (
                item.kind,
                item.filename,
                item.size_bytes,
                item.notes,
                Jsonb(item.tags),
                item.created_at,
                item.created_by_id,
                item.import_fingerprint,
            )
            for item in items
        ),
        strict=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(INSERT_NEW_SQL, [list(column) for column in columns])
        return len(cursor.fetchall())
