"""messageAdded over graphql-transport-ws with a third-party client (gql's websockets
transport), against a real uvicorn process and the real database."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from chat import services as chat_services

MESSAGE_ADDED = gql(
    """
    subscription ($threadId: ID!, $cursor: String) {
      messageAdded(threadId: $threadId, cursor: $cursor) {
        cursor kind threadId message { id role content }
      }
    }
    """
)


def _client(base: str, api_key: str) -> Client:
    transport = WebsocketsTransport(
        url=f"ws://{base}/graphql/", init_payload={"Authorization": f"Bearer {api_key}"}
    )
    return Client(transport=transport)


async def _collect(base, api_key, variables, count, *, on_ready=None, timeout=15):
    """Subscribe and return the first `count` events (calling on_ready once subscribed)."""
    events = []
    async with _client(base, api_key) as session:
        stream = session.subscribe(GraphQLRequest(MESSAGE_ADDED, variable_values=variables))
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)  # the subscription is registered on the server
        if on_ready:
            await on_ready()
        events.append(await asyncio.wait_for(first, timeout))
        while len(events) < count:
            events.append(await asyncio.wait_for(stream.__anext__(), timeout))
        await stream.aclose()
    return events


def in_thread(function):
    """Run a write from the event loop in a worker thread, closing that thread's connection
    afterwards (the test database is dropped at the end)."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run)


def _append(thread, *contents):
    for content in contents:
        chat_services.message_append(
            user=thread.owner, thread_id=thread.pk, role="user", content=content
        )


def _message_events(events):
    return [(e["messageAdded"]["kind"], e["messageAdded"]["message"]["content"]) for e in events]


@pytest.mark.django_db(transaction=True)
def test_new_messages_arrive_in_order_and_resume_after_a_cursor(
    asgi_server, make_user, make_api_key
):
    # given
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")

    async def append_three():
        await in_thread(_append)(thread, "one", "two", "three")

    # when
    first = asyncio.run(
        _collect(asgi_server, key, {"threadId": thread.pk}, 2, on_ready=append_three)
    )
    resumed = asyncio.run(
        _collect(
            asgi_server,
            key,
            {"threadId": thread.pk, "cursor": first[-1]["messageAdded"]["cursor"]},
            1,
        )
    )

    # then
    assert _message_events(first) == [("MESSAGE_ADDED", "one"), ("MESSAGE_ADDED", "two")]
    assert _message_events(resumed) == [("MESSAGE_ADDED", "three")]
    assert first[0]["messageAdded"]["threadId"] == thread.pk


@pytest.mark.django_db(transaction=True)
def test_someone_elses_thread_gives_not_found_and_nothing_else(
    asgi_server, make_user, make_api_key
):
    # given
    alice, bob = make_user("alice"), make_user("bob")
    thread = chat_services.thread_create(owner=alice, title="private")
    bob_key = make_api_key(bob)

    # when
    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(_collect(asgi_server, bob_key, {"threadId": thread.pk}, 1))

    # then
    assert refused.value.errors == [
        {
            "message": "messageAdded: no thread with this id that you may see.",
            "extensions": {"code": "NOT_FOUND"},
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_a_revoked_key_ends_the_stream_unauthenticated(asgi_server, make_user, make_api_key):
    # given
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")

    async def revoke_then_append():
        api_key = await sync_to_async(lambda: alice.api_keys.get())()
        await sync_to_async(chat_services.api_key_revoke)(key=api_key)
        await sync_to_async(_append)(thread, "after revocation")

    # when
    with pytest.raises(TransportQueryError) as ended:
        asyncio.run(
            _collect(asgi_server, key, {"threadId": thread.pk}, 1, on_ready=revoke_then_append)
        )

    # then
    assert ended.value.errors[0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert ended.value.errors[0]["message"] == "This API key is no longer valid."


@pytest.mark.django_db(transaction=True)
def test_clearing_the_thread_is_one_thread_cleared_event(asgi_server, make_user, make_api_key):
    # given
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")
    _append(thread, "before", "the clear")

    async def clear_then_append():
        await in_thread(chat_services.thread_clear)(user=alice, thread_id=thread.pk)
        await in_thread(_append)(thread, "after")

    # when
    events = asyncio.run(
        _collect(asgi_server, key, {"threadId": thread.pk}, 2, on_ready=clear_then_append)
    )

    # then
    assert [{k: v for k, v in e["messageAdded"].items() if k != "cursor"} for e in events] == [
        {"kind": "THREAD_CLEARED", "threadId": thread.pk, "message": None},
        {
            "kind": "MESSAGE_ADDED",
            "threadId": thread.pk,
            "message": {
                "id": thread.messages.get().pk,
                "role": "USER",
                "content": "after",
            },
        },
    ]
