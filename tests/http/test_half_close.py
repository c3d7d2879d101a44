"""A client that shuts down its side of the connection once its request is sent still gets its
answer from the production server (config.serving), and a body cut short runs nothing."""

import json
import socket

import pytest
from django.conf import settings
from uvicorn.importer import import_from_string

from chat.models import Thread
from config import serving
from config.errors import BAD_REQUEST

VIEWER = json.dumps({"query": "{ viewer { username } }"}).encode()
CREATE = json.dumps(
    {"query": 'mutation { threadCreate(input: {title: "cut short"}) { __typename } }'}
).encode()


def half_closed(base: str, head: bytes, body: bytes) -> bytes:
    """Everything the server sends back after `head` and `body`, the client's side shut down
    once they are sent; the read ends when the server closes the connection."""
    host, port = base.split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def request_head(body_length: int, key: str | None = None, *, close: bool = False) -> bytes:
    lines = [
        "POST /graphql/ HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {body_length}",
    ]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parts(data: bytes) -> tuple[int, dict[str, str], bytes]:
    assert data.startswith(b"HTTP/1.1 "), f"no answer: {data[:80]!r}"
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ")[1]), headers, body


@pytest.mark.parametrize("close", [False, True], ids=["keep-alive", "connection close"])
def test_a_request_whose_client_half_closes_is_answered_then_the_connection_closes(
    asgi_server, make_user, make_api_key, close
):
    # given
    key = make_api_key(make_user("alice"))

    # when: the request, then the client's side shut down (the read ends at the server's close)
    data = half_closed(asgi_server, request_head(len(VIEWER), key, close=close), VIEWER)

    # then
    status, headers, body = parts(data)
    assert status == 200
    assert headers["connection"] == "close"
    assert body == b'{"data":{"viewer":{"username":"alice"}}}'


def test_a_body_cut_short_of_its_length_is_refused_and_runs_nothing(
    asgi_server, make_user, make_api_key
):
    # given: a whole mutation, announced as longer than it is
    key = make_api_key(make_user("alice"))
    head = request_head(len(CREATE) + 10, key)

    # when: the client stops after the JSON and shuts down its side
    data = half_closed(asgi_server, head, CREATE)

    # then: a 400 in GraphQL's shape, and no thread written
    status, headers, body = parts(data)
    assert status == 400
    assert headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["data"] is None
    assert [error["extensions"]["code"] for error in answer["errors"]] == [BAD_REQUEST]
    assert "ended before its announced length" in answer["errors"][0]["message"]
    assert not Thread.objects.filter(title="cut short").exists()


def test_a_chunked_body_without_its_last_chunk_is_refused(asgi_server):
    # given: one chunk of the body, and no terminating chunk
    head = (
        b"POST /graphql/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (len(VIEWER), VIEWER)

    # when
    data = half_closed(asgi_server, head, chunk)

    # then
    status, _, body = parts(data)
    assert status == 400
    assert json.loads(body)["errors"][0]["extensions"]["code"] == BAD_REQUEST


def test_production_serves_with_the_worker_that_answers_half_closed_requests():
    # given: the Procfile's web process
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    (web,) = [line for line in procfile.splitlines() if line.startswith("web:")]

    # then: gunicorn runs config.serving's worker, whose uvicorn protocol is HttpProtocol
    assert " -k config.serving.UvicornWorker " in web
    assert import_from_string(serving.UvicornWorker.CONFIG_KWARGS["http"]) is serving.HttpProtocol
