"""messageAdded over GraphQL over Server-Sent Events (graphql-sse, distinct connections mode),
read as raw HTTP from a real uvicorn process: `next` events carry the cursor as `id:`, and
`Last-Event-ID` resumes after it."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from chat import services as chat_services

QUERY = "subscription ($t: ID!) { messageAdded(threadId: $t) { kind message { content } } }"


def _open(base: str, api_key: str, thread_id: str, last_event_id: str | None = None):
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {api_key}",
    }
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    body = json.dumps({"query": QUERY, "variables": {"t": thread_id}})
    conn.request("POST", "/graphql/", body=body, headers=headers)
    return conn, conn.getresponse()


def _events(response, count: int) -> list[tuple[str, str | None, dict]]:
    """The first `count` events as (event, id, data), heartbeats skipped."""
    events, fields = [], {}
    while len(events) < count:
        line = response.readline().decode().rstrip("\n")
        if line.startswith(":"):
            continue
        if line == "":
            if fields:
                events.append(
                    (fields["event"], fields.get("id"), json.loads(fields["data"] or "null"))
                )
                fields = {}
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    return events


@pytest.mark.django_db(transaction=True)
def test_sse_streams_messages_with_ids_and_resumes_from_last_event_id(
    asgi_server, make_user, make_api_key
):
    # given
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")
    conn, response = _open(asgi_server, key, thread.pk)
    time.sleep(0.5)  # the subscription is registered on the server
    chat_services.message_append(user=alice, thread_id=thread.pk, role="user", content="one")
    chat_services.message_append(user=alice, thread_id=thread.pk, role="user", content="two")

    # when
    first = _events(response, 1)
    conn.close()
    conn, resumed_response = _open(asgi_server, key, thread.pk, last_event_id=first[0][1])
    resumed = _events(resumed_response, 1)
    conn.close()

    # then
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert [(e, d) for e, _, d in first] == [
        (
            "next",
            {"data": {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "one"}}}},
        )
    ]
    assert [(e, d) for e, _, d in resumed] == [
        (
            "next",
            {"data": {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "two"}}}},
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_sse_without_credentials_is_an_unauthenticated_error_then_complete(asgi_server, make_user):
    # given
    thread = chat_services.thread_create(owner=make_user("alice"), title="t")
    host, port = asgi_server.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)

    # when
    conn.request(
        "POST",
        "/graphql/",
        body=json.dumps({"query": QUERY, "variables": {"t": thread.pk}}),
        headers={"Accept": "text/event-stream", "Content-Type": "application/json"},
    )
    events = _events(conn.getresponse(), 2)
    conn.close()

    # then
    assert events == [
        (
            "next",
            None,
            {
                "data": None,
                "errors": [
                    {
                        "message": "You must be signed in (API key or admin session).",
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ],
            },
        ),
        ("complete", None, None),
    ]
