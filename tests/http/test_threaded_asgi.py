"""Plain HTTP through the production server (uvicorn serving config.asgi): each request runs in
one thread of a fixed pool (config.threaded_asgi) and answers as the WSGI path does."""

import csv
import http.client
import io
import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from chat.models import Message
from config.threaded_asgi import thread_count
from tests.chat.factories import ThreadFactory
from tests.realtime.conftest import backends

JSON = "application/json"
VIEWER = json.dumps({"query": "{ viewer { username } }"}).encode()


def send(base: str, method: str, path: str, body: bytes | None = None, headers=None):
    """(status, headers with lower-case names, body) of one request on its own connection."""
    host, port = base.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        found = {}
        for name, value in response.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return response.status, found, response.read()
    finally:
        connection.close()


def test_requests_are_served_by_a_fixed_set_of_threads_that_keep_their_connections(
    serve_asgi, make_user, make_api_key
):
    # given: two threads a process, Django's persistent connections (no pool)
    base = serve_asgi(HTTP_THREADS="2", DB_POOL="0", PGAPPNAME="threaded-asgi")
    headers = {
        "Content-Type": JSON,
        "Authorization": f"Bearer {make_api_key(make_user('alice'))}",
    }

    def batch() -> list[int]:
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(lambda _: send(base, "POST", "/graphql/", VIEWER, headers), range(30))
            )
        assert {(status, body) for status, _, body in answers} == {
            (200, b'{"data":{"viewer":{"username":"alice"}}}')
        }
        return backends("threaded-asgi")

    # when
    first, second = batch(), batch()

    # then: the same connections, one per thread at most, served both batches
    assert 1 <= len(first) <= 2
    assert second == first


def test_answers_are_those_of_the_wsgi_path(asgi_server, make_user, make_api_key):
    # given
    key = make_api_key(make_user("alice"))
    requests = [
        ("POST", "/graphql/", VIEWER, {"Authorization": f"Bearer {key}"}, JSON),
        ("POST", "/graphql/", VIEWER, {}, JSON),
        ("POST", "/graphql/", b'{"query": ', {}, JSON),
        ("POST", "/graphql/", b'{"query": "\xff"}', {}, JSON),
        ("POST", "/graphql/", b"[]", {}, JSON),
        ("POST", "/graphql/", VIEWER, {}, "text/plain"),
        ("GET", "/graphql/?query=%7B%20viewer%20%7B%20username%20%7D%20%7D", None, {}, None),
        ("PUT", "/graphql/", VIEWER, {}, JSON),
        ("GET", "/healthz", None, {}, None),
        ("GET", "/no/such/page/", None, {}, None),
    ]
    client = Client()

    for method, path, body, headers, content_type in requests:
        # when
        sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
        status, found, answer = send(asgi_server, method, path, body, sent)
        expected = client.generic(
            method, path, body or b"", content_type=content_type or "", headers=headers
        )

        # then
        assert (status, answer) == (expected.status_code, expected.content), (method, path)
        assert found["content-type"] == [expected["Content-Type"]], (method, path)


def test_a_streamed_admin_export_and_the_session_cookies_pass_through(asgi_server, superuser):
    # given: a staff session (its cookie) and three messages
    thread = ThreadFactory(id="t1", owner=superuser)
    Message.objects.bulk_create(
        [Message(id=f"m{n}", thread=thread, role="user", content=f"hi {n}") for n in range(3)]
    )
    client = Client()
    client.force_login(superuser)
    session = f"sessionid={client.cookies['sessionid'].value}"
    status, found, page = send(
        asgi_server, "GET", "/admin/chat/message/", None, {"Cookie": session}
    )
    assert status == 200
    csrf_cookie = next(c for c in found["set-cookie"] if c.startswith("csrftoken="))
    csrf = csrf_cookie.split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    # when
    body = f"action=export_csv&select_across=1&_selected_action=m0&csrfmiddlewaretoken={token}"
    status, found, answer = send(
        asgi_server,
        "POST",
        "/admin/chat/message/",
        body.encode(),
        {"Cookie": f"{session}; {csrf}", "Content-Type": "application/x-www-form-urlencoded"},
    )

    # then
    assert (status, found["content-type"]) == (200, ["text/csv"])
    assert found["transfer-encoding"] == ["chunked"]  # streamed, not buffered
    rows = list(csv.reader(io.StringIO(answer.decode())))
    assert [row[:5] for row in rows] == [
        ["id", "thread_id", "role", "type", "content"],
        *[[f"m{n}", "t1", "USER", "message", f"hi {n}"] for n in range(3)],
    ]


def test_a_body_that_arrives_slowly_holds_no_thread(serve_asgi):
    # given: one thread a process, and a client that sends half its body and waits
    base = serve_asgi(HTTP_THREADS="1")
    host, port = base.split(":")
    stalled = socket.create_connection((host, int(port)))
    stalled.sendall(
        b"POST /graphql/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(VIEWER) + VIEWER[:10]
    )

    # when: another client asks meanwhile (send gives up after 30 s)
    try:
        status, _, body = send(base, "POST", "/graphql/", VIEWER, {"Content-Type": JSON})
    finally:
        stalled.close()

    # then: it is answered; the stalled body waits on the event loop, not in the thread
    assert (status, body) == (200, b'{"data":{"viewer":null}}')


@pytest.mark.parametrize("value", ["0", "-1", "four", "2.5"])
def test_http_threads_must_be_a_positive_integer(value):
    with pytest.raises(ValueError, match=f"HTTP_THREADS must be a positive integer, not '{value}'"):
        thread_count({"HTTP_THREADS": value})


def test_http_threads_default_to_four_and_read_the_environment():
    assert (thread_count({}), thread_count({"HTTP_THREADS": " 12 "})) == (4, 12)
