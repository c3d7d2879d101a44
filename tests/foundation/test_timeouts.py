import pytest
import strawberry
from django.db import connection, transaction
from django.test import Client

from config.schema import build_schema
from config.timeouts import command_limits


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
