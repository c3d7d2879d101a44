"""Raw baselines of the chat scenarios."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.raw import endpoint, fetch_json
from benchmarks.sql import cursor, decode_cursor, iso, iso_json, json_text

MESSAGE_JSON = f"""json_build_object(
  'id', m.id,
  'threadId', m.thread_id,
  'type', m.type,
  'role', upper(m.role),
  'content', m.content,
  'metadata', m.metadata,
  'createdAt', {iso("m.created_at")}
)"""


# Cursors as the API makes them (config.connections.keyset.cursor_of) for each list's order.
THREAD_ORDER = "-updated_at,-id"
THREAD_CURSOR = cursor(THREAD_ORDER, iso_json("t.updated_at"), json_text("t.id"))
MESSAGE_ORDER = "created_at,seq,id"
MESSAGE_CURSOR = cursor(MESSAGE_ORDER, iso_json("m.created_at"), "m.seq::text", json_text("m.id"))


def thread_json(messages: str) -> str:
    """A thread (alias t, owner u) with `messages` (SQL of its `messages` connection)."""
    return f"""json_build_object(
      'id', t.id,
      'title', t.title,
      'agentType', t.agent_type,
      'metadata', t.metadata,
      'createdAt', {iso("t.created_at")},
      'updatedAt', {iso("t.updated_at")},
      'owner', json_build_object('id', u.id::text, 'username', u.username),
      'messages', {messages}
    )"""


# `messages(last: N) { nodes }`: the newest N, oldest first.
LAST_MESSAGES = f"""json_build_object('nodes', (
  SELECT COALESCE(json_agg({MESSAGE_JSON} ORDER BY m.created_at, m.seq, m.id), '[]'::json)
  FROM (
    SELECT * FROM chat_message
    WHERE thread_id = t.id
    ORDER BY created_at DESC, seq DESC, id DESC
    LIMIT %(last)s
  ) AS m
))"""

THREADS_SQL = f"""
WITH page AS (
  SELECT * FROM chat_thread WHERE owner_id = %(user)s
  ORDER BY updated_at DESC, id DESC
  LIMIT %(first)s + 1
), numbered AS (
  SELECT t.*, row_number() OVER (ORDER BY t.updated_at DESC, t.id DESC) AS n,
         {THREAD_CURSOR} AS cursor
  FROM page AS t
)
SELECT json_build_object('data', json_build_object('threads', json_build_object(
  'totalCount', (SELECT count(*) FROM chat_thread WHERE owner_id = %(user)s),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) > %(first)s FROM page),
    'endCursor', (SELECT t.cursor FROM numbered AS t WHERE t.n <= %(first)s
                  ORDER BY t.n DESC LIMIT 1)
  ),
  'nodes', COALESCE((
    SELECT json_agg({thread_json(LAST_MESSAGES)} ORDER BY t.n)
    FROM numbered AS t
    JOIN auth_user AS u ON u.id = t.owner_id
    WHERE t.n <= %(first)s
  ), '[]'::json)
)))::text
"""


@endpoint("threads-last-messages", perm=None)
def threads_last_messages(variables: dict, *, user, **_auth) -> str:
    """`threads` of a user who sees their own threads (not staff: no permission query)."""
    params = {"user": user.pk, "first": variables["first"], "last": variables["last"]}
    return fetch_json(THREADS_SQL, params)


# `messages(first: N, after: …) { pageInfo nodes }` of the thread t.
MESSAGES_PAGE = f"""(
  WITH page AS (
    SELECT * FROM chat_message AS m
    WHERE m.thread_id = t.id AND ({{after}})
    ORDER BY m.created_at, m.seq, m.id
    LIMIT %(first)s + 1
  ), numbered AS (
    SELECT m.*, row_number() OVER (ORDER BY m.created_at, m.seq, m.id) AS n,
           {MESSAGE_CURSOR} AS cursor
    FROM page AS m
  )
  SELECT json_build_object(
    'pageInfo', json_build_object(
      'hasNextPage', (SELECT count(*) > %(first)s FROM page),
      'endCursor', (SELECT m.cursor FROM numbered AS m WHERE m.n <= %(first)s
                    ORDER BY m.n DESC LIMIT 1)
    ),
    'nodes', COALESCE((SELECT json_agg({MESSAGE_JSON} ORDER BY m.n)
                       FROM numbered AS m WHERE m.n <= %(first)s), '[]'::json)
  )
)"""

THREAD_SQL = f"""
SELECT json_build_object('data', json_build_object('thread', (
  SELECT {thread_json(MESSAGES_PAGE)}
  FROM chat_thread AS t JOIN auth_user AS u ON u.id = t.owner_id
  WHERE t.id = %(id)s AND t.owner_id = %(user)s
)))::text
"""
AFTER_MESSAGE = "(m.created_at, m.seq, m.id) > (%(at)s::timestamptz, %(seq)s, %(after_id)s)"


@endpoint("thread-messages", perm=None)
def thread_messages(variables: dict, *, user, **_auth) -> str:
    """`thread` with a page of its messages (`first`, and `after` a cursor of the API's)."""
    params = {"user": user.pk, "id": variables["id"], "first": variables["first"]}
    after = "true"
    if variables.get("after"):
        params["at"], params["seq"], params["after_id"] = decode_cursor(
            variables["after"], MESSAGE_ORDER
        )
        after = AFTER_MESSAGE
    return fetch_json(THREAD_SQL.format(after=after), params)


@endpoint("thread-cursors", perm=None)
def thread_cursors(variables: dict, *, user, **_auth) -> str:
    """The `after` of each of the first `pages` pages of `first` messages of a thread (null for
    the first page): {"cursors": [null, "...", …], "messages": n}."""
    sql = f"""
        SELECT json_build_object(
          'cursors', (SELECT json_agg(c.cursor ORDER BY c.n) FROM (
                        SELECT row_number() OVER (ORDER BY m.created_at, m.seq, m.id) AS n,
                               {MESSAGE_CURSOR} AS cursor
                        FROM chat_message AS m WHERE m.thread_id = t.id
                      ) AS c
                      WHERE c.n %% %(first)s = 0 AND c.n < %(first)s * %(pages)s),
          'messages', (SELECT count(*) FROM chat_message AS m WHERE m.thread_id = t.id)
        )::text
        FROM chat_thread AS t WHERE t.id = %(id)s AND t.owner_id = %(user)s
    """
    params = {**variables, "user": user.pk}
    answer = json.loads(fetch_json(sql, params))
    answer["cursors"] = [None, *(answer["cursors"] or [])]
    return json.dumps(answer)


USAGE_SQL = """
INSERT INTO chat_usagedaily AS u (user_id, day, requests, tokens_in, tokens_out, cost)
SELECT %(user)s, %(day)s, %(requests)s, %(tokens_in)s, %(tokens_out)s, %(cost)s
WHERE (%(cap)s::bigint IS NULL OR %(tokens_in)s + %(tokens_out)s <= %(cap)s)
ON CONFLICT (user_id, day) DO UPDATE SET
  requests = u.requests + EXCLUDED.requests,
  tokens_in = u.tokens_in + EXCLUDED.tokens_in,
  tokens_out = u.tokens_out + EXCLUDED.tokens_out,
  cost = u.cost + EXCLUDED.cost
WHERE (%(cap)s::bigint IS NULL
       OR u.tokens_in + u.tokens_out + EXCLUDED.tokens_in + EXCLUDED.tokens_out <= %(cap)s)
RETURNING id
"""

RECORD_SQL = f"""
WITH thread AS (
  UPDATE chat_thread SET updated_at = greatest(updated_at, clock_timestamp())
  WHERE id = %(thread)s AND owner_id = %(user)s
  RETURNING id, updated_at
), asked AS (
  INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at,
                            recording_sha256, answer_id)
  SELECT %(user_id)s, t.id, %(user_type)s, 'user', %(user_content)s, %(user_meta)s::jsonb,
         statement_timestamp(), %(recording)s, %(assistant_id)s
  FROM thread AS t
  RETURNING *
), calls AS (
  SELECT nextval(pg_get_serial_sequence('chat_llmrequest', 'id')) AS id, c.*
  FROM unnest(%(providers)s::text[], %(models)s::text[], %(tokens_in)s::int[],
              %(tokens_out)s::int[], %(costs)s::numeric[], %(latencies)s::int[],
              %(errors)s::text[]) WITH ORDINALITY
       AS c(provider, model, tokens_in, tokens_out, cost, latency_ms, error, n)
), requests AS (
  INSERT INTO chat_llmrequest (id, user_id, api_key_id, thread_id, message_id, provider, model,
                               route_mode, prompt_sha256, prompt_text, created_at)
  SELECT c.id, %(user)s, %(key)s, a.thread_id, a.id, c.provider, c.model, %(route)s,
         %(sha)s, NULL, a.created_at
  FROM calls AS c, asked AS a
  RETURNING id
), responses AS (
  INSERT INTO chat_llmresponse (request_id, tokens_in, tokens_out, cost, latency_ms, error,
                                created_at)
  SELECT c.id, c.tokens_in, c.tokens_out, round(c.cost, 6), c.latency_ms, c.error,
         a.created_at
  FROM calls AS c, asked AS a
  RETURNING request_id, cost
), answered AS (
  INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
  SELECT %(assistant_id)s, t.id, %(assistant_type)s, 'assistant', %(assistant_content)s,
         %(assistant_meta)s::jsonb, clock_timestamp()
  FROM thread AS t
  RETURNING *
)
SELECT json_build_object('data', json_build_object('interactionRecord', json_build_object(
  '__typename', 'InteractionRecordResult',
  'thread', (SELECT json_build_object('id', t.id, 'updatedAt', {iso("t.updated_at")})
             FROM thread AS t),
  'userMessage', (SELECT {MESSAGE_JSON} FROM asked AS m),
  'assistantMessage', (SELECT {MESSAGE_JSON} FROM answered AS m),
  'requests', (
    SELECT json_agg(json_build_object(
      'id', c.id::text,
      'provider', c.provider,
      'model', c.model,
      'routeMode', %(route)s,
      'promptSha256', %(sha)s,
      'tokensIn', c.tokens_in,
      'tokensOut', c.tokens_out,
      'cost', (SELECT r.cost::text FROM responses AS r WHERE r.request_id = c.id),
      'error', c.error
    ) ORDER BY c.n)
    FROM calls AS c WHERE EXISTS (SELECT 1 FROM requests AS q WHERE q.id = c.id)
  )
)))::text
"""

CAP_REACHED = {
    "data": {
        "interactionRecord": {
            "__typename": "OperationInfo",
            "messages": [{"kind": "VALIDATION", "field": None, "message": "Daily cap reached."}],
        }
    }
}


@endpoint("interaction-record", perm=None)
def interaction_record(variables: dict, *, user, api_key, **_auth) -> str:
    """The same rows as interactionRecord (messages with the prompt's fingerprint and answer
    link, requests, responses, thread, usage) in one transaction: the usage upsert with the
    cap, then one statement for the rest."""
    data = variables["input"]
    calls = data["calls"]
    costs = [Decimal(str(call.get("cost", 0))) for call in calls]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            USAGE_SQL,
            {
                "user": user.pk,
                "day": timezone.localdate(),
                "requests": len(calls),
                "tokens_in": sum(call.get("tokensIn", 0) for call in calls),
                "tokens_out": sum(call.get("tokensOut", 0) for call in calls),
                "cost": sum(costs, Decimal(0)),
                "cap": settings.DAILY_TOKEN_CAP,
            },
        )
        if cursor.fetchone() is None:
            return json.dumps(CAP_REACHED)
        asked, answered = data["userMessage"], data["assistantMessage"]
        cursor.execute(
            RECORD_SQL,
            {
                "user": user.pk,
                "key": api_key.pk,
                "thread": data["threadId"],
                "route": data.get("routeMode", ""),
                "sha": hashlib.sha256(data["prompt"].encode()).hexdigest(),
                # What a retry must match (the GraphQL service keeps such a fingerprint too).
                "recording": hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
                "user_id": asked["id"],
                "user_type": asked.get("type", "message"),
                "user_content": asked["content"],
                "user_meta": json.dumps(asked.get("metadata") or {}),
                "assistant_id": answered["id"],
                "assistant_type": answered.get("type", "message"),
                "assistant_content": answered["content"],
                "assistant_meta": json.dumps(answered.get("metadata") or {}),
                "providers": [call["provider"] for call in calls],
                "models": [call["model"] for call in calls],
                "tokens_in": [call.get("tokensIn", 0) for call in calls],
                "tokens_out": [call.get("tokensOut", 0) for call in calls],
                "costs": costs,
                "latencies": [call.get("latencyMs") for call in calls],
                "errors": [call.get("error", "") for call in calls],
            },
        )
        return cursor.fetchone()[0]


@endpoint("usage-check", perm=None)
def usage_check(variables: dict, *, user, **_auth) -> str:
    """Today's usage row of the caller next to the sums of what was recorded (exactness)."""
    sql = """
        SELECT json_build_object(
          'usage', (SELECT json_build_object('requests', requests,
                                             'tokens', tokens_in + tokens_out)
                    FROM chat_usagedaily WHERE user_id = %(user)s AND day = %(day)s),
          'recorded', (SELECT json_build_object('requests', count(*),
                                                'tokens', COALESCE(sum(r.tokens_in
                                                                       + r.tokens_out), 0))
                       FROM chat_llmrequest AS q JOIN chat_llmresponse AS r
                         ON r.request_id = q.id
                       WHERE q.user_id = %(user)s)
        )::text
    """
    return fetch_json(sql, {"user": user.pk, "day": timezone.localdate()})
