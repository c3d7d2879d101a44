"""Import rate of `import_legacy agent-chat`: legacy sessions and messages built in a
`bench_legacy` schema of the development database, imported, timed, then removed.

    DJANGO_DEBUG=1 .venv/bin/python manage.py migrate
    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.import_legacy --messages 100000
"""

from __future__ import annotations

import argparse
import io
import os
import time

SCHEMA = "bench_legacy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from chat.models import Thread
    from config.models import LegacyImportMark

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        cursor.execute(
            f"""
            CREATE TABLE {SCHEMA}.chat_sessions (session_id VARCHAR(100) PRIMARY KEY,
                agent_type VARCHAR(100), created_at TIMESTAMP, updated_at TIMESTAMP);
            CREATE TABLE {SCHEMA}.chat_messages (id SERIAL PRIMARY KEY,
                session_id VARCHAR(100), role VARCHAR(20), content TEXT, created_at TIMESTAMP);
            INSERT INTO {SCHEMA}.chat_sessions
            SELECT 'bench session ' || g, 'inventory_intelligence',
                   timestamp '2025-01-01' + g * interval '1 minute',
                   timestamp '2025-01-01' + g * interval '1 minute'
            FROM generate_series(1, %(sessions)s) g;
            INSERT INTO {SCHEMA}.chat_messages (session_id, role, content, created_at)
            SELECT 'bench session ' || (1 + g %% %(sessions)s),
                   CASE WHEN g %% 2 = 0 THEN 'user' ELSE 'model' END,
                   md5(g::text) || ' ' || md5((g + 1)::text),
                   timestamp '2025-01-01' + g * interval '1 second'
            FROM generate_series(1, %(messages)s) g;
        """,
            {"sessions": args.sessions, "messages": args.messages},
        )
    owner, _ = get_user_model().objects.get_or_create(username="bench-legacy-owner")
    LegacyImportMark.objects.filter(system="agent-chat").delete()
    try:
        started = time.perf_counter()
        out = io.StringIO()
        call_command(
            "import_legacy",
            "agent-chat",
            "--source-schema",
            SCHEMA,
            "--owner",
            owner.username,
            "--no-progress",
            stdout=out,
        )
        elapsed = time.perf_counter() - started
        print(out.getvalue().strip())
        rows = args.sessions + args.messages
        print(f"{rows} rows in {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s")
    finally:
        Thread.objects.filter(owner=owner).delete()
        LegacyImportMark.objects.filter(system="agent-chat").delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()
