"""Whether a kept connection needs a round trip to prove it still works.

Django checks a persistent connection before a request reuses it (`CONN_HEALTH_CHECKS`:
`SELECT 1`) and psycopg's pool checks a pooled one before handing it out (an empty
statement): a round trip to the server on every request, about 80 µs to a local server and a
network round trip to Neon, spent on connections that are nearly always fine.

A connection the server ended while it sat idle — a restart, `pg_terminate_backend`, Neon
closing idle sessions, a pooler going away — has something to read: PostgreSQL sends its
`FATAL` error and closes the socket (end of file), and the socket polls readable. A
connection whose socket has nothing to read, and that psycopg holds as idle and not broken,
is used as it is; any other goes through the full check (a readable socket can also hold a
notice or a parameter change, which the check's statement reads and discards). What polling
cannot see — a server that stopped answering without closing, a network that drops packets —
the round trip could not repair either: it waits like the request's first statement would,
and the request's deadline (config.deadline) cuts whichever waits.
"""

from __future__ import annotations

import select

import psycopg
from psycopg import pq

_POLL_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def quiet(connection) -> bool:
    """True when the psycopg `connection` is open, idle outside a transaction, and its
    socket has nothing to read: nothing has happened to it since its last statement."""
    if connection.closed:
        return False
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    try:
        poller.register(pgconn.socket, _POLL_READABLE)
    except (psycopg.Error, OSError, ValueError):  # no socket to poll: the full check decides
        return False
    return not poller.poll(0)
