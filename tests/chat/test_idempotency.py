import threading

import pytest
from django.db import connection

from chat import services
from chat.models import Message, Thread
from tests.chat.graphql import MESSAGE_APPEND, THREAD_CREATE
from tests.factories import UserFactory


def test_thread_create_retry_returns_the_existing_thread_unchanged(alice_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "t1", "title": "first"}})

    # when
    retry = alice_client.execute(THREAD_CREATE, {"input": {"id": "t1", "title": "second"}})

    # then
    assert retry["data"]["threadCreate"]["title"] == "first"
    assert Thread.objects.count() == 1


def test_thread_create_with_an_id_of_another_owner_is_refused(alice_client, bob_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "t1", "title": "alice's"}})

    # when
    result = bob_client.execute(THREAD_CREATE, {"input": {"id": "t1", "title": "bob's"}})

    # then
    assert result == {
        "data": {
            "threadCreate": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "id",
                        "message": "This id cannot be used; choose another.",
                        "code": "CONFLICT",
                    }
                ]
            }
        }
    }
    assert list(Thread.objects.values_list("id", "title", "owner__username")) == [
        ("t1", "alice's", "alice")
    ]


def test_message_append_retry_returns_the_stored_message(alice_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "t1"}})
    message = {"id": "m1", "role": "USER", "content": "hello"}
    first = alice_client.execute(MESSAGE_APPEND, {"threadId": "t1", "input": message})

    # when
    retry = alice_client.execute(
        MESSAGE_APPEND, {"threadId": "t1", "input": {**message, "content": "changed"}}
    )

    # then
    assert (
        retry
        == first
        == {
            "data": {
                "messageAppend": {
                    "id": "m1",
                    "threadId": "t1",
                    "type": "message",
                    "role": "USER",
                    "content": "hello",
                    "metadata": {},
                }
            }
        }
    )
    assert Message.objects.count() == 1


def test_message_id_used_in_another_thread_is_refused(alice_client):
    # given
    for thread_id in ["t1", "t2"]:
        alice_client.execute(THREAD_CREATE, {"input": {"id": thread_id}})
    message = {"id": "m1", "role": "USER", "content": "hello"}
    alice_client.execute(MESSAGE_APPEND, {"threadId": "t1", "input": message})

    # when
    result = alice_client.execute(MESSAGE_APPEND, {"threadId": "t2", "input": message})

    # then
    assert result["data"]["messageAppend"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "id",
            "message": "This id cannot be used; choose another.",
            "code": "CONFLICT",
        }
    ]
    assert list(Message.objects.values_list("id", "thread_id")) == [("m1", "t1")]


def test_a_taken_message_id_reads_the_same_whoever_holds_it(alice_client, bob_client):
    # given: m1 in alice's t1; a second thread each for alice and bob
    for thread_id in ["t1", "t2"]:
        alice_client.execute(THREAD_CREATE, {"input": {"id": thread_id}})
    bob_client.execute(THREAD_CREATE, {"input": {"id": "b1"}})
    message = {"id": "m1", "role": "USER", "content": "hello"}
    alice_client.execute(MESSAGE_APPEND, {"threadId": "t1", "input": message})

    # when
    by_alice = alice_client.execute(MESSAGE_APPEND, {"threadId": "t2", "input": message})
    by_bob = bob_client.execute(MESSAGE_APPEND, {"threadId": "b1", "input": message})

    # then: the answer never says whose the id is
    assert (
        by_bob
        == by_alice
        == {
            "data": {
                "messageAppend": {
                    "messages": [
                        {
                            "kind": "VALIDATION",
                            "field": "id",
                            "message": "This id cannot be used; choose another.",
                            "code": "CONFLICT",
                        }
                    ]
                }
            }
        }
    )
    assert list(Message.objects.values_list("id", "thread_id")) == [("m1", "t1")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_thread_and_one_message():
    # given: the same create and append sent six times at once
    owner = UserFactory(username="alice")
    runs = 6
    barrier = threading.Barrier(runs)
    results: list[tuple[str, str]] = []
    failures: list[BaseException] = []

    def retry():
        try:
            barrier.wait()
            thread = services.thread_create(owner=owner, id="thread_same")
            message = services.message_append(
                user=owner, thread_id="thread_same", id="msg_same", role="user", content="hi"
            )
            results.append((thread.pk, message.pk))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(runs)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert failures == []
    assert results == [("thread_same", "msg_same")] * runs
    assert (Thread.objects.count(), Message.objects.count()) == (1, 1)
