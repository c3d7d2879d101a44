"""Import rate of `import_legacy agent-chat`, `veritas-monitoring`, `veritas-dashboard` and
`veritas-dropout`: legacy sessions, messages, logs, students, assessment logs and learning
events built in a `bench_legacy` schema of the development database, imported, timed, then
removed.

    DJANGO_DEBUG=1 .venv/bin/python manage.py migrate
    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.import_legacy --messages 100000 --logs 1000000
    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.import_legacy --messages 0 --students 10000 \
        --attempts 100000 --events 200000
"""

from __future__ import annotations

import argparse
import io
import os
import time

SCHEMA = os.environ.get("BENCH_LEGACY_SCHEMA", "bench_legacy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--logs", type=int, default=0)
    parser.add_argument("--students", type=int, default=0, help="of each education system")
    parser.add_argument("--attempts", type=int, default=0, help="dashboard assessment logs")
    parser.add_argument("--events", type=int, default=0, help="dropout learning events")
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
    from students.models import ConceptModule, Student

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
            CREATE TABLE {SCHEMA}.concept_modules (id SERIAL PRIMARY KEY, concept_id VARCHAR(50),
                name VARCHAR(255), order_index INT);
            INSERT INTO {SCHEMA}.concept_modules (concept_id, name, order_index)
            SELECT 'benchmod' || g, 'Bench module ' || g, g FROM generate_series(1, 10) g;
            CREATE TABLE {SCHEMA}.students (id SERIAL PRIMARY KEY, student_id VARCHAR(50),
                name VARCHAR(255), email VARCHAR(255), status VARCHAR(20), created_at TIMESTAMP);
            INSERT INTO {SCHEMA}.students (student_id, name, email, status, created_at)
            SELECT 'bench' || g, 'Bench student ' || g, 'bench' || g || '@example.com',
                   'active', timestamp '2024-09-01' + g * interval '1 minute'
            FROM generate_series(1, %(students)s) g;
            CREATE TABLE {SCHEMA}.assessment_logs (id SERIAL PRIMARY KEY,
                student_id VARCHAR(50), concept_id VARCHAR(50), assessment_type VARCHAR(20),
                title VARCHAR(255), score FLOAT, max_score FLOAT, timestamp TIMESTAMP);
            INSERT INTO {SCHEMA}.assessment_logs (student_id, concept_id, assessment_type, title,
                score, max_score, timestamp)
            SELECT 'bench' || (1 + g %% %(students)s), 'benchmod' || (1 + g %% 10), 'quiz',
                   'Quiz ' || (g %% 3), g %% 11, 10,
                   timestamp '2025-01-01' + g * interval '1 minute'
            FROM generate_series(1, %(attempts)s) g;
            CREATE TABLE {SCHEMA}.dropout_students (id SERIAL PRIMARY KEY,
                student_id VARCHAR(50), name VARCHAR(255), email VARCHAR(255),
                enrollment_date TIMESTAMP);
            INSERT INTO {SCHEMA}.dropout_students (student_id, name, email, enrollment_date)
            SELECT student_id, name, email, created_at FROM {SCHEMA}.students;
            CREATE TABLE {SCHEMA}.dropout_learning_events (id SERIAL PRIMARY KEY,
                student_id VARCHAR(50), event_type VARCHAR(50), concept_id VARCHAR(50),
                timestamp TIMESTAMP, duration_seconds INT, metadata JSON);
            INSERT INTO {SCHEMA}.dropout_learning_events (student_id, event_type, concept_id,
                timestamp, duration_seconds, metadata)
            SELECT 'bench' || (1 + g %% %(students)s),
                   (ARRAY['login', 'page_view', 'quiz_attempt', 'submission'])[1 + g %% 4],
                   CASE WHEN g %% 4 > 0 THEN 'benchmod' || (1 + g %% 10) END,
                   timestamp '2025-01-01' + g * interval '1 second', g %% 900,
                   json_build_object('n', g)
            FROM generate_series(1, %(events)s) g;
        """,
            {
                "sessions": args.sessions,
                "messages": args.messages,
                "logs": args.logs,
                "students": args.students,
                "attempts": args.attempts,
                "events": args.events,
            },
        )
    owner, _ = get_user_model().objects.get_or_create(username="bench-legacy-owner")
    education = args.students and args.students + args.attempts
    systems = {
        "agent-chat": args.messages and args.sessions + args.messages,
        "veritas-monitoring": args.logs,
        "veritas-dashboard": education and 10 + education,
        "veritas-dropout": args.students and args.students + args.events,
    }
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
        Student.objects.filter(code__startswith="bench").delete()
        ConceptModule.objects.filter(code__startswith="benchmod").delete()
        LegacyImportMark.objects.filter(system__in=systems).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()
