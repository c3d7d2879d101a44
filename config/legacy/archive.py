"""--archive: the legacy tables move to the `legacy_archive` schema and read-only views under
their old names and columns answer over the service's tables; --unarchive undoes it."""

from __future__ import annotations

from django.db import connection, transaction
from psycopg import sql

ARCHIVE_SCHEMA = "legacy_archive"

# system -> {legacy table: SELECT answering with its old columns}
VIEWS = {
    "agent-chat": {
        "chat_sessions": "SELECT id AS session_id, agent_type, created_at, updated_at "
        "FROM chat_thread",
        "chat_messages": "SELECT seq AS id, thread_id AS session_id, role, content, created_at "
        "FROM chat_message",
    },
    "chatkit": {
        "threads": "SELECT id, created_at, metadata FROM chat_thread",
        "thread_items": "SELECT id, thread_id, type, role, content, created_at FROM chat_message",
    },
    "llm-cli": {
        "users": "SELECT id, email, date_joined AS created_at FROM auth_user",
        "sessions": "SELECT id, owner_id AS user_id, created_at, updated_at FROM chat_thread",
        "messages": "SELECT seq AS id, thread_id AS session_id, role, content, created_at "
        "FROM chat_message",
        "api_keys": "SELECT id, user_id, name, created_at, expires_at, revoked_at, "
        "last_used_at FROM chat_apikey",
        "user_preferences": "SELECT user_id, key, value, updated_at FROM chat_userpreference",
        "context_snapshots": "SELECT id, thread_id AS session_id, user_id, context, created_at "
        "FROM chat_contextsnapshot",
        "llm_requests": "SELECT id, user_id, thread_id AS session_id, message_id, provider, "
        "model, route_mode, prompt_sha256, created_at FROM chat_llmrequest",
        "llm_responses": "SELECT id, request_id, tokens_in, tokens_out, cost, latency_ms, error, "
        "created_at FROM chat_llmresponse",
        "usage_daily": "SELECT id, user_id, day AS usage_date, requests, tokens_in, tokens_out, "
        "cost FROM chat_usagedaily",
    },
    "veritas-monitoring": {
        "monitoring_logs": "SELECT id, timestamp, upper(CASE level WHEN 10 THEN 'debug' "
        "WHEN 20 THEN 'info' WHEN 30 THEN 'warning' WHEN 40 THEN 'error' ELSE 'critical' END) "
        "AS level, source, message, context, received_at AS created_at "
        "FROM monitoring_monitoringlog",
        "monitoring_results": "SELECT id, target, check_name, status, score, details, "
        "created_at FROM monitoring_monitoringresult",
        "system_health": "SELECT id, component, status, latency_ms, details, checked_at "
        "FROM monitoring_systemhealth",
    },
    "learn": {
        "aicmo_learn_items": "SELECT id, kind, filename, size_bytes, notes, tags, created_at "
        "FROM learn_learnitem",
    },
}

READ_ONLY_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION {ARCHIVE_SCHEMA}.read_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is a read-only view over this service: write through its API',
            TG_TABLE_NAME;
    END $$
"""


def _exists(cursor, schema: str, name: str, kind: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind = %s",
        [schema, name, kind],
    )
    return cursor.fetchone() is not None


@transaction.atomic
def archive(system: str, *, schema: str = "public") -> list[str]:
    """Move the system's tables to legacy_archive and put views in their place."""
    done = []
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
        cursor.execute(READ_ONLY_FUNCTION)
        for table, select in VIEWS[system].items():
            if _exists(cursor, schema, table, "r"):
                cursor.execute(
                    sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        sql.Identifier(schema, table), sql.Identifier(ARCHIVE_SCHEMA)
                    )
                )
            else:
                continue  # already archived, or never there (no view under a name not used)
            view = sql.Identifier(schema, table)
            cursor.execute(sql.SQL("CREATE VIEW {} AS ").format(view) + sql.SQL(select))
            cursor.execute(
                sql.SQL(
                    "CREATE TRIGGER read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON {} "
                    "FOR EACH ROW EXECUTE FUNCTION {}.read_only()"
                ).format(view, sql.Identifier(ARCHIVE_SCHEMA))
            )
            done.append(table)
    return done


@transaction.atomic
def unarchive(system: str, *, schema: str = "public") -> list[str]:
    """Drop the views and move the archived tables back."""
    done = []
    with connection.cursor() as cursor:
        for table in VIEWS[system]:
            if _exists(cursor, schema, table, "v"):
                cursor.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(schema, table)))
            if _exists(cursor, ARCHIVE_SCHEMA, table, "r"):
                cursor.execute(
                    sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        sql.Identifier(ARCHIVE_SCHEMA, table), sql.Identifier(schema)
                    )
                )
                done.append(table)
    return done
