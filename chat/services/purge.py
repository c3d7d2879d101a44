"""Deleting threads and messages in a few set-based statements (no rows loaded into memory),
and inactive threads in batches (purge_threads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db import connection, transaction

# One batch: lock up to `limit` inactive threads (skipping any being written to), keep their
# audit rows but unlink them, delete their messages, snapshots and the threads themselves.
# Foreign keys are deferred, so the order inside the statement does not matter.
PURGE_BATCH_SQL = """
    WITH doomed AS (
        SELECT id FROM chat_thread
        WHERE updated_at < %(cutoff)s
        ORDER BY updated_at
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    ), unlinked AS (
        UPDATE chat_llmrequest SET thread_id = NULL, message_id = NULL
        WHERE thread_id IN (SELECT id FROM doomed)
    ), snapshots AS (
        DELETE FROM chat_contextsnapshot WHERE thread_id IN (SELECT id FROM doomed)
    ), messages AS (
        DELETE FROM chat_message WHERE thread_id IN (SELECT id FROM doomed) RETURNING 1
    ), threads AS (
        DELETE FROM chat_thread WHERE id IN (SELECT id FROM doomed) RETURNING 1
    )
    SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM messages)
"""

# The same, for given threads: messages only (clear) or everything (delete).
CLEAR_SQL = """
    WITH unlinked AS (
        UPDATE chat_llmrequest SET message_id = NULL
        WHERE thread_id = ANY(%(threads)s) AND message_id IS NOT NULL
    )
    DELETE FROM chat_message WHERE thread_id = ANY(%(threads)s)
"""
DELETE_SQL = """
    WITH unlinked AS (
        UPDATE chat_llmrequest SET thread_id = NULL, message_id = NULL
        WHERE thread_id = ANY(%(threads)s)
    ), snapshots AS (
        DELETE FROM chat_contextsnapshot WHERE thread_id = ANY(%(threads)s)
    ), messages AS (
        DELETE FROM chat_message WHERE thread_id = ANY(%(threads)s)
    )
    DELETE FROM chat_thread WHERE id = ANY(%(threads)s)
"""

COUNT_SQL = """
    SELECT count(*),
           (SELECT count(*) FROM chat_message m JOIN chat_thread t ON t.id = m.thread_id
            WHERE t.updated_at < %(cutoff)s)
    FROM chat_thread WHERE updated_at < %(cutoff)s
"""


def thread_count_inactive(*, cutoff: datetime) -> tuple[int, int]:
    """(threads, messages) that a purge with this cutoff would delete now."""
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, {"cutoff": cutoff})
        threads, messages = cursor.fetchone()
    return threads, messages


def thread_purge_inactive(*, cutoff: datetime, batch_size: int = 500) -> Iterator[tuple[int, int]]:
    """Delete threads without activity since `cutoff`, one transaction per batch.

    Yields (threads, messages) deleted by each batch. LLM audit rows and usage are kept.
    """
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PURGE_BATCH_SQL, {"cutoff": cutoff, "limit": batch_size})
            threads, messages = cursor.fetchone()
        if not threads:
            return
        yield threads, messages


def messages_delete(*, thread_ids: list[str]) -> None:
    """Delete every message of these threads; audit rows stay, unlinked."""
    with connection.cursor() as cursor:
        cursor.execute(CLEAR_SQL, {"threads": thread_ids})


def threads_delete(*, thread_ids: list[str]) -> None:
    """Delete these threads with their messages and snapshots; audit rows stay, unlinked."""
    with connection.cursor() as cursor:
        cursor.execute(DELETE_SQL, {"threads": thread_ids})
