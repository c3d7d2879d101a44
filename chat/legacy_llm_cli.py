"""import_legacy for the LLM CLI (users, sessions, messages): its users become Django users
matched by email, its sessions threads owned by them, its messages their messages."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone

from chat.legacy_import import checked_id, insert_messages, insert_threads, message_row, thread_row
from chat.models import (
    KEY_PREFIX_ALPHABET,
    KEY_PREFIX_LENGTH,
    ApiKey,
    ContextSnapshot,
    LLMRequest,
    LLMResponse,
    Thread,
    UsageDaily,
    UserPreference,
)
from config.legacy.framework import (
    EARLIEST,
    LATEST,
    RANGE_TEXT,
    Column,
    Context,
    Refused,
    TableSpec,
    clean_or_refuse,
    legacy_json,
    legacy_time,
)
from config.legacy.sql import insert_returning

SYSTEM = "llm-cli"


def _text(value):
    """A legacy key as our id: UUIDs and numbers as their text."""
    return value if value is None or isinstance(value, str | int) else str(value)


def convert_user(row, ctx):
    email = row["email"]
    if not isinstance(email, str) or not email.strip():
        raise Refused("email: is required")
    try:
        validate_email(email)
    except ValidationError:
        raise Refused(f"email: {email!r} is not an email address") from None
    if len(email) > 150:
        raise Refused("email: longer than 150 characters")
    return {"email": email, "date_joined": legacy_time(row, "created_at")}


def insert_users(rows, ctx: Context) -> dict:
    """An exact email match is the same person; one differing only in case is refused."""
    user_model = get_user_model()
    outcome, seen = {}, {}
    lowered = {row["email"].lower() for _, row in rows}
    existing = {
        user.email_lower: user.email
        for user in user_model.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=lowered
        )
    }
    for key, row in rows:
        email, lower = row["email"], row["email"].lower()
        other = existing.get(lower) or seen.get(lower)
        if other == email:
            outcome[key] = "present"
        elif other is not None:
            outcome[key] = f"email: {email!r} duplicates {other!r} differing in case"
        elif user_model.objects.filter(username=email).exists():
            outcome[key] = f"username {email!r} is taken by a user with another email"
        else:
            user = user_model(username=email, email=email)
            if row["date_joined"] is not None:
                user.date_joined = row["date_joined"]
            user.set_unusable_password()
            user.save()
            seen[lower] = email
            outcome[key] = "imported"
    return outcome


def owner_of(legacy_user_id, ctx: Context):
    """The Django user a legacy user id was imported as (exact email), or Refused."""
    cache = ctx.cache.setdefault("llm-cli owners", {})
    if legacy_user_id not in cache:
        rows = ctx.source.rows("users", "email", "id", legacy_user_id)
        email = rows[0][0] if rows else None
        cache[legacy_user_id] = (
            get_user_model().objects.filter(email=email).first() if email else None
        )
    if cache[legacy_user_id] is None:
        raise Refused(f"user_id: its user {legacy_user_id!r} was not imported")
    return cache[legacy_user_id]


def convert_session(row, ctx):
    created_at = legacy_time(row, "created_at")
    return thread_row(
        id=checked_id(_text(row["id"]), "id"),
        owner=owner_of(row["user_id"], ctx),
        agent_type="",
        metadata={},
        created_at=created_at,
        updated_at=legacy_time(row, "updated_at") or created_at,
    )


def convert_message(row, ctx):
    return message_row(
        id=f"messages:{row['id']}",
        thread_id=checked_id(_text(row["session_id"]), "session_id"),
        type="message",
        role=row["role"],
        content=row.get("content"),
        metadata={},
        created_at=legacy_time(row, "created_at"),
    )


LLM_CLI = (
    TableSpec(
        system=SYSTEM,
        table="users",
        key="id",
        columns=(Column("id", required=True), Column("email", required=True), Column("created_at")),
        convert=convert_user,
        insert=insert_users,
        integer_key=None,
        time_column="created_at",
        target="auth.User",
    ),
    TableSpec(
        system=SYSTEM,
        table="sessions",
        key="id",
        columns=(
            Column("id", required=True),
            Column("user_id", required=True),
            Column("created_at"),
            Column("updated_at", aliases=("last_active_at",)),
        ),
        convert=convert_session,
        insert=insert_threads,
        integer_key=None,
        time_column="updated_at",
        target="chat.Thread",
    ),
    TableSpec(
        system=SYSTEM,
        table="messages",
        key="id",
        columns=(
            Column("id", required=True),
            Column("session_id", required=True),
            Column("role", required=True),
            Column("content"),
            Column("created_at"),
        ),
        convert=convert_message,
        insert=insert_messages,
        integer_key=None,
        time_column="created_at",
        target="chat.Message",
    ),
)


# usage_daily: the legacy system may still be counting today, so a day already there is raised
# to the legacy counts where those are larger; the table (users x days) is re-read in full.
USAGE_UPSERT = """
    INSERT INTO chat_usagedaily (user_id, day, requests, tokens_in, tokens_out, cost)
    SELECT r.user_id, r.day, r.requests, r.tokens_in, r.tokens_out, r.cost
    FROM jsonb_to_recordset(%s::jsonb) AS r(user_id bigint, day date, requests int,
        tokens_in bigint, tokens_out bigint, cost numeric, key text, n int)
    ORDER BY n
    ON CONFLICT (user_id, day) DO UPDATE SET
        requests = GREATEST(chat_usagedaily.requests, EXCLUDED.requests),
        tokens_in = GREATEST(chat_usagedaily.tokens_in, EXCLUDED.tokens_in),
        tokens_out = GREATEST(chat_usagedaily.tokens_out, EXCLUDED.tokens_out),
        cost = GREATEST(chat_usagedaily.cost, EXCLUDED.cost)
    WHERE chat_usagedaily.requests < EXCLUDED.requests
        OR chat_usagedaily.tokens_in < EXCLUDED.tokens_in
        OR chat_usagedaily.tokens_out < EXCLUDED.tokens_out
        OR chat_usagedaily.cost < EXCLUDED.cost
    RETURNING user_id, day
"""


def convert_usage(row, ctx):
    day = row["usage_date"]
    if not isinstance(day, date) or isinstance(day, datetime):
        raise Refused(f"usage_date: {day!r} is not a day in range")
    if not EARLIEST.date() <= day < LATEST.date():
        raise Refused(f"usage_date: {day.isoformat()} is out of range (times must be {RANGE_TEXT})")
    usage = UsageDaily(
        user=owner_of(row["user_id"], ctx),
        day=day,
        requests=row.get("requests") or 0,
        tokens_in=row.get("tokens_in") or 0,
        tokens_out=row.get("tokens_out") or 0,
        cost=row.get("cost") or Decimal(0),
    )
    clean_or_refuse(usage, exclude=["user"])
    return {
        "user_id": usage.user_id,
        "day": usage.day,
        "requests": usage.requests,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "cost": usage.cost,
    }


def insert_usage(rows, ctx: Context) -> dict:
    changed = set(insert_returning(USAGE_UPSERT, [row for _, row in rows], columns=2))
    return {
        key: "imported" if (row["user_id"], row["day"]) in changed else "present"
        for key, row in rows
    }


LLM_CLI += (
    TableSpec(
        system=SYSTEM,
        table="usage_daily",
        key="id",
        columns=(
            Column("id", required=True),
            Column("user_id", required=True),
            Column("usage_date", required=True, aliases=("day", "date")),
            Column("requests", aliases=("request_count", "requests_count")),
            Column("tokens_in", aliases=("input_tokens", "prompt_tokens")),
            Column("tokens_out", aliases=("output_tokens", "completion_tokens")),
            Column("cost", aliases=("cost_usd", "total_cost")),
        ),
        convert=convert_usage,
        insert=insert_usage,
        integer_key=None,
        reread=True,
        target="chat.UsageDaily",
    ),
)


# api_keys: imported revoked. This service finds a key by the `dk_<prefix>_` it starts with and
# checks the SHA-256 of the whole key; a legacy key has no such prefix, so no legacy key could
# ever be presented in a form we can look up, whatever its hash scheme: a usable import would
# be a key nobody can use, or a guess. The row keeps the history (who had a key, when, its
# name); its prefix is derived from the legacy id (so a rerun finds it) and never issued.
KEY_INSERT = """
    INSERT INTO chat_apikey
        (user_id, name, prefix, key_hash, created_at, expires_at, revoked_at, last_used_at)
    SELECT r.user_id, r.name, r.prefix, r.key_hash, r.created_at, r.expires_at, r.revoked_at,
           r.last_used_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(user_id bigint, name text, prefix text,
        key_hash text, created_at timestamptz, expires_at timestamptz, revoked_at timestamptz,
        last_used_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT (prefix) DO NOTHING
    RETURNING prefix
"""


def legacy_key_prefix(legacy_id) -> str:
    digest = hashlib.sha256(f"api_keys:{legacy_id}".encode()).digest()
    return "".join(
        KEY_PREFIX_ALPHABET[b % len(KEY_PREFIX_ALPHABET)] for b in digest[:KEY_PREFIX_LENGTH]
    )


def convert_api_key(row, ctx):
    user = owner_of(row["user_id"], ctx)
    name = row.get("name") or f"legacy key {row['id']}"
    created_at = legacy_time(row, "created_at") or timezone.now()
    key = ApiKey(
        user=user,
        name=name,
        prefix=legacy_key_prefix(row["id"]),
        key_hash=hashlib.sha256(f"legacy:{row.get('key_hash')}".encode()).hexdigest(),
        created_at=created_at,
        expires_at=legacy_time(row, "expires_at"),
        revoked_at=legacy_time(row, "revoked_at") or timezone.now(),
        last_used_at=legacy_time(row, "last_used_at"),
    )
    clean_or_refuse(key, exclude=["user"])
    return {
        "user_id": user.pk,
        "name": key.name,
        "prefix": key.prefix,
        "key_hash": key.key_hash,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
    }


def insert_api_keys(rows, ctx: Context) -> dict:
    returned = set(insert_returning(KEY_INSERT, [row for _, row in rows]))
    return {key: "imported" if row["prefix"] in returned else "present" for key, row in rows}


LLM_CLI += (
    TableSpec(
        system=SYSTEM,
        table="api_keys",
        key="id",
        columns=(
            Column("id", required=True),
            Column("user_id", required=True),
            Column("key_hash", aliases=("hashed_key", "hash")),
            Column("name", aliases=("label", "description")),
            Column("created_at"),
            Column("expires_at"),
            Column("revoked_at"),
            Column("last_used_at"),
        ),
        convert=convert_api_key,
        insert=insert_api_keys,
        integer_key=None,
        time_column="created_at",
        target="chat.ApiKey (revoked)",
    ),
)


# user_preferences: re-read in full each run (a few rows per user), the newer value wins.
PREFERENCE_UPSERT = """
    INSERT INTO chat_userpreference (user_id, key, value, updated_at)
    SELECT r.user_id, r.key, r.value, r.updated_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(user_id bigint, key text, value jsonb,
        updated_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value,
        updated_at = EXCLUDED.updated_at
    WHERE chat_userpreference.updated_at < EXCLUDED.updated_at
    RETURNING user_id, key
"""


def convert_preference(row, ctx):
    preference = UserPreference(
        user=owner_of(row["user_id"], ctx),
        key=row["key"],
        value=legacy_json(row, "value", default={}),
        updated_at=legacy_time(row, "updated_at") or legacy_time(row, "created_at"),
    )
    if preference.updated_at is None:
        preference.updated_at = timezone.now()
    clean_or_refuse(preference, exclude=["user"])
    return {
        "user_id": preference.user_id,
        "key": preference.key,
        "value": preference.value,
        "updated_at": preference.updated_at,
    }


def insert_preferences(rows, ctx: Context) -> dict:
    changed = set(insert_returning(PREFERENCE_UPSERT, [row for _, row in rows], columns=2))
    return {
        key: "imported" if (row["user_id"], row["key"]) in changed else "present"
        for key, row in rows
    }


# context_snapshots: the snapshot's client id is `context_snapshots:<legacy id>`, so a rerun
# skips it; it belongs to its session's owner.
SNAPSHOT_INSERT = """
    INSERT INTO chat_contextsnapshot (user_id, thread_id, client_id, context, created_at)
    SELECT t.owner_id, r.thread_id, r.client_id, r.context, r.created_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(thread_id text, client_id text, context jsonb,
        created_at timestamptz, n int)
    JOIN chat_thread t ON t.id = r.thread_id
    ORDER BY n
    ON CONFLICT (user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING client_id
"""


def convert_snapshot(row, ctx):
    snapshot = ContextSnapshot(
        thread_id=checked_id(_text(row["session_id"]), "session_id"),
        client_id=f"context_snapshots:{row['id']}",
        context=legacy_json(row, "context", default={}),
        created_at=legacy_time(row, "created_at") or timezone.now(),
    )
    clean_or_refuse(snapshot, exclude=["user", "thread"])
    return {
        "thread_id": snapshot.thread_id,
        "client_id": snapshot.client_id,
        "context": snapshot.context,
        "created_at": snapshot.created_at,
    }


def insert_snapshots(rows, ctx: Context) -> dict:
    known = set(
        Thread.objects.filter(pk__in={r["thread_id"] for _, r in rows}).values_list("pk", flat=True)
    )
    outcome = {
        key: f"its session {row['thread_id']!r} was not imported"
        for key, row in rows
        if row["thread_id"] not in known
    }
    ready = [(key, row) for key, row in rows if key not in outcome]
    returned = set(insert_returning(SNAPSHOT_INSERT, [row for _, row in ready]))
    for key, row in ready:
        outcome[key] = "imported" if row["client_id"] in returned else "present"
    return outcome


LLM_CLI += (
    TableSpec(
        system=SYSTEM,
        table="user_preferences",
        key="id",
        columns=(
            Column("id", required=True),
            Column("user_id", required=True),
            Column("key", required=True, aliases=("preference_key", "name")),
            Column("value", aliases=("preference_value", "data")),
            Column("created_at"),
            Column("updated_at"),
        ),
        convert=convert_preference,
        insert=insert_preferences,
        integer_key=None,
        reread=True,
        target="chat.UserPreference",
    ),
    TableSpec(
        system=SYSTEM,
        table="context_snapshots",
        key="id",
        columns=(
            Column("id", required=True),
            Column("session_id", required=True),
            Column("context", required=True, aliases=("snapshot", "data", "context_json")),
            Column("created_at"),
        ),
        convert=convert_snapshot,
        insert=insert_snapshots,
        integer_key=None,
        time_column="created_at",
        target="chat.ContextSnapshot",
    ),
)


# llm_requests and llm_responses keep integer legacy ids as theirs (the responses point at
# requests by them); the id sequences then move past the largest. UUID keys are refused per row.
REQUEST_INSERT = """
    INSERT INTO chat_llmrequest (id, user_id, thread_id, message_id, provider, model,
        route_mode, prompt_sha256, prompt_text, created_at)
    SELECT r.id, r.user_id, t.id, m.id, r.provider, r.model, r.route_mode, r.prompt_sha256,
           r.prompt_text, r.created_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, user_id bigint, thread_id text,
        message_id text, provider text, model text, route_mode text, prompt_sha256 text,
        prompt_text text, created_at timestamptz, n int)
    LEFT JOIN chat_thread t ON t.id = r.thread_id
    LEFT JOIN chat_message m ON m.id = r.message_id
    ORDER BY r.n
    ON CONFLICT (id) DO NOTHING
    RETURNING id
"""

RESPONSE_INSERT = """
    INSERT INTO chat_llmresponse (id, request_id, tokens_in, tokens_out, cost, latency_ms, error,
        created_at)
    SELECT r.id, r.request_id, r.tokens_in, r.tokens_out, r.cost, r.latency_ms, r.error,
           r.created_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, request_id bigint, tokens_in int,
        tokens_out int, cost numeric, latency_ms int, error text, created_at timestamptz, n int)
    JOIN chat_llmrequest q ON q.id = r.request_id
    ORDER BY r.n
    ON CONFLICT DO NOTHING
    RETURNING id
"""

SEQUENCE_PAST_MAX = """
    WITH s AS (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq)
    SELECT setval(s.seq, GREATEST(m.id, COALESCE(pg_sequence_last_value(s.seq), 1)))
    FROM s, (SELECT max(id) AS id FROM {table}) AS m
"""


def _integer_id(value, name: str) -> int:
    if isinstance(value, int) and value > 0:
        return value
    raise Refused(f"{name}: {value!r} is not a positive integer id (kept as this service's id)")


def convert_request(row, ctx):
    sha = row.get("prompt_sha256") or ""
    request = LLMRequest(
        id=_integer_id(row["id"], "id"),
        user=owner_of(row["user_id"], ctx),
        provider=row["provider"] or "",
        model=row["model"] or "",
        route_mode=row.get("route_mode") or "",
        prompt_sha256=sha,
        prompt_text=row.get("prompt_text"),
        created_at=legacy_time(row, "created_at") or timezone.now(),
    )
    clean_or_refuse(request, exclude=["user", "api_key", "thread", "message"])
    session, message = row.get("session_id"), row.get("message_id")
    return {
        "id": request.id,
        "user_id": request.user_id,
        "thread_id": _text(session) if session is not None else None,
        "message_id": f"messages:{message}" if message is not None else None,
        "provider": request.provider,
        "model": request.model,
        "route_mode": request.route_mode,
        "prompt_sha256": request.prompt_sha256,
        "prompt_text": request.prompt_text,
        "created_at": request.created_at,
    }


def convert_response(row, ctx):
    response = LLMResponse(
        id=_integer_id(row["id"], "id"),
        request_id=_integer_id(row["request_id"], "request_id"),
        tokens_in=row.get("tokens_in") or 0,
        tokens_out=row.get("tokens_out") or 0,
        cost=row.get("cost") or Decimal(0),
        latency_ms=row.get("latency_ms"),
        error=row.get("error") or "",
        created_at=legacy_time(row, "created_at") or timezone.now(),
    )
    clean_or_refuse(response, exclude=["request"])
    return {
        "id": response.id,
        "request_id": response.request_id,
        "tokens_in": response.tokens_in,
        "tokens_out": response.tokens_out,
        "cost": response.cost,
        "latency_ms": response.latency_ms,
        "error": response.error,
        "created_at": response.created_at,
    }


def _by_id(statement: str, table: str, *, parent=None):
    def insert(rows, ctx: Context) -> dict:
        returned = set(insert_returning(statement, [row for _, row in rows]))
        if returned and not ctx.dry_run:  # a sequence does not roll back with a dry run
            with connection.cursor() as cursor:
                cursor.execute(SEQUENCE_PAST_MAX.format(table=table), [table])
        present = set(
            LLMResponse.objects.filter(pk__in={r["id"] for _, r in rows}).values_list(
                "pk", flat=True
            )
            if parent
            else LLMRequest.objects.filter(pk__in={r["id"] for _, r in rows}).values_list(
                "pk", flat=True
            )
        )
        outcome = {}
        for key, row in rows:
            if row["id"] in returned:
                outcome[key] = "imported"
            elif row["id"] in present:
                outcome[key] = "present"
            else:
                outcome[key] = f"its {parent} {row['request_id']!r} was not imported"
        return outcome

    return insert


LLM_CLI += (
    TableSpec(
        system=SYSTEM,
        table="llm_requests",
        key="id",
        columns=(
            Column("id", required=True),
            Column("user_id", required=True),
            Column("session_id"),
            Column("message_id"),
            Column("provider", required=True),
            Column("model", required=True),
            Column("route_mode"),
            Column("prompt_sha256", aliases=("prompt_hash",)),
            Column("prompt_text"),
            Column("created_at"),
        ),
        convert=convert_request,
        insert=_by_id(REQUEST_INSERT, "chat_llmrequest"),
        integer_key=None,
        time_column="created_at",
        target="chat.LLMRequest",
    ),
    TableSpec(
        system=SYSTEM,
        table="llm_responses",
        key="id",
        columns=(
            Column("id", required=True),
            Column("request_id", required=True),
            Column("tokens_in", aliases=("input_tokens", "prompt_tokens")),
            Column("tokens_out", aliases=("output_tokens", "completion_tokens")),
            Column("cost", aliases=("cost_usd",)),
            Column("latency_ms"),
            Column("error", aliases=("error_message",)),
            Column("created_at"),
        ),
        convert=convert_response,
        insert=_by_id(RESPONSE_INSERT, "chat_llmresponse", parent="request"),
        integer_key=None,
        time_column="created_at",
        target="chat.LLMResponse",
    ),
)
