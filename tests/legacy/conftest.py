"""A legacy database to import from: the test database's `legacy_src` schema, built from the
legacy systems' DDL (exact where the notes give it, plausible where they give column names)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

SCHEMA = "legacy_src"

DDL = f"""
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.chat_sessions (
    session_id VARCHAR(100) PRIMARY KEY, agent_type VARCHAR(100),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP,
    client_ip TEXT);
CREATE TABLE {SCHEMA}.chat_messages (
    id SERIAL PRIMARY KEY, session_id VARCHAR(100) REFERENCES {SCHEMA}.chat_sessions,
    role VARCHAR(20), content TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.threads (
    id VARCHAR(100) PRIMARY KEY, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    metadata JSONB);
CREATE TABLE {SCHEMA}.thread_items (
    id VARCHAR(100) PRIMARY KEY, thread_id VARCHAR(100) REFERENCES {SCHEMA}.threads(id),
    type VARCHAR(20), role VARCHAR(20), content TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.aicmo_learn_items (
    id SERIAL PRIMARY KEY, kind TEXT NOT NULL, filename TEXT, size_bytes BIGINT, notes TEXT,
    tags JSONB, created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.monitoring_logs (
    id SERIAL PRIMARY KEY, timestamp TIMESTAMP NOT NULL, level VARCHAR(20), source VARCHAR(200),
    message TEXT, metadata TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, host TEXT);
CREATE TABLE {SCHEMA}.users (
    id UUID PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.sessions (
    id UUID PRIMARY KEY, user_id UUID REFERENCES {SCHEMA}.users, title TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.messages (
    id BIGSERIAL PRIMARY KEY, session_id UUID REFERENCES {SCHEMA}.sessions, role TEXT NOT NULL,
    content TEXT, created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.usage_daily (
    id BIGSERIAL PRIMARY KEY, user_id UUID REFERENCES {SCHEMA}.users, usage_date DATE NOT NULL,
    request_count INT DEFAULT 0, input_tokens BIGINT DEFAULT 0, output_tokens BIGINT DEFAULT 0,
    cost_usd NUMERIC(12, 6) DEFAULT 0, UNIQUE (user_id, usage_date));
CREATE TABLE {SCHEMA}.api_keys (
    id SERIAL PRIMARY KEY, user_id UUID REFERENCES {SCHEMA}.users, key_hash TEXT NOT NULL,
    name TEXT, created_at TIMESTAMPTZ DEFAULT NOW(), last_used_at TIMESTAMPTZ,
    is_active BOOLEAN DEFAULT TRUE);
CREATE TABLE {SCHEMA}.user_preferences (
    id SERIAL PRIMARY KEY, user_id UUID REFERENCES {SCHEMA}.users, key TEXT NOT NULL,
    value JSONB, updated_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE (user_id, key));
CREATE TABLE {SCHEMA}.context_snapshots (
    id SERIAL PRIMARY KEY, session_id UUID REFERENCES {SCHEMA}.sessions, context JSONB NOT NULL,
    created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.llm_requests (
    id BIGSERIAL PRIMARY KEY, user_id UUID REFERENCES {SCHEMA}.users,
    session_id UUID REFERENCES {SCHEMA}.sessions, message_id BIGINT, provider TEXT NOT NULL,
    model TEXT NOT NULL, route_mode TEXT, prompt_sha256 CHAR(64), prompt_text TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.llm_responses (
    id BIGSERIAL PRIMARY KEY, request_id BIGINT REFERENCES {SCHEMA}.llm_requests,
    tokens_in INT, tokens_out INT, cost NUMERIC(12, 6), latency_ms INT, error TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE {SCHEMA}.monitoring_results (
    id SERIAL PRIMARY KEY, service VARCHAR(255), check_type VARCHAR(255), status VARCHAR(20),
    score REAL, details JSONB, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.system_health (
    id SERIAL PRIMARY KEY, component VARCHAR(100), status VARCHAR(20), response_time_ms REAL,
    metadata TEXT, checked_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, region TEXT);
CREATE TABLE {SCHEMA}.concept_modules (
    id SERIAL PRIMARY KEY, concept_id VARCHAR(50) UNIQUE NOT NULL, name VARCHAR(255) NOT NULL,
    description TEXT, order_index INT DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.students (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50) UNIQUE NOT NULL, name VARCHAR(255),
    email VARCHAR(255), status VARCHAR(20) DEFAULT 'active', grade_level VARCHAR(20),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE {SCHEMA}.drafts (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50) REFERENCES {SCHEMA}.students(student_id),
    concept_id VARCHAR(50), content TEXT, status VARCHAR(20) DEFAULT 'draft', feedback TEXT,
    submitted_at TIMESTAMP, reviewed_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, word_count INT);
CREATE TABLE {SCHEMA}.assessment_logs (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50), concept_id VARCHAR(50),
    assessment_type VARCHAR(20), title VARCHAR(255), score FLOAT, max_score FLOAT,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.performance_records (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50), concept_id VARCHAR(50), mastery_level FLOAT,
    average_score FLOAT, completion_rate FLOAT, last_updated TIMESTAMP);
CREATE TABLE {SCHEMA}.action_logs (
    id SERIAL PRIMARY KEY, actor VARCHAR(100), action VARCHAR(100), target_type VARCHAR(50),
    target_id VARCHAR(100), details TEXT, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.dropout_students (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50) UNIQUE NOT NULL, name VARCHAR(255),
    email VARCHAR(255), enrollment_date TIMESTAMP, status VARCHAR(20),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.dropout_learning_events (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50), event_type VARCHAR(50),
    concept_id VARCHAR(50), timestamp TIMESTAMP NOT NULL, duration_seconds INT,
    metadata JSON);
CREATE TABLE {SCHEMA}.dropout_assessments (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50), concept_id VARCHAR(50),
    assessment_type VARCHAR(20), title VARCHAR(255), score FLOAT, max_score FLOAT,
    taken_at TIMESTAMP);
CREATE TABLE {SCHEMA}.dropout_attempt_history (
    id SERIAL PRIMARY KEY, assessment_id INT REFERENCES {SCHEMA}.dropout_assessments(id),
    student_id VARCHAR(50), attempt_number INT, score FLOAT, max_score FLOAT,
    attempted_at TIMESTAMP);
CREATE TABLE {SCHEMA}.dropout_feature_sets (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50), features JSON, feature_version VARCHAR(32),
    window_start TIMESTAMP, window_end TIMESTAMP,
    computed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE {SCHEMA}.dropout_predictions (
    id SERIAL PRIMARY KEY, student_id VARCHAR(50),
    feature_set_id INT REFERENCES {SCHEMA}.dropout_feature_sets(id), risk_score FLOAT,
    risk_level VARCHAR(20), model_version VARCHAR(32), top_factors JSON, as_of TIMESTAMP,
    predicted_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
"""


@pytest.fixture
def legacy(transactional_db):
    """Runs SQL in the legacy schema; the schema is dropped afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(DDL)

    def run(statement: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement.replace("legacy.", f"{SCHEMA}."), params)

    yield run
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute("DROP SCHEMA IF EXISTS legacy_archive CASCADE")


@pytest.fixture
def import_legacy():
    """import_legacy("agent-chat", "--owner", "alice") -> its output."""

    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("import_legacy", *args, "--source-schema", SCHEMA, "--no-progress", stdout=out)
        return out.getvalue()

    return run
