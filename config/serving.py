"""The production worker: gunicorn's uvicorn worker, answering a client that half-closes.

A client may shut down its side of the connection once it has sent its request
(`shutdown(SHUT_WR)`, `nc -N`, some proxies and HTTP/1.0 clients): it has sent everything, not
given up on the answer (RFC 9112, section 9.6). uvicorn takes the end of the client's data for a
disconnect and closes the connection, so such a request got no answer at all. `HttpProtocol`
keeps the connection open to write the answer, then closes it (nothing more can arrive); an
answer already under way when the client's data ends (an event stream) ends there, as before.
A request whose body ends before its `Content-Length` (or its last chunk) is refused with a 400
in GraphQL's error shape, and nothing of it runs: the rest can never arrive.

    gunicorn config.asgi:application -k config.serving.UvicornWorker   (the Procfile)
    uvicorn config.asgi:application --http config.serving:HttpProtocol (make run)
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as BaseUvicornWorker

from config.errors import BAD_REQUEST, error_document

TRUNCATED = json.dumps(
    error_document(
        "The request body ended before its announced length: the client closed its side of "
        "the connection.",
        BAD_REQUEST,
    ),
    separators=(",", ":"),
).encode()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering a request whose client half-closed."""

    def eof_received(self) -> bool:
        cycle = self.cycle
        if cycle is None or cycle.response_complete or cycle.response_started:
            # No request under way, or an answer already streaming (an event stream, whose
            # client closing must end it): a disconnect, as uvicorn takes it.
            return False
        cycle.keep_alive = False  # nothing more can arrive: close after this answer
        if cycle.more_body:
            self._refuse_truncated()
            return False
        return True  # keep the connection open for the answer

    def _refuse_truncated(self) -> None:
        """A 400 for a request cut short; the application sees a disconnect (no row written)."""
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(TRUNCATED)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + TRUNCATED)
        self.transport.close()


class UvicornWorker(BaseUvicornWorker):
    """gunicorn's uvicorn worker (uvloop, httptools) with `HttpProtocol`."""

    CONFIG_KWARGS = {"loop": "auto", "http": "config.serving:HttpProtocol"}
