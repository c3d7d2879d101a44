"""Raw-HTTP fuzzing of /graphql/ over a real socket: broken bodies, encodings, nesting, sizes,
methods, headers and framing that no GraphQL client would send.

Every probe must be answered within BOUND_S, never with a 5xx; an answer from Django must be
JSON in GraphQL's error shape with an `extensions.code` of the vocabulary. Framing errors
gunicorn refuses itself (a bad chunk size, an oversized header) are answered by gunicorn's
plain 400 before Django runs, and are counted apart. A control query afterwards must still
answer 200.
"""

from __future__ import annotations

import json
import socket
import time

from config.errors import VOCABULARY
from reliability.suite import Result, Suite

BOUND_S = 5.0
VIEWER = b'{"query": "{ viewer { username } }"}'


def _request(method: str, body: bytes, *, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} /graphql/ HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    given = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    given.update(headers or {})
    lines += [f"{name}: {value}" for name, value in given.items() if value is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _nested(depth: int) -> bytes:
    return (
        b'{"query": "{ viewer { username } }", "variables": {"v": '
        + (b"[" * depth + b"]" * depth)
        + b"}}"
    )


def probes(key: str) -> list[tuple[str, list[bytes]]]:
    auth = {"Authorization": f"Bearer {key}"}
    one = lambda method, body, **kw: [_request(method, body, **kw)]  # noqa: E731
    chunked = {"Transfer-Encoding": "chunked", "Content-Length": None}
    return [
        ("body null", one("POST", b"null")),
        ("body 1e999999", one("POST", b"1e999999")),
        ("body a list", one("POST", b"[" + VIEWER + b"," + VIEWER + b"]")),
        ("body empty", one("POST", b"")),
        ("body truncated JSON", one("POST", VIEWER[:-5])),
        ("invalid UTF-8", one("POST", b'{"query": "\xff\xfe\xfd"}')),
        ("UTF-16 body", one("POST", VIEWER.decode().encode("utf-16"))),
        ("UTF-8 BOM", one("POST", b"\xef\xbb\xbf" + VIEWER)),
        ("NaN", one("POST", b'{"query": NaN}')),
        ("nesting 950 (anonymous)", one("POST", _nested(950))),
        ("nesting 20000 (with key)", one("POST", _nested(20000), headers=auth)),
        ("10,000-digit integer", one("POST", VIEWER[:-1] + b', "x": 1' + b"0" * 10000 + b"}")),
        ("no Content-Type", one("POST", VIEWER, headers={"Content-Type": None})),
        ("text/plain", one("POST", VIEWER, headers={"Content-Type": "text/plain"})),
        (
            "multipart no boundary",
            one("POST", VIEWER, headers={"Content-Type": "multipart/form-data"}),
        ),
        ("PUT", one("PUT", VIEWER)),
        ("DELETE", one("DELETE", VIEWER)),
        ("PATCH", one("PATCH", VIEWER)),
        ("OPTIONS", one("OPTIONS", b"")),
        ("1 MB anonymous", one("POST", VIEWER[:-1] + b', "x": "' + b"a" * 1_000_000 + b'"}')),
        ("11 MB with key", one("POST", b"a" * 11 * 1024 * 1024, headers=auth)),
        ("Content-Length not a number", one("POST", VIEWER, headers={"Content-Length": "ten"})),
        ("Content-Length short", one("POST", VIEWER, headers={"Content-Length": "10"})),
        (
            "Content-Length long, body truncated",
            one("POST", VIEWER, headers={"Content-Length": "500"}),
        ),
        (
            "chunked body",
            [_request("POST", b"%x\r\n%s\r\n0\r\n\r\n" % (len(VIEWER), VIEWER), headers=chunked)],
        ),
        (
            "bad chunk size",
            [_request("POST", b"zz\r\n" + VIEWER + b"\r\n0\r\n\r\n", headers=chunked)],
        ),
        ("header of 16 KB", one("POST", VIEWER, headers={"X-Big": "a" * 16_384})),
        ("150 headers", one("POST", VIEWER, headers={f"X-H{i}": "v" for i in range(150)})),
        (
            "bad Authorization",
            one("POST", VIEWER, headers={"Authorization": "Bearer \u00e9t\u00e9"}),
        ),
        ("slow client (body over 2 s)", []),
    ]


def _send(port: int, parts: list[bytes], *, slow: bool = False) -> tuple[int | None, bytes, float]:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND_S + 5) as sock:
        try:
            if slow:
                head, _, body = _request("POST", VIEWER).partition(b"\r\n\r\n")
                sock.sendall(head + b"\r\n\r\n")
                for i in range(len(body)):
                    sock.sendall(body[i : i + 1])
                    time.sleep(2.0 / len(body))
            else:
                for part in parts:
                    sock.sendall(part)
            sock.shutdown(socket.SHUT_WR)  # a truncated body ends here
        except OSError:
            pass  # the server may refuse and close before reading everything
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (TimeoutError, OSError):
            pass
    elapsed = time.monotonic() - start
    status = None
    if data.startswith(b"HTTP/"):
        try:
            status = int(data.split(b" ", 2)[1])
        except ValueError:
            status = None
    return status, data, elapsed


def _judge(status: int | None, data: bytes) -> tuple[bool, str]:
    """(good, kind): Django's JSON error, gunicorn's own plain 400, or wrong."""
    head, _, body = data.partition(b"\r\n\r\n")
    if status is None or status >= 500:
        return False, "no answer" if status is None else "server error"
    if b"application/json" in head.lower():
        try:
            answer = json.loads(body)
            if status == 200 and "errors" not in answer:
                return "data" in answer, "answered"
            codes = [e.get("extensions", {}).get("code") for e in answer["errors"]]
            return all(code in VOCABULARY for code in codes), "json"
        except (ValueError, KeyError, TypeError, AttributeError):
            return False, "bad json"
    if status in (400, 431) and b"Bad Request (400)" not in body:  # not Django's HTML page
        return True, f"gunicorn {status}"
    if status == 200:
        return True, "ok"
    return False, "not json"


def run(suite: Suite) -> list[Result]:
    key = suite.actors["noperm"].key
    details: list[str] = []
    good_count = 0
    by_kind: dict[str, int] = {}
    slowest = 0.0
    cases = probes(key)
    with suite.server() as (gunicorn, client):
        client.graphql("{ viewer { username } }")
        for name, parts in cases:
            slow = name.startswith("slow client")
            status, data, elapsed = _send(gunicorn.port, parts, slow=slow)
            good, kind = _judge(status, data)
            good = good and elapsed < BOUND_S + (2.5 if slow else 0)
            good_count += good
            by_kind[kind] = by_kind.get(kind, 0) + 1
            slowest = max(slowest, elapsed)
            line = f"{name}: {status} {kind} {elapsed * 1000:.0f} ms"
            details.append(("" if good else "WRONG: ") + line)
        control = client.graphql("{ viewer { username } }", key=key)
    ok = good_count == len(cases) and control.status == 200
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items()))
    figure = (
        f"{good_count}/{len(cases)} raw requests answered within {BOUND_S:.0f} s without a 5xx "
        f"({kinds}); slowest {slowest * 1000:.0f} ms; control afterwards {control.status}"
    )
    return [Result("11 raw-HTTP fuzzing", ok, figure, details)]
