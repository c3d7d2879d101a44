import os
import signal

import psycopg
import pytest
import strawberry
from django.db import OperationalError, connection, transaction
from django.test import Client

from config.deadline import DatabaseDeadlineMiddleware, check_pooled, database_deadline
from config.errors import is_connection_failure
from config.postgresql.base import DatabaseWrapper
from config.schema import build_schema
from config.timeouts import command_limits
from tests.connections import psycopg_params, readable


@strawberry.type
class SlowQuery:
    @strawberry.field
    def slow(self) -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 20")
            cursor.execute("SELECT pg_sleep(2)")
        return "unreachable"


slow_schema = build_schema(SlowQuery)


def test_migrate_stores_the_limits_as_the_role_defaults_in_this_database(db):
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.setconfig FROM pg_db_role_setting s "
            "JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        (setconfig,) = cursor.fetchone()

    # then
    assert sorted(setconfig) == [
        "idle_in_transaction_session_timeout=10000",
        "lock_timeout=2000",
        "statement_timeout=5000",
    ]


def test_a_cancelled_statement_answers_statement_timeout(db):
    # when
    result = slow_schema.execute_sync("{ slow }")

    # then
    assert [(e.message, e.extensions) for e in result.errors] == [
        (
            "The request took longer than the database allows and was cancelled; narrow it "
            "(fewer or more selective arguments).",
            {"code": "STATEMENT_TIMEOUT"},
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_commands_get_their_own_larger_limit_for_one_transaction():
    # when
    with command_limits(), connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (inside,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (after,) = cursor.fetchone()

    # then
    assert inside == "30min"
    assert after != "30min"


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_the_database_state():
    # when
    response = Client().get("/healthz")

    # then
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


@pytest.mark.django_db(transaction=True)
def test_a_request_past_its_database_deadline_loses_its_connection(settings, rf):
    # given: a database wait that nothing on the server would end soon
    settings.DB_REQUEST_TIMEOUT = 0.3

    def waits_for_the_database(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(3)")

    middleware = DatabaseDeadlineMiddleware(waits_for_the_database)

    # when
    with pytest.raises(OperationalError) as raised:
        middleware(rf.get("/graphql/"))
    connection.close()

    # then: cut, not slept through (pg_sleep would have returned), and answered as the 503
    assert is_connection_failure(raised.value)


@pytest.fixture
def stopped_backend():
    """A psycopg connection whose server process is stopped (SIGSTOP) after it sent a
    notification the client has not read yet: the pool's check must then go to the server,
    and every statement on it waits, as behind a pooler whose server is down; resumed and
    closed afterwards."""
    raw = psycopg.connect(**psycopg_params(), autocommit=True)
    raw.execute("LISTEN deadline_check")
    with psycopg.connect(**psycopg_params(), autocommit=True) as other:
        other.execute("NOTIFY deadline_check")
    assert readable(raw)
    pid = raw.info.backend_pid
    os.kill(pid, signal.SIGSTOP)
    try:
        yield raw
    finally:
        os.kill(pid, signal.SIGCONT)
        raw.close()


@pytest.mark.django_db(transaction=True)
def test_a_pooled_connections_check_is_cut_at_the_request_deadline(stopped_backend):
    # given: the pool checks a connection for a request whose deadline is 0.3 s
    with database_deadline(0.3):
        # when / then: the check's statement is cut, not waited for
        with pytest.raises(psycopg.OperationalError):
            check_pooled(stopped_backend)
        # and, past the deadline, a further check (the pool tries the next connection) does
        # not wait either
        with (
            psycopg.connect(**psycopg_params(), autocommit=True) as healthy,
            pytest.raises(psycopg.OperationalError, match="past DB_REQUEST_TIMEOUT"),
        ):
            check_pooled(healthy)


@pytest.mark.django_db(transaction=True)
def test_a_healthy_pooled_connection_passes_its_check():
    with database_deadline(5), psycopg.connect(**psycopg_params(), autocommit=True) as healthy:
        check_pooled(healthy)
        assert healthy.execute("SELECT 1").fetchone() == (1,)


def test_the_backend_checks_pooled_connections_under_the_deadline(settings):
    # given: a pooled database (as config.asgi configures it)
    wrapper = DatabaseWrapper(
        {
            **settings.DATABASES["default"],
            "CONN_MAX_AGE": 0,
            "OPTIONS": {"pool": {"min_size": 0, "max_size": 1}},
        },
        alias="pooled",
    )

    # then
    try:
        assert wrapper.pool._check is check_pooled
    finally:
        wrapper.close_pool()
