"""The first or last N messages of many threads at once: one LATERAL query, wired into
Django's prefetch protocol so the GraphQL optimizer can batch `messages(last: N)`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

import orjson
from django.db import connection

# The first or last N messages of each of many threads in one statement: one index scan of
# (thread_id, created_at, seq) per thread, stopping after N rows, however long the thread.
WINDOW_SQL = """
    SELECT m.id, m.thread_id, m.type, m.role, m.content, m.metadata, m.created_at, m.seq
    FROM unnest(%(threads)s::varchar[]) AS t(id)
    CROSS JOIN LATERAL (
        SELECT * FROM chat_message
        WHERE thread_id = t.id
        ORDER BY created_at {direction}, seq {direction}
        LIMIT %(limit)s
    ) AS m
    ORDER BY m.created_at, m.seq
"""


@dataclass(frozen=True)
class Window:
    """The first `size` messages of a thread, or its last `size` (`from_end`), in order."""

    size: int
    from_end: bool

    @property
    def attr(self) -> str:
        return f"_messages_{'last' if self.from_end else 'first'}_{self.size}"


# 19 digits in a row: maybe an integer orjson would read as a float (beyond 64 bits).
_LONG_NUMBER = re.compile(r"\d{19}").search


def loads_json(text: str):
    """json.loads(text), the way JSONField reads a column, several times faster: orjson where
    it gives the same value, json wherever it may not (long numbers, NaN, lone surrogates)."""
    if _LONG_NUMBER(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class MessageRow(NamedTuple):
    """A message as read for display: a plain tuple, several times cheaper to build than a
    model instance (a page of 100 threads shows up to 2,000 messages)."""

    id: str
    thread_id: str
    type: str
    role: str
    content: str
    metadata: dict
    created_at: datetime
    seq: int


def window_messages(*, thread_ids: list[str], window: Window) -> list[MessageRow]:
    """The window of each thread, in order; one query for all threads."""
    direction = "DESC" if window.from_end else "ASC"
    with connection.cursor() as cursor:
        cursor.execute(
            WINDOW_SQL.format(direction=direction), {"threads": thread_ids, "limit": window.size}
        )
        rows = cursor.fetchall()
    # jsonb arrives as text (Django's loader leaves decoding to JSONField).
    return [
        MessageRow(pk, thread, kind, role, content, loads_json(metadata), created_at, seq)
        for pk, thread, kind, role, content, metadata, created_at, seq in rows
    ]


class MessageWindowPrefetcher:
    """Makes `Prefetch("message_window", queryset=window_queryset(w), to_attr=w.attr)` load the
    window of every thread of a page with one LATERAL query (Django's prefetch protocol)."""

    def __get__(self, instance, owner):
        return self

    def get_prefetch_querysets(self, instances, querysets=None):
        window: Window = querysets[0].chat_window
        messages = window_messages(thread_ids=[t.pk for t in instances], window=window)
        return messages, attrgetter("thread_id"), attrgetter("pk"), False, window.attr, False
