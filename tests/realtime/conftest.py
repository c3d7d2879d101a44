"""A real ASGI server (uvicorn, the production worker's server) on 127.0.0.1 and a free port,
against the test database; the tests commit their data (transaction=True) so it sees it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection


def _database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "")
    password = quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):
        return f"postgresql://{auth}/{s['NAME']}?host={quote(host)}&port={s.get('PORT') or 5432}"
    return f"postgresql://{auth}{host}:{s.get('PORT') or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_asgi_server(**extra_env: str):
    """uvicorn serving config.asgi with the test settings (plus `extra_env`); yields host:port."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
        "REALTIME_POLL_INTERVAL": "0.05",
        **extra_env,
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
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the ASGI server did not start") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def asgi_server(transactional_db):
    """Start uvicorn serving config.asgi; yield its base URL; stop it."""
    with running_asgi_server() as base:
        yield base
