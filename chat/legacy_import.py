"""import_legacy for the agent chat backend (chat_sessions, chat_messages) and the ChatKit
store (threads, thread_items): sessions and threads become threads, messages and items their
messages, with their ids, times and order."""

from __future__ import annotations

from django.utils import timezone

from chat.models import Message, Thread
from chat.validation import is_possible_id
from config.legacy.framework import (
    Column,
    Context,
    Refused,
    TableSpec,
    clean_or_refuse,
    legacy_json,
    legacy_time,
)
from config.legacy.sql import insert_returning

THREAD_INSERT = """
    INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, updated_at)
    SELECT r.id, r.owner_id, r.agent_type, '', r.metadata, r.created_at, r.updated_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id text, owner_id bigint, agent_type text,
        metadata jsonb, created_at timestamptz, updated_at timestamptz)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
"""

# Rows are inserted in legacy order (the n of each row), so `seq` keeps it for equal times.
MESSAGE_INSERT = """
    WITH inserted AS (
        INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
        SELECT r.id, r.thread_id, r.type, r.role, r.content, r.metadata, r.created_at
        FROM jsonb_to_recordset(%s::jsonb) AS r(id text, thread_id text,
            type text, role text, content text, metadata jsonb, created_at timestamptz, n int)
        ORDER BY n
        ON CONFLICT (id) DO NOTHING
        RETURNING id, thread_id, created_at
    ), touched AS (
        -- A thread's activity is its newest message (never backwards, never past now).
        UPDATE chat_thread t SET updated_at = LEAST(i.newest, now())
        FROM (SELECT thread_id, max(created_at) AS newest FROM inserted GROUP BY thread_id) i
        WHERE t.id = i.thread_id AND t.updated_at < LEAST(i.newest, now())
    )
    SELECT id FROM inserted
"""


def checked_id(value, name: str) -> str:
    text = str(value) if isinstance(value, int) else value
    if not isinstance(text, str) or not is_possible_id(text):
        raise Refused(
            f"{name}: {value!r} is not an id this service can hold (1 to 100 "
            "printable characters, no surrounding spaces)"
        )
    return text


def thread_row(*, id, owner, agent_type, metadata, created_at, updated_at) -> dict:
    now = timezone.now()
    created_at = created_at or updated_at or now
    updated_at = max(updated_at or created_at, created_at)
    thread = Thread(
        id=id,
        owner=owner,
        agent_type=agent_type or "",
        metadata=metadata,
        created_at=created_at,
        updated_at=updated_at,
    )
    clean_or_refuse(thread, exclude=["owner"])
    return {
        "id": id,
        "owner_id": owner.pk,
        "agent_type": thread.agent_type,
        "metadata": metadata,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def insert_threads(rows, ctx: Context) -> dict:
    by_id = {row["id"]: key for key, row in rows}
    inserted = set(insert_returning(THREAD_INSERT, [row for _, row in rows]))
    outcome = {}
    others = dict(Thread.objects.filter(pk__in=set(by_id) - inserted).values_list("pk", "owner_id"))
    for key, row in rows:
        if row["id"] in inserted:
            outcome[key] = "imported"
        elif others.get(row["id"]) == row["owner_id"]:
            outcome[key] = "present"
        else:
            outcome[key] = f"id {row['id']!r} is taken by another user's thread"
    return outcome


def message_row(*, id, thread_id, type, role, content, metadata, created_at) -> dict:
    message = Message(
        id=id,
        thread_id=thread_id,
        type=type or "message",
        role=role or "",
        content=content or "",
        metadata=metadata,
        created_at=created_at or timezone.now(),
    )
    clean_or_refuse(message, exclude=["seq", "thread"])
    return {
        "id": id,
        "thread_id": thread_id,
        "type": message.type,
        "role": message.role,
        "content": message.content,
        "metadata": metadata,
        "created_at": message.created_at,
    }


def insert_messages(rows, ctx: Context) -> dict:
    outcome = {}
    known = set(
        Thread.objects.filter(pk__in={r["thread_id"] for _, r in rows}).values_list("pk", flat=True)
    )
    for key, row in rows:
        if row["thread_id"] not in known:
            outcome[key] = f"its thread {row['thread_id']!r} was not imported"
    ready = [(key, row) for key, row in rows if key not in outcome]
    inserted = set(insert_returning(MESSAGE_INSERT, [row for _, row in ready]))
    owners = dict(
        Message.objects.filter(pk__in={r["id"] for _, r in ready} - inserted).values_list(
            "pk", "thread_id"
        )
    )
    for key, row in ready:
        if row["id"] in inserted:
            outcome[key] = "imported"
        elif owners.get(row["id"]) == row["thread_id"]:
            outcome[key] = "present"
        else:
            outcome[key] = f"message id {row['id']!r} is taken in another thread"
    return outcome


# agent-chat ----------------------------------------------------------------------------------


def convert_session(row, ctx):
    return thread_row(
        id=checked_id(row["session_id"], "session_id"),
        owner=ctx.owner,
        agent_type=row.get("agent_type"),
        metadata={},
        created_at=legacy_time(row, "created_at"),
        updated_at=legacy_time(row, "updated_at"),
    )


def convert_agent_message(row, ctx):
    return message_row(
        id=f"chat_messages:{row['id']}",
        thread_id=checked_id(row["session_id"], "session_id"),
        type="message",
        role=row["role"],
        content=row.get("content"),
        metadata={},
        created_at=legacy_time(row, "created_at"),
    )


AGENT_CHAT = (
    TableSpec(
        system="agent-chat",
        table="chat_sessions",
        key="session_id",
        columns=(
            Column("session_id", required=True),
            Column("agent_type"),
            Column("created_at"),
            Column("updated_at"),
        ),
        convert=convert_session,
        insert=insert_threads,
        integer_key=False,
        time_column="updated_at",
        needs_owner=True,
        target="chat.Thread",
    ),
    TableSpec(
        system="agent-chat",
        table="chat_messages",
        key="id",
        columns=(
            Column("id", required=True),
            Column("session_id", required=True),
            Column("role", required=True),
            Column("content"),
            Column("created_at"),
        ),
        convert=convert_agent_message,
        insert=insert_messages,
        time_column="created_at",
        target="chat.Message",
    ),
)


# chatkit -------------------------------------------------------------------------------------


def convert_chatkit_thread(row, ctx):
    metadata = legacy_json(row, "metadata", default={})
    if not isinstance(metadata, dict):
        raise Refused(f"metadata: must be a JSON object, got {type(metadata).__name__}")
    created_at = legacy_time(row, "created_at")
    return thread_row(
        id=checked_id(row["id"], "id"),
        owner=ctx.owner,
        agent_type="",
        metadata=metadata,
        created_at=created_at,
        updated_at=legacy_time(row, "updated_at") or created_at,
    )


def convert_thread_item(row, ctx):
    if row.get("role") is None:
        raise Refused("role: is required")
    return message_row(
        id=checked_id(row["id"], "id"),
        thread_id=checked_id(row["thread_id"], "thread_id"),
        type=row.get("type"),
        role=row["role"],
        content=row.get("content"),
        metadata={},
        created_at=legacy_time(row, "created_at"),
    )


CHATKIT = (
    TableSpec(
        system="chatkit",
        table="threads",
        key="id",
        columns=(
            Column("id", required=True),
            Column("created_at"),
            Column("updated_at"),
            Column("metadata"),
        ),
        convert=convert_chatkit_thread,
        insert=insert_threads,
        integer_key=False,
        time_column="created_at",
        needs_owner=True,
        target="chat.Thread",
    ),
    TableSpec(
        system="chatkit",
        table="thread_items",
        key="id",
        columns=(
            Column("id", required=True),
            Column("thread_id", required=True),
            Column("type"),
            Column("role"),
            Column("content"),
            Column("created_at"),
        ),
        convert=convert_thread_item,
        insert=insert_messages,
        integer_key=False,
        time_column="created_at",
        target="chat.Message",
    ),
)
