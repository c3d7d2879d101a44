"""--archive: the legacy tables move to the `legacy_archive` schema and read-only views under
their old names and columns answer over the service's tables; --unarchive undoes it."""

from __future__ import annotations

from django.db import connection, transaction
from psycopg import sql

ARCHIVE_SCHEMA = "legacy_archive"

# A system's threads (agent chat, ChatKit, LLM CLI all import into chat_thread) are the threads
# of its users: for agent-chat and chatkit the owner(s) of its imported threads (the --owner
# of the import, a user each system's clients then use), for llm-cli the users of its legacy
# emails. So a saved query sees the system's imported rows and those its users created since,
# never another system's.
AGENT_CHAT_USERS = (
    f"SELECT t.owner_id FROM chat_thread t JOIN {ARCHIVE_SCHEMA}.chat_sessions l "
    "ON l.session_id = t.id"
)
CHATKIT_USERS = (
    f"SELECT t.owner_id FROM chat_thread t JOIN {ARCHIVE_SCHEMA}.threads l ON l.id = t.id"
)
LLM_CLI_USERS = f"SELECT u.id FROM auth_user u JOIN {ARCHIVE_SCHEMA}.users l ON l.email = u.email"


def _threads_of(users: str) -> str:
    return f"SELECT id FROM chat_thread WHERE owner_id IN ({users})"


# system -> {legacy table: SELECT answering with its old columns}
VIEWS = {
    "agent-chat": {
        "chat_sessions": "SELECT id AS session_id, agent_type, created_at, updated_at "
        f"FROM chat_thread WHERE owner_id IN ({AGENT_CHAT_USERS})",
        "chat_messages": "SELECT seq AS id, thread_id AS session_id, role, content, created_at "
        f"FROM chat_message WHERE thread_id IN ({_threads_of(AGENT_CHAT_USERS)})",
    },
    "chatkit": {
        "threads": "SELECT id, created_at, metadata FROM chat_thread "
        f"WHERE owner_id IN ({CHATKIT_USERS})",
        "thread_items": "SELECT id, thread_id, type, role, content, created_at FROM chat_message "
        f"WHERE thread_id IN ({_threads_of(CHATKIT_USERS)})",
    },
    "llm-cli": {
        "users": "SELECT id, email, date_joined AS created_at FROM auth_user "
        f"WHERE id IN ({LLM_CLI_USERS})",
        "sessions": "SELECT id, owner_id AS user_id, created_at, updated_at FROM chat_thread "
        f"WHERE owner_id IN ({LLM_CLI_USERS})",
        "messages": "SELECT seq AS id, thread_id AS session_id, role, content, created_at "
        f"FROM chat_message WHERE thread_id IN ({_threads_of(LLM_CLI_USERS)})",
        "api_keys": "SELECT id, user_id, name, created_at, expires_at, revoked_at, "
        f"last_used_at FROM chat_apikey WHERE user_id IN ({LLM_CLI_USERS})",
        "user_preferences": "SELECT user_id, key, value, updated_at FROM chat_userpreference "
        f"WHERE user_id IN ({LLM_CLI_USERS})",
        "context_snapshots": "SELECT id, thread_id AS session_id, user_id, context, created_at "
        f"FROM chat_contextsnapshot WHERE user_id IN ({LLM_CLI_USERS})",
        "llm_requests": "SELECT id, user_id, thread_id AS session_id, message_id, provider, "
        f"model, route_mode, prompt_sha256, created_at FROM chat_llmrequest "
        f"WHERE user_id IN ({LLM_CLI_USERS})",
        "llm_responses": "SELECT id, request_id, tokens_in, tokens_out, cost, latency_ms, error, "
        "created_at FROM chat_llmresponse WHERE request_id IN "
        f"(SELECT id FROM chat_llmrequest WHERE user_id IN ({LLM_CLI_USERS}))",
        "usage_daily": "SELECT id, user_id, day AS usage_date, requests, tokens_in, tokens_out, "
        f"cost FROM chat_usagedaily WHERE user_id IN ({LLM_CLI_USERS})",
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
    "veritas-dashboard": {
        "concept_modules": 'SELECT id, code AS concept_id, title AS name, "order" AS order_index '
        "FROM students_conceptmodule",
        "students": "SELECT id, code AS student_id, name, email, status, enrolled_at, "
        "created_at, updated_at FROM students_student",
        "drafts": "SELECT d.id, s.code AS student_id, m.code AS concept_id, d.content, d.status, "
        "d.feedback, d.due_at, d.submitted_at, d.reviewed_at, d.created_at "
        "FROM students_draft d JOIN students_student s ON s.id = d.student_id "
        "JOIN students_conceptmodule m ON m.id = d.module_id",
        "assessment_logs": "SELECT h.id, s.code AS student_id, m.code AS concept_id, "
        "a.kind AS assessment_type, a.title, h.score, h.max_score, h.taken_at AS timestamp "
        "FROM students_attempthistory h JOIN students_assessment a ON a.id = h.assessment_id "
        "JOIN students_student s ON s.id = h.student_id "
        "JOIN students_conceptmodule m ON m.id = a.module_id",
        "action_logs": "SELECT id, actor_label AS actor, action, target_type, target_id, "
        "payload AS details, at AS timestamp FROM students_actionlog",
        "performance_records": "SELECT p.id, s.code AS student_id, m.code AS concept_id, "
        "p.mastery AS mastery_level, p.average_score, p.completion AS completion_rate, "
        "p.attempt_count, p.event_count, p.updated_at AS last_updated "
        "FROM students_performancerecord p JOIN students_student s ON s.id = p.student_id "
        "JOIN students_conceptmodule m ON m.id = p.module_id",
    },
    "veritas-dropout": {
        "dropout_students": "SELECT id, code AS student_id, name, email, "
        "enrolled_at AS enrollment_date, status, created_at FROM students_student",
        "dropout_learning_events": "SELECT e.id, s.code AS student_id, e.event_type, "
        "m.code AS concept_id, e.occurred_at AS timestamp, e.duration_s AS duration_seconds, "
        "e.metadata FROM students_learningevent e JOIN students_student s ON s.id = e.student_id "
        "LEFT JOIN students_conceptmodule m ON m.id = e.module_id",
        "dropout_assessments": "SELECT a.id, s.code AS student_id, m.code AS concept_id, "
        "a.kind AS assessment_type, a.title, a.score, a.max_score, a.taken_at, a.attempt_count "
        "FROM students_assessment a JOIN students_student s ON s.id = a.student_id "
        "JOIN students_conceptmodule m ON m.id = a.module_id",
        "dropout_attempt_history": "SELECT h.id, h.assessment_id, s.code AS student_id, "
        "h.attempt_number, h.score, h.max_score, h.taken_at AS attempted_at "
        "FROM students_attempthistory h JOIN students_student s ON s.id = h.student_id",
        "dropout_feature_sets": "SELECT f.id, s.code AS student_id, f.features, "
        "f.feature_version, f.window_start, f.window_end, f.computed_at "
        "FROM students_featureset f JOIN students_student s ON s.id = f.student_id",
        "dropout_predictions": "SELECT p.id, s.code AS student_id, p.feature_set_id, "
        "p.risk_score, p.risk_band AS risk_level, p.model_version, p.top_factors, p.as_of, "
        "p.predicted_at FROM students_dropoutprediction p "
        "JOIN students_student s ON s.id = p.student_id",
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
