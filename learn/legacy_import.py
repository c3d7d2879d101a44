"""import_legacy for the dashboard's learn store table (aicmo_learn_items).

An imported item is recognised by its fingerprint `aicmo_learn_items:<legacy id>`, so a
rerun skips it; its created_at is kept.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from config.legacy.framework import (
    Column,
    Refused,
    TableSpec,
    legacy_json,
    legacy_time,
    results_from_returned,
)
from config.legacy.sql import insert_returning
from learn.models import LearnItem
from learn.validation import clean_new_item, described, field_errors

ITEM_INSERT = """
    INSERT INTO learn_learnitem
        (kind, filename, size_bytes, notes, tags, created_at, import_fingerprint)
    SELECT r.kind, r.filename, r.size_bytes, r.notes, r.tags, r.created_at, r.fingerprint
    FROM jsonb_to_recordset(%s::jsonb) AS r(kind text, filename text,
        size_bytes bigint, notes text, tags jsonb, created_at timestamptz, fingerprint text,
        n int)
    ORDER BY n
    ON CONFLICT (import_fingerprint) DO NOTHING
    RETURNING import_fingerprint
"""


def fingerprint(legacy_id) -> str:
    return f"aicmo_learn_items:{legacy_id}"


def convert_item(row, ctx):
    tags = legacy_json(row, "tags", default=[])
    item = LearnItem(
        kind=row["kind"],
        filename=row.get("filename"),
        size_bytes=row.get("size_bytes"),
        notes=row.get("notes"),
        tags=tags,
        created_at=legacy_time(row, "created_at") or timezone.now(),
    )
    try:
        clean_new_item(item)
    except ValidationError as exc:
        reasons = (described(n, t).rstrip(".") for n, t in field_errors(exc))
        raise Refused("; ".join(reasons)) from None
    return {
        "kind": item.kind,
        "filename": item.filename,
        "size_bytes": item.size_bytes,
        "notes": item.notes,
        "tags": item.tags,
        "created_at": item.created_at,
        "fingerprint": fingerprint(row["id"]),
    }


def insert_items(rows, ctx) -> dict:
    returned = set(insert_returning(ITEM_INSERT, [row for _, row in rows]))
    by_fp = {row["fingerprint"]: key for key, row in rows}
    return results_from_returned(by_fp.values(), {by_fp[fp] for fp in returned})


LEARN = (
    TableSpec(
        system="learn",
        table="aicmo_learn_items",
        key="id",
        columns=(
            Column("id", required=True),
            Column("kind", required=True),
            Column("filename"),
            Column("size_bytes"),
            Column("notes"),
            Column("tags"),
            Column("created_at"),
        ),
        convert=convert_item,
        insert=insert_items,
        time_column="created_at",
        target="learn.LearnItem",
    ),
)
