"""The LISTEN/NOTIFY wake-up (DATABASE_DIRECT_URL): with the poll interval set to an hour,
events still arrive, woken by the notifications; a dropped listener reconnects and catches up;
a listener that cannot connect leaves delivery to polling."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from chat import services as chat_services
from tests.processes import database_url, free_port
from tests.realtime.conftest import backends, wait_for_backends
from tests.realtime.test_message_added import MESSAGE_ADDED, _append, _message_events, in_thread

AN_HOUR = "3600"


async def _subscribe_then(base, api_key, thread_id, steps):
    """Subscribe; once registered, for each (action, count): run the action and collect
    `count` events. Returns the events collected after each action."""
    transport = WebsocketsTransport(
        url=f"ws://{base}/graphql/", init_payload={"Authorization": f"Bearer {api_key}"}
    )
    collected = []
    async with Client(transport=transport) as session:
        stream = session.subscribe(
            GraphQLRequest(MESSAGE_ADDED, variable_values={"threadId": thread_id})
        )
        pending = asyncio.ensure_future(stream.__anext__())
        await sync_to_async(wait_for_backends)("realtime-poller")
        for action, count in steps:
            await action()
            events = []
            while len(events) < count:
                events.append(await asyncio.wait_for(pending, 20))
                pending = asyncio.ensure_future(stream.__anext__())
            collected.append(events)
        pending.cancel()
        await stream.aclose()
    return collected


@pytest.mark.django_db(transaction=True)
def test_with_a_direct_url_events_arrive_long_before_the_poll_interval(
    serve_asgi, make_user, make_api_key
):
    # given
    base = serve_asgi(DATABASE_DIRECT_URL=database_url(), REALTIME_POLL_INTERVAL=AN_HOUR)
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")
    listeners = []

    async def append(*contents):
        listeners.append(await sync_to_async(wait_for_backends)("realtime-listener"))
        await in_thread(_append)(thread, *contents)

    # when
    collected = asyncio.run(
        _subscribe_then(
            base,
            key,
            thread.pk,
            [(lambda: append("one"), 1), (lambda: append("two", "three"), 2)],
        )
    )

    # then: one listener for the process, and every message, in order, within the hour
    assert [_message_events(events) for events in collected] == [
        [("MESSAGE_ADDED", "one")],
        [("MESSAGE_ADDED", "two"), ("MESSAGE_ADDED", "three")],
    ]
    assert len(listeners[0]) == 1 and listeners[1] == listeners[0]


@pytest.mark.django_db(transaction=True)
def test_a_dropped_listener_reconnects_and_catches_up(serve_asgi, make_user, make_api_key):
    # given
    base = serve_asgi(DATABASE_DIRECT_URL=database_url(), REALTIME_POLL_INTERVAL=AN_HOUR)
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")
    pids = {}

    async def drop_listener_then_append():
        (pids["first"],) = await sync_to_async(wait_for_backends)("realtime-listener")
        await in_thread(_terminate)(pids["first"])
        # Committed while no listener is connected: no notification is sent for it.
        await in_thread(_append)(thread, "while dropped")

    async def append_after_reconnect():
        pids["second"] = await sync_to_async(wait_for_backends)(
            "realtime-listener", other_than={pids["first"]}
        )
        await in_thread(_append)(thread, "after reconnect")

    # when
    collected = asyncio.run(
        _subscribe_then(
            base, key, thread.pk, [(drop_listener_then_append, 1), (append_after_reconnect, 1)]
        )
    )

    # then
    assert [_message_events(events) for events in collected] == [
        [("MESSAGE_ADDED", "while dropped")],
        [("MESSAGE_ADDED", "after reconnect")],
    ]
    assert len(pids["second"]) == 1 and pids["second"] != [pids["first"]]


@pytest.mark.django_db(transaction=True)
def test_a_listener_that_cannot_connect_leaves_delivery_to_polling(
    serve_asgi, make_user, make_api_key
):
    # given: nothing listens on that port
    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    base = serve_asgi(DATABASE_DIRECT_URL=dead)
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")

    # when
    collected = asyncio.run(
        _subscribe_then(
            base, key, thread.pk, [(lambda: in_thread(_append)(thread, "one", "two"), 2)]
        )
    )

    # then
    assert _message_events(collected[0]) == [("MESSAGE_ADDED", "one"), ("MESSAGE_ADDED", "two")]
    assert backends("realtime-listener") == []


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
