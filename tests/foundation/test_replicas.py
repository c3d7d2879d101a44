"""The replica router's decisions against the real database.

`replica1` is the test database's second alias (TEST MIRROR, tests/settings.py): a separate
connection to the same database, so which connection ran a query shows where the router sent
it. The tests commit (transaction=True) because the mirror's connection cannot see another
connection's open transaction, just as a real replica sees only what the primary committed.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chat.models import Thread
from config import replicas
from config.models import ReplicaPin

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica1"])

THREADS = "{ threads(first: 5) { edges { node { id title } } } }"
CREATE = """
mutation ($id: ID!) {
  threadCreate(input: {id: $id, title: "new"}) { ... on Thread { id title } }
}
"""


@pytest.fixture(autouse=True)
def replica(settings):
    settings.DATABASE_REPLICAS = ["replica1"]
    settings.DATABASE_REPLICA_MAX_LAG = 5
    replicas.health.clear()
    yield
    replicas.health.clear()


@pytest.fixture
def alice(make_user):
    return make_user("alice", perms=["chat.view_thread", "chat.add_thread"])


@contextmanager
def captured():
    """{alias: queries} of the block, on the primary and the replica."""
    with ExitStack() as stack:
        contexts = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in ("default", "replica1")
        }
        yield contexts


def sqls(context) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def test_a_read_goes_to_the_replica_after_authentication(alice, api_client):
    # given
    Thread.objects.create(id="t1", owner=alice, title="one")
    client = api_client(alice)
    # when
    with captured() as queries:
        answer = client.execute(THREADS)
    # then
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t1", "title": "one"}}]}}}
    primary = sqls(queries["default"])
    assert len(primary) == 2
    # The key lookup tells whether the user is pinned to the primary, in the same statement.
    assert primary[0].startswith('SELECT "chat_apikey"')
    assert '"config_replicapin"' in primary[0]
    assert primary[1].startswith('UPDATE "chat_apikey" SET "last_used_at"')  # first use
    replica = sqls(queries["replica1"])
    assert len(replica) == 2
    assert "pg_is_in_recovery" in replica[0]
    assert "chat_thread" in replica[1]


def test_the_lag_is_measured_once_per_check_interval(alice, api_client):
    # given
    client = api_client(alice)
    client.execute(THREADS)
    # when
    with captured() as queries:
        client.execute(THREADS)
    # then
    assert ["pg_is_in_recovery" in sql for sql in sqls(queries["replica1"])] == [False]
    assert replicas.health.get("replica1").lag == 0.0


def test_a_mutation_reads_and_writes_on_the_primary_then_pins_its_user(alice, api_client):
    # given
    client = api_client(alice)
    # when
    with captured() as queries:
        answer = client.execute(CREATE, {"id": "t2"})
    # then
    assert answer == {"data": {"threadCreate": {"id": "t2", "title": "new"}}}
    assert sqls(queries["replica1"]) == []
    assert "config_replicapin" in sqls(queries["default"])[-1]
    pin = ReplicaPin.objects.get(user_id=alice.pk)
    # when: the next read of the same user, in another request
    with captured() as queries:
        answer = client.execute(THREADS)
    # then: from the primary, where the new thread is certain to be
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t2", "title": "new"}}]}}}
    assert sqls(queries["replica1"]) == []
    assert len(sqls(queries["default"])) == 2  # key (and pin), threads
    assert ReplicaPin.objects.get(user_id=alice.pk).until == pin.until


def test_another_user_still_reads_from_the_replica_while_one_is_pinned(
    alice, make_user, api_client
):
    # given
    api_client(alice).execute(CREATE, {"id": "t3"})
    bob = make_user("bob", perms=["chat.view_thread"])
    # when
    with captured() as queries:
        answer = api_client(bob).execute(THREADS)
    # then
    assert answer == {"data": {"threads": {"edges": []}}}
    assert any("chat_thread" in sql for sql in sqls(queries["replica1"]))
    assert not any("chat_thread" in sql for sql in sqls(queries["default"]))


def test_an_expired_pin_sends_reads_back_to_the_replica(alice, api_client):
    # given
    client = api_client(alice)
    client.execute(CREATE, {"id": "t4"})
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE config_replicapin SET until = now() - interval '1 second'")
    # when
    with captured() as queries:
        client.execute(THREADS)
    # then
    assert any("chat_thread" in sql for sql in sqls(queries["replica1"]))


def test_a_replica_lagging_beyond_the_bound_is_skipped(alice, api_client, settings):
    # given: a bound below the replica's measured lag (0 s)
    settings.DATABASE_REPLICA_MAX_LAG = -1
    Thread.objects.create(id="t5", owner=alice, title="five")
    # when
    with captured() as queries:
        answer = api_client(alice).execute(THREADS)
    # then
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t5", "title": "five"}}]}}}
    assert ["pg_is_in_recovery" in sql for sql in sqls(queries["replica1"])] == [True]
    assert any("chat_thread" in sql for sql in sqls(queries["default"]))
    assert replicas.health.get("replica1").usable is False


def test_a_replica_that_is_down_is_skipped(alice, api_client):
    # given: replica1 pointed at a loopback port nobody listens on
    Thread.objects.create(id="t6", owner=alice, title="six")
    client = api_client(alice)
    replica = connections["replica1"]
    replica.close()
    saved = dict(replica.settings_dict)
    replica.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        # when
        with CaptureQueriesContext(connections["default"]) as primary:
            answer = client.execute(THREADS)
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)
    # then
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t6", "title": "six"}}]}}}
    assert any("chat_thread" in sql for sql in sqls(primary))
    assert replicas.health.get("replica1").usable is False


def test_a_replica_lost_mid_request_is_answered_again_from_the_primary(alice, api_client):
    # given: the replica's session is terminated (as a stopping server does) just before
    # the request's first data query runs on it
    Thread.objects.create(id="t7", owner=alice, title="seven")
    client = api_client(alice)
    client.execute(THREADS)  # the lag is measured, the connection open
    terminated = []

    def terminate_first_query(execute, sql, params, many, context):
        if not terminated and "chat_thread" in sql:
            pid = context["connection"].connection.info.backend_pid
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)
        return execute(sql, params, many, context)

    # when
    with connections["replica1"].execute_wrapper(terminate_first_query), captured() as queries:
        answer = client.execute(THREADS)
    # then
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t7", "title": "seven"}}]}}}
    assert len(terminated) == 1
    assert sum("chat_thread" in sql for sql in sqls(queries["default"])) == 1
    assert replicas.health.get("replica1").usable is False


def test_reads_outside_an_api_request_use_the_primary(alice):
    # management commands, the admin, background work: no replica_reads() block
    assert Thread.objects.all().db == "default"
    assert replicas.read_connection(Thread).alias == "default"


def test_reads_in_a_transaction_or_after_a_write_use_the_primary(alice):
    from django.db import transaction

    with replicas.replica_reads(user_id=alice.pk) as state:
        assert Thread.objects.all().db == "replica1"
        with transaction.atomic():
            assert Thread.objects.all().db == "default"
        Thread.objects.create(id="t8", owner=alice)
        assert state.wrote is True
        assert Thread.objects.all().db == "default"
    assert ReplicaPin.objects.filter(user_id=alice.pk).count() == 1


def test_the_admin_reads_from_the_primary(superuser, client):
    # given
    client.force_login(superuser)
    # when
    with captured() as queries:
        response = client.get("/admin/chat/thread/")
    # then
    assert response.status_code == 200
    assert sqls(queries["replica1"]) == []


def test_without_replicas_nothing_is_routed(alice, api_client, settings):
    # given
    settings.DATABASE_REPLICAS = []
    client = api_client(alice)
    # when
    with captured() as queries:
        client.execute(THREADS)
    # then
    assert sqls(queries["replica1"]) == []
    assert len(sqls(queries["default"])) == 3  # key, its first use, threads: no pin lookup


def test_a_replica_lost_while_its_lag_is_measured_is_skipped(alice, api_client):
    # given: the replica's session ends just before the lag measure runs on it (a standby
    # stopping between the connection check and the measure)
    Thread.objects.create(id="t9", owner=alice, title="nine")
    client = api_client(alice)
    client.execute(THREADS)  # the connection is open
    replicas.health.clear()  # the next request measures again
    terminated = []

    def terminate_before_measure(execute, sql, params, many, context):
        if not terminated and "pg_is_in_recovery" in sql:
            pid = context["connection"].connection.info.backend_pid
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)
        return execute(sql, params, many, context)

    # when
    with connections["replica1"].execute_wrapper(terminate_before_measure):
        answer = client.execute(THREADS)
    # then: answered from the primary, and the replica is marked unusable
    assert answer == {"data": {"threads": {"edges": [{"node": {"id": "t9", "title": "nine"}}]}}}
    assert len(terminated) == 1
    assert replicas.health.get("replica1").usable is False
