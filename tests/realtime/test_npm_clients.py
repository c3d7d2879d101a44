"""messageAdded with the npm clients frontends use: graphql-ws (over the `ws` package, as in
Node 20) and graphql-sse, installed on first use into .data/node-clients (git-ignored)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chat import services as chat_services
from tests.npm import npm_install, write_file

PACKAGES = ["graphql-ws@6.4.2", "graphql-sse@2.6.1", "ws@8.23.0", "graphql@16.15.0"]
SCRIPT = Path(__file__).with_name("clients.mjs")


@pytest.fixture(scope="session")
def node_clients() -> Path:
    script = npm_install("node-clients", PACKAGES) / "clients.mjs"
    write_file(script, SCRIPT.read_text())
    return script


@pytest.mark.parametrize("protocol", ["ws", "sse"])
@pytest.mark.django_db(transaction=True)
def test_npm_client_receives_the_messages_in_order(
    protocol, node_clients, asgi_server, wait_for_poller, make_user, make_api_key
):
    # given
    alice = make_user("alice")
    key = make_api_key(alice)
    thread = chat_services.thread_create(owner=alice, title="t")
    client = subprocess.Popen(
        ["node", str(node_clients), protocol, asgi_server, key, thread.pk, "2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for_poller()

    # when
    for content in ("one", "two"):
        chat_services.message_append(user=alice, thread_id=thread.pk, role="user", content=content)
    output, _ = client.communicate(timeout=30)

    # then
    assert client.returncode == 0
    assert [json.loads(line) for line in output.splitlines()] == [
        {"data": {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "one"}}}},
        {"data": {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "two"}}}},
    ]


@pytest.mark.django_db(transaction=True)
def test_npm_graphql_ws_client_is_closed_when_idle(
    node_clients, serve_asgi, make_user, make_api_key
):
    # given
    base = serve_asgi(REALTIME_IDLE_TIMEOUT="1")
    key = make_api_key(make_user("alice"))

    # when: connected and acknowledged, it never subscribes
    output = subprocess.run(
        ["node", str(node_clients), "ws-idle", base, key, "", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    # then
    assert json.loads(output) == {"closed": 1000, "reason": "Idle timeout"}
