"""Helpers of the real-time tests, which run against a real ASGI server (the `serve_asgi` and
`asgi_server` fixtures of tests/conftest.py); the tests commit their data (transaction=True)
so it sees it."""

from __future__ import annotations

import time

import pytest
from django.db import connection


def backends(application_name: str) -> list[int]:
    """Pids of this database's connections with that name that have run a statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s AND query <> '' ORDER BY pid",
            [application_name],
        )
        return [pid for (pid,) in cursor.fetchall()]


def wait_for_backends(application_name: str, *, other_than=(), timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        pids = [pid for pid in backends(application_name) if pid not in other_than]
        if pids:
            return pids
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {application_name} connection")
        time.sleep(0.05)


@pytest.fixture
def wait_for_poller(transactional_db):
    """Wait until a server's first subscription is registered: its poller has opened its
    connection and read its starting point (servers are fresh per test, so no poller
    connection exists before). Returns a callable."""
    return lambda: wait_for_backends("realtime-poller")
