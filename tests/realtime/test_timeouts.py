"""The bounds on connections that do not (or no longer) subscribe: a WebSocket without
connection_init is closed with 4408, one with no subscription for REALTIME_IDLE_TIMEOUT with
1000, and an SSE request whose body does not arrive is answered 408."""

from __future__ import annotations

import asyncio
import http.client
import json

import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from chat import services as chat_services
from tests.realtime.test_message_added import MESSAGE_ADDED, _append, in_thread


async def _close_of_silent_socket(base: str) -> tuple[int, str]:
    async with websockets.connect(
        f"ws://{base}/graphql/", subprotocols=["graphql-transport-ws"]
    ) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        return ws.close_code, ws.close_reason


@pytest.mark.django_db(transaction=True)
def test_a_websocket_without_connection_init_is_closed_with_4408(serve_asgi):
    # given
    base = serve_asgi(REALTIME_INIT_TIMEOUT="0.5")

    # when
    code, reason = asyncio.run(_close_of_silent_socket(base))

    # then
    assert (code, reason) == (4408, "Connection initialisation timeout")


@pytest.mark.django_db(transaction=True)
def test_an_idle_websocket_is_closed_but_not_while_it_subscribes(
    serve_asgi, make_user, make_api_key
):
    # given
    base = serve_asgi(REALTIME_IDLE_TIMEOUT="1")
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")

    async def scenario():
        transport = WebsocketsTransport(
            url=f"ws://{base}/graphql/", init_payload={"Authorization": f"Bearer {key}"}
        )
        async with Client(transport=transport) as session:
            stream = session.subscribe(
                GraphQLRequest(MESSAGE_ADDED, variable_values={"threadId": thread.pk})
            )
            first = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(2.5)  # subscribed for longer than the idle timeout
            await in_thread(_append)(thread, "still open")
            event = await asyncio.wait_for(first, 10)
            await stream.aclose()
            await transport.wait_closed()  # the idle timeout runs from the last subscription
            closed_by = transport.close_exception
        return event, closed_by

    # when
    event, closed_by = asyncio.run(scenario())

    # then
    assert event["messageAdded"]["message"]["content"] == "still open"
    cause = closed_by.__cause__ or closed_by.__context__
    assert (cause.rcvd.code, cause.rcvd.reason) == (1000, "Idle timeout")


@pytest.mark.django_db(transaction=True)
def test_an_sse_request_whose_body_never_arrives_is_answered_408(serve_asgi, make_user):
    # given
    base = serve_asgi(REALTIME_INIT_TIMEOUT="0.5")
    host, port = base.split(":")

    # when: the headers promise 100 bytes of body, one is sent
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/graphql/")
    for name, value in [
        ("Accept", "text/event-stream"),
        ("Content-Type", "application/json"),
        ("Content-Length", "100"),
    ]:
        conn.putheader(name, value)
    conn.endheaders(message_body=b"{")
    response = conn.getresponse()
    body = response.read()
    conn.close()

    # then
    assert response.status == 408
    assert json.loads(body) == {
        "data": None,
        "errors": [
            {
                "message": "Request body not received within 0.5 s.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
