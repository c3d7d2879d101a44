"""Streaming reads for export_threads: keyset pages, so memory stays constant whatever the size
(also behind a transaction pooler, where server-side cursors are off)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db import connection

from chat.models import Message, Thread

THREAD_COLUMNS = [
    "id",
    "owner__username",
    "agent_type",
    "title",
    "metadata",
    "created_at",
    "updated_at",
]
MESSAGE_COLUMNS = ["id", "thread_id", "type", "role", "content", "metadata", "created_at", "seq"]

MESSAGES_PAGE_SQL = """
    SELECT id, thread_id, type, role, content, metadata, created_at, seq
    FROM chat_message
    WHERE thread_id = ANY(%(threads)s)
      AND (thread_id, created_at, seq) > (%(thread)s, %(created_at)s, %(seq)s)
    ORDER BY thread_id, created_at, seq
    LIMIT %(limit)s
"""


def threads_query(*, since: datetime | None):
    threads = Thread.objects.all()
    if since is not None:
        threads = threads.filter(updated_at__gte=since)
    return threads


def iter_thread_pages(*, since: datetime | None, size: int) -> Iterator[list[dict]]:
    """Threads (as dicts of THREAD_COLUMNS) in id order, `size` at a time."""
    last_id = ""
    while True:
        page = list(
            threads_query(since=since)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values(*THREAD_COLUMNS)[:size]
        )
        if not page:
            return
        yield page
        last_id = page[-1]["id"]


def iter_messages(*, thread_ids: list[str], size: int) -> Iterator[dict]:
    """Messages of these threads ordered by thread id, then in conversation order."""
    metadata_field = Message._meta.get_field("metadata")
    params = {"threads": thread_ids, "thread": "", "created_at": "-infinity", "seq": 0}
    with connection.cursor() as cursor:
        while True:
            cursor.execute(MESSAGES_PAGE_SQL, {**params, "limit": size})
            rows = cursor.fetchall()
            for row in rows:
                message = dict(zip(MESSAGE_COLUMNS, row, strict=True))
                # Raw SQL reads jsonb as text; the field decodes it as the ORM would.
                message["metadata"] = metadata_field.from_db_value(
                    message["metadata"], None, connection
                )
                yield message
            if len(rows) < size:
                return
            last = rows[-1]
            params.update(thread=last[1], created_at=last[6], seq=last[7])
