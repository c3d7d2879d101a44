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

import psycopg
import psycopg_pool
from django.conf import settings
from django.db import connections

from config.postgresql.health import quiet

logger = logging.getLogger(__name__)


class _Watcher:
    """Tracks {ticket: (deadline, database wrapper of the request's thread, the thread)}, and
    the connection psycopg's pool is checking for each thread (check_pooled)."""

    TICK_S = 0.1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[int, tuple[float, object, int]] = {}
        self._checking: dict[int, object] = {}  # thread -> the pooled connection it checks
        self._expired: dict[int, int] = {}  # ticket past its deadline -> its thread
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> int:
        ticket = next(self._tickets)
        deadline = time.monotonic() + seconds
        with self._lock:
            self._requests[ticket] = (deadline, connections["default"], threading.get_ident())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="db-deadline", daemon=True)
                self._thread.start()
        return ticket

    def release(self, ticket: int) -> None:
        with self._lock:
            self._requests.pop(ticket, None)
            self._expired.pop(ticket, None)

    def check(self, connection) -> bool:
        """This thread checks `connection` (None: no longer); False when its request is
        already past its deadline."""
        ident = threading.get_ident()
        with self._lock:
            if connection is None:
                self._checking.pop(ident, None)
                return True
            if ident in self._expired.values():
                return False
            self._checking[ident] = connection
            return True

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK_S)
            now = time.monotonic()
            with self._lock:
                expired = [t for t, (deadline, _, _) in self._requests.items() if deadline <= now]
                for ticket in expired:
                    _deadline, wrapper, ident = self._requests.pop(ticket)
                    self._expired[ticket] = ident
                    _cut(getattr(wrapper, "connection", None))
                    _cut(self._checking.get(ident))


def _cut(raw) -> None:
    """Shut the socket of the open psycopg connection `raw`, if any (the fd stays owned by
    psycopg, which sees the connection as lost and lets Django discard it)."""
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


def check_pooled(connection) -> None:
    """psycopg's pool checks a connection before handing it out. One that nothing happened to
    since its last use passes without a statement (config.postgresql.health); the others get
    the pool's own check, an empty statement, which behind a pooler whose server is down
    waits like any other, before the request's database wrapper holds the connection.
    Checked here, the request's deadline cuts it too, and once the request is past its
    deadline no further check waits (the pool then answers PoolTimeout, the 503 of an
    unavailable database)."""
    if not _watcher.check(connection):
        raise psycopg.OperationalError("the request is past DB_REQUEST_TIMEOUT")
    try:
        if not quiet(connection):
            psycopg_pool.ConnectionPool.check_connection(connection)
    finally:
        _watcher.check(None)


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
