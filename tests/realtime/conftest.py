"""A real ASGI server (uvicorn, the production worker's server) on 127.0.0.1 and a free port,
against the test database; the tests commit their data (transaction=True) so it sees it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.processes import database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env_overrides: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
        "REALTIME_POLL_INTERVAL": "0.05",
        **env_overrides,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=str(Path(settings.BASE_DIR)),
        env=env,
    )
    base = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://{base}/healthz", timeout=1).read()
            return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the ASGI server did not start") from None
            time.sleep(0.1)


@pytest.fixture
def serve_asgi(transactional_db):
    """Start uvicorn serving config.asgi with extra environment; return its base URL. Every
    server started is stopped at the end of the test."""
    started = []

    def serve(**env_overrides: str) -> str:
        process, base = _start(env_overrides)
        started.append(process)
        return base

    yield serve
    for process in started:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def asgi_server(serve_asgi):
    """uvicorn serving config.asgi with the test settings; its base URL."""
    return serve_asgi()


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
