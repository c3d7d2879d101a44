"""A loopback TCP peer that speaks just enough of the PostgreSQL wire protocol to refuse a
connection the way a real server (or Neon's proxy) does. It stands in for servers we cannot
create on demand: one that rejects a password, one that refuses unencrypted connections."""

from __future__ import annotations

import socket
import struct
import threading

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def error_response(code: str, message: str) -> bytes:
    fields = b"".join(
        kind + value.encode() + b"\0"
        for kind, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class FakePostgres:
    """Answers every startup with the given FATAL error; refuses SSL like a plain server."""

    def __init__(self, code: str, message: str):
        self.reply = error_response(code, message)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakePostgres:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        while True:
            header = conn.recv(8)
            if len(header) < 8:
                return
            length, code = struct.unpack("!II", header)
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                conn.sendall(b"N")  # no encryption offered
                continue
            conn.recv(length - 8)  # the startup packet: user, database, options
            conn.sendall(self.reply)
            return
