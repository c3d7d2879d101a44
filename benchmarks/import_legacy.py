"""Import rate of `import_legacy agent-chat` and `veritas-monitoring`: legacy sessions,
messages and logs built in a `bench_legacy` schema of the development database, imported,
timed, then removed.

    DJANGO_DEBUG=1 .venv/bin/python manage.py migrate
    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.import_legacy --messages 100000 --logs 1000000
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
    parser.add_argument("--logs", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from chat.models import Thread
    from config.models import LegacyImportMark
    from monitoring.models import MonitoringLog

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
            CREATE TABLE {SCHEMA}.monitoring_logs (id SERIAL PRIMARY KEY, timestamp TIMESTAMP,
                level VARCHAR(20), source VARCHAR(100), message TEXT, metadata JSONB);
            INSERT INTO {SCHEMA}.monitoring_logs (timestamp, level, source, message, metadata)
            SELECT timestamp '2025-01-01' + g * interval '1 second',
                   (ARRAY['DEBUG', 'INFO', 'WARNING', 'ERROR'])[1 + g %% 4],
                   'service-' || (g %% 20), 'request ' || md5(g::text),
                   jsonb_build_object('n', g)
            FROM generate_series(1, %(logs)s) g;
        """,
            {"sessions": args.sessions, "messages": args.messages, "logs": args.logs},
        )
    owner, _ = get_user_model().objects.get_or_create(username="bench-legacy-owner")
    systems = {"agent-chat": args.sessions + args.messages, "veritas-monitoring": args.logs}
    LegacyImportMark.objects.filter(system__in=systems).delete()
    try:
        for system, rows in systems.items():
            if not rows:
                continue
            started = time.perf_counter()
            out = io.StringIO()
            call_command(
                "import_legacy",
                system,
                "--source-schema",
                SCHEMA,
                "--owner",
                owner.username,
                "--no-progress",
                stdout=out,
            )
            elapsed = time.perf_counter() - started
            print(out.getvalue().strip())
            print(f"{system}: {rows} rows in {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s")
    finally:
        Thread.objects.filter(owner=owner).delete()
        MonitoringLog.objects.filter(client_id__startswith="monitoring_logs:").delete()
        LegacyImportMark.objects.filter(system__in=systems).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()
