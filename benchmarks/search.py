"""Thread search with a 300,000-message thread present: the `threads(filters: {search})`
request timed in-process (Django's test client: the real URL, middleware and API key) on
threads seeded into the development database, then removed.

    DJANGO_DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python -m benchmarks.search [--threads 1000 --messages 50 --big 300000]
                                          [--no-limits] [--keep] [--reuse]

The seeded user owns --threads threads of --messages messages (every one with "lorem") and
one thread of --big messages (none with "lorem"). Each search is sent once to warm up, then
timed best of --rounds. With the production limits (the default) a search past the
statement timeout answers STATEMENT_TIMEOUT and is reported so; --no-limits lifts the
statement timeout and the request deadline for this process, to time a slow plan to its end.
"""

from __future__ import annotations

import argparse
import json
import os
import time

PREFIX = "bench_search_"
USERNAME = "bench-search"
# (label, search text): what each one matches in the seeded data.
SEARCHES = [
    ("common word, not in the big thread", "lorem"),
    ("word in every message", "message"),
    ("word only in the big thread", "consectetur"),
    ("phrase only in the big thread", '"long conversation"'),
    ("two common words, no message has both", "lorem -ipsum"),
    ("only an excluded word", "-lorem"),
    ("word in no message", "nowhere"),
]
QUERY = (
    "query ($filters: ThreadFilter) { threads(filters: $filters) { totalCount results { id } } }"
)

THREADS_SQL = f"""
INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, updated_at)
SELECT '{PREFIX}' || lpad(i::text, 6, '0'), %(owner)s, 'support', 'Conversation ' || i, '{{}}',
       timestamptz '2026-11-01' - i * interval '3 hours',
       timestamptz '2026-11-01' - i * interval '7 minutes'
FROM generate_series(1, %(threads)s) AS i
"""
MESSAGES_SQL = f"""
INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
SELECT t.id || '_' || k, t.id, 'message', 'user',
       'Message ' || k || ' of ' || t.title || ': '
         || repeat('lorem ipsum dolor sit amet ', 1 + mod(k * 7, 12)),
       '{{}}', t.created_at + k * interval '1 minute'
FROM chat_thread AS t, generate_series(1, %(messages)s) AS k
WHERE t.id LIKE '{PREFIX}0%%'
"""
BIG_SQL = f"""
INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, updated_at)
VALUES ('{PREFIX}big', %(owner)s, 'coder', 'big', '{{}}', timestamptz '2025-10-01',
        timestamptz '2025-10-01');
INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at)
SELECT '{PREFIX}big_' || k, '{PREFIX}big', 'message', 'user',
       'Long conversation, message ' || k || ': '
         || repeat('consectetur adipiscing elit ', 1 + mod(k * 5, 20)),
       '{{}}', timestamptz '2025-10-01' + k * interval '1 second'
FROM generate_series(1, %(big)s) AS k
"""
REMOVE_SQL = f"""
DELETE FROM chat_message WHERE thread_id LIKE '{PREFIX}%%';
DELETE FROM chat_thread WHERE id LIKE '{PREFIX}%%'
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1_000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--big", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-limits", action="store_true", help="no statement timeout/deadline")
    parser.add_argument("--keep", action="store_true", help="keep the seeded threads")
    parser.add_argument("--reuse", action="store_true", help="use threads kept by --keep")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmarks-search")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    if args.no_limits:
        os.environ["DB_REQUEST_TIMEOUT"] = "0"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections, connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    from chat import services

    def lift_statement_timeout(connection, **kwargs) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")

    if args.no_limits:
        connection_created.connect(lift_statement_timeout)

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        if not args.reuse:
            started = time.perf_counter()
            cursor.execute(REMOVE_SQL)
            values = {"owner": user.pk, **vars(args)}
            for sql in (THREADS_SQL, MESSAGES_SQL, BIG_SQL):
                cursor.execute(sql, values)
            cursor.execute("ANALYZE chat_thread")
            cursor.execute("ANALYZE chat_message")
            print(
                f"seeded {args.threads} threads x {args.messages} messages and one of "
                f"{args.big:,} in {time.perf_counter() - started:.1f} s"
            )
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    connection.close()  # the next connection gets the role's limits (or none, --no-limits)
    _, key = services.api_key_create(user=user, name="benchmarks-search")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    print(
        f"PostgreSQL {version}; limits: "
        f"{'none' if args.no_limits else 'production (statement timeout, request deadline)'}"
    )
    print(f"{'search':<42} {'text':<22} {'threads':>7} {'best ms':>9}  answer")
    try:
        for label, text in SEARCHES:
            best, answer = None, ""
            for _ in range(args.rounds + 1):  # the first one warms up
                started = time.perf_counter()
                response = client.post(
                    "/graphql/",
                    {"query": QUERY, "variables": {"filters": {"search": text}}},
                    content_type="application/json",
                )
                took = (time.perf_counter() - started) * 1000
                close_old_connections()  # as the server does after each request
                body = json.loads(response.content)
                if body.get("errors"):
                    answer = body["errors"][0].get("extensions", {}).get("code", "error")
                    total = "-"
                else:
                    answer, total = "ok", body["data"]["threads"]["totalCount"]
                best = took if best is None else min(best, took)
            print(f"{label:<42} {text:<22} {total:>7} {best:>9.1f}  {answer}")
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            services_key_prefix = key.split("_")[1]
            cursor.execute("DELETE FROM chat_apikey WHERE prefix = %s", [services_key_prefix])
            if not args.keep:
                cursor.execute(REMOVE_SQL)


if __name__ == "__main__":
    main()
