"""The hot statements (the API-key lookup, the compiled reads) as server-side prepared
statements: planned once per connection, with the answers of ordinary statements."""

import contextlib

import pytest
from django.db import DataError, connection, transaction

from config import prepared
from tests.chat.factories import ThreadFactory
from tests.monitoring.factories import MonitoringLogFactory

THREADS = "{ threads(first: 2) { nodes { id title } } }"
LOGS = """{ logs(first: 2, filters: {timestampBefore: "2100-01-01T00:00:00+00:00"}) {
  nodes { id level } } }"""


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def test_the_key_lookup_and_a_compiled_read_are_prepared_when_switched_on(
    make_user, api_client, settings
):
    # given
    user = make_user("writer")
    threads = [ThreadFactory(owner=user) for _ in range(2)]
    client = api_client(user)
    before = prepared_statements()

    # when: the same read twice
    answers = [client.execute(THREADS) for _ in range(2)]

    # then: the same answer; prepared (tests prepare from the first run) or not at all
    assert answers[0] == answers[1]
    assert sorted(node["id"] for node in answers[0]["data"]["threads"]["nodes"]) == sorted(
        thread.pk for thread in threads
    )
    new = [statement for statement in prepared_statements() if statement not in before]
    if not connection.settings_dict["PREPARED_STATEMENTS"]:  # DB_PREPARED_STATEMENTS=0
        assert new == []
        return
    lookups = [s for s in new if 'FROM "chat_apikey" INNER JOIN "auth_user"' in s]
    reads = [s for s in new if '"chat_thread"' in s and s.startswith("SELECT (SELECT")]
    assert len(lookups) == 1 and '"chat_apikey"."prefix" = $' in lookups[0]
    assert len(reads) == (1 if settings.GRAPHQL_COMPILE else 0)


def _plans_of(fragment: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each prepared statement holding `fragment`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE strpos(statement, %s) > 0",
            [fragment],
        )
        return cursor.fetchall()


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_a_read_of_the_partitioned_log_table_is_prepared_and_planned_with_its_values(
    make_user, api_client, settings
):
    # given
    logs = [MonitoringLogFactory() for _ in range(2)]
    client = api_client(make_user("reader", perms=["monitoring.view_monitoringlog"]))

    # when: the same read, more often than PostgreSQL plans a statement with its values
    # before it weighs a generic plan (5 runs)
    answers = [client.execute(LOGS) for _ in range(8)]

    # then: the answer of every run, from one prepared statement planned with the values of
    # each run (a generic plan of the partitioned table is slow for some values), and the
    # session's plan cache mode is as it was
    assert all(answer == answers[0] for answer in answers)
    assert sorted(node["id"] for node in answers[0]["data"]["logs"]["nodes"]) == sorted(
        str(log.pk) for log in logs
    )
    plans = _plans_of('FROM "monitoring_monitoringlog"')
    if not connection.settings_dict["PREPARED_STATEMENTS"] or not settings.GRAPHQL_COMPILE:
        assert plans == []
    else:
        assert plans == [(0, 8)]
    assert _plan_cache_mode() == "auto"


LOGS_AFTER = """query ($after: String) { logs(first: 2, after: $after) {
  nodes { id } pageInfo { endCursor } } }"""


def test_a_log_page_read_without_filters_is_planned_once(make_user, api_client, settings):
    # given: a cursor into three logs
    logs = [MonitoringLogFactory() for _ in range(3)]
    client = api_client(make_user("reader", perms=["monitoring.view_monitoringlog"]))
    first = client.execute(LOGS_AFTER.replace("first: 2", "first: 1"))["data"]["logs"]
    cursor = first["pageInfo"]["endCursor"]

    # when: the page after it, more often than PostgreSQL plans a statement with its values
    # before it weighs a generic plan (5 runs)
    answers = [client.execute(LOGS_AFTER, {"after": cursor}) for _ in range(8)]

    # then: the answer of every run, from one statement planned once (no filter: one plan
    # serves every cursor), the session's plan cache mode as it was
    assert all(answer == answers[0] for answer in answers)
    newest_first = sorted(logs, key=lambda log: (log.timestamp, log.pk), reverse=True)
    expected = [str(log.pk) for log in newest_first]
    assert [first["nodes"][0]["id"]] + [
        node["id"] for node in answers[0]["data"]["logs"]["nodes"]
    ] == expected
    plans = _plans_of('FROM "monitoring_monitoringlog"')
    if not connection.settings_dict["PREPARED_STATEMENTS"] or not settings.GRAPHQL_COMPILE:
        assert plans == []
    else:  # the first page's statement (no parameter: generic), the later pages'
        assert sorted(plans) == [(1, 0), (8, 0)]
    assert _plan_cache_mode() == "auto"


@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_log_statement_that_fails_leaves_the_plan_cache_mode_as_it_was(
    transactional_db, in_transaction
):
    # given
    table = {"monitoring_monitoringlog"}
    block = transaction.atomic if in_transaction else contextlib.nullcontext

    # when: a statement planned with its values fails (on its own, as a request's reads run,
    # or in a transaction), then one succeeds
    with pytest.raises(DataError), block(), prepared.cursor(tables=table) as cursor:
        cursor.execute("SELECT 1 / (count(*) - count(*)) FROM monitoring_monitoringlog")
    with prepared.cursor(tables=table) as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_monitoringlog WHERE id > %s", [0])
        counted = cursor.fetchone()[0]

    # then
    assert counted == 0
    assert _plan_cache_mode() == "auto"
