"""Chat threads of the bench user with their messages, one 500-message thread, a thread for
interactionRecord, and a user whose day's usage sits just under the token cap."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from benchmarks.constants import (
    BIG_THREAD,
    CAPPED_ROOM,
    CAPPED_THREAD,
    CAPPED_USERNAME,
    INTERACTIONS_THREAD,
    TOKEN_CAP,
    TOKENS_PER_RECORDING,
)
from benchmarks.seed import BENCH_USERNAME, Scale, SeedReport, execute
from chat import services as chat_services

T0 = "timestamptz '2026-11-01 00:00:00+00'"
THREADS_SQL = f"""
INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, updated_at)
SELECT 'thread_' || lpad(i::text, 6, '0'),
       CASE WHEN mod(i, 10) = 0 THEN %(other)s ELSE %(owner)s END,
       (ARRAY['support', 'sales', 'coder', ''])[1 + mod(i, 4)],
       'Conversation ' || i,
       jsonb_build_object('mode', (ARRAY['chat', 'full_book', 'compare'])[1 + mod(i, 3)], 'n', i),
       {T0} - i * interval '3 hours',
       {T0} - i * interval '7 minutes'
FROM generate_series(1, %(n)s) AS i
"""
# Pairs of messages share a creation time: their order then comes from `seq` (insertion order).
MESSAGES_SQL = """
INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
SELECT t.id || '_msg_' || k, t.id, 'message',
       CASE WHEN mod(k, 2) = 1 THEN 'user' ELSE 'assistant' END,
       'Message ' || k || ' of ' || t.title || ': '
         || repeat('lorem ipsum dolor sit amet ', 1 + mod(k * 7, 12)),
       CASE WHEN mod(k, 5) = 0 THEN jsonb_build_object('tokens', k * 11) ELSE '{}'::jsonb END,
       t.created_at + (k / 2) * interval '1 minute'
FROM chat_thread AS t, generate_series(1, %(per_thread)s) AS k
WHERE t.id LIKE 'thread\\_0%%'
ORDER BY t.id, k
"""
SINGLE_THREAD_SQL = f"""
INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, updated_at)
VALUES (%(id)s, %(owner)s, 'coder', %(title)s, '{{}}'::jsonb, {T0} - interval '400 days',
        {T0} - interval '400 days')
"""
BIG_MESSAGES_SQL = f"""
INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
SELECT %(id)s || '_msg_' || k, %(id)s, 'message',
       CASE WHEN mod(k, 2) = 1 THEN 'user' ELSE 'assistant' END,
       'Long conversation, message ' || k || ': '
         || repeat('consectetur adipiscing elit ', 1 + mod(k * 5, 20)),
       '{{}}'::jsonb,
       {T0} - interval '400 days' + (k / 2) * interval '1 minute'
FROM generate_series(1, %(n)s) AS k
ORDER BY k
"""
USAGE_SQL = """
INSERT INTO chat_usagedaily (user_id, day, requests, tokens_in, tokens_out, cost)
VALUES (%(user)s, %(day)s, 0, %(tokens)s, 0, 0)
"""
TABLES = ["chat_thread", "chat_message", "chat_usagedaily"]


def seed(scale: Scale, report: SeedReport) -> list[str]:
    users = get_user_model().objects
    bench = users.get(username=BENCH_USERNAME)
    other = users.filter(username__startswith="bench_author_").order_by("id").first()
    capped = users.create_user(CAPPED_USERNAME)
    execute(
        "TRUNCATE chat_thread, chat_message, chat_llmrequest, chat_llmresponse, "
        "chat_usagedaily RESTART IDENTITY CASCADE"
    )
    report.step(
        "chat threads",
        lambda: execute(THREADS_SQL, {"n": scale.threads, "owner": bench.pk, "other": other.pk}),
    )
    report.step(
        "chat messages", lambda: execute(MESSAGES_SQL, {"per_thread": scale.messages_per_thread})
    )

    def singles() -> int:
        for thread_id, owner in (
            (BIG_THREAD, bench),
            (INTERACTIONS_THREAD, bench),
            (CAPPED_THREAD, capped),
        ):
            execute(SINGLE_THREAD_SQL, {"id": thread_id, "owner": owner.pk, "title": thread_id})
        return execute(BIG_MESSAGES_SQL, {"id": BIG_THREAD, "n": scale.big_thread_messages})

    report.step("chat thread of 500", singles)
    report.extra.update(capped_user_reset())
    return TABLES


def capped_user_reset() -> dict:
    """Today's usage of the capped user: CAPPED_ROOM recordings below the cap; a new key."""
    capped = get_user_model().objects.get(username=CAPPED_USERNAME)
    execute("DELETE FROM chat_usagedaily WHERE user_id = %s", [capped.pk])
    room = TOKEN_CAP - CAPPED_ROOM * TOKENS_PER_RECORDING
    execute(USAGE_SQL, {"user": capped.pk, "day": timezone.localdate(), "tokens": room})
    _, capped_key = chat_services.api_key_create(user=capped, name="benchmarks-capped")
    return {"capped_api_key": capped_key}
