"""A bound on the time a request may wait for the database, whatever the database does.

Behind a pooler (PgBouncer, Neon's) whose server is down, the pooler accepts the connection and
then holds the query until a server comes back: no statement timeout applies (the server never
saw it) and `connect_timeout` has already passed. One watcher thread per process closes the
socket of a request's database connection once the request is older than
settings.DB_REQUEST_TIMEOUT; the waiting call then fails at once with a connection error,
answered as the retryable 503 DATABASE_UNAVAILABLE, and Django discards the connection.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


class _Watcher:
    """Tracks {ticket: (deadline, database wrapper of the request's thread)}."""

    TICK_S = 0.1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[int, tuple[float, object]] = {}
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> int:
        ticket = next(self._tickets)
        with self._lock:
            self._requests[ticket] = (time.monotonic() + seconds, connections["default"])
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="db-deadline", daemon=True)
                self._thread.start()
        return ticket

    def release(self, ticket: int) -> None:
        with self._lock:
            self._requests.pop(ticket, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK_S)
            now = time.monotonic()
            with self._lock:
                expired = [t for t, (deadline, _) in self._requests.items() if deadline <= now]
                for ticket in expired:
                    _deadline, wrapper = self._requests.pop(ticket)
                    _cut(wrapper)


def _cut(wrapper) -> None:
    """Shut the socket of `wrapper`'s open psycopg connection, if any (the fd stays owned by
    psycopg, which sees the connection as lost and lets Django discard it)."""
    raw = getattr(wrapper, "connection", None)
    try:
        fd = raw.pgconn.socket if raw is not None and not raw.closed else None
    except Exception:  # the connection is already gone
        return
    if fd is None or fd < 0:
        return
    logger.warning("Request past DB_REQUEST_TIMEOUT: closing its database connection")
    dup = socket.socket(fileno=os.dup(fd))
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


_watcher = _Watcher()


@contextmanager
def database_deadline(seconds: float):
    """Cut this thread's database connection if the block takes longer than `seconds`."""
    ticket = _watcher.watch(seconds)
    try:
        yield
    finally:
        _watcher.release(ticket)


class DatabaseDeadlineMiddleware:
    """Bound every request's database wait by settings.DB_REQUEST_TIMEOUT (0: no bound)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.DB_REQUEST_TIMEOUT
        if not seconds:
            return self.get_response(request)
        with database_deadline(seconds):
            return self.get_response(request)
