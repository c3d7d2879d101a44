"""healthChanged over graphql-transport-ws (gql), and the poller itself: one statement per
poll whatever the number of subscribers, stopping with its last subscriber."""

from __future__ import annotations

import asyncio

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from chat import services as chat_services
from config.realtime.hub import Hub
from monitoring import services as monitoring_services
from tests.realtime.test_message_added import in_thread

HEALTH_CHANGED = gql(
    'subscription { healthChanged(component: "db") { component status previousStatus } }'
)


async def _first_change(base, api_key, on_ready=None):
    transport = WebsocketsTransport(
        url=f"ws://{base}/graphql/", init_payload={"Authorization": f"Bearer {api_key}"}
    )
    async with Client(transport=transport) as session:
        stream = session.subscribe(HEALTH_CHANGED)
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)
        if on_ready:
            await on_ready()
        result = await asyncio.wait_for(first, 15)
        await stream.aclose()
    return result


@pytest.mark.django_db(transaction=True)
def test_health_transitions_arrive_and_repeats_do_not(asgi_server, make_user, make_api_key):
    # given
    viewer = make_user("viewer", perms=["monitoring.view_systemhealth"])
    key = make_api_key(viewer)
    monitoring_services.health_report(component="db", status="up")

    async def report():
        await in_thread(monitoring_services.health_report)(component="db", status="up")
        await in_thread(monitoring_services.health_report)(component="other", status="down")
        await in_thread(monitoring_services.health_report)(component="db", status="down")

    # when
    change = asyncio.run(_first_change(asgi_server, key, on_ready=report))

    # then
    assert change == {
        "healthChanged": {"component": "db", "status": "DOWN", "previousStatus": "UP"}
    }


@pytest.mark.django_db(transaction=True)
def test_health_without_the_view_permission_is_forbidden(asgi_server, make_user, make_api_key):
    # given
    key = make_api_key(make_user("nobody"))

    # when
    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(_first_change(asgi_server, key))

    # then
    assert refused.value.errors == [
        {
            "message": "healthChanged: you don't have permission to do this "
            "(monitoring.view_systemhealth).",
            "extensions": {"code": "FORBIDDEN"},
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_one_statement_per_poll_for_all_subscribers_and_the_poller_stops(make_user):
    # given
    alice = make_user("alice")
    threads = [chat_services.thread_create(owner=alice, title=f"t{i}") for i in range(10)]
    hub = Hub()

    async def scenario():
        async with asyncio.TaskGroup() as group:
            contexts = [
                hub.subscribe(topic="thread", key=t.pk, user_id=alice.pk, after=None)
                for t in threads
                for _ in range(5)
            ]
            subscribers = [await c.__aenter__() for c in contexts]
            poller = hub.pollers["thread"]
            await in_thread(
                lambda: [
                    chat_services.message_append(
                        user=alice, thread_id=t.pk, role="user", content="hi"
                    )
                    for t in threads
                ]
            )()
            received = await asyncio.gather(*(s.queue.get() for s in subscribers))
            async with poller.lock:
                before = (hub.statements, poller.polls)
            await asyncio.sleep(0.6)
            async with poller.lock:
                after = (hub.statements, poller.polls)
            for c in contexts:
                await c.__aexit__(None, None, None)
            await asyncio.sleep(0.6)
            group.create_task(hub.reset_connection())
        return received, before, after, poller.running, poller.subscribers

    # when
    received, before, after, running, left = asyncio.run(scenario())

    # then
    assert [[e.kind for e in batch] for batch in received] == [["message_added"]] * 50
    assert after[0] - before[0] == after[1] - before[1] > 0
    assert running is False
    assert left == {}
