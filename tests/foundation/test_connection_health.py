"""A kept connection is checked with a round trip only when something happened to it since its
last use (config.postgresql.health): the server ending it, a notification, a transaction left
open. What each check sent is read from pg_stat_activity, whose `query` is the last statement
the backend received."""

import psycopg
import pytest

from config.deadline import check_pooled, database_deadline
from config.postgresql.base import DatabaseWrapper
from config.postgresql.health import quiet
from tests.connections import psycopg_params, readable

MARK = "SELECT 'health-mark'"


@pytest.fixture
def admin():
    with psycopg.connect(**psycopg_params(), autocommit=True) as session:
        yield session


def last_statement(admin: psycopg.Connection, pid: int) -> str | None:
    row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return row[0] if row else None


def terminate(admin: psycopg.Connection, raw: psycopg.Connection) -> None:
    admin.execute("SELECT pg_terminate_backend(%s)", (raw.info.backend_pid,))
    assert readable(raw)  # its FATAL error and the end of the stream


@pytest.fixture
def used():
    """A connection that ran one statement, as a request leaves it."""
    with psycopg.connect(**psycopg_params(), autocommit=True) as raw:
        raw.execute(MARK)
        yield raw


@pytest.mark.django_db(transaction=True)
def test_a_connection_nothing_happened_to_is_handed_out_without_a_statement(admin, used):
    # given
    assert quiet(used) is True

    # when
    with database_deadline(5):
        check_pooled(used)

    # then: the server received nothing since the request's statement
    assert last_statement(admin, used.info.backend_pid) == MARK
    assert used.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_fails_its_check(admin, used):
    # given: PostgreSQL terminated its backend while it was idle (a restart, Neon's idle close)
    terminate(admin, used)

    # when / then: not quiet, and the pool's check fails (the pool then discards it)
    assert quiet(used) is False
    with database_deadline(5), pytest.raises(psycopg.OperationalError):
        check_pooled(used)


@pytest.mark.django_db(transaction=True)
def test_a_notification_waiting_sends_the_check_which_reads_it(admin, used):
    # given: something to read that is not an error
    used.execute("LISTEN health_check")
    admin.execute("NOTIFY health_check")
    assert readable(used)
    assert quiet(used) is False

    # when
    with database_deadline(5):
        check_pooled(used)

    # then: the check's empty statement went to the server and the connection is quiet again
    assert last_statement(admin, used.info.backend_pid) == ""
    assert quiet(used) is True


@pytest.mark.django_db(transaction=True)
def test_a_connection_inside_a_transaction_is_not_quiet():
    with psycopg.connect(**psycopg_params()) as raw:  # not autocommit: the statement opens one
        raw.execute("SELECT 1")
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert quiet(raw) is False


def test_a_closed_connection_is_not_quiet(db):
    raw = psycopg.connect(**psycopg_params(), autocommit=True)
    raw.close()
    assert quiet(raw) is False


@pytest.fixture
def persistent(settings):
    """A Django connection kept between requests with CONN_HEALTH_CHECKS, as in production
    without a pool."""
    wrapper = DatabaseWrapper(
        {**settings.DATABASES["default"], "CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": True},
        alias="default",  # a second wrapper of it: the request thread's stays untouched
    )
    wrapper.ensure_connection()
    with wrapper.connection.cursor() as cursor:
        cursor.execute(MARK)
    wrapper.health_check_done = False  # a new request (close_if_unusable_or_obsolete)
    yield wrapper
    wrapper.close()


@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_nothing_happened_to_is_reused_without_select_1(admin, persistent):
    # given
    raw = persistent.connection

    # when: the request's first statement checks the connection
    persistent.close_if_health_check_failed()

    # then: kept, checked once for this request, and nothing sent to the server
    assert persistent.connection is raw
    assert persistent.health_check_done is True
    assert last_statement(admin, raw.info.backend_pid) == MARK


@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_the_server_ended_is_replaced(admin, persistent):
    # given
    ended = persistent.connection
    terminate(admin, ended)

    # when
    persistent.close_if_health_check_failed()
    persistent.ensure_connection()

    # then: Django's SELECT 1 failed, and the request gets a new connection that works
    assert persistent.connection is not ended
    with persistent.connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
