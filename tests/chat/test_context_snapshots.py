"""The LLM CLI's context_snapshots: a thread's saved contexts, newest first, through GraphQL;
visible like their thread."""

import threading

import pytest
from django.db import connection

from chat import services
from chat.models import ContextSnapshot
from tests.chat.conftest import THREAD_PERMS
from tests.chat.graphql import THREAD_CREATE, THREAD_DELETE
from tests.factories import UserFactory

SNAPSHOTS = """
query ($threadId: ID!, $offset: Int, $limit: Int) {
  contextSnapshots(threadId: $threadId, offset: $offset, first: $limit) {
    totalCount
    nodes { clientId threadId context savedBy { username } }
  }
}
"""
SNAPSHOT_SAVE = """
mutation ($threadId: ID!, $input: ContextSnapshotSaveInput!) {
  contextSnapshotSave(threadId: $threadId, input: $input) {
    ... on ContextSnapshot { id clientId threadId context createdAt savedBy { username } }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""
USED = (
    "Already used for another snapshot (another thread or context); a retry must send the "
    "same snapshot, a new snapshot needs a new id."
)
CONTEXT = [{"role": "user", "content": "What is Python?"}, {"role": "assistant", "content": "A"}]


def save(client, context, thread_id="cli-session", **input_fields):
    result = client.execute(
        SNAPSHOT_SAVE, {"threadId": thread_id, "input": {"context": context, **input_fields}}
    )
    return result["data"]["contextSnapshotSave"]


def refusal(field, message, code="VALIDATION_ERROR", kind="VALIDATION"):
    return {"messages": [{"kind": kind, "field": field, "message": message, "code": code}]}


def stored():
    return list(
        ContextSnapshot.objects.order_by("id").values_list("thread_id", "client_id", "context")
    )


@pytest.fixture
def session(alice_client):
    alice_client.execute(THREAD_CREATE, {"input": {"id": "cli-session"}})
    return "cli-session"


def test_snapshots_are_listed_newest_first_and_paginated(session, alice_client):
    # given
    for n in range(3):
        save(alice_client, {"turn": n})

    # when
    first_page = alice_client.execute(SNAPSHOTS, {"threadId": session, "limit": 2})
    second_page = alice_client.execute(SNAPSHOTS, {"threadId": session, "offset": 2, "limit": 2})

    # then
    def row(n):
        return {
            "clientId": None,
            "threadId": session,
            "context": {"turn": n},
            "savedBy": {"username": "alice"},
        }

    assert first_page == {
        "data": {"contextSnapshots": {"totalCount": 3, "nodes": [row(2), row(1)]}}
    }
    assert second_page == {"data": {"contextSnapshots": {"totalCount": 3, "nodes": [row(0)]}}}


def test_a_retry_with_the_client_id_returns_the_stored_snapshot(session, alice_client):
    # given
    first = save(alice_client, CONTEXT, clientId="snap-1")

    # when
    retry = save(alice_client, CONTEXT, clientId="snap-1")

    # then
    assert retry == first
    assert (first["clientId"], first["context"], first["savedBy"]) == (
        "snap-1",
        CONTEXT,
        {"username": "alice"},
    )
    assert stored() == [(session, "snap-1", CONTEXT)]


def test_the_client_id_with_another_context_or_thread_is_refused(session, alice_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "other-session"}})
    save(alice_client, CONTEXT, clientId="snap-1")

    # when
    other_context = save(alice_client, [*CONTEXT, {"role": "user"}], clientId="snap-1")
    other_thread = save(alice_client, CONTEXT, thread_id="other-session", clientId="snap-1")

    # then
    assert other_context == other_thread == refusal("clientId", USED)
    assert stored() == [(session, "snap-1", CONTEXT)]


def test_client_ids_belong_to_their_user(session, alice, alice_client, bob_client):
    # given: bob uses the same client id in his own thread
    save(alice_client, CONTEXT, clientId="snap-1")
    bob_client.execute(THREAD_CREATE, {"input": {"id": "bob-session"}})

    # when
    bobs = save(bob_client, {"bob": True}, thread_id="bob-session", clientId="snap-1")

    # then
    assert (bobs["clientId"], bobs["savedBy"]) == ("snap-1", {"username": "bob"})
    assert stored() == [(session, "snap-1", CONTEXT), ("bob-session", "snap-1", {"bob": True})]


@pytest.mark.parametrize(
    ("context", "fields", "field", "message", "code"),
    [
        ({"text": "a\x00b"}, {}, "context", "Must not contain NUL characters.", "VALIDATION_ERROR"),
        ("x" * 1_000_000, {}, "context", "At most 1,000,000 characters of JSON.", "VALIDATION_ERROR"),
        (CONTEXT, {"clientId": "no spaces"}, "clientId",
         "Use letters, digits and . _ : - only, starting with a letter or digit.", "VALIDATION_ERROR"),
    ],
    ids=["nul", "too-big", "client-id"],
)  # fmt: skip
def test_invalid_snapshots_are_refused_and_nothing_is_written(
    session, alice_client, context, fields, field, message, code
):
    # when
    result = save(alice_client, context, **fields)

    # then
    assert result == refusal(field, message, code)
    assert stored() == []


def test_someone_elses_thread_is_not_found(session, alice_client, bob_client, staff_client):
    # given
    save(alice_client, CONTEXT)
    missing = {"kind": "ERROR", "field": None, "message": "No thread with id 'cli-session'."}

    # when
    bobs_list = bob_client.execute(SNAPSHOTS, {"threadId": session})
    bobs_save = save(bob_client, {"bob": True})
    unknown_list = alice_client.execute(SNAPSHOTS, {"threadId": "no-such-thread"})
    staff_list = staff_client.execute(SNAPSHOTS, {"threadId": session})

    # then
    assert bobs_list["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in bobs_list["errors"]] == [
        ("No thread with id 'cli-session'.", "NOT_FOUND")
    ]
    assert [e["message"] for e in unknown_list["errors"]] == ["No thread with id 'no-such-thread'."]
    assert bobs_save == {"messages": [{**missing, "code": "NOT_FOUND"}]}
    assert staff_list["data"]["contextSnapshots"]["totalCount"] == 1
    assert stored() == [(session, None, CONTEXT)]


def test_snapshots_go_with_their_thread(session, alice_client):
    # given
    save(alice_client, CONTEXT, clientId="snap-1")

    # when
    alice_client.execute(THREAD_DELETE, {"id": session})

    # then
    assert stored() == []


@pytest.mark.parametrize("count", [1, 5, 20])
def test_the_list_takes_the_same_queries_for_any_number(
    session, alice, bob, alice_client, count, django_assert_num_queries
):
    # given: snapshots saved by the owner and by staff
    staff = UserFactory(username="moderator", is_staff=True, perms=THREAD_PERMS)
    for n in range(count):
        services.context_snapshot_save(
            user=staff if n % 2 else alice, thread_id=session, context={"turn": n}
        )

    # when: the API key (1; its last-use stamp is fresh), the thread (1), the count (1), the
    # page with who saved each snapshot (1)
    with django_assert_num_queries(4):
        result = alice_client.execute(SNAPSHOTS, {"threadId": session})

    # then
    results = result["data"]["contextSnapshots"]["nodes"]
    assert [row["context"]["turn"] for row in results] == list(reversed(range(count)))
    assert {row["savedBy"]["username"] for row in results} == (
        {"alice", "moderator"} if count > 1 else {"alice"}
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_with_one_client_id_store_one_snapshot():
    # given
    owner = UserFactory(username="alice")
    services.thread_create(owner=owner, id="race")
    runs = 8
    barrier = threading.Barrier(runs)
    saved: list[int] = []
    failures: list[BaseException] = []

    def save_snapshot():
        try:
            barrier.wait()
            snapshot = services.context_snapshot_save(
                user=owner, thread_id="race", context=CONTEXT, client_id="snap-1"
            )
            saved.append(snapshot.pk)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=save_snapshot) for _ in range(runs)]

    # when
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # then
    assert failures == []
    assert saved == [ContextSnapshot.objects.get().pk] * runs
