"""The hot statements (the API-key lookup, the compiled reads) as server-side prepared
statements: planned once per connection, with the answers of ordinary statements."""

from django.db import connection

from tests.chat.factories import ThreadFactory
from tests.monitoring.factories import MonitoringLogFactory

THREADS = "{ threads(first: 2) { nodes { id title } } }"
LOGS = "{ logs(first: 2) { nodes { id level } } }"


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


def test_a_read_of_the_partitioned_log_table_is_planned_with_its_values(make_user, api_client):
    # given
    logs = [MonitoringLogFactory() for _ in range(2)]
    client = api_client(make_user("reader", perms=["monitoring.view_monitoringlog"]))
    before = prepared_statements()

    # when: the same read, more often than a statement needs to be prepared
    answers = [client.execute(LOGS) for _ in range(6)]

    # then: the answer of every run, from a statement never prepared (a generic plan of the
    # partitioned table prunes nothing); the key lookup still is
    assert all(answer == answers[0] for answer in answers)
    assert sorted(node["id"] for node in answers[0]["data"]["logs"]["nodes"]) == sorted(
        str(log.pk) for log in logs
    )
    new = [statement for statement in prepared_statements() if statement not in before]
    assert [s for s in new if "monitoring_monitoringlog" in s] == []
    if connection.settings_dict["PREPARED_STATEMENTS"]:
        assert len([s for s in new if 'FROM "chat_apikey"' in s]) == 1
